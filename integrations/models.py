from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncRun(models.Model):
    """One run of an integration job (ERP directory sync, Redmine pull or push): when,
    how it ended, what it did and what went wrong."""

    class Kind(models.TextChoices):
        ERP_DIRECTORY = "erp_directory", _("ERP directory sync")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCESS = "success", _("Succeeded")
        PARTIAL = "partial", _("Finished with errors")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    kind = models.CharField(_("job"), max_length=32, choices=Kind.choices)
    trigger = models.CharField(
        _("started by"),
        max_length=100,
        blank=True,
        help_text=_("schedule, command or the operator who asked for it"),
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING
    )
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    deactivated = models.PositiveIntegerField(_("deactivated"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # [{"item": "...", "error": "..."}], capped; the reason of a failed run is in `message`.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-started_at"], name="syncrun_kind_started")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at
