"""The default statuses and priorities; operators edit them in the admin afterwards."""

from django.db import migrations


def create_defaults(apps, schema_editor):
    from tickets.workflow import ensure_default_workflow

    ensure_default_workflow(
        apps.get_model("tickets", "Status"), apps.get_model("tickets", "Priority")
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
