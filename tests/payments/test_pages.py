"""The upload page (multipart, refusals shown with the line and reason, nothing posted) and the CSV column-mapping
pages: who may use them, and that another client's mapping cannot be seen or changed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fairpath.accounts.models import LedgerEntry
from fairpath.governance.models import AuditEvent
from fairpath.payments import actions
from fairpath.payments.models import PaymentFile, SavedMapping, StatementLine
from tests.factories import SETUP, make_user
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.payments import camt054

pytestmark = pytest.mark.django_db

CSV = b"Posted,Amount,Reference,Payer\n2026-12-07,100.00,AG00001234,ADA LOVELACE\n"
COLUMNS = {"column_date": "Posted", "column_amount": "Amount", "column_reference": "Reference",
           "column_payer": "Payer"}  # fmt: skip


@pytest.fixture
def agreement(client_a):
    return make_agreement(
        make_customer(client_a, first_name="Ada", last_name="Lovelace"), reference="AG00001234"
    )


def nothing_posted() -> bool:
    return not PaymentFile.objects.exists() and not LedgerEntry.objects.filter(kind="payment").exists()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (camt054([("10.005", "AG00001234", "ADA")]), "Ntry[1]/Amt"),  # more decimals than GBP has
        (camt054([("10.00", "AG00001234", "ADA")])[:-40], "not well-formed XML"),  # truncated
        (camt054([("10.00", "AG00001234", "ADA")], currency="XYZ"), "unknown currency 'XYZ'"),
        (b"\x00\xff\x13 not a statement", "format could not be detected"),
        (CSV, "format could not be detected"),  # CSV needs a mapping
    ],
)
def test_a_bad_file_is_refused_with_the_reason_and_posts_nothing(client_a, agreement, web_as, content, says):
    web = web_as(make_user("back_office_executive", client_a))
    response = web.post(
        "/payments/upload/", {"client": client_a.pk, "file": SimpleUploadedFile("bad.xml", content)}
    )
    assert response.status_code == 400
    (message,) = messages_of(response)
    assert "bad.xml was refused and nothing from it was posted" in message and says in message
    assert nothing_posted()


def test_no_file_or_an_empty_one_is_asked_for_again(client_a, web_as):
    web = web_as(make_user("back_office_executive", client_a))
    response = web.post("/payments/upload/", {"client": client_a.pk})
    assert response.status_code == 400 and "Choose a file" in messages_of(response)[0]
    response = web.post(
        "/payments/upload/", {"client": client_a.pk, "file": SimpleUploadedFile("e.xml", b"")}
    )
    assert response.status_code == 400 and "Choose a file" in messages_of(response)[0]
    assert nothing_posted()


def test_upload_to_another_client_is_refused(client_a, client_b, agreement, web_as):
    web = web_as(make_user("back_office_executive", client_b))
    data = camt054([("100.00", "AG00001234", "ADA")])
    response = web.post(
        "/payments/upload/", {"client": client_a.pk, "file": SimpleUploadedFile("s.xml", data)}
    )
    assert response.status_code == 400 and "Choose one of your clients" in messages_of(response)[0]
    assert nothing_posted()


def test_a_csv_through_a_mapping_made_on_the_page(client_a, agreement, web_as):
    web = web_as(make_user("back_office_executive", client_a))
    assert web.get("/payments/mappings/new/").status_code == 200
    response = web.post("/payments/mappings/new/", {"client": client_a.pk, "name": "bank-x", **COLUMNS,
                                                     "date_format": "%Y-%m-%d", "delimiter": ",", "currency": "gbp"})  # fmt: skip
    assert response.status_code == 302
    mapping = SavedMapping.objects.get(client=client_a, name="bank-x")
    assert mapping.columns == {
        "date": "Posted",
        "amount": "Amount",
        "reference": "Reference",
        "payer": "Payer",
    }
    assert mapping.currency == "GBP"
    assert AuditEvent.objects.filter(action="payments.mapping_saved", object_id=str(mapping.pk)).exists()
    listing = web.get("/payments/mappings/")
    assert listing.status_code == 200 and b"bank-x" in listing.content
    response = web.post("/payments/upload/", {"client": client_a.pk, "format": "csv", "mapping": "bank-x",
                                              "file": SimpleUploadedFile("bank.csv", CSV)})  # fmt: skip
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(agreement=agreement, kind="payment").count() == 1


def test_a_mapping_is_edited_on_its_page_and_keeps_its_name(client_a, agreement, web_as):
    mapping = actions.save_mapping(client=client_a, name="bank-x", columns={"date": "Date", "amount": "Amount",
                                   "reference": "Ref"}, actor=SETUP)  # fmt: skip
    web = web_as(make_user("back_office_executive", client_a))
    page = web.get(f"/payments/mappings/{mapping.pk}/")
    assert page.status_code == 200 and b'value="Ref"' in page.content
    response = web.post(f"/payments/mappings/{mapping.pk}/", {"name": "renamed", **COLUMNS, "date_format": "%Y-%m-%d",
                                                                "delimiter": ";", "currency": "EUR",
                                                                "decimal_comma": "on"})  # fmt: skip
    assert response.status_code == 302
    mapping.refresh_from_db()
    assert (mapping.name, mapping.columns["date"], mapping.delimiter, mapping.currency, mapping.decimal_comma) == (
        "bank-x", "Posted", ";", "EUR", True)  # fmt: skip
    assert SavedMapping.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"column_amount": "Amount", "column_reference": "Ref"}, "must name the date column"),
        ({"column_date": "Date", "column_reference": "Ref"}, "must name an amount or a credit column"),
        ({**COLUMNS, "currency": "XYZ"}, "unknown currency"),
        ({**COLUMNS, "name": "no spaces please"}, "Name the mapping"),
    ],
)
def test_an_incomplete_mapping_is_refused_and_nothing_saved(client_a, web_as, fields, says):
    web = web_as(make_user("back_office_executive", client_a))
    response = web.post(
        "/payments/mappings/new/", {"client": client_a.pk, "name": "m", "currency": "GBP", **fields}
    )
    assert response.status_code == 400 and says in messages_of(response)[0]
    assert not SavedMapping.objects.exists()


def test_mapping_pages_refuse_a_role_without_the_permission(client_a, web_as):
    mapping = actions.save_mapping(client=client_a, name="bank-x", columns={"date": "D", "amount": "A", "reference": "R"},
                                   actor=SETUP)  # fmt: skip
    agent = web_as(make_user("agent", client_a))
    for url in (
        "/payments/mappings/",
        "/payments/mappings/new/",
        f"/payments/mappings/{mapping.pk}/",
        "/payments/upload/",
    ):
        assert agent.get(url).status_code == 403
    assert agent.post(f"/payments/mappings/{mapping.pk}/", {**COLUMNS, "currency": "EUR"}).status_code == 403
    assert (
        agent.post("/payments/mappings/new/", {"client": client_a.pk, "name": "x", **COLUMNS}).status_code
        == 403
    )
    mapping.refresh_from_db()
    assert mapping.currency == "GBP" and SavedMapping.objects.count() == 1


def test_another_clients_mapping_is_not_found_nor_changed(client_a, client_b, web_as):
    mapping = actions.save_mapping(client=client_a, name="bank-x", columns={"date": "D", "amount": "A", "reference": "R"},
                                   actor=SETUP)  # fmt: skip
    outsider = web_as(make_user("back_office_executive", client_b))
    assert outsider.get(f"/payments/mappings/{mapping.pk}/").status_code == 404
    assert (
        outsider.post(f"/payments/mappings/{mapping.pk}/", {**COLUMNS, "currency": "EUR"}).status_code == 404
    )
    assert b"bank-x" not in outsider.get("/payments/mappings/").content
    response = outsider.post("/payments/mappings/new/", {"client": client_a.pk, "name": "sneaky", **COLUMNS})
    assert response.status_code == 400 and not SavedMapping.objects.filter(name="sneaky").exists()
    mapping.refresh_from_db()
    assert mapping.currency == "GBP" and not StatementLine.objects.exists()
