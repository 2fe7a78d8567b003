"""Browser push end to end, against a push service on 127.0.0.1 run by the test: the
payload is decrypted as a browser would, the VAPID signature checked as a push service
would; then the subscription endpoints, the service worker and the key generator."""

import base64
import http.server
import json
import os
import threading
import time
import weakref

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from django.core.management import call_command
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import translation
from py_vapid import Vapid
from webpush.models import PushInformation, SubscriptionInfo

from accounts.tests.factories import UserFactory
from helpdesk.testing import free_port
from notifications import delivery, web_push
from notifications.management.commands.generate_vapid_keys import vapid_key_pair
from notifications.models import Channel, Delivery, Event, Notification
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

ADMIN_EMAIL = "push-admin@example.com"
FCM = "https://fcm.googleapis.com/fcm/send/"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- A push service on loopback ---------------------------------------------------------


class PushService(http.server.ThreadingHTTPServer):
    """Answers each POST with the next planned reply for its path (201 when none is left).
    "timeout" holds the request past the sender's timeout and then drops it unanswered,
    as a push service that never accepted it: so ``accepted`` counts what was delivered."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PushHandler)
        self.plans: dict[str, list] = {}
        self.received: list[str] = []
        self.accepted: list[dict] = []
        self.stopping = threading.Event()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def plan(self, name: str, *replies) -> None:
        self.plans[f"/push/{name}"] = list(replies)

    def accepted_at(self, name: str) -> list[dict]:
        return [request for request in self.accepted if request["path"] == f"/push/{name}"]


class PushHandler(http.server.BaseHTTPRequestHandler):
    server: PushService

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(self.path)
        plan = self.server.plans.get(self.path) or []
        reply = plan.pop(0) if plan else 201
        if reply == "timeout":
            self.server.stopping.wait(2)  # longer than WEBPUSH_TIMEOUT in these tests
            self.close_connection = True
            return
        if reply == 201:
            self.server.accepted.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
        self.send_response(reply)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def push_services(monkeypatch):
    """Starts push services on loopback: ``push_services()`` gives a new one."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    started = []

    def start() -> PushService:
        server = PushService()
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def push_service(push_services) -> PushService:
    return push_services()


# --- Keys, people, notifications --------------------------------------------------------


@pytest.fixture
def vapid(settings) -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    pair = {
        "VAPID_PUBLIC_KEY": b64url(public),
        "VAPID_PRIVATE_KEY": b64url(key.private_numbers().private_value.to_bytes(32, "big")),
        "VAPID_ADMIN_EMAIL": ADMIN_EMAIL,
    }
    settings.WEBPUSH_SETTINGS = pair
    settings.WEBPUSH_TIMEOUT = 0.5
    return pair


