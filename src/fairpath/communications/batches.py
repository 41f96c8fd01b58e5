"""Reading and writing rows for many ids at once, the way the sending side of the daily cycle needs it.

``col IN (%s, %s, …)`` with thousands of placeholders costs more in Python than in the database: Django
prepares each value and psycopg splits and quotes a query string as long as the list. ``among`` sends the ids
as one array parameter on PostgreSQL (``col = ANY(%s)``, answered with index probes) and as ``IN (…)``
elsewhere; ``chunks`` cuts a long list into pieces SQLite accepts (its bound-parameter limit) and
PostgreSQL reads comfortably, so no read ever asks for the whole book. ``insert_instances`` stores model
objects built in memory with ``core.bulk.insert_rows`` (COPY on PostgreSQL) and gives them their ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from functools import cache
from operator import attrgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, models
from django.db.models import BooleanField, Expression, F

from fairpath.core.bulk import insert_rows

SQLITE_CHUNK = 900  # under SQLite's bound-parameter limit
POSTGRESQL_CHUNK = 5000


def chunk_size() -> int:
    return POSTGRESQL_CHUNK if connection.vendor == "postgresql" else SQLITE_CHUNK


def chunks(ids: Iterable[int], size: int | None = None) -> Iterable[list[int]]:
    """The distinct ids, sorted, in pieces of ``size`` (``chunk_size()`` by default)."""
    ordered = sorted(set(ids))
    step = size or chunk_size()
    for start in range(0, len(ordered), step):
        yield ordered[start : start + step]


class among(Expression):  # noqa: N801 - reads as a condition: filter(among("customer_id", ids))
    """``column`` is one of ``ids``: one array parameter on PostgreSQL, ``IN (…)`` elsewhere."""

    output_field = BooleanField()

    def __init__(self, column: str, ids: Sequence[int]) -> None:
        super().__init__()
        self.column: Any = F(column)
        self.ids = list(ids)

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:  # noqa: ARG002
        column, params = compiler.compile(self.column)
        if not self.ids:
            return "1 = 0", list(params)
        marks = ", ".join(["%s"] * len(self.ids))
        return f"{column} IN ({marks})", [*params, *self.ids]

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:  # noqa: ARG002
        column, params = compiler.compile(self.column)
        return f"{column} = ANY(%s::bigint[])", [*params, self.ids]


@cache
def _layout(model: Any) -> tuple[tuple[tuple[str, Any], ...], frozenset[str]]:
    fields = tuple((field.attname, field) for field in model._meta.concrete_fields)
    return fields, frozenset(name for name, _ in fields)


def build(model: Any, values: dict[str, Any]) -> Any:
    """``model(**values)`` with values by attribute name (``client_id``, not ``client``) and every other
    field its default, built by position: the same object without the keyword path's per-field look-ups,
    for objects made by the thousand. An unknown name is refused as the keyword path refuses it."""
    fields, known = _layout(model)
    if not values.keys() <= known:
        unknown = ", ".join(sorted(values.keys() - known))
        raise TypeError(f"{model.__name__} has no field(s) {unknown}")
    return model(*[values[name] if name in values else field.get_default() for name, field in fields])


def insert_instances(model: Any, objects: Sequence[Any]) -> None:
    """Insert unsaved objects of ``model`` in one ``insert_rows`` and give each its id, as ``bulk_create``
    would (``auto_now``/``auto_now_add`` fields are set, one moment for the batch; the objects are marked
    saved), without the cost of preparing every value through the field API. Values must be plain (int,
    str, date, datetime, None; an enum member is stored as its value, a file as its name)."""
    if not objects:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            stamp = field.pre_save(objects[0], add=True)
            for obj in objects[1:]:
                setattr(obj, field.attname, stamp)
    names = [field.attname for field in fields]
    files = [position for position, field in enumerate(fields) if isinstance(field, models.FileField)]
    values = attrgetter(*names) if len(names) > 1 else (lambda obj: (getattr(obj, names[0]),))
    rows: list[list[Any]] = []
    for obj in objects:
        row = [value.value if isinstance(value, Enum) else value for value in values(obj)]
        for position in files:
            row[position] = row[position].name or ""
        rows.append(row)
    ids = insert_rows(model, names, rows)
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
