"""Payments: generate a book, write a synthetic statement with noise and ground truth, import it (match and
post), and measure lines per second, the auto-match rate and the false-match rate against the truth; then
import a file of returned direct debits for some of the payments just posted (reversed in bulk).

--accounts sets the book size; the statement has min(accounts // 10, 10_000) lines (FAIRPATH_BENCH_LINES
overrides, FAIRPATH_BENCH_FORMAT picks the format). Phases: parse, match (read the reachable part of the book
and run the cascade), and the whole import (parse, match, post, record, queue) in one transaction; posting is
the import less parse and match. FAIRPATH_BENCH_RETURNS sets the returned direct debits (default 1% of the
lines; 0 skips them). On a shared 2-core machine stay at or below 100k accounts.

``FAIRPATH_BENCH_CLIENT=CODE`` imports into a book generated earlier (a 1M book takes many minutes to make)
instead of generating one: the statement is booked the day after the book's last ledger entry
(FAIRPATH_BENCH_BOOKED_ON=YYYY-MM-DD overrides), and the first seed from FAIRPATH_BENCH_SEED (default 7) whose
statement that book has not imported yet is used, so the benchmark can be run on the same book again.
"""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
import time
from datetime import date, timedelta

from harness import emit, start, timed

AS_OF = date(2026, 11, 30)


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=10_000)
    from django.db.models import Max

    from fairpath.accounts.models import Agreement, LedgerEntry
    from fairpath.clients.models import Client
    from fairpath.demo.generator import generate_portfolio
    from fairpath.governance.audit import SystemActor
    from fairpath.payments import matching, parsers
    from fairpath.payments.actions import import_file, load_book
    from fairpath.payments.models import PaymentFile
    from fairpath.payments.synthetic import evaluate, read_truth, write_statements

    accounts = arguments.accounts
    code = os.environ.get("FAIRPATH_BENCH_CLIENT") or ""
    if code:
        client = Client.objects.get(code=code)
        accounts = Agreement.objects.filter(client=client).count()
        last_entry = LedgerEntry.objects.filter(client=client).aggregate(last=Max("posted_on"))["last"]
        booked_on = (last_entry or AS_OF) + timedelta(days=1)
        emit("reconcile_reuse_book", accounts, 0.0, client=code, last_entry=str(last_entry))
    else:
        code = f"bench-pay-{int(time.time())}"
        booked_on = AS_OF + timedelta(days=1)
        with timed() as elapsed:
            generate_portfolio(accounts=accounts, seed=1, as_of=AS_OF, months=6, client_code=code)
        emit("reconcile_generate", accounts, elapsed[0])
        client = Client.objects.get(code=code)
    if os.environ.get("FAIRPATH_BENCH_BOOKED_ON"):
        booked_on = date.fromisoformat(os.environ["FAIRPATH_BENCH_BOOKED_ON"])
    lines = int(os.environ.get("FAIRPATH_BENCH_LINES", min(max(accounts // 10, 100), 10_000)))
    fmt = os.environ.get("FAIRPATH_BENCH_FORMAT", "camt053")
    seed = int(os.environ.get("FAIRPATH_BENCH_SEED", "7"))
    folder = tempfile.mkdtemp(prefix="fairpath-statements-")
    while True:
        with timed() as elapsed:
            written = write_statements(
                folder, client=client, fmt=fmt, lines=lines, seed=seed, booked_on=booked_on
            )
        data = written.statement.read_bytes()
        if not PaymentFile.objects.filter(client=client, sha256=hashlib.sha256(data).hexdigest()).exists():
            break
        seed += 1  # this book imported that statement on an earlier run
    emit(
        "reconcile_write_statement", lines, elapsed[0], format=fmt, seed=seed, booked_on=booked_on.isoformat()
    )
    gc.disable()  # as import_file runs them (it pauses the cycle collector), so import less both is posting
    with timed() as parse_elapsed:
        parsed = parsers.parse(data)
    emit("reconcile_parse", lines, parse_elapsed[0], format=fmt)
    with timed() as elapsed:
        book = load_book(client, parsed.lines)
        decisions = matching.match_lines(
            [
                matching.LineIn(
                    line.line_no,
                    line.amount_minor,
                    line.currency,
                    line.booked_on,
                    line.reference,
                    line.payer_name,
                )
                for line in parsed.lines
            ],  # fmt: skip
            book,
        )
    gc.enable()
    auto = sum(1 for decision in decisions if decision.is_auto(matching.DEFAULT_THRESHOLD))
    emit(
        "reconcile_match_only",
        lines,
        elapsed[0],
        book=accounts,
        auto=auto,
        agreements_read=len(book.agreements),
    )
    parse_seconds, match_seconds = parse_elapsed[0], elapsed[0]
    with timed() as elapsed:
        summary = import_file(
            client=client, data=data, name=written.statement.name, actor=SystemActor("bench")
        )
    emit("reconcile_post_derived", lines, max(elapsed[0] - parse_seconds - match_seconds, 0.0),
         note="import less parse and match")  # fmt: skip
    quality = evaluate(summary.file_id or 0, read_truth(written.truth))
    emit("reconcile", lines, elapsed[0], format=fmt, book=accounts, posted=summary.posted,
         suggested=summary.suggested, suspense=summary.suspense, **{f"truth_{k}": v for k, v in quality.items()})  # fmt: skip
    with timed() as elapsed:
        again = import_file(client=client, data=data, name=written.statement.name, actor=SystemActor("bench"))
    emit(
        "reconcile_reimport", lines, elapsed[0], already_imported=again.already_imported, posted=again.posted
    )
    returns = int(os.environ.get("FAIRPATH_BENCH_RETURNS", max(lines // 100, 1)))
    if returns > 0:
        returned = write_statements(folder, client=client, fmt="arudd", lines=returns, seed=seed)
        with timed() as elapsed:
            outcome = import_file(
                client=client, data=returned.statement.read_bytes(), name=returned.statement.name,
                actor=SystemActor("bench"),
            )  # fmt: skip
        emit("reconcile_returns", returned.lines, elapsed[0], book=accounts, returned=outcome.returned,
             suspense=outcome.suspense, skipped=outcome.skipped)  # fmt: skip


if __name__ == "__main__":
    main()
