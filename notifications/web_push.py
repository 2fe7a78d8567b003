"""Browser push: the recipient's devices, and sending a notification to each of them.

django-webpush keeps the subscriptions (``SubscriptionInfo`` + ``PushInformation``), but
its sender is not used: it sets no timeout, sends with TTL 0 (a device that is offline for
a moment never gets the message), removes a subscription only on 410 (push services answer
404 for expired ones too) and stops at the first failing device. Here each device is sent
to on its own, with a timeout and a TTL, and the outcome of each is sorted:

* accepted (2xx);
* gone (404, 410): the subscription is deleted, the other devices still get theirs;
* refused (other 4xx, unreadable keys): retrying cannot help that device;
* transient (429, 5xx, timeout, connection error).

The delivery is sent when at least one device accepted it. Devices that failed then are
only logged, not retried: there is no record of which devices already have the message
(the delivery is one row per channel), so a retry would show it twice on those that do.
When no device accepted and one failed transiently, ``TransientError`` sends the whole
delivery back for a retry; nothing was shown yet, so nothing is shown twice. A request
that timed out may still have reached the push service; the ``Topic`` header (the service
keeps only the newest pending message of a topic) and the notification ``tag`` (the
browser replaces a shown notification of the same tag) keep that from showing twice.
"""

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from webpush.models import PushInformation, SubscriptionInfo

from accounts.models import User
from helpdesk.outbox import SKIPPED, PermanentError, TransientError
from notifications.models import Delivery, Notification
from notifications.text import as_message

log = logging.getLogger(__name__)

# Kept by the push service for a device that is offline (django-webpush's default is 0).
DEFAULT_TTL = 24 * 60 * 60
# Seconds to connect to and to hear back from the push service.
DEFAULT_TIMEOUT = 10
# Push services accept about 4 KB of encrypted payload; the texts are clipped well below.
TITLE_LENGTH = 200
BODY_LENGTH = 500


def _webpush_setting(name: str) -> str:
    return (getattr(settings, "WEBPUSH_SETTINGS", None) or {}).get(name) or ""


def vapid_public_key() -> str:
    """The application server key browsers subscribe with (URL-safe base64), or ""."""
    return _webpush_setting("VAPID_PUBLIC_KEY")


def push_configured() -> bool:
    return bool(vapid_public_key() and _webpush_setting("VAPID_PRIVATE_KEY"))


_warned = threading.Event()


def warn_if_not_configured(**kwargs: object) -> None:
    """One WARNING per process when the VAPID keys are missing: when a worker starts
    (``worker_init``), or at the first push of a process that sends them itself; the
    push deliveries are then skipped without a word each."""
    if not push_configured() and not _warned.is_set():
        _warned.set()
        log.warning("push not configured (VAPID keys missing): push deliveries are skipped")


