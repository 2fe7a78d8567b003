"""The services: the only writers. History rows, signals after commit, rules, conflicts."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import search, services, signals
from tickets.models import Attachment, Comment, KeyCounter, Source, Ticket, TicketEvent, Transition
from tickets.tests.factories import QueueFactory, TicketFactory, comment, priority, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester, title="Не печатает")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks when the block ends, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def received():
    """Every tickets signal sent, as (name, kwargs)."""
    log = []
    handlers = {}
    for name in ("ticket_created", "ticket_changed", "comment_added", "ticket_moved"):

        def handler(sender, _name=name, **kwargs):
            log.append((_name, kwargs))

        handlers[name] = handler
        getattr(signals, name).connect(handler)
    yield log
    for name, handler in handlers.items():
        getattr(signals, name).disconnect(handler)


def events(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("kind", "field", "old_value", "new_value", "source")
    )


# --- Creating -------------------------------------------------------------------------


def test_create_gives_sequential_keys_per_prefix_and_defaults(queue, requester):
    other = QueueFactory(key_prefix="NET", slug="net")
    first = TicketFactory(queue=queue, requester=requester, actor=requester)
    second = TicketFactory(queue=queue, requester=requester, actor=requester)
    third = TicketFactory(queue=other, requester=requester, actor=requester)
    assert [first.key, second.key, third.key] == ["HD-1", "HD-2", "NET-1"]
    assert first.status == status("new")
    assert first.priority == priority("normal")
    assert first.version == 1
    assert first.get_absolute_url() == "/tickets/HD-1/"
    assert KeyCounter.objects.get(prefix="HD").last_number == 2
    assert events(first) == [("created", "", "", "HD-1", "web")]


def test_new_tickets_go_to_the_top_of_their_column(queue, requester):
    first = TicketFactory(queue=queue, requester=requester, actor=requester)
    second = TicketFactory(queue=queue, requester=requester, actor=requester)
    assert second.rank < first.rank


def test_a_reused_prefix_continues_after_the_old_keys(queue, requester):
    TicketFactory(queue=queue, requester=requester, actor=requester)
    queue.key_prefix = "OLD"
    queue.save()
    newcomer = QueueFactory(key_prefix="HD", slug="hd2")
    KeyCounter.objects.filter(prefix="HD").delete()  # e.g. keys imported in bulk
    assert TicketFactory(queue=newcomer, requester=requester, actor=requester).key == "HD-2"


def test_requester_cannot_set_agent_fields(queue, requester, agent):
    with pytest.raises(PermissionDenied):
        services.ticket_create(
            actor=requester, queue=queue, title="x", assignee=agent, requester=requester
        )
    with pytest.raises(PermissionDenied):
        services.ticket_create(actor=requester, queue=queue, title="x", requester=agent)


def test_requester_cannot_file_into_an_inactive_queue(queue, requester):
    queue.is_active = False
    queue.save()
    with pytest.raises(ValidationError) as error:
        services.ticket_create(actor=requester, queue=queue, title="x")
    assert "queue" in error.value.message_dict


def test_agent_files_for_someone_else_with_everything(queue, agent, requester):
    due = timezone.localdate() + dt.timedelta(days=30)
    ticket = services.ticket_create(
        actor=agent,
        queue=queue,
        title="  Замена картриджа  ",
        requester=requester,
        assignee=agent,
        priority=priority("high"),
        due_date=due,
        tags=["Принтер", " картридж "],
    )
    assert ticket.title == "Замена картриджа"
    assert ticket.requester == requester
    assert ticket.assignee == agent
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["картридж", "принтер"]


def test_create_refuses_an_empty_title_and_a_non_agent_assignee(queue, agent, requester):
    with pytest.raises(ValidationError) as error:
        services.ticket_create(actor=agent, queue=queue, title="   ", requester=requester)
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.ticket_create(
            actor=agent, queue=queue, title="x", requester=requester, assignee=requester
        )
    assert "assignee" in error.value.message_dict
    assert not Ticket.objects.exists()


def test_default_assignee_of_the_queue(queue, agent, requester):
    queue.default_assignee = agent
    queue.save()
    assert TicketFactory(queue=queue, requester=requester, actor=requester).assignee == agent


# --- Updating -------------------------------------------------------------------------


def test_update_writes_one_event_per_field_with_raw_values(ticket, agent):
    due = timezone.localdate() + dt.timedelta(days=30)
    services.ticket_update(
        actor=agent,
        ticket=ticket,
        version=1,
        priority=priority("urgent"),
        assignee=agent,
        due_date=due,
        tags=["vpn"],
        title="Не печатает принтер",
    )
    ticket.refresh_from_db()
    assert ticket.version == 2
    changed = events(ticket)[1:]
    assert changed == [
        ("changed", "title", "Не печатает", "Не печатает принтер", "web"),
        ("changed", "priority", str(priority("normal").pk), str(priority("urgent").pk), "web"),
        ("changed", "assignee", "", str(agent.pk), "web"),
        ("changed", "due_date", "", due.isoformat(), "web"),
        ("changed", "tags", "", "vpn", "web"),
    ]


def test_update_without_a_real_change_writes_nothing(ticket, agent):
    services.ticket_update(
        actor=agent, ticket=ticket, priority=ticket.priority, title="Не печатает"
    )
    ticket.refresh_from_db()
    assert ticket.version == 1
    assert len(events(ticket)) == 1


def test_stale_version_is_a_conflict_naming_who_changed_it(ticket, agent):
    other = UserFactory(username="agent2", roles=[Role.AGENT], first_name="Дмитрий")
    ticket.queue.members.add(other)
    services.ticket_update(actor=other, ticket=ticket, priority=priority("high"), version=1)
    with pytest.raises(services.TicketConflict) as conflict:
        services.ticket_update(actor=agent, ticket=ticket, priority=priority("low"), version=1)
    assert conflict.value.changed_by == other
    assert "Дмитрий" in conflict.value.message
    ticket.refresh_from_db()
    assert ticket.priority == priority("high")


def test_a_conflict_with_oneself_says_so(ticket, agent):
    services.ticket_update(actor=agent, ticket=ticket, priority=priority("high"), version=1)
    with translation.override("en"), pytest.raises(services.TicketConflict) as conflict:
        services.ticket_update(actor=agent, ticket=ticket, priority=priority("low"), version=1)
    assert "another tab" in conflict.value.message


def test_requester_and_agents_of_other_queues_cannot_change(ticket, requester):
    outsider = UserFactory(username="outsider", roles=[Role.AGENT])
    for actor in (requester, outsider):
        with pytest.raises(PermissionDenied):
            services.ticket_update(actor=actor, ticket=ticket, title="мой заголовок")


def test_manager_and_system_may_change_any_ticket(ticket, manager):
    services.ticket_update(actor=manager, ticket=ticket, priority=priority("low"))
    services.ticket_update(
        actor=None, ticket=ticket, priority=priority("high"), source=Source.REDMINE
    )
    assert events(ticket)[-1][4] == "redmine"


def test_status_timestamps(ticket, agent):
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("resolved"))
    ticket.refresh_from_db()
    resolved_at = ticket.resolved_at
    assert resolved_at and ticket.closed_at
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("closed"))
    ticket.refresh_from_db()
    assert ticket.resolved_at == resolved_at
    assert ticket.closed_at >= resolved_at
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
    ticket.refresh_from_db()
    assert ticket.resolved_at is None and ticket.closed_at is None


def test_transition_rules_of_the_queue_are_enforced(ticket, agent, queue):
    Transition.objects.create(
        queue=queue, from_status=status("new"), to_status=status("in_progress")
    )
    with pytest.raises(services.TransitionNotAllowed):
        services.ticket_change_status(actor=agent, ticket=ticket, status=status("closed"))
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
    ticket.refresh_from_db()
    assert ticket.status == status("in_progress")


def test_status_change_with_a_comment_is_one_change(ticket, agent, received, committed):
    with committed():
        services.ticket_change_status(
            actor=agent, ticket=ticket, status=status("waiting"), comment="Ждём ответа"
        )
        assert received == []
    assert [name for name, _ in received] == ["comment_added", "ticket_changed"]
    assert received[1][1]["fields"] == ["status"]
    assert received[1][1]["changes"]["status"] == (
        str(status("new").pk),
        str(status("waiting").pk),
    )


def test_assign_and_take(ticket, agent, manager):
    services.ticket_assign(actor=manager, ticket=ticket, assignee=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    services.ticket_take(actor=manager, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == manager


def test_take_on_a_stale_version_is_refused(ticket, agent, queue):
    """Two agents open the ticket; the second to take it is told who did, not given it."""
    second = UserFactory(username="agent2", roles=[Role.AGENT])
    queue.members.add(second)
    seen = ticket.version
    services.ticket_take(actor=agent, ticket=ticket, version=seen)
    with translation.override("en"), pytest.raises(services.TicketConflict) as conflict:
        services.ticket_take(actor=second, ticket=ticket, version=seen)
    assert conflict.value.changed_by == agent
    assert agent.get_display_name() in conflict.value.message
    ticket.refresh_from_db()
    assert ticket.assignee == agent


# --- Signals --------------------------------------------------------------------------


def test_signals_are_sent_only_after_commit(queue, requester, agent, received, committed):
    with committed():
        ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
        services.ticket_update(actor=agent, ticket=ticket, priority=priority("high"))
        comment(ticket, requester, "Срочно!")
        assert received == []
    assert [name for name, _ in received] == ["ticket_created", "ticket_changed", "comment_added"]
    created = received[0][1]
    assert created["ticket"].key == ticket.key
    assert created["actor"] == requester
    assert created["source"] == Source.WEB
    assert received[1][1]["fields"] == ["priority"]


def test_nothing_is_sent_or_kept_on_rollback(queue, requester, received, committed):
    class Boom(Exception):
        pass

    with committed(), pytest.raises(Boom), transaction.atomic():
        TicketFactory(queue=queue, requester=requester, actor=requester)
        raise Boom
    assert received == []
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_a_failing_receiver_does_not_break_the_change(ticket, agent, settings, caplog, committed):
    settings.RAISE_RECEIVER_ERRORS = False  # as in production

    def broken(sender, **kwargs):
        raise RuntimeError("receiver down")

    signals.ticket_changed.connect(broken)
    try:
        with committed():
            services.ticket_update(actor=agent, ticket=ticket, priority=priority("high"))
    finally:
        signals.ticket_changed.disconnect(broken)
    ticket.refresh_from_db()
    assert ticket.priority == priority("high")
    assert "receiver" in caplog.text


# --- Board moves ----------------------------------------------------------------------


def column(code):
    return list(Ticket.objects.filter(status=status(code)).order_by("rank", "id"))


def test_move_to_another_column_between_neighbours(queue, requester, agent, received, committed):
    a, b, c = (TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(3))
    for ticket in (a, b):
        services.ticket_move(
            actor=agent, ticket=ticket, status=status("in_progress"), version=ticket.version
        )
    # in_progress now holds b (top) then a; put c between them.
    assert column("in_progress") == [b, a]
    with committed():
        result = services.ticket_move(
            actor=agent,
            ticket=c,
            status=status("in_progress"),
            version=1,
            previous_id=b.pk,
            next_id=a.pk,
        )
    assert column("in_progress") == [b, c, a]
    assert result.ticket.version == 2
    assert result.from_status_id == status("new").pk
    assert events(c)[-1] == (
        "moved",
        "status",
        str(status("new").pk),
        str(status("in_progress").pk),
        "web",
    )
    names = [name for name, _ in received]
    assert names[-2:] == ["ticket_moved", "ticket_changed"]
    moved = received[-2][1]
    assert (moved["previous_id"], moved["next_id"]) == (b.pk, a.pk)


def test_move_within_a_column_reorders_without_a_status_event(
    queue, requester, agent, received, committed
):
    a, b, c = (TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(3))
    assert column("new") == [c, b, a]
    with committed():
        services.ticket_move(
            actor=agent, ticket=c, status=status("new"), version=1, previous_id=a.pk
        )
    assert column("new") == [b, a, c]
    with committed():
        services.ticket_move(actor=agent, ticket=a, status=status("new"), version=1, next_id=b.pk)
    assert column("new") == [a, b, c]
    assert events(a)[-1][:2] == ("moved", "rank")
    assert [name for name, _ in received] == ["ticket_moved", "ticket_moved"]


def test_moves_make_room_when_ranks_run_out(queue, requester, agent):
    tickets = [TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(3)]
    Ticket.objects.filter(pk=tickets[0].pk).update(rank=10)
    Ticket.objects.filter(pk=tickets[1].pk).update(rank=11)
    Ticket.objects.filter(pk=tickets[2].pk).update(rank=50)
    services.ticket_move(
        actor=agent,
        ticket=tickets[2],
        status=status("new"),
        version=1,
        previous_id=tickets[0].pk,
        next_id=tickets[1].pk,
    )
    assert column("new") == [tickets[0], tickets[2], tickets[1]]


def test_stale_move_is_refused_and_changes_nothing(queue, requester, agent):
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    services.ticket_move(actor=agent, ticket=ticket, status=status("waiting"), version=1)
    with pytest.raises(services.TicketConflict) as conflict:
        services.ticket_move(actor=agent, ticket=ticket, status=status("closed"), version=1)
    assert conflict.value.changed_by == agent
    ticket.refresh_from_db()
    assert ticket.status == status("waiting")
    assert ticket.version == 2


def test_neighbours_outside_the_column_or_not_visible_are_ignored(queue, requester, agent):
    a, b = (TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(2))
    services.ticket_move(
        actor=agent,
        ticket=a,
        status=status("waiting"),
        version=1,
        previous_id=b.pk,
        visible_ids=Ticket.objects.filter(pk=a.pk).values("pk"),
    )
    a.refresh_from_db()
    assert a.status == status("waiting")


# --- Comments, watchers, files --------------------------------------------------------


def test_comment_updates_activity_but_not_the_version(ticket, requester, received, committed):
    before = ticket.updated_at
    with committed():
        note = comment(ticket, requester, "Всё ещё не печатает")
    ticket.refresh_from_db()
    assert ticket.version == 1
    assert ticket.updated_at > before
    assert events(ticket)[-1] == ("commented", "comment", "", str(note.pk), "web")
    assert received[-1][0] == "comment_added"
    assert received[-1][1]["comment"] == note


def test_an_internal_note_is_not_activity_requesters_see(ticket, agent):
    before = ticket.updated_at
    comment(ticket, agent, "Заметка для своих", is_internal=True)
    ticket.refresh_from_db()
    assert ticket.updated_at == before


def test_internal_notes_are_for_those_who_work_the_ticket(ticket, requester, agent):
    with pytest.raises(PermissionDenied):
        comment(ticket, requester, "секрет", is_internal=True)
    note = comment(ticket, agent, "Проверить драйвер", is_internal=True)
    assert note.is_internal
    assert TicketEvent.objects.get(field="comment", new_value=str(note.pk)).is_internal


def test_strangers_cannot_comment_and_empty_comments_are_refused(ticket, requester):
    stranger = UserFactory(username="stranger", roles=[Role.REQUESTER])
    with pytest.raises(PermissionDenied):
        comment(ticket, stranger, "привет")
    with pytest.raises(ValidationError):
        comment(ticket, requester, "   ")


def test_comment_edit_keeps_the_old_text_in_history(ticket, requester, agent):
    note = comment(ticket, requester, "Первый вариант")
    services.comment_edit(actor=requester, comment=note, body="Второй вариант")
    note.refresh_from_db()
    assert note.body == "Второй вариант"
    assert note.edited_at is not None
    # The earlier text is kept as a revision (staff only), not in the history row.
    assert events(ticket)[-1][:4] == ("changed", "comment", "", str(note.pk))
    assert list(note.revisions.values_list("body", flat=True)) == ["Первый вариант"]
    stranger = UserFactory(username="stranger", roles=[Role.REQUESTER])
    with pytest.raises(PermissionDenied):
        services.comment_edit(actor=stranger, comment=note, body="взлом")


def test_watch_and_unwatch(ticket, requester, agent):
    colleague = UserFactory(username="colleague", roles=[Role.REQUESTER])
    assert services.ticket_watch(actor=agent, ticket=ticket, user=colleague, watching=True)
    assert not services.ticket_watch(actor=agent, ticket=ticket, user=colleague, watching=True)
    assert services.ticket_watch(actor=colleague, ticket=ticket, user=colleague, watching=False)
    with pytest.raises(PermissionDenied):
        services.ticket_watch(actor=requester, ticket=ticket, user=colleague, watching=True)
    kinds = [kind for kind, *_ in events(ticket)]
    assert kinds[-2:] == ["watcher_added", "watcher_removed"]


def upload(name="log.txt", content=b"error 42", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_attachments_with_a_comment_and_on_the_ticket(ticket, requester, media_root):
    note = comment(ticket, requester, "Лог во вложении", files=[upload()])
    services.attachment_add(actor=requester, ticket=ticket, files=[upload("screen.png", b"png")])
    files = list(Attachment.objects.order_by("id"))
    assert [(f.original_name, f.comment_id, f.size) for f in files] == [
        ("log.txt", note.pk, 8),
        ("screen.png", None, 3),
    ]
    assert files[1].content_type == "image/png"
    assert files[0].file.read() == b"error 42"
    assert files[0].file.name is not None
    assert not files[0].file.name.endswith("log.txt")  # stored under a random name


def test_refused_upload_keeps_nothing(ticket, requester, settings, media_root):
    settings.TICKET_ATTACHMENT_MAX_SIZE = 5
    with pytest.raises(ValidationError) as error:
        comment(ticket, requester, "большой файл", files=[upload()])
    assert "log.txt" in error.value.message_dict["files"][0]
    with pytest.raises(ValidationError) as error:
        comment(ticket, requester, "exe", files=[upload("setup.exe", b"MZ")])
    assert "setup.exe" in error.value.message_dict["files"][0]
    assert not Comment.objects.exists()
    assert not Attachment.objects.exists()


# --- Bulk -----------------------------------------------------------------------------


def test_bulk_changes_what_it_may_and_reports_the_rest(
    queue, requester, agent, received, committed
):
    other_queue = QueueFactory(key_prefix="NET", slug="net")
    mine = [TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(2)]
    foreign = TicketFactory(queue=other_queue, requester=requester, actor=requester)
    with committed():
        result = services.tickets_bulk_update(
            actor=agent, tickets=[*mine, foreign], assignee=agent, status=status("in_progress")
        )
    assert [t.pk for t in result.updated] == [t.pk for t in mine]
    assert [(t.pk, bool(reason)) for t, reason in result.skipped] == [(foreign.pk, True)]
    for ticket in mine:
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.status) == (agent, status("in_progress"))
    foreign.refresh_from_db()
    assert foreign.assignee is None
    assert [name for name, _ in received].count("ticket_changed") == 2


def test_bulk_needs_something_to_do(ticket, agent):
    with pytest.raises(ValidationError):
        services.tickets_bulk_update(actor=agent, tickets=[ticket])


# --- Saved views ----------------------------------------------------------------------


def test_saved_views_are_per_user_and_overwrite_by_name(agent, requester):
    first = services.saved_view_save(user=agent, name="Мои", query="assignee=me")
    again = services.saved_view_save(user=agent, name="Мои", query="assignee=me&state=all")
    assert first.pk == again.pk
    assert again.get_absolute_url() == "/tickets/?assignee=me&state=all"
    services.saved_view_delete(user=requester, view_id=first.pk)
    assert agent.saved_ticket_views.count() == 1
    services.saved_view_delete(user=agent, view_id=first.pk)
    assert agent.saved_ticket_views.count() == 0
    with pytest.raises(ValidationError):
        services.saved_view_save(user=agent, name=" ", query="")


def test_a_failed_change_removes_the_files_it_stored(ticket, requester, media_root, monkeypatch):

    def broken(*args, **kwargs):
        raise RuntimeError("index down")

    monkeypatch.setattr(search, "index_comment", broken)
    with pytest.raises(RuntimeError):
        comment(ticket, requester, "с файлом", files=[upload()])
    assert not Attachment.objects.exists()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


def test_a_ticket_moved_to_another_queue_keeps_its_key_and_new_keys_go_on(
    queue, requester, agent, manager
):
    net = QueueFactory(key_prefix="NET", slug="net")
    moved = [TicketFactory(queue=queue, requester=requester, actor=requester) for _ in range(3)][-1]
    TicketFactory(queue=net, requester=requester, actor=requester)
    services.ticket_update(actor=manager, ticket=moved, queue=net)
    moved.refresh_from_db()
    assert (moved.key, moved.queue) == ("HD-3", net)
    keys = [TicketFactory(queue=net, requester=requester, actor=requester).key for _ in range(3)]
    assert keys == ["NET-2", "NET-3", "NET-4"]
    queue.key_prefix = "IT"
    queue.save()
    assert TicketFactory(queue=queue, requester=requester, actor=requester).key == "IT-1"


def test_muted_changes_announce_nothing(queue, agent, requester):
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs.get("ticket"))

    signals.ticket_created.connect(receiver)
    signals.change_recorded.connect(receiver)
    try:
        with signals.muted():
            TicketFactory(queue=queue, requester=requester, actor=agent)
        assert heard == []
        assert not signals.is_muted()
    finally:
        signals.ticket_created.disconnect(receiver)
        signals.change_recorded.disconnect(receiver)


def test_imported_comment_keeps_its_author_and_time(queue, agent, requester):
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    written = timezone.now() - dt.timedelta(days=30)
    comment = services.comment_add(
        actor=None, ticket=ticket, body="Из архива", author=agent, created_at=written
    )
    assert (comment.author, comment.created_at) == (agent, written)
    ticket.refresh_from_db()
    assert ticket.updated_at > written  # an old comment does not move the ticket back
    with pytest.raises(ValueError):
        services.comment_add(actor=requester, ticket=ticket, body="Чужое", author=agent)


def test_in_the_tests_a_failing_receiver_fails_the_test(ticket, agent, committed):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver down")

    signals.ticket_changed.connect(broken)
    try:
        with pytest.raises(RuntimeError, match="receiver down"), committed():
            services.ticket_update(actor=agent, ticket=ticket, priority=priority("high"))
    finally:
        signals.ticket_changed.disconnect(broken)


# --- Replies: a comment with files and a status, as one change ------------------------


def test_a_reply_with_files_and_a_status_is_one_change(
    ticket, agent, media_root, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.models import Attachment, TicketEvent

    changed, commented = [], []
    signals.ticket_changed.connect(receiver := lambda **kw: changed.append(kw["fields"]))
    signals.comment_added.connect(receiver2 := lambda **kw: commented.append(kw["comment"]))
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.ticket_reply(
            actor=agent,
            ticket=ticket,
            body="Починили, лог приложен",
            files=[SimpleUploadedFile("fix.log", b"ok\n")],
            status=status("resolved"),
            version=ticket.version,
        )
    ticket.refresh_from_db()
    assert ticket.status == status("resolved")
    assert comment is not None
    assert comment.body == "Починили, лог приложен"
    assert Attachment.objects.get().comment == comment
    assert TicketEvent.objects.filter(ticket=ticket, field="status").count() == 1
    signals.ticket_changed.disconnect(receiver)
    signals.comment_added.disconnect(receiver2)
    assert (changed, commented) == ([["status"]], [comment])  # one change, one comment


def test_a_reply_with_a_stale_version_saves_nothing(ticket, agent):
    with pytest.raises(services.TicketConflict):
        services.ticket_reply(
            actor=agent,
            ticket=ticket,
            body="Ответ",
            status=status("resolved"),
            version=ticket.version - 1,
        )
    assert not ticket.comments.exists()


def test_a_status_change_needs_no_text_but_a_plain_reply_does(ticket, agent):
    assert (
        services.ticket_reply(actor=agent, ticket=ticket, body="", status=status("resolved"))
        is None
    )
    with pytest.raises(ValidationError):
        services.ticket_reply(actor=agent, ticket=ticket, body="  ")


def test_the_events_of_one_change_reach_the_receivers_together(ticket, agent):
    """A status change with a comment is one change: ``changes_recorded`` hears both of
    its events at once, inside the transaction (so a receiver writes them in one go); a
    service called inside another joins its change."""
    heard: list[list[object]] = []

    def receiver(sender, events, **kwargs):
        heard.append([signal for signal, _arguments in events])

    signals.changes_recorded.connect(receiver)
    try:
        services.ticket_change_status(
            actor=agent, ticket=ticket, status=status("in_progress"), comment="Смотрю"
        )
        assert heard == [[signals.comment_added, signals.ticket_changed]]
        heard.clear()
        with services.one_change():
            services.comment_add(actor=agent, ticket=ticket, body="Первый")
            services.comment_add(actor=agent, ticket=ticket, body="Второй")
            assert heard == [], "nothing before the outer change ends"
        assert heard == [[signals.comment_added, signals.comment_added]]
    finally:
        signals.changes_recorded.disconnect(receiver)


def test_a_key_counter_counts_on_from_the_keys_it_finds(queue, agent):
    KeyCounter.objects.filter(prefix=queue.key_prefix).delete()
    TicketFactory(queue=queue, requester=agent, actor=agent)  # a new counter
    first = Ticket.objects.latest("pk")
    KeyCounter.objects.filter(prefix=queue.key_prefix).delete()
    second = services.ticket_create(actor=agent, queue=queue, title="Ещё одна")
    assert second.number == first.number + 1
    third = services.ticket_create(actor=agent, queue=queue, title="И ещё")
    assert (third.number, third.key) == (second.number + 1, f"{queue.key_prefix}-{third.number}")
