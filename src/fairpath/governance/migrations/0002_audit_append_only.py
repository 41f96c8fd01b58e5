"""The database itself refuses to alter audit events (defence in depth).

PostgreSQL refuses UPDATE and DELETE (TRUNCATE, used by test flushes, stays possible for the owner).
SQLite refuses UPDATE; it gets no DELETE trigger because SQLite empties tables with DELETE, which the
test suite's flushes need. Deletion is still found by `fairpath audit verify` on both.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION fairpath_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit events are append-only (' || TG_OP || ' refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_auditevent_append_only
    BEFORE UPDATE OR DELETE ON governance_auditevent
    FOR EACH ROW EXECUTE FUNCTION fairpath_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS governance_auditevent_append_only ON governance_auditevent;
DROP FUNCTION IF EXISTS fairpath_audit_append_only();
"""


SQLITE_CREATE = [
    "CREATE TRIGGER governance_auditevent_no_update BEFORE UPDATE ON governance_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS governance_auditevent_no_update;",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
