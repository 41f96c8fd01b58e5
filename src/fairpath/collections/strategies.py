"""Declarative, versioned collections strategies: parse, validate (naming the line), assign, import, export.

A strategy is an ordered list of segments. Each segment has conditions (days past due, bucket, balance,
product, client, score, vulnerability, holds, days since the last contact) and one or more treatment paths
that share its accounts by percentage (champion/challenger). A path is a list of steps with day offsets
counted from the day the account entered the path. Segments may not overlap (an account must have one
obvious home); only the last segment may be ``default: true`` and catch whatever the others leave.

An account's path is chosen by a stable hash of its agreement id salted with the strategy and segment
codes, so it stays on its path from one day to the next and between versions with the same shares.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import transaction

from fairpath.accounts import rules as account_rules
from fairpath.clients.models import Client
from fairpath.collections import rules
from fairpath.collections.models import Strategy, StrategyVersion
from fairpath.core.errors import InvalidInput
from fairpath.governance.audit import Actor, actor_label, record_event

ACTIONS = (
    "sms",
    "email",
    "letter",
    "call_task",
    "review_task",
    "arrangement_review",
    "default_notice",
    "agency_placement",
    "recoveries_transfer",
)
# The contact channel each step uses (checked by the contact policy guard); None: an internal step.
ACTION_CHANNELS: dict[str, str | None] = {
    "sms": "sms",
    "email": "email",
    "letter": "letter",
    "call_task": "call",
    "review_task": None,
    "arrangement_review": None,
    "default_notice": "letter",
    "agency_placement": "call",
    "recoveries_transfer": None,
}
ACTION_PURPOSES: dict[str, str] = {"default_notice": "statutory", "agency_placement": "collections"}
TOP_FIELDS = {"code", "name", "client", "description", "segments"}
SEGMENT_FIELDS = {"code", "name", "when", "paths", "default"}
CONDITION_FIELDS = {
    "dpd",
    "bucket",
    "balance_minor",
    "product",
    "client",
    "score",
    "vulnerable",
    "holds",
    "days_since_contact",
}
RANGE_CONDITIONS = {"dpd", "balance_minor", "score", "days_since_contact"}
PATH_FIELDS = {"code", "share", "steps"}
STEP_FIELDS = {"day", "action", "template", "note"}
INF = math.inf


class StrategyError(InvalidInput):
    """The strategy document is refused; the message names the line."""

    code = "invalid_strategy"

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message, field="document")
        self.line = line


# ----------------------------------------------------------------------------------------------------
# Loading with line numbers


class LDict(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]


class LList(list):
    line: int = 0
    lines: list[int]


def _from_yaml_node(node: Any, loader: Any) -> Any:
    import yaml  # type: ignore[import-untyped]

    if isinstance(node, yaml.MappingNode):
        mapping = LDict()
        mapping.line = node.start_mark.line + 1
        mapping.lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in mapping:
                raise StrategyError(key_node.start_mark.line + 1, f"field {key!r} appears twice")
            mapping[key] = _from_yaml_node(value_node, loader)
            mapping.lines[str(key)] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = LList()
        items.line = node.start_mark.line + 1
        items.lines = []
        for item in node.value:
            items.append(_from_yaml_node(item, loader))
            items.lines.append(item.start_mark.line + 1)
        return items
    return loader.construct_object(node, deep=True)


def load_text(text: str) -> Any:
    """Parse YAML or JSON (JSON is read as YAML flow style) keeping line numbers."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a dependency
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise StrategyError(error.lineno, f"not valid JSON: {error.msg}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise StrategyError(1, "the document is empty")
        return _from_yaml_node(node, loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise StrategyError(mark.line + 1 if mark else None, f"cannot be read: {error.problem}") from None
    finally:
        loader.dispose()


def _line(container: Any, key: Any = None) -> int:
    if isinstance(container, LDict) and key is not None:
        return container.lines.get(str(key), container.line)
    if isinstance(container, LList) and isinstance(key, int) and key < len(container.lines):
        return container.lines[key]
    return getattr(container, "line", 0)


# ----------------------------------------------------------------------------------------------------
# The validated document


@dataclass(frozen=True)
class Step:
    day: int
    action: str
    template: str = ""
    note: str = ""


@dataclass(frozen=True)
class Path:
    code: str
    share: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Segment:
    code: str
    name: str
    when: dict[str, Any]
    paths: tuple[Path, ...]
    is_default: bool = False
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class StrategyDocument:
    code: str
    name: str
    segments: tuple[Segment, ...]
    client: str = ""
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "name": self.name}
        if self.client:
            out["client"] = self.client
        if self.description:
            out["description"] = self.description
        out["segments"] = [
            {
                "code": segment.code,
                "name": segment.name,
                **({"default": True} if segment.is_default else {}),
                "when": segment.when,
                "paths": [
                    {
                        "code": path.code,
                        "share": path.share,
                        "steps": [
                            {
                                "day": step.day,
                                "action": step.action,
                                **({"template": step.template} if step.template else {}),
                                **({"note": step.note} if step.note else {}),
                            }
                            for step in path.steps
                        ],
                    }
                    for path in segment.paths
                ],
            }
            for segment in self.segments
        ]
        return out

    def path(self, segment_code: str, path_code: str) -> Path | None:
        for segment in self.segments:
            if segment.code == segment_code:
                for path in segment.paths:
                    if path.code == path_code:
                        return path
        return None


def _unknown(mapping: Any, allowed: set[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise StrategyError(
                _line(mapping, key),
                f"unknown field {key!r} in {where} (allowed: {', '.join(sorted(allowed))})",
            )


def _require(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in mapping:
        raise StrategyError(_line(mapping), f"{where} needs {key!r}")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise StrategyError(_line(mapping, key), f"{key!r} in {where} has the wrong type")
    return value


def _range(value: Any, line: int, name: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise StrategyError(line, f"{name!r} takes a range: {{min: N, max: N}}")
    for key in value:
        if key not in ("min", "max"):
            raise StrategyError(_line(value, key), f"unknown field {key!r} in {name!r} (allowed: max, min)")
        if not isinstance(value[key], int) or isinstance(value[key], bool):
            raise StrategyError(_line(value, key), f"{name}.{key} must be a whole number")
    return {key: int(value[key]) for key in ("min", "max") if key in value}


def _choice_list(value: Any, line: int, name: str, allowed: set[str] | None) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise StrategyError(line, f"{name!r} takes a list of names")
    for index, item in enumerate(value):
        if allowed is not None and item not in allowed:
            raise StrategyError(
                _line(value, index) if isinstance(value, LList) else line,
                f"unknown {name} {item!r} (allowed: {', '.join(sorted(allowed))})",
            )
    return list(value)


def _conditions(when: Any, where: str) -> dict[str, Any]:
    if when is None:
        return {}
    if not isinstance(when, dict):
        raise StrategyError(_line(when), f"'when' of {where} takes conditions")
    _unknown(when, CONDITION_FIELDS, f"the conditions of {where}")
    out: dict[str, Any] = {}
    for key, value in when.items():
        line = _line(when, key)
        if key in RANGE_CONDITIONS:
            out[key] = _range(value, line, key)
        elif key == "bucket":
            out[key] = _choice_list(value, line, "bucket", set(account_rules.DEFAULT_BUCKETS.codes))
        elif key == "product":
            out[key] = _choice_list(value, line, "product", {p.value for p in account_rules.Product})
        elif key == "client":
            out[key] = _choice_list(value, line, "client", None)
        elif key == "vulnerable":
            if not isinstance(value, bool):
                raise StrategyError(line, "'vulnerable' is true or false")
            out[key] = value
        elif key == "holds":
            if isinstance(value, bool):
                out[key] = value
            else:
                out[key] = _choice_list(value, line, "hold kind", {kind.value for kind in rules.HoldKind})
    return out


def parse(text: str) -> StrategyDocument:
    """Validate a YAML or JSON strategy; refuse with the line of the first problem."""
    raw = load_text(text)
    if not isinstance(raw, dict):
        raise StrategyError(1, "a strategy is a mapping with code, name and segments")
    _unknown(raw, TOP_FIELDS, "the strategy")
    code = _require(raw, "code", str, "the strategy")
    name = _require(raw, "name", str, "the strategy")
    raw_segments = _require(raw, "segments", list, "the strategy")
    if not raw_segments:
        raise StrategyError(_line(raw, "segments"), "a strategy needs at least one segment")
    segments: list[Segment] = []
    seen: set[str] = set()
    for index, raw_segment in enumerate(raw_segments):
        line = _line(raw_segments, index)
        if not isinstance(raw_segment, dict):
            raise StrategyError(line, "each segment is a mapping")
        segment_code = _require(raw_segment, "code", str, f"segment {index + 1}")
        where = f"segment {segment_code!r}"
        _unknown(raw_segment, SEGMENT_FIELDS, where)
        if segment_code in seen:
            raise StrategyError(_line(raw_segment, "code"), f"segment code {segment_code!r} is used twice")
        seen.add(segment_code)
        is_default = raw_segment.get("default", False)
        if not isinstance(is_default, bool):
            raise StrategyError(_line(raw_segment, "default"), "'default' is true or false")
        when = _conditions(raw_segment.get("when"), where)
        raw_paths = _require(raw_segment, "paths", list, where)
        paths = _paths(raw_paths, where, _line(raw_segment, "paths"))
        segments.append(
            Segment(segment_code, str(raw_segment.get("name", segment_code)), when, paths, is_default, line)
        )
    check_reachability(segments)
    return StrategyDocument(
        code=code,
        name=name,
        segments=tuple(segments),
        client=str(raw.get("client", "")),
        description=str(raw.get("description", "")),
    )


def _paths(raw_paths: Any, where: str, line: int) -> tuple[Path, ...]:
    if not raw_paths:
        raise StrategyError(line, f"{where} needs at least one path")
    paths: list[Path] = []
    codes: set[str] = set()
    for index, raw_path in enumerate(raw_paths):
        path_line = _line(raw_paths, index)
        if not isinstance(raw_path, dict):
            raise StrategyError(path_line, f"each path of {where} is a mapping")
        path_code = _require(raw_path, "code", str, f"path {index + 1} of {where}")
        path_where = f"path {path_code!r} of {where}"
        _unknown(raw_path, PATH_FIELDS, path_where)
        if path_code in codes:
            raise StrategyError(_line(raw_path, "code"), f"path code {path_code!r} is used twice in {where}")
        codes.add(path_code)
        share = raw_path.get("share", 100 if len(raw_paths) == 1 else None)
        if not isinstance(share, int) or isinstance(share, bool) or not 0 < share <= 100:
            raise StrategyError(_line(raw_path, "share"), f"{path_where} needs a share between 1 and 100")
        raw_steps = _require(raw_path, "steps", list, path_where)
        steps: list[Step] = []
        for step_index, raw_step in enumerate(raw_steps):
            step_line = _line(raw_steps, step_index)
            if not isinstance(raw_step, dict):
                raise StrategyError(step_line, f"each step of {path_where} is a mapping")
            _unknown(raw_step, STEP_FIELDS, f"a step of {path_where}")
            day = _require(raw_step, "day", int, f"a step of {path_where}")
            action = _require(raw_step, "action", str, f"a step of {path_where}")
            if action not in ACTIONS:
                raise StrategyError(
                    _line(raw_step, "action"),
                    f"unknown channel or action {action!r} (allowed: {', '.join(ACTIONS)})",
                )
            if day < 0:
                raise StrategyError(_line(raw_step, "day"), "a step's day offset cannot be negative")
            if steps and day < steps[-1].day:
                raise StrategyError(_line(raw_step, "day"), "steps must be in day order")
            steps.append(Step(day, action, str(raw_step.get("template", "")), str(raw_step.get("note", ""))))
        paths.append(Path(path_code, share, tuple(steps)))
    total = sum(path.share for path in paths)
    if total != 100:
        raise StrategyError(line, f"the path shares of {where} add up to {total}, not 100")
    return tuple(paths)


# ----------------------------------------------------------------------------------------------------
# Overlap and reachability


Interval = tuple[float, float]


def _intervals(condition: dict[str, int] | None) -> list[Interval]:
    if condition is None:
        return [(-INF, INF)]
    return [(condition.get("min", -INF), condition.get("max", INF))]


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    out = []
    for low_a, high_a in first:
        for low_b, high_b in second:
            low, high = max(low_a, low_b), min(high_a, high_b)
            if low <= high:
                out.append((low, high))
    return out


def _dpd_domain(when: dict[str, Any]) -> list[Interval]:
    domain = _intervals(when.get("dpd"))
    if "bucket" in when:
        bands = account_rules.DEFAULT_BUCKETS
        bucket_ranges: list[Interval] = []
        for code in when["bucket"]:
            position = bands.codes.index(code)
            low = bands.lower_bounds[position]
            high = bands.lower_bounds[position + 1] - 1 if position + 1 < len(bands.codes) else INF
            bucket_ranges.append((low, high))
        domain = _intersect(domain, bucket_ranges)
    return _intersect(domain, [(0, INF)])


def _hold_domain(value: Any) -> set[str]:
    every = {kind.value for kind in rules.HoldKind}
    if value is None:
        return every | {"none"}
    if value is True:
        return every
    if value is False:
        return {"none"}
    return set(value)


def _domains(when: dict[str, Any]) -> list[Any]:
    return [
        _dpd_domain(when),
        _intervals(when.get("balance_minor")),
        _intervals(when.get("score")),
        _intervals(when.get("days_since_contact")),
        set(when["product"]) if "product" in when else None,
        set(when["client"]) if "client" in when else None,
        {when["vulnerable"]} if "vulnerable" in when else {True, False},
        _hold_domain(when.get("holds")),
    ]


def _dimension_overlaps(first: Any, second: Any) -> bool:
    if first is None or second is None:
        return True
    if isinstance(first, set):
        return bool(first & second)
    return bool(_intersect(first, second))


def _is_empty(domain: Any) -> bool:
    return domain is not None and len(domain) == 0


def check_reachability(segments: list[Segment]) -> None:
    """Refuse a segment no account can reach (empty conditions, or after the default) and overlapping ones."""
    for position, segment in enumerate(segments):
        if segment.is_default and position != len(segments) - 1:
            raise StrategyError(
                segments[position + 1].line,
                f"segment {segments[position + 1].code!r} is unreachable: it follows the default segment "
                f"{segment.code!r}",
            )
        if any(_is_empty(domain) for domain in _domains(segment.when)):
            raise StrategyError(
                segment.line, f"segment {segment.code!r} is unreachable: its conditions exclude every account"
            )
    for position, segment in enumerate(segments):
        if segment.is_default:
            continue
        for earlier in segments[:position]:
            pairs = zip(_domains(earlier.when), _domains(segment.when), strict=True)
            if all(_dimension_overlaps(first, second) for first, second in pairs):
                raise StrategyError(
                    segment.line,
                    f"segment {segment.code!r} overlaps segment {earlier.code!r} (line {earlier.line}): "
                    "an account could match both",
                )


# ----------------------------------------------------------------------------------------------------
# Assignment (vectorised over a shard of accounts)

FACT_SCHEMA = {
    "agreement_id": pl.Int64,
    "client_code": pl.Utf8,
    "product": pl.Utf8,
    "dpd": pl.Int64,
    "bucket": pl.Utf8,
    "balance_minor": pl.Int64,
    "score": pl.Int64,
    "is_vulnerable": pl.Boolean,
    "hold_kinds": pl.Utf8,
    "days_since_contact": pl.Int64,
}


def _range_expression(column: str, condition: dict[str, int], *, null_is_infinite: bool = False) -> pl.Expr:
    expression = pl.lit(True)
    value = pl.col(column)
    if "min" in condition:
        at_least = value >= condition["min"]
        expression = expression & (
            at_least.fill_null(True) if null_is_infinite else at_least.fill_null(False)
        )
    if "max" in condition:
        at_most = value <= condition["max"]
        expression = expression & (at_most.fill_null(False))
    return expression


def _segment_expression(when: dict[str, Any]) -> pl.Expr:
    expression = pl.lit(True)
    for name in ("dpd", "balance_minor", "score"):
        if name in when:
            expression = expression & _range_expression(name, when[name])
    if "days_since_contact" in when:
        expression = expression & _range_expression(
            "days_since_contact", when["days_since_contact"], null_is_infinite=True
        )
    if "bucket" in when:
        expression = expression & pl.col("bucket").is_in(when["bucket"])
    if "product" in when:
        expression = expression & pl.col("product").is_in(when["product"])
    if "client" in when:
        expression = expression & pl.col("client_code").is_in(when["client"])
    if "vulnerable" in when:
        expression = expression & (pl.col("is_vulnerable") == when["vulnerable"])
    holds = when.get("holds")
    if holds is True:
        expression = expression & (pl.col("hold_kinds") != "")
    elif holds is False:
        expression = expression & (pl.col("hold_kinds") == "")
    elif isinstance(holds, list):
        any_kind = pl.lit(False)
        for kind in holds:
            any_kind = any_kind | pl.col("hold_kinds").str.contains(kind, literal=True)
        expression = expression & any_kind
    return expression


def path_bucket(agreement_id: int, salt: int) -> int:
    """0..99, stable for an agreement and a segment: a multiplicative hash (the same one the frame uses)."""
    return ((agreement_id * 2654435761 + salt) % 4294967296) % 100


def _salt(document: StrategyDocument, segment: Segment) -> int:
    return zlib.crc32(f"{document.code}/{segment.code}".encode())


def assign(document: StrategyDocument, facts: pl.DataFrame) -> pl.DataFrame:
    """Add ``segment`` and ``path`` columns (null when no segment matches), first matching segment wins."""
    if facts.is_empty():
        return facts.with_columns(pl.lit(None, pl.Utf8).alias("segment"), pl.lit(None, pl.Utf8).alias("path"))
    segment_expr: Any = None
    for segment in document.segments:
        condition = pl.lit(True) if segment.is_default else _segment_expression(segment.when)
        segment_expr = (pl.when(condition) if segment_expr is None else segment_expr.when(condition)).then(
            pl.lit(segment.code)
        )
    framed = facts.with_columns(segment_expr.otherwise(pl.lit(None, pl.Utf8)).alias("segment"))
    path_expr: Any = None
    for segment in document.segments:
        bucket = (
            (pl.col("agreement_id").cast(pl.Int64) * 2654435761 + _salt(document, segment)) % 4294967296
        ) % 100
        upper = 0
        for path in segment.paths:
            upper += path.share
            condition = (pl.col("segment") == segment.code) & (bucket < upper)
            path_expr = (pl.when(condition) if path_expr is None else path_expr.when(condition)).then(
                pl.lit(path.code)
            )
    return framed.with_columns(path_expr.otherwise(pl.lit(None, pl.Utf8)).alias("path"))


# ----------------------------------------------------------------------------------------------------
# Import and export (actions)


@dataclass
class ImportResult:
    strategy: Strategy
    version: StrategyVersion
    created: bool = False
    warnings: list[str] = field(default_factory=list)


def import_strategy(
    *, text: str, actor: Actor, source_format: str = "yaml", client: Client | None = None, note: str = ""
) -> ImportResult:
    """Validate and store a new version of a strategy (created on first import). Refused: nothing stored."""
    document = parse(text)
    if document.client and (client is None or client.code != document.client):
        found = Client.objects.filter(code=document.client).first()
        if found is None:
            raise StrategyError(None, f"unknown client {document.client!r}")
        client = found
    with transaction.atomic():
        strategy, created = Strategy.objects.select_for_update().get_or_create(
            code=document.code, defaults={"name": document.name, "client": client}
        )
        if not created and strategy.client_id != (client.pk if client else None):
            raise StrategyError(None, f"strategy {document.code!r} belongs to another client")
        if not created and strategy.name != document.name:
            strategy.name = document.name
            strategy.save(update_fields=["name"])
        last = strategy.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = StrategyVersion(
            strategy=strategy,
            number=last + 1,
            document=document.to_dict(),
            source=text,
            source_format=source_format,
            created_by=actor_label(actor),
            note=note,
        )
        version.save()
        record_event(
            actor=actor,
            action="collections.strategy_version_created",
            obj=version,
            client_id=strategy.client_id,
            after={"strategy": strategy.code, "number": version.number, "segments": len(document.segments)},
            reason=note,
        )
    return ImportResult(strategy, version, created)


def document_of(version: StrategyVersion) -> StrategyDocument:
    """The stored (already validated) document as dataclasses."""
    return parse(json.dumps(version.document))


def export_strategy(version: StrategyVersion, *, source_format: str = "yaml") -> str:
    if source_format == "json":
        return json.dumps(version.document, indent=2) + "\n"
    import yaml

    return str(yaml.safe_dump(version.document, sort_keys=False, allow_unicode=True))
