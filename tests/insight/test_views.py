"""Dashboards, drill-downs and exports through the web: figures, messages for bad input, client scope."""

from __future__ import annotations

import io
from datetime import date

import pytest

from fairpath.insight import snapshots
from fairpath.insight.models import KpiTarget
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.insight import make_book

pytestmark = pytest.mark.django_db

DAYS = [date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 15), date(2024, 3, 31)]


@pytest.fixture
def built(client_a, client_b):
    book = make_book(client_a)
    # Client B: one agreement, never paid, so its figures differ from A's.
    other = make_agreement(make_customer(client_b, last_name="Bsidecustomer"))
    from fairpath.accounts.actions import recompute_arrears

    recompute_arrears(client_ids=[client_b.pk], as_of=date(2024, 3, 15))
    for day in DAYS:
        snapshots.build_snapshots(day)
    return book, other


@pytest.mark.parametrize("view", ["agent", "team_leader", "operations", "compliance"])
def test_each_role_dashboard_renders_with_definitions(built, user_factory, web_as, client_a, view):
    user = user_factory("head_of_operations", client_a)
    response = web_as(user).get(f"/mi/?view={view}&from=2024-02-29&to=2024-03-31")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="filters"' in page
    assert "kpi-definition" in page  # the definition sits beside every figure


def test_operations_dashboard_shows_the_hand_worked_figures(built, user_factory, web_as, client_a):
    user = user_factory("operations_manager", client_a)
    page = web_as(user).get("/mi/?from=2024-02-29&to=2024-03-31").content.decode()
    # 31 March: 1 of 3 accounts in arrears (30-59) -> 33.3%; March roll 1-29 row: 1 cured, 1 rolled.
    assert "33.3%" in page
    assert 'data-testid="roll-matrix"' in page
    assert "for the month ending 2024-03-31" in page
    # Cure rate has only one month end with a population (March) -> no chart, said in words, not 0.
    assert 'data-testid="nochart-CURE_RATE"' in page


def test_a_user_of_client_a_never_sees_client_b(built, user_factory, web_as, client_a, client_b):
    book, other = built
    user = user_factory("operations_manager", client_a)
    http = web_as(user)
    page = http.get("/mi/?view=operations&from=2024-02-29&to=2024-03-31").content.decode()
    assert "Lender B" not in page
    assert http.get(f"/mi/?client={client_b.pk}").status_code == 400
    # Drill-down of the whole book on 31 March lists A's three agreements and not B's.
    drill = http.get("/mi/drill/?kpi=ARREARS_ACCOUNTS&day=2024-03-31&part=denominator").content.decode()
    assert 'data-testid="drill-total">3<' in drill
    assert other.reference not in drill and book.slipping.reference in drill
    assert http.get(f"/mi/drill/?kpi=ARREARS_ACCOUNTS&day=2024-03-31&client={client_b.pk}").status_code == 400
    # The export holds only A's rows.
    csv_text = http.get(
        "/mi/export/?table=ARREARS_ACCOUNTS&format=csv&from=2024-03-31&to=2024-03-31"
    ).content.decode()
    assert "lender-a" in csv_text and "lender-b" not in csv_text


