"""Tell PostgreSQL's planner how many rows an agreement (or a ledger entry) has in its child tables.

ANALYZE samples whole pages, and these tables are written agreement by agreement, so a sample sees the same
few agreements many times and estimates far fewer distinct keys than there are: on a 1M-account book it
guessed 74,471 agreements among 28.4M instalments (380 each, not 28). A lookup of a few thousand agreements
then looked like a million rows, and the planner scanned the whole table in parallel (2.2 s) instead of
probing the index (0.1 s). A negative ``n_distinct`` is a ratio of the row count, so it stays right as the
book grows. The figures are the shape of a consumer-lending book: tens of instalments and ledger entries
per agreement, about one allocation per entry. Nothing to do on SQLite.
"""

from django.db import migrations

# (table, column, n_distinct as minus the share of rows that are distinct keys)
ROW_COUNTS = (
    ("accounts_scheduleinstalment", "agreement_id", -0.04),  # about 25 instalments per agreement
    ("accounts_ledgerentry", "agreement_id", -0.05),  # about 20 entries per agreement
    ("accounts_paymentallocation", "entry_id", -0.8),
    ("accounts_paymentallocation", "instalment_id", -0.5),
)


def set_row_counts(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, ratio in ROW_COUNTS:
        schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET (n_distinct = {ratio})')
        schema_editor.execute(f'ANALYZE "{table}"')


def reset_row_counts(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, _ in ROW_COUNTS:
        schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" RESET (n_distinct)')


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_open_instalment_and_fee_indexes")]

    operations = [migrations.RunPython(set_row_counts, reset_row_counts, elidable=False)]
