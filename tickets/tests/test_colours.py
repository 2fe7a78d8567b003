"""Status and priority colours reach pages as classes of a generated stylesheet (CSP)."""

import re

import pytest
from django.urls import reverse

from tickets.colours import stylesheet
from tickets.models import Status
from tickets.templatetags.ticket_tags import priority_badge, status_badge
from tickets.tests.factories import QueueFactory, TicketFactory, priority, status

pytestmark = pytest.mark.django_db


def test_each_status_and_priority_has_a_class_with_its_colour_and_a_readable_text():
    new, high = status("new"), priority("high")

    css, _digest = stylesheet()

    assert f".hd-status-{new.pk}{{--hd-colour:#0d6efd;--hd-on-colour:#fff}}" in css
    assert f".hd-priority-{high.pk}{{--hd-colour:#ffc107;--hd-on-colour:#000}}" in css


def test_badges_carry_the_class_not_a_style():
    assert status_badge(status("new")) == (
        f'<span class="badge hd-badge hd-status-{status("new").pk}" data-status="new">Новая</span>'
    )
    assert "style" not in priority_badge(priority("high"))


def test_the_stylesheet_is_served_as_css_and_kept_while_its_address_holds(client):
    status("new")
    css, digest = stylesheet()

    fresh = client.get(reverse("tickets:colours"), {"v": digest})
    stale = client.get(reverse("tickets:colours"), {"v": "old"})

    assert fresh["Content-Type"] == "text/css; charset=utf-8"
    assert fresh.content.decode() == css
    assert "immutable" in fresh["Cache-Control"]
    assert stale["Cache-Control"] == "no-cache"


def test_pages_link_the_current_stylesheet_and_a_new_colour_gives_a_new_address(client, agent):
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    TicketFactory(queue=queue, requester=agent, actor=agent)
    client.force_login(agent)
    link = re.compile(r'<link rel="stylesheet" href="/tickets/colours\.css\?v=(\w+)">')

    def version() -> str:
        found = link.search(client.get(reverse("tickets:list")).content.decode())
        assert found is not None
        return found.group(1)

    before = version()
    new = status("new")
    new.colour = "#123456"
    new.save()
    after = version()

    assert before != after
    assert after == stylesheet()[1]
    assert "#123456" in client.get(reverse("tickets:colours"), {"v": after}).content.decode()


def test_a_colour_that_is_not_one_never_reaches_the_stylesheet():
    new = status("new")
    # Seven characters, the column's size, so that every database stores it.
    Status.objects.filter(pk=new.pk).update(colour="#0;}*{a")
    from tickets.workflow import workflow_changed

    workflow_changed()

    css, _digest = stylesheet()

    assert f"hd-status-{new.pk}" not in css
    assert "}*{" not in css
