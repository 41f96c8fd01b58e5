"""The payments API and pages: upload, lists, manual match; scoped to clients (foreign → 404)."""

from __future__ import annotations

import base64

import pytest

from fairpath.accounts.models import LedgerEntry
from fairpath.payments.models import PaymentFile, StatementLine
from tests.factories import make_user
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.payments import camt054, make_suspense_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(client_a):
    return make_agreement(
        make_customer(client_a, first_name="Ada", last_name="Lovelace"), reference="AG00001234"
    )


def test_upload_lists_and_suspense(client_a, agreement, api_as):
    executive = make_user("back_office_executive", client_a)
    api = api_as(executive)
    data = camt054([("100.00", "AG00001234", "ADA"), ("5.00", "???", "NOBODY")])
    status, body = api.post(
        "/payments/files", {"client_id": client_a.pk, "name": "n.xml", "content": data.decode()}
    )
    assert status == 201, body
    assert (body["posted"], body["suspense"], body["auto_match_rate"]) == (1, 1, 0.5)
    status, again = api.post("/payments/files", {"client_id": client_a.pk, "name": "n.xml",
                                                 "content": base64.b64encode(data).decode(), "encoding": "base64"})  # fmt: skip
    assert status == 201 and again["already_imported"] and again["posted"] == 0
    status, files = api.get("/payments/files")
    assert status == 200 and [f["name"] for f in files] == ["n.xml"]
    status, suspense = api.get("/payments/suspense")
    assert status == 200 and [line["reference"] for line in suspense] == ["???"]


def test_malformed_upload_is_refused_naming_the_element_and_changes_nothing(client_a, agreement, api_as):
    api = api_as(make_user("back_office_executive", client_a))
    data = camt054([("10.005", "AG00001234", "ADA")]).decode()
    status, body = api.post("/payments/files", {"client_id": client_a.pk, "name": "bad.xml", "content": data})
    assert status == 422 and "Ntry[1]/Amt" in body["error"]["message"]
    assert not PaymentFile.objects.exists() and not LedgerEntry.objects.filter(kind="payment").exists()


def test_manual_match_over_the_api(client_a, agreement, api_as):
    line = make_suspense_line(client_a)
    api = api_as(make_user("back_office_executive", client_a))
    status, body = api.post(f"/payments/lines/{line.pk}/match",
                            {"allocations": [{"agreement_id": agreement.pk, "amount_minor": 1234}]})  # fmt: skip
    assert status == 200 and body["status"] == "posted"
    assert LedgerEntry.objects.get(agreement=agreement, kind="payment").amount_minor == -1234


def test_foreign_client_is_not_found_and_changes_nothing(client_a, client_b, agreement, api_as):
    line = make_suspense_line(client_a)
    outsider = api_as(make_user("back_office_executive", client_b))
    status, _ = outsider.post(f"/payments/lines/{line.pk}/match",
                              {"allocations": [{"agreement_id": agreement.pk, "amount_minor": 1234}]})  # fmt: skip
    assert status == 404
    status, _ = outsider.post("/payments/files", {"client_id": client_a.pk, "name": "x", "content": "x"})
    assert status == 404
    assert outsider.get("/payments/suspense") == (200, [])
    line.refresh_from_db()
    assert line.status == "suspense" and not LedgerEntry.objects.filter(kind="payment").exists()


def test_agent_may_not_import(client_a, api_as):
    status, _ = api_as(make_user("agent", client_a)).post(
        "/payments/files", {"client_id": client_a.pk, "name": "x", "content": "x"}
    )
    assert status == 403


def test_reconciliation_and_line_pages(client_a, agreement, web_as):
    line = make_suspense_line(client_a)
    web = web_as(make_user("back_office_executive", client_a))
    page = web.get("/payments/")
    assert (
        page.status_code == 200
        and b"Suggestions and suspense" in page.content
        and b"NO REFERENCE" in page.content
    )
    detail = web.get(f"/payments/lines/{line.pk}/?q=AG0000")
    assert detail.status_code == 200 and b"AG00001234" in detail.content
    response = web.post(
        f"/payments/lines/{line.pk}/action/", {"action": "match", "agreement_id": agreement.pk}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == StatementLine.Status.POSTED


def test_upload_page(client_a, agreement, web_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    web = web_as(make_user("back_office_executive", client_a))
    assert web.get("/payments/upload/").status_code == 200
    upload = SimpleUploadedFile("s.xml", camt054([("100.00", "AG00001234", "ADA")]))
    response = web.post("/payments/upload/", {"client": client_a.pk, "file": upload})
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(agreement=agreement, kind="payment").count() == 1


def test_foreign_line_page_is_not_found(client_a, client_b, web_as):
    line = make_suspense_line(client_a)
    web = web_as(make_user("back_office_executive", client_b))
    assert web.get(f"/payments/lines/{line.pk}/").status_code == 404
    assert web.post(f"/payments/lines/{line.pk}/action/", {"action": "reject"}).status_code == 404


def test_reconciliation_page_query_count_does_not_grow_with_exceptions(client_a, agreement, web_as,
                                                                      django_assert_max_num_queries):  # fmt: skip
    from tests.factories.payments import import_lines

    web = web_as(make_user("back_office_executive", client_a))
    import_lines(client_a, [("1.00", "NOTHING", "NOBODY"), ("100.00", "INVOICE", "A Lovelace")])
    web.get("/payments/")
    with django_assert_max_num_queries(30) as few:
        web.get("/payments/")
    import_lines(client_a, [(f"{n}.00", f"NOTHING {n}", "NOBODY") for n in range(2, 40)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert web.get("/payments/").status_code == 200
