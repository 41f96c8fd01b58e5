"""MI: generate a portfolio, build 31 days of snapshots, then time each role's dashboard render (web).

Dashboards read only the snapshot tables, whose size depends on days × clients × products × dimensions, not
on the number of accounts; the target is ≤ 300 ms per render at 1M accounts. JSON lines: the snapshot
rebuild, then per dashboard p50/p95 over repeated renders. At most 100k accounts on the shared machine.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from harness import emit, start, timed

AS_OF = date(2026, 11, 30)
DAYS = 31
RENDERS = 15


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

    from fairpath.clients.models import Client
    from fairpath.demo.generator import generate_portfolio
    from fairpath.governance.actions import create_user
    from fairpath.governance.audit import SystemActor
    from fairpath.insight.snapshots import rebuild

    n = arguments.accounts
    code = f"bench-mid-{int(time.time())}"
    generate_portfolio(accounts=n, seed=1, as_of=AS_OF, months=18, client_code=code)
    client_id = Client.objects.get(code=code).id
    first = AS_OF - timedelta(days=DAYS - 1)
    with timed() as elapsed:
        rebuild(first, AS_OF, [client_id])
    emit("rebuild_snapshots", n, elapsed[0], days=DAYS)
    user = create_user(
        username=f"{code}-head", role_code="head_of_operations", password="bench-password-123",
        client_codes=[code], actor=SystemActor("bench"),
    )  # fmt: skip
    http = HttpClient()
    http.force_login(user)
    for view in ("agent", "team_leader", "operations", "compliance"):
        url = f"/mi/?view={view}&from={first}&to={AS_OF}"
        assert http.get(url).status_code == 200  # warm-up
        samples = []
        for _ in range(RENDERS):
            began = time.perf_counter()
            response = http.get(url)
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200
        emit("dashboard_render", n, sum(samples), dashboard=view, renders=RENDERS, **percentiles(samples))


if __name__ == "__main__":
    main()
