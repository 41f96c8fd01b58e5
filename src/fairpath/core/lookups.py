"""``field__any_of=<queryset or list of ids>``: membership that PostgreSQL answers with index look-ups.

``col IN (SELECT …)`` over a large table makes PostgreSQL's planner choose a hash semi-join, which reads the
whole outer table: for the daily cycle's shard of 20,000 agreements in a 1M book, the customers' addresses
took 0.45 s instead of 0.03 s, fifty times a night. ``col = ANY(ARRAY(SELECT …))`` runs the subquery once
and probes the column's index for each value. SQLite answers ``IN (SELECT …)`` with the index already, so
there it stays ``IN``.

Given a list of integer ids instead, PostgreSQL gets ``col = ANY(%s::bigint[])``: one array parameter. An
``IN`` list of a thousand ids had Django prepare, and psycopg splice, a thousand parameters per query (0.4 s
of each 20,000-account shard's notice decider). Batches still chunk their ids for SQLite's parameter limit.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def _ids(self) -> list[int] | None:
        """The ids of a list right-hand side (None for a subquery)."""
        if not isinstance(self.rhs, list | tuple | set | frozenset):
            return None
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self._ids()
        if ids is not None:
            if not ids:
                return "1 = 0", []
            return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self._ids()
        if ids is not None:
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, "{" + ",".join(map(str, ids)) + "}"]
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(
    AnyOf
)  # relations keep their own lookups (Django reads them up to ForeignObject)
