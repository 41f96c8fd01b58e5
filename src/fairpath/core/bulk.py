"""Set-based writes for batch work: many rows inserted or changed in a few statements, never one per row.

Batch steps (the daily cycle, payment imports, the audit trail of both) write thousands of rows at a
time; building a model instance per row, or a CASE expression per row as ``bulk_update`` does, costs far
more than the database work. PostgreSQL gets COPY and one joined UPDATE; SQLite, which runs in-process,
gets ``executemany``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH_SIZE = 2000


def _copy_values(model: Any, columns: Sequence[str]) -> list[int]:
    """Positions of JSON columns, whose values COPY must be sent as JSON text."""
    return [i for i, name in enumerate(columns) if isinstance(model._meta.get_field(name), models.JSONField)]


def _as_json(row: Sequence[Any], positions: list[int]) -> Sequence[Any]:
    if not positions:
        return row
    values = list(row)
    for position in positions:
        if values[position] is not None:
            values[position] = json.dumps(values[position])
    return values


def add_by_pk(model: Any, deltas: dict[int, dict[str, int]], fields: Sequence[str]) -> None:
    """Move numeric columns by per-row amounts: an atomic ``col = col + delta``, like ``F()``, never a value
    read back and written. PostgreSQL: one statement joining the deltas as arrays, with the ids also given
    as an index condition so the rows are found by index probes (without it the planner may merge-join
    every row of a large table's primary key); SQLite: executemany."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    rows = sorted(deltas.items())
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join("%s::bigint[]" for _ in range(len(fields) + 1))
            names = ", ".join(["pk", *(f"d{n}" for n in range(len(fields)))])
            moves = ", ".join(f"{quote(name)} = t.{quote(name)} + v.d{n}" for n, name in enumerate(fields))
            ids = "{" + ",".join(str(pk) for pk, _ in rows) + "}"
            params = [ids] + [
                "{" + ",".join(str(changes.get(name, 0)) for _, changes in rows) + "}" for name in fields
            ]
            cursor.execute(
                f"UPDATE {table} AS t SET {moves} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
                f"WHERE t.{quote('id')} = v.pk AND t.{quote('id')} = ANY(%s::bigint[])",
                [*params, ids],
            )
            return
        columns = ", ".join(f"{quote(name)} = {quote(name)} + %s" for name in fields)
        cursor.executemany(
            f"UPDATE {table} SET {columns} WHERE {quote('id')} = %s",  # noqa: S608
            [[changes.get(name, 0) for name in fields] + [pk] for pk, changes in rows],
        )


def insert_rows(
    model: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, returning_ids: bool = True
) -> list[int]:
    """Insert rows (values for ``columns``, given by attribute name; every non-null column must be among
    them) and return the new ids in order, without building a model instance per row where it can.

    PostgreSQL: the ids are drawn from the table's own sequence in one query (safe beside other writers)
    and the rows are sent with COPY; without ``returning_ids`` the table numbers them itself and [] is
    returned. Elsewhere (SQLite): ``bulk_create``, which reads the ids back.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql" and not returning_ids:
        quote = connection.ops.quote_name
        names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy,
        ):
            json_positions = _copy_values(model, columns)
            for row in rows:
                copy.write_row(_as_json(row, json_positions))
        return []
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BATCH_SIZE
        )
        return [obj.pk for obj in created]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    names = ", ".join(quote(name) for name in ["id", *(model._meta.get_field(c).column for c in columns)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        json_positions = _copy_values(model, columns)
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *_as_json(row, json_positions)))
    return ids


def update_rows(model: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Set ``columns`` (attribute names) to per-row values: each row is ``(pk, value, ...)``. The set-based
    stand-in for ``bulk_update``, whose CASE expression per row costs far more to build than to run.

    PostgreSQL: the values go by COPY into a temporary table and one ``UPDATE … FROM`` joins them;
    SQLite: one ``executemany`` (in-process, no round trips). Values are plain (int, str, date, datetime,
    None). Returns the number of rows given.
    """
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in columns]
    names = [field.column for field in fields]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{quote(name)} = %s" for name in names)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s",  # noqa: S608
                [[*row[1:], row[0]] for row in rows],
            )
            return len(rows)
        scratch = quote(f"_update_{model._meta.db_table}")
        definitions = ", ".join(
            [f"{quote('pk')} bigint"]
            + [
                f"{quote(name)} {field.db_type(connection)}"
                for name, field in zip(names, fields, strict=True)
            ]
        )
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ({definitions})")
        listed = ", ".join(quote(name) for name in ["pk", *names])
        with cursor.cursor.copy(f"COPY {scratch} ({listed}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        assignments = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in names)
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {scratch} AS v "  # noqa: S608
            f"WHERE t.{quote('id')} = v.{quote('pk')}"
        )
        cursor.execute(f"DROP TABLE {scratch}")
    return len(rows)
