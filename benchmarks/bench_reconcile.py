"""Payments: generate a book, write a synthetic statement with noise and ground truth, import it (match and
post), and measure lines per second, the auto-match rate and the false-match rate against the truth.

--accounts sets the book size; the statement has min(accounts // 10, 10_000) lines (FAIRPATH_BENCH_LINES
overrides, FAIRPATH_BENCH_FORMAT picks the format). Phases: parse, match (read the reachable part of the book
and run the cascade), and the whole import (parse, match, post, record, queue) in one transaction; posting is
the import less parse and match. On a shared 2-core machine stay at or below 100k accounts.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date

from harness import emit, start, timed


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=10_000)
    from fairpath.clients.models import Client
    from fairpath.demo.generator import generate_portfolio
    from fairpath.governance.audit import SystemActor
    from fairpath.payments import matching, parsers
    from fairpath.payments.actions import import_file, load_book
    from fairpath.payments.synthetic import evaluate, read_truth, write_statements

    accounts = arguments.accounts
    lines = int(os.environ.get("FAIRPATH_BENCH_LINES", min(max(accounts // 10, 100), 10_000)))
    fmt = os.environ.get("FAIRPATH_BENCH_FORMAT", "camt053")
    code = f"bench-pay-{int(time.time())}"
    with timed() as elapsed:
        generate_portfolio(accounts=accounts, seed=1, as_of=date(2026, 11, 30), months=6, client_code=code)
    emit("reconcile_generate", accounts, elapsed[0])
    client = Client.objects.get(code=code)
    folder = tempfile.mkdtemp(prefix="fairpath-statements-")
    with timed() as elapsed:
        written = write_statements(
            folder, client=client, fmt=fmt, lines=lines, seed=7, booked_on=date(2026, 12, 1)
        )
    emit("reconcile_write_statement", lines, elapsed[0], format=fmt)
    data = written.statement.read_bytes()
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


if __name__ == "__main__":
    main()
