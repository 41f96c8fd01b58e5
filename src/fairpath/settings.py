"""The one settings module. Everything that differs between machines comes from environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from fairpath.core.database import DatabaseUrlError, database_settings, default_database_url

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get(
    "FAIRPATH_SECRET_KEY", "fairpath-demo-only-secret-change-me-in-production-0123456789"
)
DEBUG = os.environ.get("FAIRPATH_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    host
    for host in os.environ.get("FAIRPATH_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if host
]

DATABASE_URL = os.environ.get("FAIRPATH_DATABASE_URL") or default_database_url()
try:
    DATABASES = {"default": database_settings(DATABASE_URL)}
except DatabaseUrlError as error:
    # Kept so `fairpath` can print one clear line; Django itself refuses to start without a database.
    DATABASE_URL_ERROR: str | None = str(error)
    DATABASES = {"default": database_settings(default_database_url())}
else:
    DATABASE_URL_ERROR = None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "fairpath.core",
    "fairpath.governance",
    "fairpath.clients",
    "fairpath.accounts",
    "fairpath.collections",
    "fairpath.communications",
    "fairpath.cases",
    "fairpath.payments",
    "fairpath.insight",
    "fairpath.work",
    "fairpath.web",
    "fairpath.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fairpath.governance.middleware.CorrelationIdMiddleware",
]

ROOT_URLCONF = "fairpath.urls"
AUTH_USER_MODEL = "governance.User"
AUTHENTICATION_BACKENDS = ["fairpath.governance.backends.RolePermissionBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fairpath.web.navigation.navigation_context",
            ]
        },
    }
]

WSGI_APPLICATION = "fairpath.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("FAIRPATH_STATIC_ROOT", BASE_DIR.parent.parent / ".static"))
# Stored files (letters, attachments, outbox) live in the data folder unless FAIRPATH_MEDIA_ROOT says otherwise.
_default_media = (
    Path(DATABASES["default"]["NAME"]).parent / "files"
    if DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:"
    else Path(os.environ.get("FAIRPATH_DATA_DIR", Path.home() / ".local" / "share" / "fairpath")) / "files"
)
MEDIA_ROOT = Path(os.environ.get("FAIRPATH_MEDIA_ROOT", _default_media))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if os.environ.get("FAIRPATH_FAST_PASSWORDS") == "1"
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

CELERY_BROKER_URL = os.environ.get("FAIRPATH_CELERY_BROKER_URL", "")
# Celery beat (with a broker): between cycles, hand over the messages held back for the customer's permitted
# local time (US-HOURS, UK-CONTACT) every FAIRPATH_MESSAGE_RELEASE_MINUTES minutes. Without Celery, cron calls
# ``fairpath messages release`` instead.
FAIRPATH_MESSAGE_RELEASE_MINUTES = max(int(os.environ.get("FAIRPATH_MESSAGE_RELEASE_MINUTES", "5")), 1)
CELERY_BEAT_SCHEDULE = {
    "release-due-messages": {
        "task": "fairpath.communications.release_due_messages",
        "schedule": FAIRPATH_MESSAGE_RELEASE_MINUTES * 60.0,
    },
}

# E-mail: SMTP when FAIRPATH_EMAIL_HOST is set; otherwise messages are written to MEDIA_ROOT/outbox/email.
EMAIL_HOST = os.environ.get("FAIRPATH_EMAIL_HOST", "localhost")
EMAIL_HOST_CONFIGURED = bool(os.environ.get("FAIRPATH_EMAIL_HOST"))
EMAIL_PORT = int(os.environ.get("FAIRPATH_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("FAIRPATH_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("FAIRPATH_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("FAIRPATH_EMAIL_TLS", "1") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("FAIRPATH_EMAIL_FROM", "collections@fairpath.invalid")

# Letters: "at-send" renders each PDF when sent; "on-demand" queues them for print and renders when opened.
FAIRPATH_LETTER_PDF = os.environ.get("FAIRPATH_LETTER_PDF", "at-send")
FAIRPATH_LETTER_WORKERS = int(os.environ.get("FAIRPATH_LETTER_WORKERS", "1"))
FAIRPATH_PAYMENTS_AUTO_POST_THRESHOLD = float(os.environ.get("FAIRPATH_PAYMENTS_AUTO_POST_THRESHOLD", "0.95"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
