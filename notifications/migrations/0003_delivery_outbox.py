"""Deliveries take the shared outbox schema (``helpdesk.outbox.OutboxItem``): a due time,
and a lease that says until when a claim holds instead of when it was taken."""

from datetime import timedelta

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def _lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_DELIVERY_LEASE)


def claims_to_leases(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    # Only unfinished rows are ever looked at by their due time.
    Delivery.objects.filter(state__in=["pending", "sending"]).update(
        next_attempt_at=F("created_at")
    )
    # A finished row holds no claim (its claim time is not kept).
    Delivery.objects.filter(state="sending").exclude(claimed_at=None).update(
        claimed_until=F("claimed_at") + _lease()
    )


def leases_to_claims(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    Delivery.objects.exclude(claimed_until=None).update(claimed_at=F("claimed_until") - _lease())


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_notification_without_ticket"),
    ]

    operations = [
        migrations.RenameField(
            model_name="delivery",
            old_name="delivered_at",
            new_name="sent_at",
        ),
        migrations.AddField(
            model_name="delivery",
            name="next_attempt_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="next attempt"
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed until"),
        ),
        migrations.RunPython(claims_to_leases, leases_to_claims, elidable=True),
        migrations.RemoveField(
            model_name="delivery",
            name="claimed_at",
        ),
        migrations.AlterField(
            model_name="delivery",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.RemoveIndex(
            model_name="delivery",
            name="delivery_state",
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx"),
        ),
    ]
