"""The planner is told how many rows an agreement has in its child tables (accounts migration 0008).

Without it, PostgreSQL's page sample of a table written agreement by agreement guessed 380 instalments per
agreement instead of 28 on the 1M book, and scanned 28M rows for a few thousand agreements."""

from __future__ import annotations

import pytest
from django.db import connection

from fairpath.accounts.migrations import __name__ as migrations_package

pytestmark = pytest.mark.django_db


def test_the_child_tables_carry_their_rows_per_key_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("n_distinct is a PostgreSQL planner setting")
    from importlib import import_module

    row_counts = import_module(f"{migrations_package}.0008_planner_row_counts").ROW_COUNTS
    with connection.cursor() as cursor:
        for table, column, ratio in row_counts:
            cursor.execute(
                "SELECT attoptions FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
                [table, column],
            )
            (options,) = cursor.fetchone()
            assert f"n_distinct={ratio}" in (options or []), (table, column, options)
