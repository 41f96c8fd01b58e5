"""The matching cascade, in memory over a book loaded in bulk (no query per line).

Steps, in order, each recorded on the match with a confidence:
  exact       the agreement reference appears as a word in the line's text (1.00)
  normalised  after upper-casing, dropping spacing and punctuation and folding O/0, I/1, S/5, B/8 (0.97)
  transposed  as above with two adjacent digits swapped (0.85; 0.96 when the amount or payer name agrees)
  customer    the customer's reference: one live agreement, or several paid exactly their instalments
  multi       several agreement references of one customer in one payment, split by their instalments
  name_amount payer name (rapidfuzz) against customers expecting exactly this amount around this date
  otherwise   suspense
PAY-THRESHOLD: at or above the threshold a match posts itself; below it is a suggestion for a person.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

DEFAULT_THRESHOLD = 0.95

_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "S": "5", "B": "8"})
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_TITLES = {"MR", "MRS", "MS", "MISS", "DR", "MX", "PROF", "SIR", "REV"}


def normalise(text: str) -> str:
    """Upper case, only letters and digits, common OCR/keying confusions folded."""
    return _NOT_ALNUM.sub("", text.upper()).translate(_CONFUSIONS)


@lru_cache(maxsize=1 << 18)
def name_key(text: str) -> str:
    """Upper case letters only, titles dropped (cached: a file repeats its payers' names, and the book its
    customers')."""
    words = [word for word in re.sub(r"[^A-Z ]", " ", text.upper()).split() if word not in _TITLES]
    return " ".join(words)


@dataclass
class Candidate:
    agreement_id: int
    customer_id: int
    reference: str
    currency: str
    instalment_minor: int


@dataclass
class Book:
    """What the cascade needs from one client's book, loaded in bulk by the caller."""

    agreements: dict[int, Candidate]
    by_reference: dict[str, int]  # exact upper-case reference -> agreement id
    by_normalised: dict[str, list[int]]
    customer_refs: dict[str, int]  # normalised customer reference -> customer id
    customer_names: dict[int, str]  # customer id -> "FIRST LAST"
    customer_agreements: dict[int, list[int]]
    expected: dict[int, set[tuple[int, str]]] = field(default_factory=dict)  # agreement -> {(amount, why)}
    # Every length a normalised reference of the whole book has; worked out from the keys when not given
    # (a book read in part must say it, or windows of other lengths would not be looked up).
    reference_lengths: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.reference_lengths is None:
            lengths = {len(key) for key in self.by_normalised} | {len(key) for key in self.customer_refs}
            self.reference_lengths = tuple(sorted(lengths))

    def expects(self, agreement_id: int, amount: int) -> bool:
        candidate = self.agreements[agreement_id]
        if amount == candidate.instalment_minor:
            return True
        return any(value == amount for value, _ in self.expected.get(agreement_id, ()))


@dataclass
class LineIn:
    key: int
    amount_minor: int
    currency: str
    booked_on: date
    reference: str
    payer_name: str


@dataclass
class Decision:
    """The cascade's answer for one line: [(agreement id, amount)], the step and the confidence."""

    key: int
    step: str
    confidence: float
    allocations: list[tuple[int, int]]
    note: str = ""

    def is_auto(self, threshold: float) -> bool:
        return bool(self.allocations) and self.confidence >= threshold


def windows(text: str, lengths: tuple[int, ...]) -> list[str]:
    found = []
    for length in lengths:
        for start in range(0, len(text) - length + 1):
            found.append(text[start : start + length])
    return found


def transpositions(window: str) -> list[str]:
    variants = []
    for index in range(len(window) - 1):
        a, b = window[index], window[index + 1]
        if a != b and a.isdigit() and b.isdigit():
            variants.append(window[:index] + b + a + window[index + 2 :])
    return variants


def _name_score(payer: str, customer: str) -> float:
    if not payer or not customer:
        return 0.0
    words = customer.split()
    initial_form = f"{words[0][0]} {' '.join(words[1:])}" if len(words) > 1 else customer
    return max(fuzz.token_sort_ratio(payer, customer), fuzz.token_sort_ratio(payer, initial_form))


def _split_by_instalments(book: Book, agreement_ids: list[int], amount: int) -> list[tuple[int, int]] | None:
    """Pay each its instalment; None when the amount is not exactly their sum (then a person decides)."""
    instalments = [book.agreements[agreement_id].instalment_minor for agreement_id in agreement_ids]
    if sum(instalments) != amount:
        return None
    return list(zip(agreement_ids, instalments, strict=True))


def _proportional(book: Book, agreement_ids: list[int], amount: int) -> list[tuple[int, int]]:
    weights = [max(book.agreements[agreement_id].instalment_minor, 1) for agreement_id in agreement_ids]
    total = sum(weights)
    shares = [amount * weight // total for weight in weights]
    shares[0] += amount - sum(shares)
    return [(agreement_id, share) for agreement_id, share in zip(agreement_ids, shares, strict=True) if share]


def match_lines(lines: list[LineIn], book: Book) -> list[Decision]:
    decisions: dict[int, Decision] = {}
    leftover: list[LineIn] = []
    for line in lines:
        decision = _by_reference(line, book)
        if decision is None:
            leftover.append(line)
        else:
            decisions[line.key] = decision
    for decision in _by_name_and_amount(leftover, book):
        decisions[decision.key] = decision
    return [
        decisions.get(line.key)
        or Decision(line.key, "suspense", 0.0, [], "no reference, name or amount fits")
        for line in lines
    ]


def _live(book: Book, agreement_ids: list[int], currency: str) -> list[int]:
    return [a for a in dict.fromkeys(agreement_ids) if book.agreements[a].currency == currency]


def _by_reference(line: LineIn, book: Book) -> Decision | None:
    text = line.reference.upper()
    exact = _live(
        book, [book.by_reference[word] for word in re.split(r"[^A-Z0-9]+", text) if word in book.by_reference],
        line.currency,
    )  # fmt: skip
    step, confidence = "exact", 1.0
    found = exact
    parts: list[str] = []
    if not found:
        parts = windows(normalise(line.reference), book.reference_lengths or ())
        found = _live(book, [a for w in parts for a in book.by_normalised.get(w, [])], line.currency)
        step, confidence = "normalised", 0.97
    if not found:
        customers = list(dict.fromkeys(book.customer_refs[w] for w in parts if w in book.customer_refs))
        if len(customers) == 1:
            return _by_customer(line, book, customers[0])
    if not found:
        found = _live(
            book,
            [a for w in parts for variant in transpositions(w) for a in book.by_normalised.get(variant, [])],
            line.currency,
        )
        step, confidence = "transposed", 0.85
        if len(found) == 1:
            candidate = book.agreements[found[0]]
            corroborated = book.expects(found[0], line.amount_minor) or (
                _name_score(name_key(line.payer_name), book.customer_names.get(candidate.customer_id, ""))
                >= 85
            )
            if corroborated:
                confidence = 0.96
    if not found:
        return None
    if len(found) == 1:
        rival = _better_neighbour(line, book, found[0]) if step in ("exact", "normalised") else None
        if rival is not None:
            return Decision(
                line.key, "transposed", 0.8, [(rival, line.amount_minor)],
                f"{book.agreements[found[0]].reference} is quoted, but this agreement one transposition away "
                "fits the payer's name and amount better",
            )  # fmt: skip
        return Decision(line.key, step, confidence, [(found[0], line.amount_minor)])
    owners = {book.agreements[a].customer_id for a in found}
    if len(owners) > 1:
        return Decision(
            line.key, step, 0.5, [(found[0], line.amount_minor)], "references of different customers"
        )
    split = _split_by_instalments(book, found, line.amount_minor)
    if split is not None:
        return Decision(line.key, "multi", min(confidence, 0.97), split)
    return Decision(line.key, "multi", 0.7, _proportional(book, found, line.amount_minor), "split to confirm")


@lru_cache(maxsize=1 << 18)
def _names_agree(payer_name: str, customer_name: str) -> bool:
    """The payer's name is the customer's (score 85 or more). Cached: the book's reader asks it of a line's
    quoted agreement, and the cascade asks it again."""
    return _name_score(name_key(payer_name), customer_name) >= 85


def fit(payer_name: str, amount: int, customer_name: str, instalment: int, expected: Iterable[int]) -> int:
    """0-2: does the payer's name fit the agreement's customer, does the amount fit what is expected."""
    named = _names_agree(payer_name, customer_name)
    return int(named) + int(amount == instalment or any(value == amount for value in expected))


def _fit(line: LineIn, book: Book, agreement_id: int) -> int:
    candidate = book.agreements[agreement_id]
    return fit(
        line.payer_name, line.amount_minor, book.customer_names.get(candidate.customer_id, ""),
        candidate.instalment_minor, (value for value, _ in book.expected.get(agreement_id, ())),
    )  # fmt: skip


def _better_neighbour(line: LineIn, book: Book, agreement_id: int) -> int | None:
    """A quoted reference can itself be a keying error that lands on another live reference (two adjacent
    digits swapped). When a neighbour fits the payer and the amount better, a person should decide."""
    own = _fit(line, book, agreement_id)
    if own == 2:
        return None
    key = normalise(book.agreements[agreement_id].reference)
    best, best_fit = None, own
    for variant in transpositions(key):
        for neighbour in book.by_normalised.get(variant, []):
            if neighbour == agreement_id or book.agreements[neighbour].currency != line.currency:
                continue
            fit = _fit(line, book, neighbour)
            if fit > best_fit:
                best, best_fit = neighbour, fit
    return best


def _by_customer(line: LineIn, book: Book, customer_id: int) -> Decision | None:
    agreements = _live(book, book.customer_agreements.get(customer_id, []), line.currency)
    if not agreements:
        return None
    if len(agreements) == 1:
        return Decision(line.key, "customer", 0.96, [(agreements[0], line.amount_minor)])
    split = _split_by_instalments(book, agreements, line.amount_minor)
    if split is not None:
        return Decision(line.key, "multi", 0.96, split)
    for agreement_id in agreements:
        if book.expects(agreement_id, line.amount_minor):
            return Decision(line.key, "customer", 0.9, [(agreement_id, line.amount_minor)], "amount fits one")
    return Decision(
        line.key,
        "multi",
        0.6,
        _proportional(book, agreements, line.amount_minor),
        "customer known, split to confirm",
    )


def _by_name_and_amount(lines: list[LineIn], book: Book) -> list[Decision]:
    """Group lines by (amount, currency); score payer names against customers expecting that amount (cdist)."""
    groups: dict[tuple[int, str], list[LineIn]] = defaultdict(list)
    for line in lines:
        if line.payer_name.strip() and line.amount_minor > 0:
            groups[(line.amount_minor, line.currency)].append(line)
    expecting: dict[tuple[int, str], list[int]] = defaultdict(list)
    for agreement_id, candidate in book.agreements.items():
        key = (candidate.instalment_minor, candidate.currency)
        if key in groups:
            expecting[key].append(agreement_id)
    for agreement_id, extra in book.expected.items():
        owner = book.agreements.get(agreement_id)
        if owner is None:
            continue
        for value, _ in extra:
            key = (value, owner.currency)
            if key in groups and value != owner.instalment_minor:
                expecting[key].append(agreement_id)
    decisions = []
    for amount_key, group in groups.items():
        agreement_ids = expecting.get(amount_key, [])
        if not agreement_ids:
            continue
        names = [book.customer_names.get(book.agreements[a].customer_id, "") for a in agreement_ids]
        initial_names = [
            f"{name.split()[0][0]} {' '.join(name.split()[1:])}" if len(name.split()) > 1 else name
            for name in names
        ]
        payers = [name_key(line.payer_name) for line in group]
        combined = np.maximum(
            cdist(payers, names, scorer=fuzz.token_sort_ratio, workers=1),
            cdist(payers, initial_names, scorer=fuzz.token_sort_ratio, workers=1),
        )
        owners = [book.agreements[a].customer_id for a in agreement_ids]
        depth = min(8, len(agreement_ids))
        for row, line in enumerate(group):
            scores = combined[row]
            top = (
                np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
            )
            top = top[np.argsort(-scores[top], kind="stable")]
            best_column = int(top[0])
            best = float(scores[best_column])
            if best < 80:
                continue
            runner_up = next(
                (float(scores[c]) for c in top[1:] if owners[int(c)] != owners[best_column]), 0.0
            )
            agreement_id = agreement_ids[best_column]
            if best - runner_up < 5:
                confidence = 0.5
                note = "several customers with this name expect this amount"
            else:
                confidence = round(0.6 + 0.35 * (best - 80) / 20, 3)
                note = f"name score {best:.0f}"
            decisions.append(
                Decision(line.key, "name_amount", confidence, [(agreement_id, line.amount_minor)], note)
            )
    return decisions
