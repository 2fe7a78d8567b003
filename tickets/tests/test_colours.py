"""Status and priority colours reach pages as classes of a generated stylesheet (CSP)."""

import re

import pytest
from django.urls import reverse

from tickets.colours import contrast_ratio, on_colour, stylesheet
from tickets.models import Status
from tickets.templatetags.ticket_tags import priority_badge, status_badge
from tickets.tests.factories import QueueFactory, TicketFactory, priority, status

pytestmark = pytest.mark.django_db


def test_each_status_and_priority_has_a_class_with_its_colour_and_a_readable_text():
    new, high = status("new"), priority("high")

    css, _digest = stylesheet()

    # Black has the higher contrast on Bootstrap's blue (4.67:1 against white's 4.50:1).
    assert f".hd-status-{new.pk}{{--hd-colour:#0d6efd;--hd-on-colour:#000}}" in css
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


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#0dcaf0", "#000"),  # the default priority «Обычный»: white on it is 1.95:1
        ("#ffc107", "#000"),
        ("#20c997", "#000"),
        ("#ffffff", "#000"),
        ("#fd7e14", "#000"),
        ("#0d6efd", "#000"),  # 4.67:1 against white's 4.50:1
        ("#6c757d", "#fff"),  # 4.69:1 against black's 4.48:1
        ("#6f42c1", "#fff"),
        ("#212529", "#fff"),
        ("#000080", "#fff"),
        ("#000000", "#fff"),
    ],
)
def test_the_text_colour_is_the_one_with_the_higher_wcag_contrast(background, text):
    other = "#fff" if text == "#000" else "#000"

    assert on_colour(background) == text
    assert contrast_ratio(background, text) > contrast_ratio(background, other)


def test_the_default_priority_badge_text_reaches_aa_contrast():
    assert on_colour("#0dcaf0") == "#000"
    assert contrast_ratio("#0dcaf0", "#000") >= 4.5
    assert contrast_ratio("#0dcaf0", "#fff") < 2  # the white it had


def test_contrast_ratios_follow_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#fff", "#fff") == pytest.approx(1)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
