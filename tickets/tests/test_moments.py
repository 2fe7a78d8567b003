"""When things happened: relative up to a day ago, the date (and time) past that, the
exact time on hover; the same on the ticket page and in the list (issue 19, item 15)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tickets.models import Comment, Ticket
from tickets.tests.factories import TicketFactory, comment

pytestmark = pytest.mark.django_db


def _in_russian(client, user):
    client.force_login(user)
    client.cookies["helpdesk_language"] = "ru"
    return client


def _comment_header(html: str, comment_id: int) -> str:
    card = re.search(rf'id="comment-{comment_id}".*?</header>', html, re.S)
    assert card is not None
    return card.group(0)


def test_comments_older_than_a_day_show_their_date_and_time(client, agent, queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    old = comment(ticket, agent, "Проверили кабель.")
    recent = comment(ticket, agent, "Заменили картридж.")
    written = timezone.now() - timedelta(days=2, hours=3)
    Comment.objects.filter(pk=old.pk).update(created_at=written)
    Comment.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(hours=2))

    html = _in_russian(client, agent).get(reverse("tickets:detail", args=[ticket.key]))
    html = html.content.decode()
    local = timezone.localtime(written)
    old_header = _comment_header(html, old.pk)
    assert f">{local.strftime('%d.%m.%Y %H:%M')}</time>" in old_header
    assert "назад" not in old_header
    assert f'title="{date_format(local, "DATETIME_FORMAT")}"' in old_header
    assert f'datetime="{local.isoformat()}"' in old_header
    assert ">2\xa0часа назад</time>" in _comment_header(html, recent.pk)


def test_the_list_shows_a_date_past_a_day_and_a_relative_time_before(client, agent, queue):
    old = TicketFactory(queue=queue, requester=agent, actor=agent)
    recent = TicketFactory(queue=queue, requester=agent, actor=agent)
    moment = timezone.now() - timedelta(days=3)
    Ticket.objects.filter(pk=old.pk).update(updated_at=moment)
    Ticket.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(hours=5))

    html = _in_russian(client, agent).get(reverse("tickets:list")).content.decode()
    rows = dict(re.findall(r'data-ticket-key="([^"]+)".*?<time [^>]*>([^<]*)</time>', html, re.S))
    assert rows[old.key] == timezone.localtime(moment).strftime("%d.%m.%Y")
    assert rows[recent.key] == "5\xa0часов назад"
