"""The words of a notification, in its reader's language, built when it is shown."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from notifications.models import Event, Notification
from tickets.workflow import workflow


def _day(raw: str | None) -> str:
    """A due date (stored ISO) as the reader writes dates."""
    try:
        return date_format(dt.date.fromisoformat(raw or ""), "DATE_FORMAT")
    except ValueError:
        return raw or "—"


def _moment(raw: str | None) -> str:
    """A moment (stored ISO) in the reader's time zone and format."""
    try:
        moment = dt.datetime.fromisoformat(raw or "")
    except ValueError:
        return raw or "—"
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _target_name(code: str) -> str:
    names = {
        "first_response": _("first response"),
        "next_response": _("next response"),
        "resolution": _("resolution"),
    }
    return names.get(code, code)


def _status_name(code: str) -> str:
    found = next((s for s in workflow().statuses if s.code == code), None)
    return found.name if found else code


def _sentence(notification: Notification) -> str:
    p = notification.params
    actor = p.get("actor") or _("Helpdesk")
    match notification.event:
        case Event.ASSIGNED:
            return _("%(actor)s assigned %(key)s to you") % {"actor": actor, "key": p["key"]}
        case Event.COMMENTED:
            if p.get("internal"):
                return _("%(actor)s added an internal note to %(key)s") % {
                    "actor": actor,
                    "key": p["key"],
                }
            return _("%(actor)s commented on %(key)s") % {"actor": actor, "key": p["key"]}
        case Event.MENTIONED:
            return _("%(actor)s mentioned you in %(key)s") % {"actor": actor, "key": p["key"]}
        case Event.STATUS_CHANGED:
            return _("%(actor)s changed the status of %(key)s to “%(status)s”") % {
                "actor": actor,
                "key": p["key"],
                "status": _status_name(p.get("status", "")),
            }
        case Event.NEW_TICKET:
            return _("New ticket %(key)s from %(actor)s") % {"actor": actor, "key": p["key"]}
        case Event.DUE_SOON:
            return _("%(key)s is due on %(date)s") % {
                "key": p["key"],
                "date": _day(p.get("due_date")),
            }
        case Event.OVERDUE:
            return _("%(key)s is overdue (due %(date)s)") % {
                "key": p["key"],
                "date": _day(p.get("due_date")),
            }
        case Event.SIGN_IN_PAUSED:
            return _sign_in_paused(p)
        case Event.SLA_AT_RISK:
            return _("%(key)s: the %(target)s target is about to be breached (due %(due)s)") % {
                "key": p["key"],
                "target": _target_name(p.get("target", "")),
                "due": _moment(p.get("due")),
            }
        case Event.SLA_BREACHED:
            return _("%(key)s: the %(target)s target was breached (due %(due)s)") % {
                "key": p["key"],
                "target": _target_name(p.get("target", "")),
                "due": _moment(p.get("due")),
            }
    return p.get("key", "")


def _sign_in_paused(p: dict) -> str:
    values = {
        "username": p.get("username", ""),
        "address": p.get("address", ""),
        "count": p.get("failures", 0),
        "minutes": p.get("minutes", 0),
    }
    if p.get("for_admin"):
        return (
            ngettext(
                "Signing in as %(username)s from %(address)s is paused for %(minutes)s min "
                "after %(count)d wrong password",
                "Signing in as %(username)s from %(address)s is paused for %(minutes)s min "
                "after %(count)d wrong passwords",
                values["count"],
            )
            % values
        )
    return (
        ngettext(
            "Signing in to your account from %(address)s is paused for %(minutes)s min "
            "after %(count)d wrong password",
            "Signing in to your account from %(address)s is paused for %(minutes)s min "
            "after %(count)d wrong passwords",
            values["count"],
        )
        % values
    )


def _body(notification: Notification) -> str:
    p = notification.params
    if notification.event == Event.SIGN_IN_PAUSED:
        if p.get("for_admin"):
            return _("The administration site lists the lockouts and can clear them.")
        if p.get("erp"):
            return _("If it was not you, change your ERP password and tell the service desk.")
        return _("If it was not you, change your password and tell the service desk.")
    return p.get("excerpt") or p.get("title", "")


def url_of(notification: Notification) -> str:
    """Where the notification leads (a path on this site)."""
    p = notification.params
    if notification.event == Event.SIGN_IN_PAUSED:
        if p.get("for_admin"):
            query = urlencode({"q": p.get("address", "")})
            return f"{reverse('admin:accounts_signinlockout_changelist')}?{query}"
        return reverse("accounts:profile")
    return reverse("tickets:detail", kwargs={"key": p["key"]})


def language_of(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def render(notification: Notification, *, language: str | None = None) -> dict:
    """``{"title", "body"}``: the sentence, and the ticket's title (or the comment)."""
    with translation.override(language or language_of(notification.recipient)):
        return {"title": _sentence(notification), "body": _body(notification)}


def as_message(notification: Notification, *, language: str | None = None) -> dict:
    """How a notification travels to the page (WebSocket, API)."""
    return {
        "id": notification.pk,
        "event": notification.event,
        "ticket": notification.params.get("key", ""),
        "url": url_of(notification),
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
        **render(notification, language=language),
    }
