"""PostgreSQL only: indexes on the normalised agreement and customer references that matching reads.

The cascade looks references up after folding them (upper case, letters and digits only, O/I/S/B as 0/1/5/8;
``fairpath.payments.book._normalised``, which this expression must equal for the index to be used), and needs
every length such a reference has. Without these, both are a scan of the client's whole book. SQLite folds
in a Python function that cannot be indexed, so nothing is created there; the model state does not change.
"""

from django.db import migrations

NORMALISED = "translate(regexp_replace(upper(reference), '[^A-Z0-9]', '', 'g'), 'OISB', '0158')"
TABLES = (("accounts", "Agreement", "agreement"), ("accounts", "Customer", "customer"))


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for app, model, prefix in TABLES:
        table = schema_editor.quote_name(apps.get_model(app, model)._meta.db_table)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {prefix}_reference_normalised ON {table} (client_id, ({NORMALISED}))"
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {prefix}_reference_normalised_length "
            f"ON {table} (client_id, length({NORMALISED}))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, _, prefix in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {prefix}_reference_normalised")
        schema_editor.execute(f"DROP INDEX IF EXISTS {prefix}_reference_normalised_length")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_open_instalment_and_fee_indexes"),
        ("payments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
