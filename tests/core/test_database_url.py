import pytest

from fairpath.core.database import DatabaseUrlError, database_settings


def test_sqlite_url_names_the_file():
    settings = database_settings("sqlite:////var/lib/fairpath/db.sqlite3")
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["NAME"] == "/var/lib/fairpath/db.sqlite3"


def test_postgresql_url_gives_each_part():
    settings = database_settings("postgresql://app:s%40cret@db.internal:6543/fairpath?sslmode=require")
    assert (settings["USER"], settings["PASSWORD"], settings["HOST"], settings["PORT"], settings["NAME"]) == (
        "app",
        "s@cret",
        "db.internal",
        "6543",
        "fairpath",
    )
    assert settings["OPTIONS"] == {"sslmode": "require", "options": "-c jit=off"}


def test_postgresql_sessions_run_without_jit_unless_the_url_says_otherwise():
    assert database_settings("postgresql://localhost/x")["OPTIONS"]["options"] == "-c jit=off"
    chosen = database_settings("postgresql://localhost/x?options=-c%20jit%3Don")["OPTIONS"]["options"]
    assert chosen == "-c jit=on"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://root@localhost/x", "not understood"),
        ("postgresql://localhost:5432/", "names no database"),
        ("postgresql://localhost:99999/x", "bad port"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url, problem):
    with pytest.raises(DatabaseUrlError, match=problem):
        database_settings(url)
