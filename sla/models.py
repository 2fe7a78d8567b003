"""Service levels: business calendars, policies, the clock of each ticket, and the
warnings already given (so each is given once)."""

import datetime as dt
import zoneinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sla.business_time import Schedule

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(zone)s.") % {"zone": value})


class BusinessCalendar(models.Model):
    """When work happens: working days and hours in a time zone, and dated exceptions."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Moscow",
        validators=[validate_time_zone],
        help_text=_("For example Europe/Moscow or Asia/Yekaterinburg."),
    )
    work_start = models.TimeField(_("working day starts"), default=dt.time(9))
    work_end = models.TimeField(
        _("working day ends"), default=dt.time(18), help_text=_("00:00 means midnight.")
    )
    monday = models.BooleanField(_("Monday"), default=True)
    tuesday = models.BooleanField(_("Tuesday"), default=True)
    wednesday = models.BooleanField(_("Wednesday"), default=True)
    thursday = models.BooleanField(_("Thursday"), default=True)
    friday = models.BooleanField(_("Friday"), default=True)
    saturday = models.BooleanField(_("Saturday"), default=False)
    sunday = models.BooleanField(_("Sunday"), default=False)
    country = models.CharField(
        _("country of the holidays"),
        max_length=2,
        default="RU",
        blank=True,
        help_text=_("Two-letter code whose public holidays the admin action fills in."),
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.work_end != dt.time(0) and self.work_end <= self.work_start:
            raise ValidationError(_("The working day must end after it starts."))

    def schedule(self, exceptions: "list[CalendarException] | None" = None) -> Schedule:
        hours = (self.work_start, self.work_end)
        weekly = tuple(hours if getattr(self, day) else None for day in WEEKDAYS)
        days = self.exceptions.all() if exceptions is None else exceptions
        return Schedule(
            tz=ZoneInfo(self.time_zone),
            weekly=weekly,  # type: ignore[arg-type]
            exceptions={
                item.date: (
                    (item.start or self.work_start, item.end or self.work_end)
                    if item.is_working
                    else None
                )
                for item in days
            },
        )


class CalendarException(models.Model):
    """A day that differs from the week: a holiday, or a transferred working day."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    is_working = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Off: a holiday. On: a working day (e.g. a transferred Saturday)."),
    )
    start = models.TimeField(
        _("starts"), null=True, blank=True, help_text=_("Empty: as the calendar.")
    )
    end = models.TimeField(_("ends"), null=True, blank=True, help_text=_("Empty: as the calendar."))

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_exception_once"),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}".strip()


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    NEXT_RESPONSE = "next_response", _("next response")
    RESOLUTION = "resolution", _("resolution")


class Policy(models.Model):
    """Targets for the tickets it covers; the first matching active policy applies."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Policies are tried from the lowest order up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    queue = models.ForeignKey(
        "tickets.Queue",
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every queue."),
    )
    priority = models.ForeignKey(
        "tickets.Priority",
        verbose_name=_("priority"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every priority."),
    )
    tag = models.ForeignKey(
        "tickets.Tag",
        verbose_name=_("tag"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: tagged or not."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        help_text=_("Empty: round the clock."),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response, minutes"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response, minutes"),
        null=True,
        blank=True,
        help_text=_("After each reply of the requester."),
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution, minutes"), null=True, blank=True
    )
    pause_statuses = models.ManyToManyField(
        "tickets.Status",
        verbose_name=_("statuses that pause the clock"),
        blank=True,
        related_name="+",
    )
    warn_percent = models.PositiveSmallIntegerField(_("warn at, % of the target"), default=80)
    breach_priority = models.ForeignKey(
        "tickets.Priority",
        verbose_name=_("on breach, raise the priority to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    breach_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on breach, assign to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("service level policy")
        verbose_name_plural = _("service level policies")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not 1 <= self.warn_percent <= 99:
            raise ValidationError({"warn_percent": _("Enter a share from 1 to 99 %.")})
        if not any(self.targets().values()):
            raise ValidationError(_("Set at least one target."))

    def targets(self) -> dict[str, int | None]:
        return {
            Target.FIRST_RESPONSE: self.first_response_minutes,
            Target.NEXT_RESPONSE: self.next_response_minutes,
            Target.RESOLUTION: self.resolution_minutes,
        }


class ClockState(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    MET = "met", _("met")
    BREACHED = "breached", _("breached")


class Clock(models.Model):
    """A ticket's service-level clock, recomputed from its history at every change.

    ``targets`` holds each target's detail (for the ticket page); the columns summarise
    the most urgent one for lists, the board, filters, the sort and the periodic job.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla_clock",
    )
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="clocks"
    )
    state = models.CharField(_("state"), max_length=10, choices=ClockState)
    # The running target due soonest: its due and warning times.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn from"), null=True, blank=True)
    breached = models.BooleanField(_("breached"), default=False)
    # When the periodic job has something to do: the next warning or breach to announce.
    check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    targets = models.JSONField(_("targets"), default=list)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("service level clock")
        verbose_name_plural = _("service level clocks")
        indexes = [
            models.Index(fields=["check_at"], name="sla_clock_check_idx"),
            models.Index(fields=["due_at"], name="sla_clock_due_idx"),
            models.Index(fields=["breached", "state"], name="sla_clock_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_state_display()}"


class Warning(models.Model):
    """A warning or breach already announced: once per ticket, target, cycle and level.

    Inserting the row claims the announcement; a second run (a retry, a second beat)
    meets the unique constraint and announces nothing."""

    class Level(models.TextChoices):
        AT_RISK = "at_risk", _("about to be breached")
        BREACHED = "breached", _("breached")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    target = models.CharField(_("target"), max_length=20, choices=Target)
    # Which reply of the requester a next-response target answers (0 for the others).
    cycle = models.PositiveIntegerField(_("cycle"), default=0)
    level = models.CharField(_("level"), max_length=10, choices=Level)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("service level warning")
        verbose_name_plural = _("service level warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "cycle", "level"], name="sla_warning_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.level}"
