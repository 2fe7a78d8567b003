"""Redis stops (cache, channel layer and broker at once): every page and API call still
answers and saves; the notifications wait and go out once Redis is back."""

import json
import logging
import uuid
from datetime import timedelta

import pytest
from channels.layers import channel_layers
from django.core import mail
from django.urls import reverse

from accounts.services import api_token_create
from accounts.tests.factories import TEST_PASSWORD
from helpdesk import cache as tolerant
from helpdesk.testing import celery_pointed_at, redis_channel_layers
from helpdesk.testing.redis_server import PrivateRedis
from notifications import delivery
from notifications.models import Channel, Delivery, Event
from notifications.services import preferences_set
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory, status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def redis_server(tmp_path, settings):
    """A private redis-server as cache, channel layer and broker of this process."""
    server = PrivateRedis(tmp_path)
    server.start()
    prefix = f"outage-{uuid.uuid4().hex[:6]}"
    tolerant._outages.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.TolerantRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1, "RETRY_AFTER": 0},
        }
    }
    settings.CHANNEL_LAYERS = redis_channel_layers(server.url, prefix)
    channel_layers.backends.clear()
    yield server
    server.stop()
    channel_layers.backends.clear()
    tolerant._outages.clear()


def test_redis_down_every_change_is_saved_and_notified_once_it_returns(
    client, requester, agent, queue, redis_server, caplog
):
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    _token, secret = api_token_create(user=requester, name="script")
    # E-mail too, so that the test sees a mail go out exactly once.
    preferences_set(user=requester, changes={(Event.STATUS_CHANGED, Channel.EMAIL): True})
    preferences_set(user=agent, changes={(Event.NEW_TICKET, Channel.EMAIL): True})
    earlier = set(Delivery.objects.values_list("pk", flat=True))  # the ticket's filing
    mail.outbox.clear()
    caplog.set_level(logging.INFO)

    with celery_pointed_at(redis_server.url):
        redis_server.stop()

        response = client.post(
            reverse("accounts:login"), {"username": "requester", "password": TEST_PASSWORD}
        )
        assert response.status_code == 302, "signed in"
        assert client.get(reverse("tickets:list")).status_code == 200

        response = client.post(
            reverse("tickets:new"), {"queue": queue.pk, "title": "Printer on fire"}
        )
        assert response.status_code == 302
        assert Ticket.objects.filter(title="Printer on fire").exists()

        client.logout()
        response = client.post(
            "/api/v1/tickets/",
            json.dumps({"queue": "hd", "title": "Mouse is dead"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {secret}",
        )
        assert response.status_code == 201, response.content
        assert Ticket.objects.filter(title="Mouse is dead").exists()

        client.force_login(agent)
        response = client.post(
            reverse("tickets:update", kwargs={"key": ticket.key}),
            {"field": "status", "value": status("in_progress").pk, "version": ticket.version},
        )
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.status.code == "in_progress"

    waiting = list(Delivery.objects.exclude(pk__in=earlier))
    assert waiting, "the changes notified someone"
    assert {d.state for d in waiting} == {Delivery.State.PENDING}
    assert mail.outbox == []
    warnings = [r for r in caplog.records if r.name == "helpdesk.cache" and r.levelno >= 30]
    assert len(warnings) == 1, "one warning for the outage, not one per call"

    redis_server.start()
    channel_layers.backends.clear()
    assert delivery.sweep(older_than=timedelta(0)) == len(waiting)

    done = {d.pk: d.state for d in Delivery.objects.exclude(pk__in=earlier)}
    assert set(done.values()) <= {Delivery.State.SENT, Delivery.State.SKIPPED}, done
    mails = [d for d in waiting if d.channel == Channel.EMAIL]
    assert len(mails) == 3, "two new tickets for the agent, a status change for the requester"
    assert done[mails[0].pk] == Delivery.State.SENT
    assert len(mail.outbox) == len(mails)
    assert delivery.sweep(older_than=timedelta(0)) == 0, "nothing left, nothing twice"
    assert len(mail.outbox) == len(mails)