def test_drill_down_lists_the_accounts_behind_a_figure(built, user_factory, web_as, client_a):
    book, _ = built
    user = user_factory("operations_manager", client_a)
    page = web_as(user).get("/mi/drill/?kpi=ARREARS_ACCOUNTS&day=2024-03-31&dimension=30-59").content.decode()
    assert 'data-testid="drill-total">1<' in page
    assert f"/customers/agreements/{book.slipping.pk}/" in page
    cured = web_as(user).get("/mi/drill/?kpi=CURE_RATE&day=2024-03-31&dimension=all").content.decode()
    assert f"/customers/agreements/{book.recovered.pk}/" in cured
    assert f"/customers/agreements/{book.slipping.pk}/" not in cured


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2024-03-31&to=2024-02-01", "The date range is empty"),
        (
            "from=2030-01-01&to=2030-02-01",
            "No snapshots between 2030-01-01 and 2030-02-01: the data runs from 2024-02-29 to 2024-03-31",
        ),
        ("from=yesterday", "is not a date"),
    ],
)
def test_bad_ranges_get_a_clear_message_and_no_chart(built, user_factory, web_as, client_a, query, message):
    user = user_factory("operations_manager", client_a)
    response = web_as(user).get(f"/mi/?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "<canvas" not in page


def test_an_unknown_kpi_gets_a_clear_message(built, user_factory, web_as, client_a):
    user = user_factory("operations_manager", client_a)
    http = web_as(user)
    response = http.get("/mi/drill/?kpi=HAPPINESS&day=2024-03-31")
    assert response.status_code == 400 and "Unknown KPI" in response.content.decode()
    export = http.get("/mi/export/?table=HAPPINESS&format=csv")
    assert export.status_code == 400 and "Unknown KPI 'HAPPINESS'" in export.content.decode()


def test_excel_export_is_formatted_with_a_definitions_sheet(built, user_factory, web_as, client_a):
    from openpyxl import load_workbook

    user = user_factory("head_of_operations", client_a)
    response = web_as(user).get(
        "/mi/export/?table=ARREARS_ACCOUNTS&format=xlsx&from=2024-03-31&to=2024-03-31"
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["ARREARS_ACCOUNTS", "KPI definitions"]
    sheet = book["ARREARS_ACCOUNTS"]
    rows = {row[3]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["30-59"][4:7] == (1, 3, pytest.approx(1 / 3))
    assert sheet.cell(row=3, column=7).number_format == "0.0%"
    definitions = {row[0]: row for row in book["KPI definitions"].iter_rows(min_row=2, values_only=True)}
    assert "latest bucket history" in definitions["ARREARS_ACCOUNTS"][4]


def test_roll_matrix_csv_and_cash_against_target(built, user_factory, web_as, client_a):
    KpiTarget.objects.create(kpi="CASH_COLLECTED", value=60_000)
    user = user_factory("head_of_operations", client_a)
    http = web_as(user)
    csv_text = http.get(
        "/mi/export/?table=ROLL_MATRIX&format=csv&from=2024-03-31&to=2024-03-31"
    ).content.decode()
    assert "2024-03-31,lender-a,personal_loan,1-29,30-59,1," in csv_text
    page = http.get(
        f"/mi/?view=operations&client={client_a.pk}&from=2024-03-01&to=2024-03-31"
    ).content.decode()
    # March: 20,000 on 1 March + 10,000 on 31 March = 30,000 of a 60,000 target.
    assert "GBP 300.00" in page and "target 600.00" in page and "0.50 of target" in page


def test_agents_cannot_export(built, user_factory, web_as, client_a):
    user = user_factory("agent", client_a)
    http = web_as(user)
    assert http.get("/mi/?view=agent").status_code == 200
    assert http.get("/mi/export/?table=ARREARS_ACCOUNTS&format=csv").status_code == 403
    assert http.get("/mi/pack/").status_code == 403


def test_mi_pack_pdf_or_printable_html(built, user_factory, web_as, client_a):
    from fairpath.insight.exports import pdf_available

    user = user_factory("head_of_operations", client_a)
    http = web_as(user)
    html = http.get("/mi/pack/?format=html&from=2024-02-29&to=2024-03-31").content.decode()
    assert "Monthly MI pack" in html and "KPI definitions" in html and "ARREARS_ACCOUNTS" in html
    response = http.get("/mi/pack/?from=2024-02-29&to=2024-03-31")
    assert response.status_code == 200
    if pdf_available():
        assert response.content.startswith(b"%PDF")


def test_no_snapshots_yet_says_so(user_factory, web_as, client_a):
    user = user_factory("operations_manager", client_a)
    response = web_as(user).get("/mi/")
    assert response.status_code == 200
    assert "<canvas" not in response.content.decode()


def test_dashboards_read_only_snapshot_tables(
    built, user_factory, web_as, client_a, django_assert_max_num_queries
):
    user = user_factory("compliance_officer", client_a)
    http = web_as(user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert http.get("/mi/?view=compliance&from=2024-02-29&to=2024-03-31").status_code == 200
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "accounts_ledgerentry" not in tables and "accounts_buckethistory" not in tables
    assert len(queries.captured_queries) < 60


def test_api_series_with_definition_and_bad_input(built, user_factory, api_as, client_a, client_b):
    user = user_factory("operations_manager", client_a)
    api = api_as(user)
    status, body = api.get("/mi/series?kpi=ARREARS_ACCOUNTS&from=2024-02-29&to=2024-03-31")
    assert status == 200, body
    assert body["kpi"]["numerator"].startswith("Agreements of the open book")
    latest = {figure["dimension"]: figure for figure in body["latest"]}
    assert body["latest_day"] == "2024-03-31"
    assert (latest["30-59"]["numerator"], latest["30-59"]["denominator"]) == (
        1,
        3,
    )  # client B's account not counted
    # Trend: share in arrears on 29 Feb (2/3), 1 Mar (2/3), 15 Mar (1/3), 31 Mar (1/3).
    assert [round(point["value"], 4) for point in body["points"]] == [0.6667, 0.6667, 0.3333, 0.3333]
    status, body = api.get("/mi/series?kpi=NOPE")
    assert status == 422 and "Unknown KPI 'NOPE'" in body["error"]["message"]
    status, body = api.get("/mi/series?kpi=CURE_RATE&from=2024-04-01&to=2024-03-01")
    assert status == 422 and "empty" in body["error"]["message"]
    status, body = api.get(f"/mi/series?kpi=CURE_RATE&client={client_b.pk}")
    assert status == 422 and "client" in body["error"]["message"]
    status, body = api.get("/mi/kpis")
    assert status == 200 and len(body) >= 20


def test_shared_denominators_cover_products_without_a_row(client_a, user_factory, web_as):
    """A bucket only one product has is still a share of the whole book in scope, not of that product's."""
    from fairpath.insight.models import KpiDaily
    from fairpath.insight.selectors import breakdown, parse_filters

    day = date(2024, 3, 31)
    rows = [
        ("personal_loan", "current GBP", 700, 1000),
        ("personal_loan", "30-59 GBP", 300, 1000),
        ("credit_card", "current GBP", 500, 500),  # no 30-59 row for cards
    ]
    for product, dimension, numerator, denominator in rows:
        KpiDaily.objects.create(client=client_a, day=day, kpi="ARREARS_BALANCE", product=product,
                                dimension=dimension, numerator=numerator, denominator=denominator)  # fmt: skip
    user = user_factory("operations_manager", client_a)
    figures = {
        figure.dimension: figure for figure in breakdown("ARREARS_BALANCE", parse_filters(user, {})).figures
    }
    assert (figures["30-59 GBP"].numerator, figures["30-59 GBP"].denominator) == (300, 1500)
    assert (figures["current GBP"].numerator, figures["current GBP"].denominator) == (1200, 1500)
