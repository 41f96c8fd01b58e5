"""The database itself refuses to change ledger entries and payment allocations (defence in depth).

Corrections are new entries (a reversal, an adjustment), never edits. PostgreSQL refuses UPDATE and
DELETE (TRUNCATE, used by test flushes, stays possible for the owner); SQLite refuses UPDATE only, because
it empties tables with DELETE, which the test suite's flushes need.
"""

from django.db import migrations

TABLES = ["accounts_ledgerentry", "accounts_paymentallocation"]

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION fairpath_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows are append-only (' || TG_OP || ' refused)';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION fairpath_ledger_append_only();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only (UPDATE refused)'); END;"
            )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute("DROP FUNCTION IF EXISTS fairpath_ledger_append_only();")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_fewer_redundant_indexes")]
    operations = [migrations.RunPython(create, drop)]
