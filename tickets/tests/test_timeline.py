"""The timeline builder: raw history rows told in the viewer's language, in time order."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Source, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory, comment, priority, status
from tickets.timeline import attachment_icon, ticket_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(media_root):
    """Every test of this module stores its files apart."""


@pytest.fixture
def queue(agent):
    """Not the shared HD queue: the history texts checked here name this queue, Сеть."""
    return QueueFactory(name="Сеть", key_prefix="NET", slug="net", members=[agent])


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester)


def texts(user, ticket, language="en") -> list[str]:
    with translation.override(language):
        page = ticket_page(user=user, ticket=ticket)
        return [str(entry.text) for entry in page.entries if entry.kind == "event"]


def test_created_first(ticket, agent, requester):
    [created] = texts(agent, ticket)
    assert created == (
        f'<span class="fw-semibold">{requester.get_display_name()}</span> created the ticket'
    )


def test_status_and_priority_in_each_language(ticket, agent):
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
    services.ticket_update(actor=agent, ticket=ticket, priority=priority("urgent"))
    english = texts(agent, ticket, "en")
    assert (
        "changed the status from <strong>New</strong> to <strong>In progress</strong>"
        in (english[1])
    )
    assert (
        "changed the priority from <strong>Normal</strong> to <strong>Urgent</strong>"
        in (english[2])
    )
    russian = texts(agent, ticket, "ru")
    assert "<strong>Новая</strong>" in russian[1] and "<strong>В работе</strong>" in russian[1]
    assert "<strong>Обычный</strong>" in russian[2] and "<strong>Срочный</strong>" in russian[2]
    # The rows themselves hold ids, not names.
    rows = TicketEvent.objects.filter(ticket=ticket, kind="changed").order_by("id")
    assert [(row.field, row.new_value) for row in rows] == [
        ("status", str(status("in_progress").pk)),
        ("priority", str(priority("urgent").pk)),
    ]


def test_a_renamed_status_is_told_with_its_new_name(ticket, agent):
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("waiting"))
    waiting = status("waiting")
    waiting.name_en = "On hold"
    waiting.save()
    assert "<strong>On hold</strong>" in texts(agent, ticket)[1]


def test_people_are_resolved(ticket, agent, requester):
    colleague = UserFactory(username="colleague", roles=[Role.AGENT])
    services.ticket_take(actor=agent, ticket=ticket)
    services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    services.ticket_assign(actor=agent, ticket=ticket, assignee=None)
    services.ticket_update(actor=agent, ticket=ticket, requester=colleague)
    lines = texts(agent, ticket)[1:]
    name, other = agent.get_display_name(), colleague.get_display_name()
    assert lines[0].endswith("took the ticket")
    assert (
        f"reassigned the ticket from <strong>{name}</strong> to <strong>{other}</strong>"
        in (lines[1])
    )
    assert f"removed the assignee <strong>{other}</strong>" in lines[2]
    assert (
        f"changed the requester from <strong>{requester.get_display_name()}</strong> "
        f"to <strong>{other}</strong>" in lines[3]
    )


def test_due_date_tags_queue_and_title(ticket, agent):
    other_queue = QueueFactory(name="1С", key_prefix="ONE", slug="one")
    next_year = datetime.date.today().year + 1
    services.ticket_update(actor=agent, ticket=ticket, due_date=datetime.date(next_year, 5, 1))
    services.ticket_update(actor=agent, ticket=ticket, tags=["vpn", "wifi"])
    services.ticket_update(actor=agent, ticket=ticket, tags=["vpn"])
    services.ticket_update(actor=agent, ticket=ticket, title="Новый заголовок")
    services.ticket_update(actor=agent, ticket=ticket, queue=other_queue)
    lines = texts(agent, ticket)[1:]
    assert f"set the due date to <strong>May 1, {next_year}</strong>" in lines[0]
    assert "added the tags <strong>vpn, wifi</strong>" in lines[1]
    assert "removed the tags <strong>wifi</strong>" in lines[2]
    assert "renamed the ticket from" in lines[3] and "<strong>Новый заголовок</strong>" in lines[3]
    assert "from queue <strong>Сеть</strong> to <strong>1С</strong>" in lines[4]


def test_values_are_escaped(ticket, agent):
    services.ticket_update(actor=agent, ticket=ticket, title="<img src=x onerror=alert(1)>")
    [line] = texts(agent, ticket)[1:]
    assert "<img" not in line
    assert "&lt;img src=x onerror=alert(1)&gt;" in line


def test_comments_fold_their_history_rows_and_files(ticket, agent, requester):
    upload = SimpleUploadedFile("log.txt", b"x")
    comment(ticket, requester, body="Вот лог", files=[upload])
    with translation.override("en"):
        page = ticket_page(user=agent, ticket=ticket)
    kinds = [(entry.kind, entry.event.kind if entry.event else "") for entry in page.entries]
    assert kinds == [("event", "created"), ("comment", "")]
    assert [a.original_name for a in page.entries[1].attachments] == ["log.txt"]
    assert page.attachments[0].icon == "bi-file-earmark-text"


def test_files_attached_to_the_ticket_are_told(ticket, requester, agent):
    services.attachment_add(
        actor=requester, ticket=ticket, files=[SimpleUploadedFile("scan.pdf", b"%PDF")]
    )
    assert "attached <strong>scan.pdf</strong>" in texts(agent, ticket)[1]


def test_internal_rows_are_hidden_from_requesters(ticket, agent, requester):
    comment(
        ticket, agent, body="Секрет", is_internal=True, files=[SimpleUploadedFile("a.txt", b"1")]
    )
    comment(ticket, agent, body="Публично")
    page = ticket_page(user=requester, ticket=ticket)
    assert [entry.comment.body for entry in page.entries if entry.comment] == ["Публично"]
    assert all(not entry.event.is_internal for entry in page.entries if entry.event)
    assert page.attachments == []
    assert len(texts(requester, ticket)) == 1  # only "created"


def test_watchers(ticket, agent, requester):
    colleague = UserFactory(username="colleague", roles=[Role.AGENT])
    services.ticket_watch(actor=requester, ticket=ticket, user=requester, watching=True)
    services.ticket_watch(actor=agent, ticket=ticket, user=colleague, watching=True)
    services.ticket_watch(actor=agent, ticket=ticket, user=colleague, watching=False)
    lines = texts(agent, ticket)[1:]
    assert lines[0].endswith("started watching")
    assert f"added <strong>{colleague.get_display_name()}</strong> to the watchers" in lines[1]
    assert "from the watchers" in lines[2]


def test_board_moves(ticket, agent):
    services.ticket_move(
        actor=agent, ticket=ticket, status=status("in_progress"), version=ticket.version
    )
    ticket.refresh_from_db()
    services.ticket_move(actor=agent, ticket=ticket, status=ticket.status, version=ticket.version)
    lines = texts(agent, ticket)[1:]
    assert len(lines) == 1  # the reorder inside the column is not told
    assert "moved the ticket on the board from <strong>New</strong>" in lines[0]


def test_source_is_noted_unless_web(ticket, agent):
    services.ticket_update(actor=agent, ticket=ticket, tags=["a"], source=Source.API)
    services.ticket_update(actor=None, ticket=ticket, tags=["b"], source=Source.REDMINE)
    with translation.override("en"):
        entries = ticket_page(user=agent, ticket=ticket).entries
        vias = [entry.via for entry in entries]
        assert vias == ["", "via the API", "via Redmine"]
        assert str(entries[2].text).startswith('<span class="fw-semibold">System</span>')


def test_deleted_people_and_statuses_do_not_break_it(ticket, agent):
    TicketEvent.objects.create(
        ticket=ticket, actor=agent, kind="changed", field="status", old_value="9999", new_value="x"
    )
    TicketEvent.objects.create(
        ticket=ticket, actor=agent, kind="changed", field="assignee", old_value="", new_value="9999"
    )
    TicketEvent.objects.create(ticket=ticket, actor=agent, kind="changed", field="mystery")
    lines = texts(agent, ticket)[1:]
    assert "a deleted status" in lines[0]
    assert "a deleted user" in lines[1]
    assert "changed <strong>mystery</strong>" in lines[2]


def test_queries_are_fixed_whatever_the_history(queue, requester, agent):
    colleague = UserFactory(username="colleague", roles=[Role.AGENT])

    def busy_ticket(rounds: int):
        ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
        for number in range(rounds):
            services.ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
            services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)
            comment(ticket, requester, body=f"Ещё {number}")
            services.ticket_watch(actor=agent, ticket=ticket, user=colleague, watching=True)
            services.ticket_watch(actor=agent, ticket=ticket, user=colleague, watching=False)
        return ticket

    small, large = busy_ticket(1), busy_ticket(15)
    counts = []
    for ticket in (small, large):
        fresh = User.objects.get(pk=agent.pk)
        with CaptureQueriesContext(connection) as queries:
            ticket_page(user=fresh, ticket=ticket)
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("content_type", "icon"),
    [
        ("image/png", "bi-file-earmark-image"),
        ("application/pdf", "bi-file-earmark-pdf"),
        ("application/zip", "bi-file-earmark-zip"),
        ("text/csv", "bi-file-earmark-spreadsheet"),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "bi-file-earmark-word",
        ),
        ("text/plain", "bi-file-earmark-text"),
        ("application/octet-stream", "bi-file-earmark"),
    ],
)
def test_attachment_icons(content_type, icon):
    assert attachment_icon(content_type) == icon


def test_links_to_outside_issues_and_sync_conflicts_are_told(ticket, agent):
    def note(field, old="", new=""):
        services.history_add(
            ticket=ticket, field=field, old_value=old, new_value=new, source=Source.REDMINE
        )

    note("redmine_linked", new="42")
    note("redmine_moved", old="42", new="Архив")
    note("redmine_deleted", old="43")
    note("redmine_hidden", old="44")
    note("conflict_status", old=str(status("waiting").pk), new=str(status("closed").pk))
    note("conflict_assignee", old=str(agent.pk), new="")
    english = texts(agent, ticket)[1:]
    assert "linked the ticket to Redmine issue <strong>#42</strong>" in english[0]
    assert english[1] == (
        "Redmine issue <strong>#42</strong> moved to project <strong>Архив</strong>, which is "
        "not synced; the ticket is no longer linked to it"
    )
    assert english[2].startswith("Redmine issue <strong>#43</strong> was deleted")
    assert "can no longer be seen" in english[3]
    assert english[4] == (
        "The <strong>status</strong> was changed both here and in Redmine; Redmine&#x27;s "
        "<strong>Closed</strong> was kept and <strong>Waiting</strong> was overwritten"
    )
    assert f"<strong>{agent.get_display_name()}</strong> was overwritten" in english[5]
    assert "<strong>nobody</strong> was kept" in english[5]
    note("redmine_private", old="45")
    note("redmine_relinked", old="42", new="Сеть")
    english = texts(agent, ticket)[1:]
    assert english[6].startswith("Redmine issue <strong>#45</strong> was made private")
    assert english[7] == (
        "Redmine issue <strong>#42</strong> is synced again (in project <strong>Сеть</strong>); "
        "the ticket is linked to it again"
    )
    # Agents only: these are internal entries.
    assert TicketEvent.objects.filter(ticket=ticket, is_internal=True).count() == 8
