from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="scheduled_for",
            field=models.DateTimeField(
                blank=True,
                help_text="US-HOURS / UK-CONTACT: held back until this moment (the customer's permitted local time)",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="decided_at",
            field=models.DateTimeField(help_text="The moment the contact policy decided for"),
        ),
        migrations.AddIndex(
            model_name="outboundmessage",
            index=models.Index(fields=["status", "scheduled_for"], name="outbound_status_scheduled"),
        ),
    ]