def _vapid() -> Vapid:
    try:
        return Vapid.from_string(private_key=_webpush_setting("VAPID_PRIVATE_KEY"))
    except Exception as exc:
        # The key itself is never part of the message.
        raise PermanentError(f"VAPID_PRIVATE_KEY cannot be read ({type(exc).__name__})") from exc


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def push_payload(notification: Notification) -> str:
    """What the service worker gets: ``{id, title, body, url, tag}`` in the reader's language."""
    message = as_message(notification)
    return json.dumps(
        {
            "id": notification.pk,
            "title": _clip(message["title"], TITLE_LENGTH),
            "body": _clip(message["body"], BODY_LENGTH),
            "url": message["url"],
            # A duplicate of this notification replaces it instead of showing twice.
            "tag": f"notification-{notification.pk}",
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


# --- Subscriptions ----------------------------------------------------------------------


_SUBSCRIPTIONS_ATTR = "_helpdesk_push_subscriptions"


def _unique(rows: Iterable[SubscriptionInfo]) -> list[SubscriptionInfo]:
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row.endpoint not in seen:
            seen.add(row.endpoint)
            unique.append(row)
    return unique


def user_subscriptions(user: User) -> list[SubscriptionInfo]:
    """The user's devices, one per endpoint (of duplicates, the newest row: its keys)."""
    cached = getattr(user, _SUBSCRIPTIONS_ATTR, None)
    if cached is not None:
        return cached
    rows = SubscriptionInfo.objects.filter(webpush_info__user=user).distinct().order_by("-pk")
    return _unique(rows)


def prefetch_subscriptions(users: Iterable[User]) -> None:
    """Read the devices of many users in one query, for ``user_subscriptions`` of each
    of these user objects (a batch of deliveries)."""
    users = list(users)
    links = (
        PushInformation.objects.filter(user_id__in={user.pk for user in users})
        .select_related("subscription")
        .order_by("-subscription_id")
    )
    found: dict[int, list[SubscriptionInfo]] = {user.pk: [] for user in users}
    for link in links:
        found[link.user_id].append(link.subscription)
    for user in users:
        setattr(user, _SUBSCRIPTIONS_ATTR, _unique(found[user.pk]))


@transaction.atomic
def subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, browser: str = "", user_agent: str = ""
) -> tuple[SubscriptionInfo, bool]:
    """Keep one subscription per endpoint: update the existing one (new keys, this user,
    this browser) or create it. Returns ``(subscription, created)``."""
    rows = list(
        SubscriptionInfo.objects.select_for_update().filter(endpoint=endpoint).order_by("pk")
    )
    values = {"p256dh": p256dh, "auth": auth, "browser": browser, "user_agent": user_agent}
    if rows:
        subscription, extra = rows[0], rows[1:]
        # Duplicates left by django-webpush's own endpoint (one per user agent) go.
        SubscriptionInfo.objects.filter(pk__in=[row.pk for row in extra]).delete()
        for name, value in values.items():
            setattr(subscription, name, value)
        subscription.save()
    else:
        subscription = SubscriptionInfo.objects.create(endpoint=endpoint, **values)
    # A browser belongs to whoever subscribed it last (a shared computer, a new sign-in).
    PushInformation.objects.filter(subscription=subscription).delete()
    PushInformation.objects.create(user=user, subscription=subscription)
    return subscription, not rows


@transaction.atomic
def subscription_remove(*, user: User, endpoint: str) -> int:
    """Forget this user's subscription for an endpoint. Returns how many were removed."""
    ids = list(
        SubscriptionInfo.objects.filter(endpoint=endpoint, webpush_info__user=user).values_list(
            "pk", flat=True
        )
    )
    SubscriptionInfo.objects.filter(pk__in=ids).delete()  # cascades to PushInformation
    return len(ids)


def _subscription_delete(subscription: SubscriptionInfo) -> None:
    SubscriptionInfo.objects.filter(pk=subscription.pk).delete()


# --- Sending ----------------------------------------------------------------------------


@dataclass
class _Outcomes:
    accepted: int = 0
    gone: int = 0
    refused: list[str] = field(default_factory=list)
    transient: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "; ".join([*self.transient, *self.refused])


def _where(subscription: SubscriptionInfo) -> str:
    # The endpoint path is a capability; only its origin goes into logs and errors.
    url = urlsplit(subscription.endpoint)
    return f"subscription {subscription.pk} at {url.scheme}://{url.netloc}"


def _send_one(
    subscription: SubscriptionInfo, payload: str, vapid: Vapid, topic: str, outcomes: _Outcomes
) -> None:
    where = _where(subscription)
    try:
        webpush(
            {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload,
            vapid_private_key=vapid,
            # A fresh dict for every device: pywebpush writes the endpoint's origin ("aud")
            # and an expiry into it.
            vapid_claims={"sub": f"mailto:{_webpush_setting('VAPID_ADMIN_EMAIL')}"},
            ttl=int(getattr(settings, "WEBPUSH_TTL", DEFAULT_TTL)),
            timeout=getattr(settings, "WEBPUSH_TIMEOUT", DEFAULT_TIMEOUT),
            headers={"Topic": topic},
        )
    except WebPushException as exc:
        status = exc.status_code
        if status in (404, 410):
            log.info("push %s is gone (%s); removing it", where, status)
            _subscription_delete(subscription)
            outcomes.gone += 1
        elif status is not None and (status == 429 or status >= 500):
            outcomes.transient.append(f"{where}: HTTP {status}")
        else:
            outcomes.refused.append(f"{where}: {f'HTTP {status}' if status else exc.message}")
    except requests.Timeout:
        outcomes.transient.append(f"{where}: timed out")
    except requests.RequestException as exc:
        if isinstance(exc, ValueError):  # InvalidURL, MissingSchema: the endpoint is bad
            outcomes.refused.append(f"{where}: {type(exc).__name__}")
        else:
            outcomes.transient.append(f"{where}: {type(exc).__name__}")
    except ValueError as exc:  # keys that do not decode to a P-256 point / 16 bytes
        outcomes.refused.append(f"{where}: unusable keys ({exc})")
    else:
        outcomes.accepted += 1


def send_web_push(delivery: Delivery) -> str | None:
    """Send a push delivery to each of the recipient's devices (see the module notes)."""
    if not push_configured():
        warn_if_not_configured()
        log.debug("push not configured; delivery %s skipped", delivery.pk)
        return SKIPPED
    notification = delivery.notification
    subscriptions = user_subscriptions(notification.recipient)
    if not subscriptions:
        return SKIPPED
    vapid = _vapid()
    payload = push_payload(notification)
    topic = f"notification-{notification.pk}"  # RFC 8030: at most 32 URL-safe characters
    outcomes = _Outcomes()
    for subscription in subscriptions:
        _send_one(subscription, payload, vapid, topic, outcomes)

    if outcomes.accepted:
        if outcomes.transient or outcomes.refused:
            log.warning(
                "push delivery %s reached %s device(s); not retried for: %s",
                delivery.pk,
                outcomes.accepted,
                outcomes.summary(),
            )
        return None
    if outcomes.transient:
        raise TransientError(outcomes.summary())
    if outcomes.refused:
        raise PermanentError(outcomes.summary())
    return SKIPPED  # every device was gone
