# ruff: noqa: DJ001, DJ008 - the columns are as Redmine made them; these rows are never shown
"""Redmine's own tables, read (never written, never migrated) through the ``redmine``
database alias for the first import of a large Redmine. Only the columns we read."""

from django.db import models


class RedmineTable(models.Model):
    # The router sends every model marked so to the ``redmine`` alias, read-only.
    redmine_table = True

    class Meta:
        abstract = True
        managed = False
        app_label = "integrations"


class RmProject(RedmineTable):
    name = models.CharField(max_length=255)
    identifier = models.CharField(max_length=255)
    parent_id = models.IntegerField(null=True)
    status = models.IntegerField()

    class Meta(RedmineTable.Meta):
        db_table = "projects"


class RmIssue(RedmineTable):
    project_id = models.IntegerField()
    tracker_id = models.IntegerField()
    subject = models.CharField(max_length=255)
    description = models.TextField(null=True)
    due_date = models.DateField(null=True)
    status_id = models.IntegerField()
    assigned_to_id = models.IntegerField(null=True)
    priority_id = models.IntegerField()
    author_id = models.IntegerField()
    created_on = models.DateTimeField(null=True)
    updated_on = models.DateTimeField(null=True)
    closed_on = models.DateTimeField(null=True)
    is_private = models.BooleanField()

    class Meta(RedmineTable.Meta):
        db_table = "issues"


class RmJournal(RedmineTable):
    journalized_id = models.IntegerField()
    journalized_type = models.CharField(max_length=30)
    user_id = models.IntegerField()
    notes = models.TextField(null=True)
    created_on = models.DateTimeField()
    private_notes = models.BooleanField()

    class Meta(RedmineTable.Meta):
        db_table = "journals"


class RmJournalDetail(RedmineTable):
    journal_id = models.IntegerField()
    property = models.CharField(max_length=30)
    prop_key = models.CharField(max_length=30)
    old_value = models.TextField(null=True)
    value = models.TextField(null=True)

    class Meta(RedmineTable.Meta):
        db_table = "journal_details"


class RmUser(RedmineTable):
    login = models.CharField(max_length=255)
    firstname = models.CharField(max_length=30)
    lastname = models.CharField(max_length=255)
    status = models.IntegerField()
    type = models.CharField(max_length=255, null=True)

    class Meta(RedmineTable.Meta):
        db_table = "users"


class RmEmailAddress(RedmineTable):
    user_id = models.IntegerField()
    address = models.CharField(max_length=255)
    is_default = models.BooleanField()

    class Meta(RedmineTable.Meta):
        db_table = "email_addresses"


class RmIssueStatus(RedmineTable):
    name = models.CharField(max_length=30)
    is_closed = models.BooleanField()
    position = models.IntegerField(null=True)

    class Meta(RedmineTable.Meta):
        db_table = "issue_statuses"


class RmEnumeration(RedmineTable):
    name = models.CharField(max_length=30)
    type = models.CharField(max_length=255, null=True)
    position = models.IntegerField(null=True)
    is_default = models.BooleanField()
    active = models.BooleanField()

    class Meta(RedmineTable.Meta):
        db_table = "enumerations"
