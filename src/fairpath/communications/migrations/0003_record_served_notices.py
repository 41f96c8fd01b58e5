"""One record of service: notices issued before every issued notice was also recorded as the collections
engine's NoticeDue (an agent's default notice, the communications step's NOSIA) get their sent NoticeDue now,
so the cycle's decider, the UK-DEFAULT block and the recoveries checklist see them served."""

from django.db import migrations
from django.db.models import Exists, OuterRef

RULES = {
    "nosia_fs": "UK-NOSIA-FS",
    "nosia_ra": "UK-NOSIA-RA",
    "default_notice": "UK-DEFAULT",
    "us_validation": "US-VALIDATION",
}
BATCH = 2000


def record_served(apps, schema_editor):
    StatutoryNotice = apps.get_model("communications", "StatutoryNotice")
    NoticeDue = apps.get_model("collections", "NoticeDue")
    for notice_type, rule in RULES.items():
        recorded = NoticeDue.objects.filter(
            agreement_id=OuterRef("agreement_id"), rule=rule, status="sent", sent_on=OuterRef("sent_on")
        )
        missing = (
            StatutoryNotice.objects.filter(notice_type=notice_type)
            .exclude(Exists(recorded))
            .order_by("id")
        )
        rows = []
        for notice in missing.iterator(chunk_size=BATCH):
            rows.append(
                NoticeDue(
                    client_id=notice.client_id, agreement_id=notice.agreement_id, rule=rule,
                    trigger_on=notice.trigger_on or notice.sent_on, send_by=notice.due_by or notice.sent_on,
                    status="sent", sent_on=notice.sent_on, remedy_on=notice.remedy_by,
                    validation_ends_on=notice.validation_ends_on, arrears_minor=notice.remedy_amount_minor or 0,
                    run_date=notice.sent_on,
                )
            )  # fmt: skip
            if len(rows) >= BATCH:
                NoticeDue.objects.bulk_create(rows, ignore_conflicts=True)
                rows = []
        NoticeDue.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0002_outbound_scheduled_for"),
        ("collections", "0006_default_notice_always_for_uk"),
    ]

    operations = [migrations.RunPython(record_served, migrations.RunPython.noop)]
