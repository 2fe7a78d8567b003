"""The site's URLs reach the page scripts and the notifications from the URLconf, never
written out: mounted under another prefix, every one of them follows."""

import json
import re

import pytest
from django.urls import include, path
from django.utils import timezone

from notifications.models import Event, Notification
from notifications.text import as_message
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db

# The whole site under /desk/ (ROOT_URLCONF points at this module in these tests).
urlpatterns = [path("desk/", include("helpdesk.urls"))]


@pytest.fixture
def moved_site(settings):
    settings.ROOT_URLCONF = __name__


def attribute(html: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', html)
    assert found, name
    return found.group(1)


def script_urls(html: str) -> dict:
    found = re.search(r'<script id="script-urls" type="application/json">(.*?)</script>', html)
    assert found, "no #script-urls block"
    return json.loads(found.group(1))


def test_a_page_gives_the_scripts_their_urls(client, agent, moved_site):
    client.force_login(agent)

    html = client.get("/desk/").content.decode()

    assert script_urls(html) == {
        "live": "/ws/",  # the WebSocket route is ASGI's, outside the URLconf
        "pushWorker": "/desk/sw.js",
        "pushKey": "/desk/push/key/",
        "pushSubscribe": "/desk/push/subscribe/",
        "pushUnsubscribe": "/desk/push/unsubscribe/",
    }


def test_the_notification_centre_gets_its_api_urls(client, agent, moved_site):
    client.force_login(agent)

    html = client.get("/desk/").content.decode()

    assert attribute(html, "data-list-url") == "/desk/api/v1/notifications/?page_size=20"
    assert attribute(html, "data-read-url") == "/desk/api/v1/notifications/0/read/"
    assert attribute(html, "data-read-all-url") == "/desk/api/v1/notifications/read-all/"


def test_the_board_gives_its_move_url(client, agent, moved_site):
    client.force_login(agent)

    html = client.get("/desk/board/").content.decode()

    assert attribute(html, "data-move-url") == "/desk/api/v1/tickets/0/move/"


def test_a_notification_leads_to_its_ticket_through_the_urlconf(agent, requester, moved_site):
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    notification = Notification.objects.create(
        recipient=agent,
        event=Event.ASSIGNED,
        ticket=ticket,
        params={"key": ticket.key, "title": ticket.title, "actor": "Пётр Петров"},
        read_at=timezone.now(),
    )

    assert as_message(notification)["url"] == f"/desk/tickets/{ticket.key}/"
