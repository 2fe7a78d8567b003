"""Redmine pushes take the shared outbox schema (``helpdesk.outbox.OutboxItem``): a
claimed push is "sending" until its lease ends, no longer a pending one with a lease."""

from django.db import migrations, models


def claimed_to_sending(apps, schema_editor):
    RedminePush = apps.get_model("integrations", "RedminePush")
    RedminePush.objects.filter(state="pending").exclude(claimed_until=None).update(state="sending")


def sending_to_claimed(apps, schema_editor):
    RedminePush = apps.get_model("integrations", "RedminePush")
    # The lease stays: the old code reads a pending push with one as claimed.
    RedminePush.objects.filter(state="sending").update(state="pending")


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0004_syncrun_source_cursor"),
    ]

    operations = [
        migrations.AlterField(
            model_name="redminepush",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed until"),
        ),
        migrations.AlterField(
            model_name="redminepush",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=8,
                verbose_name="state",
            ),
        ),
        migrations.RunPython(claimed_to_sending, sending_to_claimed, elidable=True),
    ]
