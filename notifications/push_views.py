"""Browser push from the page's side: the service worker at the site root, the public
key, and saving or removing this browser's subscription.

django-webpush's own views are not routed: its save endpoint is CSRF-exempt and creates a
new subscription whenever the user agent changes, and its ``{% webpush_header %}`` tag
reverses those routes (and loads a script that expects its own button), so the key is
served here (``/push/key/``) and ``static/js/web_push.js`` does the subscribing.
"""

import base64
import binascii
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from helpdesk.json_input import JSONTooDeep, json_loads
from notifications import web_push

MAX_BODY = 8 * 1024
ENDPOINT_LENGTH = 500  # SubscriptionInfo.endpoint
BROWSER_LENGTH = 100  # SubscriptionInfo.browser
USER_AGENT_LENGTH = 500  # SubscriptionInfo.user_agent (notifications/webpush_migrations)
# The server POSTs to whatever endpoint is saved, so only known push services are
# accepted (no requests to hosts inside the network). A name starting with "." matches
# its subdomains. ``WEBPUSH_ENDPOINT_HOSTS`` replaces the list.
DEFAULT_ENDPOINT_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Opera, Yandex Browser, Samsung
    "updates.push.services.mozilla.com",  # Firefox
    ".push.apple.com",  # Safari
    ".notify.windows.com",  # Edge on Windows
)


def _endpoint_host_allowed(host: str) -> bool:
    allowed = getattr(settings, "WEBPUSH_ENDPOINT_HOSTS", DEFAULT_ENDPOINT_HOSTS)
    host = host.lower()
    return any(
        host.endswith(name) if name.startswith(".") else host == name
        for name in (entry.lower() for entry in allowed)
    )


def _key_bytes(value) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 100:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _endpoint_error(endpoint) -> str | None:
    if not isinstance(endpoint, str) or not endpoint:
        return _("The subscription has no endpoint.")
    if len(endpoint) > ENDPOINT_LENGTH:
        return _("The endpoint is longer than %(limit)s characters.") % {"limit": ENDPOINT_LENGTH}
    try:
        URLValidator(schemes=["https"])(endpoint)
    except ValidationError:
        return _("The endpoint must be an https address.")
    if not _endpoint_host_allowed(urlsplit(endpoint).hostname or ""):
        return _("This push service is not supported.")
    return None


def _subscription_fields(data: dict) -> tuple[dict, dict]:
    """The fields to save from the page's JSON, and the errors by field."""
    subscription = data.get("subscription")
    if not isinstance(subscription, dict):
        return {}, {"subscription": _("The subscription is missing.")}
    errors = {}
    endpoint = subscription.get("endpoint")
    if error := _endpoint_error(endpoint):
        errors["endpoint"] = error
    keys = given if isinstance(given := subscription.get("keys"), dict) else {}
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point = _key_bytes(p256dh)
    if point is None or len(point) != 65 or point[0] != 4:
        errors["p256dh"] = _("The p256dh key is not an uncompressed P-256 public key.")
    secret = _key_bytes(auth)
    if secret is None or len(secret) != 16:
        errors["auth"] = _("The auth secret is not 16 bytes.")
    if errors:
        return {}, errors
    browser = given if isinstance(given := data.get("browser"), str) else ""
    user_agent = given if isinstance(given := data.get("user_agent"), str) else ""
    # Names of the browser are for people reading the admin: clipped, never refused.
    return {
        "endpoint": endpoint,
        "p256dh": p256dh,
        "auth": auth,
        "browser": browser[:BROWSER_LENGTH],
        "user_agent": user_agent[:USER_AGENT_LENGTH],
    }, {}


def _json_body(request: HttpRequest) -> dict:
    """The body's JSON object, or ``ValueError`` with the message to answer."""
    not_an_object = _("The request is not a JSON object.")
    if len(request.body) > MAX_BODY:
        raise ValueError(not_an_object)
    try:
        data = json_loads(request.body)
    except JSONTooDeep:
        raise
    except ValueError:  # UnicodeDecodeError too
        raise ValueError(not_an_object) from None
    if not isinstance(data, dict):
        raise ValueError(not_an_object)
    return data


def _signed_in_only(request: HttpRequest) -> JsonResponse | None:
    if request.user.is_authenticated:
        return None
    return JsonResponse({"detail": _("Sign in to turn on browser notifications.")}, status=401)


def _bad_request(errors: dict) -> JsonResponse:
    return JsonResponse({"detail": next(iter(errors.values())), "errors": errors}, status=400)


@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    """Save this browser's subscription for the signed-in user (one row per endpoint)."""
    if refused := _signed_in_only(request):
        return refused
    try:
        data = _json_body(request)
    except ValueError as exc:
        return _bad_request({"subscription": str(exc)})
    fields, errors = _subscription_fields(data)
    if errors:
        return _bad_request(errors)
    if not fields["user_agent"]:
        fields["user_agent"] = request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH]
    _subscription, created = web_push.subscription_save(user=request.user, **fields)
    return JsonResponse({"subscribed": True, "created": created}, status=201 if created else 200)


@require_POST
def unsubscribe(request: HttpRequest) -> JsonResponse:
    """Forget the signed-in user's subscription for an endpoint."""
    if refused := _signed_in_only(request):
        return refused
    try:
        data = _json_body(request)
    except ValueError as exc:
        return _bad_request({"subscription": str(exc)})
    subscription = data.get("subscription")
    endpoint = subscription.get("endpoint") if isinstance(subscription, dict) else None
    endpoint = endpoint or data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_LENGTH:
        return _bad_request({"endpoint": _("The subscription has no endpoint.")})
    removed = web_push.subscription_remove(user=request.user, endpoint=endpoint)
    return JsonResponse({"subscribed": False, "removed": removed})


@require_GET
@never_cache
def public_key(request: HttpRequest) -> JsonResponse:
    """The VAPID application server key (URL-safe base64); null when push is not set up."""
    return JsonResponse(
        {"public_key": web_push.vapid_public_key() if web_push.push_configured() else None}
    )


def _service_worker_source() -> bytes:
    found = finders.find("sw.js")
    if found:
        with open(found, "rb") as source:
            return source.read()
    with staticfiles_storage.open("sw.js") as source:  # collected, without the source tree
        return source.read()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """``static/sw.js`` from the site root, so that its scope is the whole site."""
    return HttpResponse(
        _service_worker_source(),
        content_type="application/javascript; charset=utf-8",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


urlpatterns = [
    path("sw.js", service_worker, name="push_service_worker"),
    path("push/key/", public_key, name="push_key"),
    path("push/subscribe/", subscribe, name="push_subscribe"),
    path("push/unsubscribe/", unsubscribe, name="push_unsubscribe"),
]