class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64url(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscribe(self, user, endpoint: str) -> SubscriptionInfo:
        subscription, _created = web_push.subscription_save(
            user=user, endpoint=endpoint, p256dh=self.p256dh, auth=b64url(self.auth)
        )
        return subscription

    def decrypt(self, body: bytes) -> dict:
        # aes128gcm header: salt (16), record size (4), key id length (1), key id = the
        # sender's ephemeral public key, which http_ece takes as "dh" by itself.
        sender_key = body[21 : 21 + body[20]]
        assert len(sender_key) == 65 and sender_key[0] == 4
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def verified_vapid_claims(authorization: str, public_key: str) -> dict:
    """Check ``vapid t=<JWT>, k=<key>`` as a push service does and return the claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid"
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    assert parts["k"] == public_key
    header, claims, signature = parts["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(  # raises InvalidSignature
        utils.encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    return json.loads(unb64url(claims))


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", language="en")


@pytest.fixture
def push_delivery(requester, bob) -> Delivery:
    queue = QueueFactory(key_prefix="HD", slug="hd")
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    notification = Notification.objects.create(
        recipient=bob,
        event=Event.ASSIGNED,
        ticket=ticket,
        params={"key": ticket.key, "title": ticket.title, "actor": "Anna"},
    )
    return Delivery.objects.create(notification=notification, channel=Channel.PUSH)


def state_of(row: Delivery) -> str:
    row.refresh_from_db()
    return row.state


# --- Sending ----------------------------------------------------------------------------


def test_every_device_gets_the_notification_encrypted_and_signed(
    vapid, bob, push_delivery, push_services
):
    # Two push services: the VAPID "aud" must be each one's own origin (pywebpush writes
    # it into the claims dict it is given, so a shared dict would carry the first one).
    services = [push_services(), push_services()]
    laptop, phone = Device(), Device()
    laptop.subscribe(bob, services[0].endpoint("laptop"))
    phone.subscribe(bob, services[1].endpoint("phone"))

    assert delivery.deliver(push_delivery.pk) == Delivery.State.SENT

    notification = push_delivery.notification
    key = notification.params["key"]
    for service, device, name in [(services[0], laptop, "laptop"), (services[1], phone, "phone")]:
        (request,) = service.accepted_at(name)
        headers = request["headers"]
        assert device.decrypt(request["body"]) == {
            "id": notification.pk,
            "title": f"Anna assigned {key} to you",  # in bob's language
            "body": notification.params["title"],
            "url": f"/tickets/{key}/",
            "tag": f"notification-{notification.pk}",
        }
        assert headers["content-encoding"] == "aes128gcm"
        assert headers["ttl"] == "86400"
        assert headers["topic"] == f"notification-{notification.pk}"
        claims = verified_vapid_claims(headers["authorization"], vapid["VAPID_PUBLIC_KEY"])
        assert claims["aud"] == service.origin
        assert claims["sub"] == f"mailto:{ADMIN_EMAIL}"
        assert claims["exp"] > time.time()


def test_ttl_comes_from_the_setting(vapid, settings, bob, push_delivery, push_service):
    settings.WEBPUSH_TTL = 600
    Device().subscribe(bob, push_service.endpoint("laptop"))
    assert delivery.deliver(push_delivery.pk) == Delivery.State.SENT
    assert push_service.accepted[0]["headers"]["ttl"] == "600"


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed_and_the_others_still_get_it(
    vapid, bob, push_delivery, push_service, status
):
    gone = Device().subscribe(bob, push_service.endpoint("old"))
    Device().subscribe(bob, push_service.endpoint("new"))
    push_service.plan("old", status)

    assert delivery.deliver(push_delivery.pk) == Delivery.State.SENT
    assert len(push_service.accepted_at("new")) == 1
    assert not SubscriptionInfo.objects.filter(pk=gone.pk).exists()
    assert not PushInformation.objects.filter(subscription_id=gone.pk).exists()
    assert list(SubscriptionInfo.objects.values_list("endpoint", flat=True)) == [
        push_service.endpoint("new")
    ]


def test_when_every_device_is_gone_the_delivery_is_skipped(vapid, bob, push_delivery, push_service):
    Device().subscribe(bob, push_service.endpoint("a"))
    Device().subscribe(bob, push_service.endpoint("b"))
    push_service.plan("a", 410)
    push_service.plan("b", 404)

    assert delivery.deliver(push_delivery.pk) == Delivery.State.SKIPPED
    assert not SubscriptionInfo.objects.exists()
    assert not PushInformation.objects.exists()


def test_a_timeout_is_retried_and_delivered_once(vapid, bob, push_delivery, push_service):
    Device().subscribe(bob, push_service.endpoint("laptop"))
    push_service.plan("laptop", "timeout")

    with pytest.raises(delivery.TransientError):
        delivery.deliver(push_delivery.pk)
    push_delivery.refresh_from_db()
    assert push_delivery.state == Delivery.State.PENDING
    assert "timed out" in push_delivery.last_error
    assert push_service.accepted == []

    assert delivery.deliver(push_delivery.pk) == Delivery.State.SENT
    assert delivery.deliver(push_delivery.pk) == "busy"
    assert push_service.received == ["/push/laptop", "/push/laptop"]
    assert len(push_service.accepted) == 1
    push_delivery.refresh_from_db()
    assert push_delivery.attempts == 2


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_push_service_is_transient(vapid, bob, push_delivery, push_service, status):
    Device().subscribe(bob, push_service.endpoint("laptop"))
    push_service.plan("laptop", status)
    with pytest.raises(delivery.TransientError):
        delivery.deliver(push_delivery.pk)
    assert state_of(push_delivery) == Delivery.State.PENDING
    assert SubscriptionInfo.objects.count() == 1


def test_an_unreachable_push_service_is_transient(vapid, bob, push_delivery, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    Device().subscribe(bob, f"http://127.0.0.1:{free_port()}/push/laptop")  # nobody listens
    with pytest.raises(delivery.TransientError, match="ConnectionError"):
        delivery.deliver(push_delivery.pk)
    assert state_of(push_delivery) == Delivery.State.PENDING


def test_a_refusing_push_service_fails_the_delivery_for_good(
    vapid, bob, push_delivery, push_service
):
    Device().subscribe(bob, push_service.endpoint("laptop"))
    push_service.plan("laptop", 400)
    assert delivery.deliver(push_delivery.pk) == Delivery.State.FAILED
    push_delivery.refresh_from_db()
    assert "HTTP 400" in push_delivery.last_error
    assert "/push/laptop" not in push_delivery.last_error  # the endpoint is a capability
    assert SubscriptionInfo.objects.count() == 1  # kept: it may be our own mistake


def test_one_accepting_device_is_enough_and_the_others_are_not_retried(
    vapid, bob, push_delivery, push_service
):
    Device().subscribe(bob, push_service.endpoint("laptop"))
    Device().subscribe(bob, push_service.endpoint("phone"))
    Device().subscribe(bob, push_service.endpoint("tablet"))
    push_service.plan("phone", 503)
    push_service.plan("tablet", 403)

    assert delivery.deliver(push_delivery.pk) == Delivery.State.SENT
    delivery.sweep()
    assert sorted(push_service.received) == ["/push/laptop", "/push/phone", "/push/tablet"]
    assert len(push_service.accepted) == 1
    assert SubscriptionInfo.objects.count() == 3


def test_nothing_to_send_to_is_skipped(vapid, push_delivery, push_service):
    assert delivery.deliver(push_delivery.pk) == Delivery.State.SKIPPED
    assert push_service.received == []


def push_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and "push not configured" in r.getMessage()
    ]


@pytest.fixture
def no_vapid_keys(settings, monkeypatch):
    settings.WEBPUSH_SETTINGS = {"VAPID_PUBLIC_KEY": "", "VAPID_PRIVATE_KEY": ""}
    monkeypatch.setattr(web_push, "_warned", threading.Event())  # a new process


def test_without_vapid_keys_push_is_skipped_with_one_warning_per_process(
    no_vapid_keys, requester, bob, push_delivery, push_service, caplog
):
    Device().subscribe(bob, push_service.endpoint("laptop"))
    assert delivery.deliver(push_delivery.pk) == Delivery.State.SKIPPED
    # A change heard by many people: their push deliveries add no warning.
    notes = [
        Notification.objects.create(recipient=UserFactory(), event=Event.SIGN_IN_PAUSED)
        for _ in range(5)
    ]
    for note in notes:
        Delivery.objects.create(notification=note, channel=Channel.PUSH)
    states = delivery.fan_out([note.pk for note in notes])
    assert set(states.values()) == {Delivery.State.SKIPPED}
    assert push_service.received == []
    assert len(push_warnings(caplog)) == 1


def worker_starts() -> None:
    """What of ours runs when a worker starts (Celery's own ``worker_init`` receivers
    close the database connections)."""
    from celery.signals import worker_init

    from notifications.apps import _warn_if_push_not_configured

    receivers = [
        ref() if isinstance(ref, weakref.ref) else ref for _key, ref in worker_init.receivers
    ]
    assert _warn_if_push_not_configured in receivers
    _warn_if_push_not_configured(sender=None, signal=worker_init)


def test_without_vapid_keys_a_worker_warns_once_when_it_starts(
    no_vapid_keys, bob, push_delivery, caplog
):
    worker_starts()
    assert len(push_warnings(caplog)) == 1
    delivery.deliver(push_delivery.pk)
    assert len(push_warnings(caplog)) == 1, "not again for a notification"


def test_with_vapid_keys_a_worker_says_nothing_about_push(settings, monkeypatch, caplog):
    monkeypatch.setattr(web_push, "_warned", threading.Event())
    pair = vapid_key_pair()
    settings.WEBPUSH_SETTINGS = {"VAPID_PUBLIC_KEY": pair[0], "VAPID_PRIVATE_KEY": pair[1]}
    worker_starts()
    assert push_warnings(caplog) == []


def test_the_generated_key_pair_signs_what_is_sent(
    settings, bob, push_delivery, push_service, capsys
):
    call_command("generate_vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    assert set(lines) == {"VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"}
    loaded = Vapid.from_string(private_key=lines["VAPID_PRIVATE_KEY"])
    assert (
        b64url(
            loaded.public_key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        == lines["VAPID_PUBLIC_KEY"]
    )

    settings.WEBPUSH_SETTINGS = {**lines, "VAPID_ADMIN_EMAIL": ADMIN_EMAIL}
    Device().subscribe(bob, push_service.endpoint("laptop"))
    assert delivery.deliver(push_delivery.pk) == Delivery.State.SENT
    (request,) = push_service.accepted
    claims = verified_vapid_claims(request["headers"]["authorization"], lines["VAPID_PUBLIC_KEY"])
    assert claims["aud"] == push_service.origin


def test_key_pairs_differ_each_time():
    assert vapid_key_pair() != vapid_key_pair()


# --- Subscribing from the page -----------------------------------------------------------


def subscription_json(device: Device, endpoint: str = FCM + "abc", **extra) -> dict:
    return {
        "subscription": {
            "endpoint": endpoint,
            "keys": {"p256dh": device.p256dh, "auth": b64url(device.auth)},
        },
        "browser": "chrome",
        "user_agent": "Mozilla/5.0 Chrome/131",
        **extra,
    }


def csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client, token


def post_json(client: Client, url: str, data, token: str | None = None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def test_subscribing_needs_the_csrf_token(bob):
    client, token = csrf_client(bob)
    data = subscription_json(Device())
    assert post_json(client, "/push/subscribe/", data).status_code == 403
    assert not SubscriptionInfo.objects.exists()

    response = post_json(client, "/push/subscribe/", data, token)
    assert response.status_code == 201
    assert response.json() == {"subscribed": True, "created": True}
    row = SubscriptionInfo.objects.get()
    assert (row.endpoint, row.browser, row.user_agent) == (
        FCM + "abc",
        "chrome",
        "Mozilla/5.0 Chrome/131",
    )
    assert PushInformation.objects.get(subscription=row).user == bob


def test_unsubscribing_needs_the_csrf_token(bob):
    Device().subscribe(bob, FCM + "abc")
    client, token = csrf_client(bob)
    assert post_json(client, "/push/unsubscribe/", {"endpoint": FCM + "abc"}).status_code == 403
    assert SubscriptionInfo.objects.count() == 1
    response = post_json(client, "/push/unsubscribe/", {"endpoint": FCM + "abc"}, token)
    assert response.json() == {"subscribed": False, "removed": 1}
    assert not SubscriptionInfo.objects.exists()


def test_the_same_endpoint_is_one_subscription(client, bob):
    client.force_login(bob)
    first, second = Device(), Device()
    assert post_json(client, "/push/subscribe/", subscription_json(first)).status_code == 201
    response = post_json(
        client, "/push/subscribe/", subscription_json(second, user_agent="Mozilla/5.0 Chrome/132")
    )
    assert response.status_code == 200
    assert response.json() == {"subscribed": True, "created": False}
    row = SubscriptionInfo.objects.get()
    assert (row.p256dh, row.auth, row.user_agent) == (
        second.p256dh,
        b64url(second.auth),
        "Mozilla/5.0 Chrome/132",
    )
    assert PushInformation.objects.count() == 1


def test_a_browser_belongs_to_whoever_subscribed_it_last(client, bob, agent):
    device = Device()
    client.force_login(bob)
    post_json(client, "/push/subscribe/", subscription_json(device))
    client.force_login(agent)
    post_json(client, "/push/subscribe/", subscription_json(device))
    assert [info.user for info in PushInformation.objects.all()] == [agent]
    assert web_push.user_subscriptions(bob) == []


def test_duplicates_left_by_django_webpush_are_merged(client, bob):
    device = Device()
    for agent_string in ("Chrome/130", "Chrome/131"):
        old = SubscriptionInfo.objects.create(
            endpoint=FCM + "abc", p256dh="x", auth="y", browser="chrome", user_agent=agent_string
        )
        PushInformation.objects.create(user=bob, subscription=old)
    assert len(web_push.user_subscriptions(bob)) == 1  # even before: sent once per endpoint

    client.force_login(bob)
    post_json(client, "/push/subscribe/", subscription_json(device))
    assert SubscriptionInfo.objects.count() == 1
    assert PushInformation.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/abc"}, "endpoint"),
        ({"endpoint": "https://10.0.0.5/push"}, "endpoint"),
        ({"endpoint": "https://intranet.example.com/push"}, "endpoint"),
        ({"endpoint": FCM + "a" * 500}, "endpoint"),
        ({"endpoint": ""}, "endpoint"),
        ({"keys": {"auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "p256dh"),
        (
            {"keys": {"p256dh": b64url(b"\x04" + b"1" * 32), "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
            "p256dh",
        ),
        ({"keys": {"p256dh": None, "auth": None}}, "auth"),
        ({"keys": "nope"}, "p256dh"),
    ],
)
def test_bad_subscriptions_are_refused(client, bob, change, field):
    client.force_login(bob)
    data = subscription_json(Device())
    data["subscription"].update(change)
    response = post_json(client, "/push/subscribe/", data)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert not SubscriptionInfo.objects.exists()


@pytest.mark.parametrize("body", ["not json", "[]", '{"subscription": "x"}'])
def test_a_malformed_request_is_refused(client, bob, body):
    client.force_login(bob)
    response = client.post("/push/subscribe/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("url", ["/push/subscribe/", "/push/unsubscribe/"])
def test_json_nested_too_deeply_is_refused_with_a_message(client, bob, url):
    client.force_login(bob)
    body = '{"subscription": ' + "[" * 1000 + "]" * 1000 + "}"
    with translation.override("en"):
        response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["errors"]["subscription"]


def test_long_browser_names_are_clipped(client, bob):
    client.force_login(bob)
    data = subscription_json(Device(), browser="b" * 300, user_agent="u" * 900)
    assert post_json(client, "/push/subscribe/", data).status_code == 201
    row = SubscriptionInfo.objects.get()
    assert (len(row.browser), len(row.user_agent)) == (100, 500)


def test_signed_out_people_cannot_subscribe(client):
    response = post_json(client, "/push/subscribe/", subscription_json(Device()))
    assert response.status_code == 401
    assert client.get("/push/subscribe/").status_code == 405


def test_unsubscribing_removes_only_ones_own_subscription(client, bob, agent):
    Device().subscribe(bob, FCM + "bob")
    Device().subscribe(agent, FCM + "agent")
    client.force_login(bob)

    response = post_json(client, "/push/unsubscribe/", {"endpoint": FCM + "agent"})
    assert response.json() == {"subscribed": False, "removed": 0}
    response = post_json(client, "/push/unsubscribe/", {"subscription": {"endpoint": FCM + "bob"}})
    assert response.json() == {"subscribed": False, "removed": 1}
    assert list(SubscriptionInfo.objects.values_list("endpoint", flat=True)) == [FCM + "agent"]
    assert PushInformation.objects.count() == 1


def test_the_public_key_is_served(client, vapid, settings):
    response = client.get("/push/key/")
    assert response.json() == {"public_key": vapid["VAPID_PUBLIC_KEY"]}
    settings.WEBPUSH_SETTINGS = {"VAPID_PUBLIC_KEY": "", "VAPID_PRIVATE_KEY": ""}
    assert client.get("/push/key/").json() == {"public_key": None}


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    source = response.content.decode()
    assert 'addEventListener("push"' in source
    assert 'addEventListener("notificationclick"' in source


def test_django_webpush_own_routes_are_not_exposed(client, bob):
    client.force_login(bob)
    assert client.post("/webpush/save_information", "{}", content_type="x").status_code == 404
    assert client.post("/save_information", "{}", content_type="x").status_code == 404
