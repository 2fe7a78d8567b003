"""Mentions of people in comments, kept as rows; the existing comments' mentions are read
from their texts, in batches."""

import re

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# tickets.mentions.MENTION as it was when this migration was written.
MENTION = re.compile(r"(?<![\w@.])@([\w.\-]{1,150})", re.UNICODE)
BATCH = 1000


def fill_mentions(apps, schema_editor):
    Comment = apps.get_model("tickets", "Comment")
    CommentMention = apps.get_model("tickets", "CommentMention")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    comments = Comment.objects.filter(body__contains="@").order_by("pk")
    last = 0
    while True:
        batch = list(
            comments.filter(pk__gt=last).values(
                "pk", "ticket_id", "author_id", "body", "created_at", "is_internal"
            )[:BATCH]
        )
        if not batch:
            return
        last = batch[-1]["pk"]
        named = {
            row["pk"]: {login.rstrip(".-").lower() for login in MENTION.findall(row["body"])}
            for row in batch
        }
        logins = set().union(*named.values())
        people = (
            {
                username.lower(): pk
                for pk, username in User.objects.filter(
                    username__in=logins, is_active=True
                ).values_list("pk", "username")
            }
            if logins
            else {}
        )
        CommentMention.objects.bulk_create(
            [
                CommentMention(
                    comment_id=row["pk"],
                    ticket_id=row["ticket_id"],
                    user_id=people[login],
                    created_at=row["created_at"],
                    is_internal=row["is_internal"],
                )
                for row in batch
                for login in named[row["pk"]]
                if login in people and people[login] != row["author_id"]
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_ticket_resolved_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CommentMention",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="mentioned"
                    ),
                ),
                ("is_internal", models.BooleanField(default=False, verbose_name="internal note")),
                (
                    "comment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="mentions",
                        to="tickets.comment",
                        verbose_name="comment",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="mentioned person",
                    ),
                ),
            ],
            options={
                "verbose_name": "mention",
                "verbose_name_plural": "mentions",
                "indexes": [
                    models.Index(
                        fields=["user", "ticket", "created_at"], name="tickets_mention_user_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("comment", "user"), name="tickets_mention_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_mentions, migrations.RunPython.noop, elidable=True),
    ]
