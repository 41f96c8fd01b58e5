"""SLA deadlines: N regulatory deadlines (D-SRC, D-8WEEKS, D-PSD, G-SAR) over four calendars, vectorised, and
the first 10k of them again with the day-walking reference, which must agree exactly."""

from __future__ import annotations

from harness import emit, start, timed

CHECKED = 10_000


def main() -> None:
    arguments = start(__doc__ or "", default_accounts=1_000_000)
    import numpy as np

    from fairpath.cases import rules, sla
    from fairpath.core import calendars

    n = arguments.accounts
    generator = np.random.default_rng(20241209)
    low = np.datetime64("2020-01-01T00:00:00", "us").astype(np.int64)
    high = np.datetime64("2030-12-31T00:00:00", "us").astype(np.int64)
    received = generator.integers(low, high, size=n).astype("datetime64[us]")
    region_codes = np.array(sorted(calendars.REGIONS))
    deadline_list = [rules.D_SRC, rules.D_8WEEKS, rules.D_PSD, rules.G_SAR]
    regions = generator.integers(0, len(region_codes), size=n)
    kinds = generator.integers(0, len(deadline_list), size=n)
    zones = {code: calendars.REGIONS[code].default_time_zone for code in region_codes}

    with timed() as warm:
        for code in region_codes:
            sla.regulatory_due(received[:1], rules.D_SRC, str(code), zones[code])

    due_at = np.empty(n, dtype="datetime64[us]")
    due_date = np.empty(n, dtype="datetime64[D]")
    with timed() as elapsed:
        for region_index, code in enumerate(region_codes):
            for kind_index, deadline in enumerate(deadline_list):
                mask = (regions == region_index) & (kinds == kind_index)
                at, on = sla.regulatory_due(received[mask], deadline, str(code), zones[code])
                due_at[mask], due_date[mask] = at, on
    emit("sla_deadlines", n, elapsed[0], method="vectorised numpy busday", warmup_seconds=round(warm[0], 3))

    checked = min(CHECKED, n)
    walkers = {code: calendars.DayWalker(str(code), zones[code]) for code in region_codes}
    received_python = [calendars.to_datetime(value) for value in received[:checked]]
    expected = []
    with timed() as walked:
        for index in range(checked):
            walker = walkers[region_codes[regions[index]]]
            moment = received_python[index]
            deadline = deadline_list[kinds[index]]
            if deadline.counting == "business_days":
                expected.append(walker.end_of_nth_business_day_after(moment, deadline.amount))
            elif deadline.counting == "calendar_weeks":
                expected.append(walker.end_of_weeks_after(moment, deadline.amount))
            else:
                day = walker.one_month_then_working_day(walker.local_date(moment))
                expected.append(walker.at(day, calendars.END_OF_DAY))
    mismatches = sum(1 for index in range(checked) if calendars.to_datetime(due_at[index]) != expected[index])
    emit(
        "sla_deadlines_day_walking",
        checked,
        walked[0],
        method="per-item day-walking loop (zoneinfo + holidays)",
        identical=mismatches == 0,
        mismatches=mismatches,
        speedup=round((n / elapsed[0]) / (checked / walked[0]), 1) if elapsed[0] and walked[0] else None,
    )
    if mismatches:
        raise SystemExit(f"{mismatches} of {checked} deadlines differ from the day-walking reference")


if __name__ == "__main__":
    main()
