"""Paying an instalment rewrites its row in place (a HOT update) instead of touching every index.

Posting a 100k-line statement moves the paid amounts of about 100k instalments spread over a 28M-row table.
The partial index of open instalments named ``amount_paid_minor`` in its condition, so every such update was
a new row version on another page plus an entry in each of the table's five indexes: on a 1M-account book,
3 GB of write-ahead log and 31 s for 93k instalments, nearly all of it waiting on the disk. The index is
replaced by the same columns without the condition, and the instalment and agreement tables keep a tenth of
each page free, so the new version fits beside the old one and no index changes.

``fillfactor`` applies to pages written from now on; an existing large book gets the free space once, out
of hours, with ``VACUUM FULL accounts_scheduleinstalment, accounts_agreement`` (or pg_repack without the
lock). Nothing to do on SQLite.
"""

from django.db import migrations, models

FILL = (("accounts_scheduleinstalment", 90), ("accounts_agreement", 90))


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, percent in FILL:
        schema_editor.execute(f'ALTER TABLE "{table}" SET (fillfactor = {percent})')


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _ in FILL:
        schema_editor.execute(f'ALTER TABLE "{table}" RESET (fillfactor)')


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_planner_row_counts")]

    operations = [
        migrations.RemoveIndex(model_name="scheduleinstalment", name="instalment_open_agreement_due"),
        migrations.AddIndex(
            model_name="scheduleinstalment",
            index=models.Index(fields=["agreement", "due_on", "sequence"], name="instalment_agreement_due"),
        ),
        migrations.RunPython(leave_room, fill_pages, elidable=False),
    ]
