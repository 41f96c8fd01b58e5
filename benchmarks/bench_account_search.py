"""Accounts: generate a portfolio, then time customer search and the account page (web, through Django).

JSON lines: generate (accounts per second), search by each kind of key, the customer list page and the
agreement page, with p50/p95 in milliseconds. Stay at or below 20k accounts on a shared 2-core machine.

``FAIRPATH_BENCH_CLIENT=CODE`` times search and pages on a client generated earlier (a 1M book takes many
minutes to make) instead of generating one.
"""

from __future__ import annotations

import os
import random
import time
from datetime import date

from harness import emit, start, timed


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda share: ordered[min(int(share * len(ordered)), len(ordered) - 1)] * 1000  # noqa: E731
    return {
        "p50_ms": round(pick(0.5), 2),
        "p95_ms": round(pick(0.95), 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=10_000)
    from django.test import Client as HttpClient

    from fairpath.accounts import selectors
    from fairpath.accounts.models import Address, Agreement, ContactPoint, Customer
    from fairpath.governance.actions import create_user
    from fairpath.governance.audit import SystemActor

    n = arguments.accounts
    code = os.environ.get("FAIRPATH_BENCH_CLIENT") or ""
    if code:
        n = Agreement.objects.filter(client__code=code).count()
    else:
        code = f"bench-{int(time.time())}"
        generate_and_age(code, n)

    user = create_user(
        username=f"{code}-lead-{int(time.time())}", role_code="team_leader", password="bench-password-123", all_clients=True,
        actor=SystemActor("bench"),
    )  # fmt: skip
    picker = random.Random(7)
    customers = list(Customer.objects.filter(client__code=code).values_list("id", "last_name", "first_name"))
    sample = picker.sample(customers, min(100, len(customers)))
    references = list(Agreement.objects.filter(client__code=code).values_list("reference", flat=True)[:5000])
    phones = list(
        ContactPoint.objects.filter(client__code=code, channel="phone").values_list("value", flat=True)[:5000]
    )
    emails = list(
        ContactPoint.objects.filter(client__code=code, channel="email").values_list("value", flat=True)[:5000]
    )
    postcodes = list(Address.objects.filter(client__code=code).values_list("postcode", flat=True)[:5000])
    queries = {
        "last_name": [last for _, last, _ in sample],
        "full_name": [f"{first} {last}" for _, last, first in sample],
        "name_prefix": [last[:3] for _, last, _ in sample],
        "agreement": picker.sample(references, min(100, len(references))),
        "phone": picker.sample(phones, min(100, len(phones))),
        "email": picker.sample(emails, min(100, len(emails))),
        "postcode": picker.sample(postcodes, min(100, len(postcodes))),
    }
    for kind, texts in queries.items():
        samples = []
        found = 0
        for text in texts:
            began = time.perf_counter()
            page = selectors.page_of(selectors.search_customers(user, text), 1, selectors.PAGE_SIZE)
            found += len(page.items)
            samples.append(time.perf_counter() - began)
        emit(f"search_{kind}", len(samples), sum(samples), accounts=n, found=found, **percentiles(samples))

    http = HttpClient()
    http.force_login(user)
    for name, urls in (
        ("page_customer_search", [f"/customers/?q={text}" for text in queries["last_name"] + queries["agreement"]]),
        ("page_customer", [f"/customers/{customer_id}/" for customer_id, _, _ in sample]),
        (
            "page_agreement",
            [f"/customers/agreements/{pk}/" for pk in picker.sample(
                list(Agreement.objects.filter(client__code=code).values_list("id", flat=True)), min(100, n))],
        ),
    ):  # fmt: skip
        samples = []
        for url in urls:
            began = time.perf_counter()
            response = http.get(url)
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200, (url, response.status_code)
        emit(name, len(samples), sum(samples), accounts=n, **percentiles(samples))


def generate_and_age(code: str, n: int) -> None:
    """Generate the book (timed), then recompute arrears on its as-of date (nothing to do) and the day after."""
    from fairpath.accounts.actions import recompute_arrears
    from fairpath.clients.models import Client
    from fairpath.demo.generator import generate_portfolio

    with timed() as elapsed:
        summary = generate_portfolio(
            accounts=n, seed=1, as_of=date(2026, 11, 30), months=18, client_code=code
        )
    rows = summary.instalments + summary.ledger_entries + summary.allocations
    emit("generate", n, elapsed[0], months=18, customers=summary.customers, rows=rows)
    client_id = Client.objects.get(code=code).id
    for as_of in (date(2026, 11, 30), date(2026, 12, 1)):
        with timed() as elapsed:
            result = recompute_arrears(client_ids=[client_id], as_of=as_of)
        emit("recompute_arrears", n, elapsed[0], as_of=as_of.isoformat(), states_written=result.states_written,
             bucket_changes=result.bucket_changes)  # fmt: skip


if __name__ == "__main__":
    main()
