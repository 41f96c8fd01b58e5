"""Strict, pure parsers for every supported statement and payment-file format, and format detection."""

from __future__ import annotations

from fairpath.payments.parsers.arudd import REASON_CODES, parse_arudd
from fairpath.payments.parsers.bai2 import parse_bai2
from fairpath.payments.parsers.camt import parse_camt
from fairpath.payments.parsers.common import (
    FORMATS,
    MalformedFile,
    ParsedFile,
    ParsedLine,
    TotalsDoNotTie,
    UnknownCurrency,
)
from fairpath.payments.parsers.csvfile import ColumnMapping, parse_csv
from fairpath.payments.parsers.mt940 import parse_mt940

__all__ = [
    "FORMATS",
    "REASON_CODES",
    "ColumnMapping",
    "MalformedFile",
    "ParsedFile",
    "ParsedLine",
    "TotalsDoNotTie",
    "UnknownCurrency",
    "detect_format",
    "parse",
]


def detect_format(data: bytes) -> str:
    """Guess the format from the first bytes; CSV is never guessed (it needs a mapping)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<"):
        if b"ARUDD" in data[:20000]:
            return "arudd"
        if b"BkToCstmrDbtCdtNtfctn" in head or b"camt.054" in head:
            return "camt054"
        if b"BkToCstmrStmt" in head or b"camt.053" in head:
            return "camt053"
        raise MalformedFile("document", "an XML file that is neither camt.053, camt.054 nor ARUDD")
    if head.startswith(b"01,"):
        return "bai2"
    if head.startswith((b":20:", b"{1:")) or b"\n:20:" in head or b"\r\n:20:" in head:
        return "mt940"
    raise MalformedFile("file", "the format could not be detected; say --format (CSV needs --mapping)")


def parse(data: bytes, fmt: str | None = None, mapping: ColumnMapping | None = None) -> ParsedFile:
    """Parse ``data`` strictly as ``fmt`` (detected when None); refuse the file whole on any fault."""
    if not data.strip():
        raise MalformedFile("file", "the file is empty")
    chosen = fmt or detect_format(data)
    if chosen not in FORMATS:
        raise MalformedFile("format", f"{chosen!r} is not a supported format ({', '.join(FORMATS)})")
    if chosen in ("camt053", "camt054"):
        parsed = parse_camt(data, expected=chosen)
    elif chosen == "bai2":
        parsed = parse_bai2(data)
    elif chosen == "mt940":
        parsed = parse_mt940(data)
    elif chosen == "arudd":
        parsed = parse_arudd(data)
    else:
        if mapping is None:
            raise MalformedFile("mapping", "a CSV file needs a saved column mapping (--mapping NAME)")
        parsed = parse_csv(data, mapping)
    if not parsed.lines:
        raise MalformedFile("file", "the file holds no entries")
    return parsed
