"""Pure communication rules: template wording checks and statutory-notice dates. No database access.

Wording (checked before a template version may be published):

* UK-PRESSURE — no pressure to pay in one or very few large payments, within an unreasonably short time,
  or by selling property or borrowing; no threatening or misleading wording (CONC 7.3.10R, 7.3.4R).
* US-MINIMIRANDA — a first communication says it is an attempt to collect a debt and that information
  will be used for that purpose; later ones say they are from a debt collector.
* US-OPTOUT — every US e-mail and text offers a simple opt-out.
* Each statutory notice type carries its required wording (UK-NOSIA-FS, UK-NOSIA-RA, UK-DEFAULT,
  US-VALIDATION).

Dates (counting conventions of domain/RULES.md):

* UK-NOSIA-FS — "within the 14 days beginning with" the trigger day: the trigger day counts (day 1), so
  the last day is trigger + 13. Repeats at most every 6 months: a month later from the 31st is the last
  day of the target month.
* UK-NOSIA-RA — the notice goes no later than with the next statement (monthly statement cycle).
* UK-NOSIA-LATE — the late period runs from the day after the last day for the notice to the day it is
  given, inclusive.
* UK-DEFAULT — service = posting + 2 business days (configurable); remedy date at least 14 days after.
* US-VALIDATION — receipt assumed 5 business days (excluding weekends and federal holidays) after
  sending; the validation period ends 30 days after receipt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import holidays
import numpy as np

# ----------------------------------------------------------------------------------------------------
# Vocabularies


class Channel(StrEnum):
    LETTER = "letter"
    EMAIL = "email"
    SMS = "sms"


class Jurisdiction(StrEnum):
    UK = "UK"
    US = "US"


class NoticeType(StrEnum):
    """What a template is for. ``collections`` is an ordinary collection message (reminder, chaser)."""

    COLLECTIONS = "collections"
    NOSIA_FS = "nosia_fs"
    NOSIA_RA = "nosia_ra"
    DEFAULT = "default_notice"
    US_VALIDATION = "us_validation"


NOTICE_RULES: dict[NoticeType, str] = {
    NoticeType.NOSIA_FS: "UK-NOSIA-FS",
    NoticeType.NOSIA_RA: "UK-NOSIA-RA",
    NoticeType.DEFAULT: "UK-DEFAULT",
    NoticeType.US_VALIDATION: "US-VALIDATION",
}
NOTICE_JURISDICTION: dict[NoticeType, Jurisdiction] = {
    NoticeType.NOSIA_FS: Jurisdiction.UK,
    NoticeType.NOSIA_RA: Jurisdiction.UK,
    NoticeType.DEFAULT: Jurisdiction.UK,
    NoticeType.US_VALIDATION: Jurisdiction.US,
}


def jurisdiction_of_country(country: str) -> Jurisdiction:
    """The jurisdiction of a customer's address: GB is the UK, US the US."""
    return Jurisdiction.US if country == "US" else Jurisdiction.UK


# The variables a template may use. Templates render in a sandbox: the context holds only these names,
# as plain strings and numbers, never model objects (so no method of a model can be reached).
ALLOWED_VARIABLES: dict[str, str] = {
    "customer_name": "The customer's full name with title",
    "customer_first_name": "The customer's first name",
    "address_lines": "The customer's postal address, one line each (a list)",
    "agreement_reference": "The agreement number",
    "product": "The product (e.g. Personal loan)",
    "client_name": "The lender's trading name",
    "client_legal_name": "The lender's legal name",
    "regulator_reference": "The lender's regulator reference (e.g. FCA firm reference number)",
    "balance": "The balance, formatted with its currency",
    "arrears": "The arrears, formatted with its currency",
    "instalment": "The contractual instalment, formatted",
    "missed_payments": "How many payments are missed",
    "today": "The date of the message",
    "trigger_date": "UK-NOSIA: the day the arrears condition was met",
    "remedy_date": "UK-DEFAULT: the last day to remedy the breach",
    "remedy_amount": "UK-DEFAULT: the amount that remedies the breach",
    "service_date": "UK-DEFAULT: the assumed date of service",
    "validation_end_date": "US-VALIDATION: the last day of the validation period",
    "itemization_date": "US-VALIDATION: the itemization date",
    "opt_out_text": "US-OPTOUT: how to opt out of this channel",
    "contact_phone": "The collections team's phone number",
}

