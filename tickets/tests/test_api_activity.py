"""/api/v1/tickets/<ref>/comments/, events/, attachments/ and attachment downloads."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator

from accounts.roles import Role
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.api import activity
from tickets.models import Attachment, Comment, Source, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory, comment, status

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _media(media_root):
    """Every test of this module stores its files apart."""


@pytest.fixture
def other_agent(db):
    """An agent of another queue: the HD tickets are not theirs."""
    user = UserFactory(username="netagent", roles=[Role.AGENT])
    QueueFactory(name="Сеть", key_prefix="NET", slug="net", members=[user])
    return user


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester)


def upload(name="log.txt", content=b"error 42", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def activity_on(ticket, requester, agent):
    """A public reply with a file, an internal note with a file, a file on the ticket."""
    reply = comment(ticket, requester, "Всё ещё **не печатает**", files=[upload("scan.png", PNG)])
    note = comment(
        ticket, agent, "Похоже, картридж", is_internal=True, files=[upload("secret.txt")]
    )
    [on_ticket] = services.attachment_add(actor=requester, ticket=ticket, files=[upload()])
    return {"reply": reply, "note": note, "on_ticket": on_ticket}


def comments_url(ref) -> str:
    return reverse("api-ticket-comments", kwargs={"ref": getattr(ref, "key", ref)})


def events_url(ref) -> str:
    return reverse("api-ticket-events", kwargs={"ref": getattr(ref, "key", ref)})


def attachments_url(ref) -> str:
    return reverse("api-ticket-attachments", kwargs={"ref": getattr(ref, "key", ref)})


def download_url(attachment: Attachment, ref=None) -> str:
    return reverse(
        "api-ticket-attachment-download",
        kwargs={"ref": ref or attachment.ticket.key, "attachment_id": attachment.pk},
    )


def post_json(client, url, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **extra)


def token_for(user) -> dict:
    _token, secret = api_token_create(user=user, name="script")
    return {"HTTP_AUTHORIZATION": f"Token {secret}"}


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Comments ---------------------------------------------------------------------------


def test_requester_lists_public_comments_oldest_first(client, ticket, requester, activity_on):
    reply = activity_on["reply"]
    [scan] = reply.attachments.all()
    client.force_login(requester)
    response = client.get(comments_url(ticket))
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": reply.pk,
            "author": {
                "id": requester.pk,
                "username": "requester",
                "name": requester.get_display_name(),
            },
            "body": "Всё ещё **не печатает**",
            "body_html": "<p>Всё ещё <strong>не печатает</strong></p>",
            "is_internal": False,
            "source": "web",
            "created_at": body["results"][0]["created_at"],
            "edited_at": None,
            "edited_by": None,
            "edit_reason": "",
            "attachments": [
                {
                    "id": scan.pk,
                    "name": "scan.png",
                    "size": len(PNG),
                    "content_type": "image/png",
                    "download_url": "http://testserver" + download_url(scan, str(ticket.pk)),
                }
            ],
        }
    ]


@pytest.mark.parametrize("persona", ["agent", "manager"])
def test_those_who_work_the_ticket_see_internal_notes(
    client, request, ticket, activity_on, persona
):
    client.force_login(request.getfixturevalue(persona))
    found = results(client.get(comments_url(ticket)))
    assert [c["id"] for c in found] == [activity_on["reply"].pk, activity_on["note"].pk]
    assert [c["is_internal"] for c in found] == [False, True]
    assert [a["name"] for a in found[1]["attachments"]] == ["secret.txt"]


def test_ticket_named_by_id_or_key(client, ticket, agent, activity_on):
    client.force_login(agent)
    by_key = results(client.get(comments_url(ticket.key)))
    assert results(client.get(comments_url(str(ticket.pk)))) == by_key
    assert results(client.get(comments_url(ticket.key.lower()))) == by_key


@pytest.mark.parametrize(
    "ref", ["NET-1", "HD-999999", "999999", str(2**70), "0", "-1", "%E2%80%8B", "x" * 300]
)
def test_unknown_or_invisible_tickets_are_404(client, ticket, other_agent, ref):
    client.force_login(other_agent)
    assert client.get(comments_url(ticket)).status_code == 404
    assert client.get(comments_url(str(ticket.pk))).status_code == 404
    assert client.get(f"/api/v1/tickets/{ref}/comments/").status_code == 404
    assert post_json(client, comments_url(ticket), {"body": "hi"}).status_code == 404
    assert Comment.objects.count() == 0


def test_agent_of_another_queue_watching_sees_public_comments_but_writes_no_notes(
    client, ticket, agent, other_agent, activity_on
):
    services.ticket_watch(actor=agent, ticket=ticket, user=other_agent, watching=True)
    client.force_login(other_agent)
    found = results(client.get(comments_url(ticket)))
    assert [c["id"] for c in found] == [activity_on["reply"].pk]
    response = post_json(client, comments_url(ticket), {"body": "note", "is_internal": True})
    assert response.status_code == 403
    assert post_json(client, comments_url(ticket), {"body": "reply"}).status_code == 201


def test_requester_replies(client, ticket, requester):
    client.force_login(requester)
    response = post_json(client, comments_url(ticket), {"body": "  Спасибо, _работает_  "})
    assert response.status_code == 201, response.content
    created = Comment.objects.get()
    assert response.json() == {
        "id": created.pk,
        "author": {
            "id": requester.pk,
            "username": "requester",
            "name": requester.get_display_name(),
        },
        "body": "Спасибо, _работает_",
        "body_html": "<p>Спасибо, <em>работает</em></p>",
        "is_internal": False,
        "source": "api",
        "created_at": response.json()["created_at"],
        "edited_at": None,
        "edited_by": None,
        "edit_reason": "",
        "attachments": [],
    }
    assert (created.author, created.source, created.is_internal) == (
        requester,
        Source.API,
        False,
    )
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.COMMENTED)
    assert event.source == Source.API


def test_requester_may_not_write_internal_notes(client, ticket, requester):
    client.force_login(requester)
    client.cookies["helpdesk_language"] = "en"
    response = post_json(client, comments_url(ticket), {"body": "psst", "is_internal": True})
    assert response.status_code == 403
    assert response.json()["detail"] == "Only agents may write internal notes."
    assert not Comment.objects.exists()


def test_agent_writes_an_internal_note_the_requester_never_sees(client, ticket, agent, requester):
    client.force_login(agent)
    response = post_json(client, comments_url(ticket), {"body": "между нами", "is_internal": True})
    assert response.status_code == 201, response.content
    assert response.json()["is_internal"] is True
    client.force_login(requester)
    assert results(client.get(comments_url(ticket))) == []


def test_markdown_is_sanitised(client, ticket, requester):
    client.force_login(requester)
    text = '<script>alert(1)</script>[x](javascript:alert(2)) <img src="https://evil/p.png">'
    response = post_json(client, comments_url(ticket), {"body": text})
    assert response.status_code == 201
    html = response.json()["body_html"]
    assert "<script" not in html and "javascript:" not in html and "evil" not in html
    assert response.json()["body"] == text


def test_agent_replies_and_changes_the_status_in_one_change(client, ticket, agent):
    client.force_login(agent)
    response = post_json(
        client,
        comments_url(ticket),
        {"body": "Ждём ваш ответ", "status": "waiting", "version": ticket.version},
    )
    assert response.status_code == 201, response.content
    assert "status" not in response.json() and "version" not in response.json()
    ticket.refresh_from_db()
    assert ticket.status == status("waiting")
    assert ticket.version == 2
    comment = Comment.objects.get()
    assert (comment.body, comment.source) == ("Ждём ваш ответ", Source.API)
    events = TicketEvent.objects.filter(ticket=ticket, created_at=comment.created_at)
    assert {(event.kind, event.field) for event in events} == {
        (TicketEvent.Kind.CHANGED, "status"),
        (TicketEvent.Kind.COMMENTED, "comment"),
    }
    assert {event.source for event in events} == {Source.API}


def test_a_reply_with_a_stale_version_saves_nothing(client, ticket, agent, other_agent):
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
    client.force_login(agent)
    client.cookies["helpdesk_language"] = "en"
    response = post_json(
        client, comments_url(ticket), {"body": "Готово", "status": "resolved", "version": 1}
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"detail", "changed_by", "version"}
    assert body["version"] == 2
    assert not Comment.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == status("in_progress")


def test_a_status_change_needs_a_known_status_and_may_leave_the_version_out(client, ticket, agent):
    client.force_login(agent)
    unknown = post_json(client, comments_url(ticket), {"body": "x", "status": "nope", "version": 1})
    assert unknown.status_code == 400
    assert "status" in unknown.json()
    assert not Comment.objects.exists()
    unguarded = post_json(client, comments_url(ticket), {"body": "x", "status": "waiting"})
    assert unguarded.status_code == 201, unguarded.content
    ticket.refresh_from_db()
    assert ticket.status == status("waiting")


def test_requester_may_not_change_the_status_with_a_reply(client, ticket, requester):
    client.force_login(requester)
    response = post_json(
        client, comments_url(ticket), {"body": "x", "status": "closed", "version": 1}
    )
    assert response.status_code == 403, response.content
    assert not Comment.objects.exists()
    ticket.refresh_from_db()
    assert ticket.version == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": None}, "body"),
        ({"body": ["x"]}, "body"),
        ({"body": {"text": "x"}}, "body"),
        ({"body": "x" * 50_001}, "body"),
        ({"body": "nul \x00"}, "body"),
        ({"body": "half \ud800"}, "body"),
        ({"body": "x", "is_internal": "maybe"}, "is_internal"),
        ({"body": "x", "is_internal": None}, "is_internal"),
        ({"body": "x", "is_internal": [True]}, "is_internal"),
    ],
)
def test_bad_comment_input_is_400_with_field_errors(client, ticket, agent, body, field):
    client.force_login(agent)
    response = post_json(client, comments_url(ticket), body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '[{"body": "x"}]', '"x"', "null", ""])
def test_a_comment_body_that_is_not_a_json_object_is_400(client, ticket, agent, raw):
    client.force_login(agent)
    assert post_json(client, comments_url(ticket), raw).status_code == 400
    assert not Comment.objects.exists()


def test_comments_with_a_token_and_no_csrf(ticket, requester, activity_on):
    client = Client(enforce_csrf_checks=True)
    auth = token_for(requester)
    assert len(results(client.get(comments_url(ticket), **auth))) == 1
    response = post_json(client, comments_url(ticket), {"body": "по токену"}, **auth)
    assert response.status_code == 201, response.content
    assert Comment.objects.get(body="по токену").author == requester


def test_signed_out_and_bad_tokens_are_refused(client, ticket):
    assert client.get(comments_url(ticket)).status_code == 403
    response = client.get(comments_url(ticket), HTTP_AUTHORIZATION="Token hd_nonsense")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_session_posts_need_csrf(ticket, requester):
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    assert post_json(client, comments_url(ticket), {"body": "x"}).status_code == 403
    assert not Comment.objects.exists()


@pytest.mark.parametrize("field", ["status", "version", "is_internal"])
def test_an_optional_field_sent_empty_in_a_form_is_refused_not_ignored(
    client, ticket, agent, field
):
    """A form has no way to leave out a value but to leave the field out: "" is not one of
    the values the schema lists, so it is a field error, as in JSON."""
    client.force_login(agent)
    response = client.post(comments_url(ticket), {"body": "x", field: ""})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Comment.objects.exists()


def test_browsable_api_shows_the_comment_form_and_survives_a_404(client, ticket, agent):
    client.force_login(agent)
    page = client.get(comments_url(ticket), HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert 'name="body"' in page.content.decode()
    assert client.get(comments_url("HD-999"), HTTP_ACCEPT="text/html").status_code == 404


# Session, user, roles, the agent's queues, the ticket, the count, the comments with their
# authors, their files.
COMMENT_LIST_QUERIES = 8


@pytest.mark.parametrize("count", [1, 30])
def test_comment_list_query_count_does_not_grow(
    client, ticket, agent, requester, count, django_assert_num_queries
):
    for n in range(count):
        comment(ticket, requester if n % 2 else agent, f"ответ {n}", files=[upload(f"{n}.txt")])
    client.force_login(agent)
    with django_assert_num_queries(COMMENT_LIST_QUERIES):
        found = results(client.get(comments_url(ticket)))
    assert len(found) == count


def test_comment_pages(client, ticket, agent):
    for n in range(3):
        comment(ticket, agent, f"ответ {n}")
    client.force_login(agent)
    response = client.get(comments_url(ticket), {"page_size": 2, "page": 2})
    assert [c["body"] for c in results(response)] == ["ответ 2"]
    assert client.get(comments_url(ticket), {"page": 99}).status_code == 404
    assert client.get(comments_url(ticket), {"page": "9" * 100}).status_code == 404
    # Not a page number or size: a 400 naming the parameter.
    for params in ({"page": "x" * 100}, {"page_size": "-5"}, {"page_size": "2.5"}):
        response = client.get(comments_url(ticket), params)
        assert response.status_code == 400 and set(response.json()) == set(params)
    assert len(results(client.get(comments_url(ticket), {"page_size": "1000"}))) == 3


# --- History ----------------------------------------------------------------------------


def test_requester_sees_no_internal_history(client, ticket, requester, agent, activity_on):
    client.force_login(requester)
    found = results(client.get(events_url(ticket)))
    assert all(not event["is_internal"] for event in found)
    assert "secret.txt" not in json.dumps(found, ensure_ascii=False)
    client.force_login(agent)
    internal = [event for event in results(client.get(events_url(ticket))) if event["is_internal"]]
    assert [(e["kind"], e["field"]) for e in internal] == [
        ("commented", "comment"),
        ("attached", "attachment"),
    ]


def test_event_rows_hold_raw_values_and_a_sentence(client, ticket, agent):
    agent.language = "en"
    agent.save()
    services.ticket_change_status(
        actor=agent, ticket=ticket, status=status("in_progress"), source=Source.API
    )
    client.force_login(agent)
    created, changed = results(client.get(events_url(ticket)))
    assert created["kind"] == "created"
    assert created["text"] == f"{ticket.requester.get_display_name()} created the ticket"
    assert changed == {
        "id": changed["id"],
        "kind": "changed",
        "field": "status",
        "old_value": str(status("new").pk),
        "new_value": str(status("in_progress").pk),
        "actor": {"id": agent.pk, "username": "agent", "name": agent.get_display_name()},
        "source": "api",
        "created_at": changed["created_at"],
        "is_internal": False,
        "text": f"{agent.get_display_name()} changed the status from New to In progress",
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "changed the status from New to In progress"),
        ("ru", "статус изменён с Новая на В работе"),
    ],
)
def test_history_speaks_the_users_language(client, ticket, agent, language, expected):
    agent.language = language
    agent.save()
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
    client.force_login(agent)
    response = client.get(events_url(ticket))
    assert expected in results(response)[1]["text"]
    assert response["Content-Language"] == language


def test_token_clients_get_their_accounts_language(ticket, agent):
    agent.language = "en"
    agent.save()
    services.ticket_change_status(actor=agent, ticket=ticket, status=status("in_progress"))
    response = Client().get(events_url(ticket), **token_for(agent))
    assert "changed the status from New to In progress" in results(response)[1]["text"]
    assert response["Content-Language"] == "en"


def test_history_text_is_plain_text(client, ticket, agent, requester):
    agent.language = "en"
    agent.save()
    joker = UserFactory(username="joker", display_name="<b>Tom & Jerry</b>", roles=[Role.AGENT])
    services.ticket_assign(actor=agent, ticket=ticket, assignee=joker)
    services.ticket_update(actor=agent, ticket=ticket, title='A <i>"title"</i>')
    client.force_login(agent)
    texts = [e["text"] for e in results(client.get(events_url(ticket)))]
    assert f"{agent.get_display_name()} assigned the ticket to <b>Tom & Jerry</b>" in texts
    assert any(text.endswith('to A <i>"title"</i>') for text in texts)


def test_every_row_has_a_sentence(client, queue, requester, agent):
    agent.language = "en"
    agent.save()
    first, second = (TicketFactory(queue=queue, requester=requester) for _n in range(2))
    services.ticket_move(
        actor=agent, ticket=first, status=status("new"), version=1, previous_id=second.pk
    )
    comment(first, agent, "note", is_internal=True)
    services.attachment_add(actor=agent, ticket=first, files=[upload("dump.log")])
    services.ticket_watch(actor=agent, ticket=first, user=agent, watching=True)
    client.force_login(agent)
    texts = {e["kind"]: e["text"] for e in results(client.get(events_url(first.pk)))}
    name = agent.get_display_name()
    assert texts["created"] == "System created the ticket"
    assert texts["moved"] == f"{name} reordered the ticket on the board"
    assert texts["commented"] == f"{name} added a comment"
    assert texts["attached"] == f"{name} attached dump.log"
    assert texts["watcher_added"] == f"{name} started watching"


def test_history_of_an_invisible_ticket_is_404(client, ticket, other_agent):
    client.force_login(other_agent)
    assert client.get(events_url(ticket)).status_code == 404
    assert client.get(events_url(str(2**64))).status_code == 404


# Session, user, roles, the agent's queues, the ticket, the count, the rows with their
# actors, the files and the people they name.
EVENT_LIST_QUERIES = 9


@pytest.mark.parametrize("changes", [1, 30])
def test_event_list_query_count_does_not_grow(
    client, ticket, agent, requester, changes, django_assert_num_queries
):
    others = [UserFactory(roles=[Role.AGENT]) for _n in range(3)]
    services.attachment_add(actor=requester, ticket=ticket, files=[upload()])
    for n in range(changes):
        services.ticket_assign(actor=agent, ticket=ticket, assignee=others[n % 3])
        if n < len(others):
            services.ticket_watch(actor=agent, ticket=ticket, user=others[n], watching=True)
        services.ticket_change_status(
            actor=agent, ticket=ticket, status=status("waiting" if n % 2 else "in_progress")
        )
    client.force_login(agent)
    with django_assert_num_queries(EVENT_LIST_QUERIES):
        found = results(client.get(events_url(ticket), {"page_size": 100}))
    assert all(event["text"] for event in found)
    assert len(found) == 2 + 2 * changes + min(changes, len(others))


# --- Files ------------------------------------------------------------------------------


def test_requester_lists_files_without_those_of_internal_notes(
    client, ticket, requester, activity_on
):
    client.force_login(requester)
    found = results(client.get(attachments_url(ticket)))
    assert [a["name"] for a in found] == ["scan.png", "log.txt"]
    on_ticket = activity_on["on_ticket"]
    assert found[1] == {
        "id": on_ticket.pk,
        "name": "log.txt",
        "size": 8,
        "content_type": "text/plain",
        "download_url": "http://testserver" + download_url(on_ticket, str(ticket.pk)),
        "comment": None,
        "uploaded_by": {
            "id": requester.pk,
            "username": "requester",
            "name": requester.get_display_name(),
        },
        "created_at": found[1]["created_at"],
    }
    assert found[0]["comment"] == activity_on["reply"].pk


@pytest.mark.parametrize("persona", ["agent", "manager"])
def test_those_who_work_the_ticket_list_every_file(client, request, ticket, activity_on, persona):
    client.force_login(request.getfixturevalue(persona))
    found = results(client.get(attachments_url(ticket)))
    assert [a["name"] for a in found] == ["scan.png", "secret.txt", "log.txt"]


def test_files_of_an_invisible_ticket_are_404(client, ticket, other_agent, activity_on):
    client.force_login(other_agent)
    assert client.get(attachments_url(ticket)).status_code == 404
    response = client.post(attachments_url(ticket), {"files": [upload()]})
    assert response.status_code == 404
    assert Attachment.objects.count() == 3


def test_requester_uploads_several_files(client, ticket, requester):
    client.force_login(requester)
    response = client.post(
        attachments_url(ticket), {"files": [upload(), upload("photo.png", PNG, "image/png")]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(a["name"], a["size"], a["content_type"]) for a in body] == [
        ("log.txt", 8, "text/plain"),
        ("photo.png", len(PNG), "image/png"),
    ]
    assert all(a["uploaded_by"]["id"] == requester.pk and a["comment"] is None for a in body)
    events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ATTACHED)
    assert {event.source for event in events} == {Source.API}
    assert client.get(body[1]["download_url"]).getvalue() == PNG


def test_upload_with_a_token_and_no_csrf(ticket, agent):
    client = Client(enforce_csrf_checks=True)
    response = client.post(attachments_url(ticket.pk), {"files": upload()}, **token_for(agent))
    assert response.status_code == 201, response.content
    assert Attachment.objects.get().uploaded_by == agent


def test_a_file_over_the_limit_is_413(client, settings, ticket, requester):
    settings.TICKET_ATTACHMENT_MAX_SIZE = 5
    client.force_login(requester)
    response = client.post(attachments_url(ticket), {"files": [upload()]})
    assert response.status_code == 413
    assert "log.txt" in response.json()["files"][0]
    assert not Attachment.objects.exists()


def test_a_refused_file_type_is_415(client, ticket, requester):
    client.force_login(requester)
    response = client.post(attachments_url(ticket), {"files": [upload(), upload("run.exe")]})
    assert response.status_code == 415
    assert "run.exe" in response.json()["files"][0]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"files": ""},
        {"files": "not a file"},
        {"files": [upload("empty.txt", b"")]},
        {"files": [upload(), upload("empty.txt", b"")]},
        {"files": [upload(f"{n}.txt") for n in range(3)]},
    ],
)
def test_bad_uploads_are_400(client, settings, ticket, requester, data):
    settings.TICKET_ATTACHMENT_MAX_FILES = 2
    client.force_login(requester)
    response = client.post(attachments_url(ticket), data)
    assert response.status_code == 400, response.content
    assert "files" in response.json()
    assert not Attachment.objects.exists()


def test_upload_that_is_not_multipart_is_refused(client, ticket, requester):
    client.force_login(requester)
    response = post_json(client, attachments_url(ticket), {"files": ["aGVsbG8="]})
    assert response.status_code == 415
    assert not Attachment.objects.exists()


def raw_upload(client, ticket, filename: bytes):
    boundary = "BoUnDaRy"
    raw = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="' + filename + b'"\r\n'
        + b"Content-Type: text/plain\r\n\r\nhello\r\n"
        + f"--{boundary}--\r\n".encode()
    )  # fmt: skip
    return client.post(
        attachments_url(ticket), raw, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_file_names_that_are_not_utf8_are_a_400_not_an_error(client, ticket, requester):
    client.force_login(requester)
    # Django's parser drops a part whose name does not decode: no file was sent.
    response = raw_upload(client, ticket, b"\xff\xfe\xc0.txt")
    assert response.status_code == 400, response.content
    assert "files" in response.json()
    response = raw_upload(client, ticket, "отчёт.txt".encode())
    assert response.status_code == 201, response.content
    [added] = response.json()
    assert added["name"] == "отчёт.txt"
    assert client.get(added["download_url"]).getvalue() == b"hello"


def test_browsable_api_shows_a_file_input(client, ticket, requester):
    client.force_login(requester)
    page = client.get(attachments_url(ticket), HTTP_ACCEPT="text/html").content.decode()
    assert 'type="file"' in page and 'name="files"' in page


# Session, user, roles, the agent's queues, the ticket, the count, the files with uploaders.
ATTACHMENT_LIST_QUERIES = 7


@pytest.mark.parametrize("count", [1, 30])
def test_attachment_list_query_count_does_not_grow(
    client, ticket, agent, requester, count, django_assert_num_queries
):
    for n in range(count):
        services.attachment_add(actor=requester, ticket=ticket, files=[upload(f"{n}.txt")])
    client.force_login(agent)
    with django_assert_num_queries(ATTACHMENT_LIST_QUERIES):
        assert len(results(client.get(attachments_url(ticket)))) == count


# --- Downloads --------------------------------------------------------------------------


def test_download_content_and_headers(client, ticket, requester, activity_on):
    client.force_login(requester)
    response = client.get(download_url(activity_on["on_ticket"]))
    assert response.status_code == 200
    assert response.getvalue() == b"error 42"
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="log.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    # Even images and PDFs are downloads here, never shown inline.
    image = client.get(download_url(activity_on["reply"].attachments.get()))
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("attachment;")


def test_download_keeps_a_non_ascii_name(client, ticket, requester):
    [added] = services.attachment_add(
        actor=requester, ticket=ticket, files=[upload("отчёт за май.csv", b"a;b")]
    )
    client.force_login(requester)
    response = client.get(download_url(added, str(ticket.pk)))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert "filename*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82" in response["Content-Disposition"]


def test_internal_note_files_are_404_for_the_requester(
    client, ticket, requester, agent, activity_on
):
    secret = activity_on["note"].attachments.get()
    client.force_login(requester)
    assert client.get(download_url(secret)).status_code == 404
    client.force_login(agent)
    assert client.get(download_url(secret)).status_code == 200


def test_download_with_a_token_only(ticket, requester, activity_on):
    client = Client()
    auth = token_for(requester)
    response = client.get(
        download_url(activity_on["on_ticket"]), HTTP_ACCEPT="application/octet-stream", **auth
    )
    assert response.status_code == 200
    assert response.getvalue() == b"error 42"
    assert client.get(download_url(activity_on["on_ticket"])).status_code == 403


def test_downloads_that_do_not_exist_are_404(
    client, queue, ticket, requester, other_agent, activity_on
):
    on_ticket = activity_on["on_ticket"]
    elsewhere = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    # A file of another ticket through this ticket's URL.
    assert client.get(download_url(on_ticket, elsewhere.key)).status_code == 404
    huge = f"/api/v1/tickets/{ticket.key}/attachments/{2**70}/download/"
    assert client.get(huge).status_code == 404
    assert client.get(huge, HTTP_ACCEPT="text/html").status_code == 404
    # A file whose stored copy is gone.
    on_ticket.file.storage.delete(on_ticket.file.name)
    assert client.get(download_url(on_ticket)).status_code == 404
    client.force_login(other_agent)
    assert client.get(download_url(activity_on["reply"].attachments.get())).status_code == 404


# --- Schema -----------------------------------------------------------------------------


def test_schema_describes_the_upload_as_multipart_and_the_download_as_binary():
    generator = SchemaGenerator(patterns=[path("api/v1/", include(activity.urlpatterns))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    upload_op = paths["/api/v1/tickets/{ref}/attachments/"]["post"]
    assert list(upload_op["requestBody"]["content"]) == ["multipart/form-data"]
    assert set(upload_op["responses"]) == {
        "201",
        "400",
        "401",
        "403",
        "404",
        "413",
        "415",
        "429",
    }
    assert upload_op["responses"]["201"]["content"]["application/json"]["schema"]["type"] == (
        "array"
    )
    files = schema["components"]["schemas"]["AttachmentUploadRequest"]["properties"]["files"]
    assert files["items"] == {"type": "string", "format": "binary", "minLength": 1}
    assert (files["minItems"], files["maxItems"]) == (1, 10)
    encoding = upload_op["requestBody"]["content"]["multipart/form-data"]["encoding"]
    assert 'filename="error.log"' in encoding["files"]["headers"]["Content-Disposition"]["example"]
    download = paths["/api/v1/tickets/{ref}/attachments/{attachment_id}/download/"]["get"]
    binary = {"schema": {"type": "string", "format": "binary"}}
    assert download["responses"]["200"]["content"] == {
        "application/octet-stream": binary,
        "*/*": binary,
    }
    comments_post = paths["/api/v1/tickets/{ref}/comments/"]["post"]
    assert {"400", "403", "404"} <= set(comments_post["responses"])


def test_a_form_reply_may_change_the_status(client, ticket, agent):
    client.force_login(agent)
    response = client.post(
        comments_url(ticket), {"body": "Ждём ответа", "status": "waiting", "version": "1"}
    )
    assert response.status_code == 201, response.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == (status("waiting"), 2)
    bad = client.post(comments_url(ticket), {"body": "x", "status": "new", "version": "2.0"})
    assert bad.status_code == 400
    assert "version" in bad.json()
