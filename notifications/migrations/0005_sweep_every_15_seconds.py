"""The delivery sweep runs every 15 seconds instead of every minute, so that a killed
worker's deliveries go out within a minute. The row beat reads is created once and owned
by the admin from then on (``integrations.schedule``): it is moved only while it still has
the old default, never when an operator chose another interval."""

from django.db import migrations
from django.utils import timezone

OLD_SECONDS, NEW_SECONDS = 60, 15


def _move(apps, old: int, new: int) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    task = PeriodicTask.objects.filter(
        name="notifications-sweep", interval__every=old, interval__period="seconds"
    ).first()
    if task is None:
        return
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=new, period="seconds")
    task.save(update_fields=["interval"])
    # Beat reloads its schedule when this changes (what the admin's save does too).
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor) -> None:
    _move(apps, OLD_SECONDS, NEW_SECONDS)


def backwards(apps, schema_editor) -> None:
    _move(apps, NEW_SECONDS, OLD_SECONDS)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_claim_token"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
