"""Merging a duplicate: what moves, the history of both, who hears of it (once), the
redirect, the board, the API, and who may do it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from notifications.models import Notification
from tickets import services
from tickets.board import board_tickets
from tickets.models import Attachment, Comment, Source, TicketEvent
from tickets.services import TicketStateConflict
from tickets.tests.factories import QueueFactory, TicketFactory, comment


@pytest.fixture
def pair(queue, requester, agent):
    other = UserFactory(username="requester2", roles=[Role.REQUESTER])
    watcher = UserFactory(username="watcher", roles=[Role.REQUESTER])
    kept = TicketFactory(queue=queue, requester=requester, actor=requester, title="Не входит в 1С")
    duplicate = TicketFactory(
        queue=queue, requester=other, actor=other, title="1С не пускает", watchers=[watcher]
    )
    comment(duplicate, other, "Ошибка авторизации")
    services.attachment_add(
        actor=other,
        ticket=duplicate,
        files=[SimpleUploadedFile("screen.txt", b"error", content_type="text/plain")],
    )
    return duplicate, kept


def test_merge_moves_everything_and_closes_the_duplicate(pair, agent):
    duplicate, kept = pair
    Notification.objects.all().delete()
    services.ticket_merge(source=duplicate, target=kept, by=agent)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept and duplicate.status.is_closed
    assert not Comment.objects.filter(ticket=duplicate).exclude(source=Source.MERGE).exists()
    assert Comment.objects.filter(ticket=kept, body="Ошибка авторизации").exists()
    assert Attachment.objects.filter(ticket=kept, original_name="screen.txt").exists()
    assert set(kept.watchers.values_list("username", flat=True)) == {"requester2", "watcher"}
    assert not duplicate.watchers.exists()
    assert TicketEvent.objects.filter(
        ticket=duplicate, source=Source.MERGE, field="merged_into", new_value=kept.key
    ).exists()
    assert TicketEvent.objects.filter(
        ticket=kept, source=Source.MERGE, field="merged_from", new_value=duplicate.key
    ).exists()
    # Both requesters (and the duplicate's watcher) hear of it, once each.
    told = sorted(Notification.objects.values_list("recipient__username", flat=True))
    assert told == ["requester", "requester2", "watcher"]


def test_the_duplicate_leaves_the_board_and_its_address_leads_on(pair, agent, client):
    duplicate, kept = pair
    services.ticket_merge(source=duplicate, target=kept, by=agent)
    assert duplicate.pk not in set(board_tickets(agent, queue=None).values_list("pk", flat=True))
    client.force_login(agent)
    response = client.get(reverse("tickets:detail", kwargs={"key": duplicate.key}))
    assert response.status_code == 302 and response.url == kept.get_absolute_url()
    page = client.get(kept.get_absolute_url()).content.decode()
    assert page.count(duplicate.key) >= 2  # the history entry and the comment name it


def test_only_who_works_both_may_merge(pair, agent, queue, requester):
    duplicate, kept = pair
    other_agent = UserFactory(username="net-agent", roles=[Role.AGENT])
    network = QueueFactory(name="Сеть", key_prefix="NET", members=[other_agent])
    elsewhere = TicketFactory(queue=network, requester=requester, actor=requester)
    with pytest.raises(PermissionDenied):
        services.ticket_merge(source=duplicate, target=elsewhere, by=agent)
    with pytest.raises(PermissionDenied):
        services.ticket_merge(source=duplicate, target=kept, by=requester)
    with pytest.raises(ValidationError):
        services.ticket_merge(source=kept, target=kept, by=agent)
    services.ticket_merge(source=duplicate, target=kept, by=agent)
    with pytest.raises(TicketStateConflict):
        services.ticket_merge(source=duplicate, target=kept, by=agent)


def test_the_page_and_the_api_merge(pair, agent, client, queue, requester):
    duplicate, kept = pair
    client.force_login(agent)
    url = reverse("tickets:merge", kwargs={"key": duplicate.key})
    response = client.post(url, {"target": "hd-404"})
    assert response.status_code == 302 and response.url == duplicate.get_absolute_url()
    response = client.post(url, {"target": kept.key.lower(), "version": duplicate.version})
    assert response.status_code == 302 and response.url == kept.get_absolute_url()

    third = TicketFactory(queue=queue, requester=requester, actor=requester)
    api = reverse("api-ticket-merge", kwargs={"ref": third.key})
    answer = client.post(api, {"target": kept.key}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["key"] == kept.key
    again = client.post(api, {"target": kept.key}, content_type="application/json")
    assert again.status_code == 409