ALLOWED_TAGS = frozenset(
    {"if", "elif", "else", "endif", "for", "empty", "endfor", "comment", "endcomment", "spaceless",
     "endspaceless", "now", "with", "endwith", "firstof", "cycle"}
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One reason a template version may not be published: the rule, the line and the offending text."""

    rule: str
    line: int | None
    phrase: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "line": self.line, "phrase": self.phrase, "message": self.message}


# UK-PRESSURE: phrasing that pressures the customer to pay at once, in a lump sum, by selling property or
# by borrowing, or that threatens or misleads. Matched case-insensitively on whole words, per line.
PRESSURE_PHRASES: tuple[tuple[str, str], ...] = (
    (r"\bpay (?:the|your) (?:full|whole|entire) (?:balance|amount|debt)\b", "demands the whole balance at once"),
    (r"\bpay in full (?:immediately|today|now|at once)\b", "demands full payment at once"),
    (r"\bin one (?:single )?(?:lump sum|payment)\b", "demands one large payment"),
    (r"\b(?:immediately|today|now) or\b", "threatens a consequence for not paying at once"),
    (r"\bwithin (?:24|48|72) hours\b", "gives an unreasonably short time"),
    (r"\bby (?:the end of )?(?:today|tomorrow)\b", "gives an unreasonably short time"),
    (r"\bsell (?:your|the) (?:house|home|car|property|possessions|belongings|jewellery)\b",
     "pressures the customer to sell property"),
    (r"\b(?:take out|get) (?:a|another) (?:loan|credit card|payday loan)\b", "pressures the customer to borrow"),
    (r"\bborrow (?:money|from)\b", "pressures the customer to borrow"),
    (r"\bremortgage\b", "pressures the customer to borrow against their home"),
    (r"\bpayday loan\b", "pressures the customer to borrow"),
    (r"\b(?:arrest|arrested|prison|jail|criminal (?:offence|record|proceedings))\b", "threatens consequences that cannot follow"),
    (r"\bbailiffs? will\b", "threatens enforcement that is not yet possible"),
    (r"\b(?:final|last) (?:chance|warning)\b", "pressure wording"),
    (r"\b(?:tell|contact|inform) your (?:employer|neighbours|family)\b", "threatens embarrassing disclosure"),
    (r"\bblacklist(?:ed)?\b", "misleading: there is no credit blacklist"),
)  # fmt: skip
_PRESSURE = tuple((re.compile(pattern, re.IGNORECASE), why) for pattern, why in PRESSURE_PHRASES)

# Wording that threatens legal action; a template carrying it must never reach a statute-barred or
# time-barred account (UK-STATBAR, US-TIMEBAR — enforced by the engine with the version's flag).
_LEGAL_THREAT = re.compile(
    r"\b(?:court|legal action|legal proceedings|county court judg(?:e)?ment|ccj|sue|lawsuit)\b", re.IGNORECASE
)

MINIMIRANDA_INITIAL = (
    "attempt to collect a debt",
    "information obtained will be used for that purpose",
)
MINIMIRANDA_SUBSEQUENT = ("from a debt collector",)
OPT_OUT_MARKERS = ("{{ opt_out_text }}", "{{opt_out_text}}", "reply stop", "unsubscribe", "opt out")

# Required wording per notice type: (text that must appear, case-insensitive, whitespace-normalised).
REQUIRED_WORDING: dict[NoticeType, tuple[str, ...]] = {
    NoticeType.NOSIA_FS: (
        "notice of sums in arrears",
        "arrears information sheet",
        "{{ arrears }}",
    ),
    NoticeType.NOSIA_RA: (
        "notice of sums in arrears",
        "arrears information sheet",
        "{{ arrears }}",
    ),
    NoticeType.DEFAULT: (
        "default notice",
        "consumer credit act 1974",
        "default information sheet",
        "{{ remedy_date }}",
        "{{ remedy_amount }}",
    ),
    NoticeType.US_VALIDATION: (
        "{{ validation_end_date }}",
        "dispute",
        "{{ itemization_date }}",
    ),
}


def _normal(text: str) -> str:
    text = re.sub(r"{{\s*(\w+)\s*}}", r"{{ \1 }}", text)
    return " ".join(text.lower().split())


def check_wording(
    *,
    channel: str,
    jurisdiction: str,
    notice_type: str,
    is_initial_communication: bool,
    subject: str,
    body: str,
) -> list[Finding]:
    """Every reason this wording may not be published, each naming its rule and line (0 = the subject,
    1 = the first line of the body; None = the wording as a whole)."""
    findings: list[Finding] = []
    lines = [subject, *body.splitlines()] if subject else body.splitlines()
    offset = 0 if subject else 1
    if jurisdiction == Jurisdiction.UK:
        for index, line in enumerate(lines):
            for pattern, why in _PRESSURE:
                match = pattern.search(line)
                if match:
                    findings.append(
                        Finding("UK-PRESSURE", index + offset, match.group(0), f"“{match.group(0)}” {why}")
                    )
    whole = _normal(" ".join(lines))
    kind = NoticeType(notice_type)
    if jurisdiction == Jurisdiction.US:
        needed = MINIMIRANDA_INITIAL if is_initial_communication else MINIMIRANDA_SUBSEQUENT
        for phrase in needed:
            if phrase not in whole:
                which = "a first communication" if is_initial_communication else "a later communication"
                findings.append(
                    Finding("US-MINIMIRANDA", None, phrase, f"{which} must say “{phrase}” (US-MINIMIRANDA)")
                )
        if channel in (Channel.EMAIL, Channel.SMS) and not any(marker in whole for marker in OPT_OUT_MARKERS):
            findings.append(
                Finding("US-OPTOUT", None, "{{ opt_out_text }}", "US e-mails and texts must offer an opt-out")
            )
    for phrase in REQUIRED_WORDING.get(kind, ()):
        if phrase not in whole:
            rule = NOTICE_RULES[kind]
            findings.append(Finding(rule, None, phrase, f"a {kind.value} must include “{phrase}” ({rule})"))
    if kind in NOTICE_JURISDICTION and NOTICE_JURISDICTION[kind] != jurisdiction:
        findings.append(
            Finding(
                NOTICE_RULES[kind],
                None,
                jurisdiction,
                f"a {kind.value} is a {NOTICE_JURISDICTION[kind].value} notice, not {jurisdiction}",
            )
        )
    if kind in NOTICE_JURISDICTION and channel != Channel.LETTER:
        findings.append(
            Finding(
                NOTICE_RULES[kind], None, channel, f"a {kind.value} is sent as a letter, not by {channel}"
            )
        )
    return findings


def threatens_legal_action(subject: str, body: str) -> bool:
    """UK-STATBAR / US-TIMEBAR: does the wording mention court or legal action?"""
    return bool(_LEGAL_THREAT.search(subject) or _LEGAL_THREAT.search(body))


# ----------------------------------------------------------------------------------------------------
# Calendar arithmetic


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it has no such day."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = date(year + (month // 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


@cache
def _business_calendar(country: str, subdivision: str | None) -> np.busdaycalendar:
    """Monday–Friday less the bank holidays of the region, from the ``holidays`` package."""
    table = holidays.country_holidays(country, subdiv=subdivision, years=range(1995, 2081))
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(sorted(table), dtype="datetime64[D]"))


def holiday_region(country: str, region: str) -> tuple[str, str | None]:
    """England & Wales, Scotland and Northern Ireland differ; US federal holidays count for every state."""
    if country == "US":
        return ("US", None)
    return ("GB", {"WLS": "ENG"}.get(region, region) if region in {"ENG", "WLS", "SCT", "NIR"} else "ENG")


def add_business_days(day: date, days: int, *, country: str, region: str) -> date:
    """The Nth business day after ``day`` (the day itself is never counted; a non-business day rolls back)."""
    calendar = _business_calendar(*holiday_region(country, region))
    result = np.busday_offset(np.datetime64(day, "D"), days, roll="backward", busdaycal=calendar)
    return date.fromisoformat(str(result))


def is_business_day(day: date, *, country: str, region: str) -> bool:
    calendar = _business_calendar(*holiday_region(country, region))
    return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=calendar))


# ----------------------------------------------------------------------------------------------------
# Statutory notice dates


NOSIA_WINDOW_DAYS = 14
NOSIA_REPEAT_MONTHS = 6
DEFAULT_SERVICE_BUSINESS_DAYS = 2
DEFAULT_REMEDY_DAYS = 14
US_RECEIPT_BUSINESS_DAYS = 5
US_VALIDATION_DAYS = 30


@dataclass(frozen=True)
class Due:
    """One scheduled payment: when it fell due, how much, how much of it is paid."""

    due_on: date
    amount_due: int
    amount_paid: int

    @property
    def is_missed(self) -> bool:
        return self.amount_paid < self.amount_due


def nosia_fs_trigger(schedule: Sequence[Due], *, is_weekly: bool, as_of: date) -> date | None:
    """UK-NOSIA-FS: the first due date on which at least 2 payments (4 if weekly or more often) have fallen
    due and the shortfall is at least the sum of the last 2 (or 4) payments due; None if never (by
    ``as_of``), or if the shortfall is no longer that large on ``as_of``."""
    count = 4 if is_weekly else 2
    fallen = sorted((item for item in schedule if item.due_on <= as_of), key=lambda item: item.due_on)
    if len(fallen) < count:
        return None

    def condition(upto: int) -> bool:
        shortfall = sum(max(item.amount_due - item.amount_paid, 0) for item in fallen[: upto + 1])
        threshold = sum(item.amount_due for item in fallen[upto + 1 - count : upto + 1])
        return threshold > 0 and shortfall >= threshold

    if not condition(len(fallen) - 1):
        return None
    trigger_index = len(fallen) - 1
    while trigger_index - 1 >= count - 1 and condition(trigger_index - 1):
        trigger_index -= 1
    return fallen[trigger_index].due_on


# The NOSIA triggers never look further back than this many instalments before the first one still unpaid:
# before it everything is paid, so no earlier due date can be a trigger, and the widest window a trigger sums
# (4 payments, weekly) reaches 3 instalments back. The nightly decider reads only this part of a schedule.
ARREARS_LOOKBACK = 3


def arrears_history(schedule: Sequence[Due], *, as_of: date) -> list[Due]:
    """What the NOSIA triggers read of a schedule (due on or before ``as_of``): from ``ARREARS_LOOKBACK``
    instalments before the first unpaid one; nothing when every instalment is paid. Both triggers give the
    same answer on this as on the whole schedule (a hypothesis test holds them to it)."""
    fallen = sorted((item for item in schedule if item.due_on <= as_of), key=lambda item: item.due_on)
    first_unpaid = next((index for index, item in enumerate(fallen) if item.is_missed), None)
    if first_unpaid is None:
        return []
    return fallen[max(first_unpaid - ARREARS_LOOKBACK, 0) :]


def nosia_fs_send_by(trigger_on: date) -> date:
    """UK-NOSIA-FS: the last of the 14 days beginning with the trigger day (the trigger day is day 1)."""
    return trigger_on + timedelta(days=NOSIA_WINDOW_DAYS - 1)


def nosia_repeat_due(last_sent_on: date) -> date:
    """UK-NOSIA-FS / -RA: the next notice is due at most 6 months after the last (31 Aug → 28/29 Feb)."""
    return add_months(last_sent_on, NOSIA_REPEAT_MONTHS)


def nosia_ra_trigger(schedule: Sequence[Due], *, as_of: date) -> date | None:
    """UK-NOSIA-RA: the due date of the second of two consecutive missed required payments, the latest two
    by ``as_of`` still being missed; None otherwise."""
    fallen = sorted((item for item in schedule if item.due_on <= as_of), key=lambda item: item.due_on)
    if len(fallen) < 2 or not (fallen[-1].is_missed and fallen[-2].is_missed):
        return None
    index = len(fallen) - 1
    while index - 2 >= 0 and fallen[index - 2].is_missed:
        index -= 1
    return fallen[index].due_on


def nosia_ra_send_by(trigger_on: date) -> date:
    """UK-NOSIA-RA: no later than with the next (monthly) statement after the trigger."""
    return add_months(trigger_on, 1)


def nosia_late_period(send_by: date, sent_on: date | None, *, as_of: date) -> tuple[date, date | None] | None:
    """UK-NOSIA-LATE: (first late day, last late day or None while still late), or None if on time."""
    if sent_on is not None and sent_on <= send_by:
        return None
    if sent_on is None and as_of <= send_by:
        return None
    return (send_by + timedelta(days=1), sent_on)


def default_service_date(
    posted_on: date, *, country: str, region: str, business_days: int = DEFAULT_SERVICE_BUSINESS_DAYS
) -> date:
    """UK-DEFAULT: a posted notice is served 2 business days after posting unless configured otherwise."""
    return add_business_days(posted_on, business_days, country=country, region=region)


def default_remedy_date(service_on: date, *, requested: date | None = None) -> date:
    """UK-DEFAULT: at least 14 days after service; a later requested date is kept."""
    earliest = service_on + timedelta(days=DEFAULT_REMEDY_DAYS)
    return max(earliest, requested) if requested else earliest


def us_assumed_receipt(sent_on: date) -> date:
    """US-VALIDATION: receipt assumed 5 days after sending, excluding weekends and federal holidays."""
    return add_business_days(sent_on, US_RECEIPT_BUSINESS_DAYS, country="US", region="")


def validation_period_end(sent_on: date) -> date:
    """US-VALIDATION: the validation period ends 30 days after assumed receipt (printed on the notice)."""
    return us_assumed_receipt(sent_on) + timedelta(days=US_VALIDATION_DAYS)
