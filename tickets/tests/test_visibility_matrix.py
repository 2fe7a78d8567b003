"""Every read path against every persona and kind of ticket: one explicit table.

The expected answers are written out by hand from the rules in ``tickets/selectors.py``
(they are deliberately not computed by calling the selectors):

- requesters see the tickets they filed or watch, and never internal notes;
- agents also see and work the tickets of their queues and those assigned to them;
- managers and administrators see and work everything;
- a ticket someone may not see is 404 everywhere, never 403; the move endpoint answers
  403 only for a ticket that is visible but not workable;
- ``/board/`` shows an agent the tickets they work: those of their queues and those
  assigned to them elsewhere (a ticket they merely filed or watch stays in the list, not
  on the board); requesters see all their visible tickets there, managers everything.

Queues: HD (worked by the persona ``agent``), OPS (worked by ``other_agent``) and FIN
(worked by none of the personas). Kinds of ticket, seen from the persona: ``own`` (they
filed it, in FIN), ``queue`` (someone else's in HD), ``other_queue`` (someone else's in
OPS), ``watched`` (in FIN, they watch it), ``assigned`` (in FIN, assigned to them; to the
HD agent when the persona is the requester, who cannot be given tickets) and
``unrelated`` (someone else's in FIN).
"""

import json
import re
from dataclasses import asdict, dataclass
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role, user_is_agent
from accounts.tests.factories import UserFactory
from tickets.models import Queue, Ticket
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.django_db

TITLE_WORD = "flamingo"
NOTE_WORD = "walrus"
NOTE_TEXT = f"Пароль от роутера в сейфе, {NOTE_WORD}."
NOTE_FILE = "router-secret.txt"
TICKET_FILE = "screenshot.txt"


@pytest.fixture(autouse=True)
def _media(media_root):
    """Every test of this module stores its files apart."""


# --- The table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What one persona gets from each read path for one ticket."""

    listed: bool  # its key is a row of /tickets/?state=all
    found: bool  # /tickets/?q=<word of its title>&state=all lists it
    page: int  # /tickets/<KEY>/
    on_board: bool  # #ticket-card-<id> on /board/
    download: int  # a file attached to the ticket itself
    note_download: int  # a file attached to an internal note
    note_shown: bool  # the internal note's text (and file name) on the ticket page
    note_found: bool  # searching a word only the internal note holds lists the ticket
    move: int  # POST /api/v1/tickets/<id>/move/


HIDDEN = Seen(False, False, 404, False, 404, 404, False, False, 404)
# Visible, not workable (filed or watched): no internal notes, the board move is refused.
READER = Seen(True, True, 200, True, 200, 404, False, False, 403)
# The same, on a queue the agent does not work: not on the agent's board.
READER_OFF_BOARD = Seen(True, True, 200, False, 200, 404, False, False, 403)
WORKER = Seen(True, True, 200, True, 200, 200, True, True, 200)

PERSONAS = ("requester", "agent", "other_agent", "manager", "admin")
KINDS = ("own", "queue", "other_queue", "watched", "assigned", "unrelated")

EXPECTED: dict[tuple[str, str], Seen] = {
    # The requester: what they filed and what they watch.
    ("requester", "own"): READER,
    ("requester", "queue"): HIDDEN,
    ("requester", "other_queue"): HIDDEN,
    ("requester", "watched"): READER,
    ("requester", "assigned"): HIDDEN,  # assigned to the HD agent (requesters cannot be)
    ("requester", "unrelated"): HIDDEN,
    # The agent of HD, the ticket's queue.
    ("agent", "own"): READER_OFF_BOARD,
    ("agent", "queue"): WORKER,
    ("agent", "other_queue"): HIDDEN,
    ("agent", "watched"): READER_OFF_BOARD,
    ("agent", "assigned"): WORKER,  # in FIN, which the agent is not a member of
    ("agent", "unrelated"): HIDDEN,
    # The agent of OPS, another queue.
    ("other_agent", "own"): READER_OFF_BOARD,
    ("other_agent", "queue"): HIDDEN,
    ("other_agent", "other_queue"): WORKER,
    ("other_agent", "watched"): READER_OFF_BOARD,
    ("other_agent", "assigned"): WORKER,
    ("other_agent", "unrelated"): HIDDEN,
    # Managers and administrators: everything.
    **{(boss, kind): WORKER for boss in ("manager", "admin") for kind in KINDS},
}


def test_the_table_covers_every_persona_and_kind():
    assert set(EXPECTED) == {(persona, kind) for persona in PERSONAS for kind in KINDS}


# --- The world ---------------------------------------------------------------------------


@dataclass
class World:
    hd: Queue
    ops: Queue
    fin: Queue
    agent: User
    stranger: User
    lead: User


@pytest.fixture
def other_agent(db):
    return UserFactory(username="other_agent", roles=[Role.AGENT])


@pytest.fixture
def world(agent, other_agent) -> World:
    return World(
        hd=QueueFactory(key_prefix="HD", slug="hd", members=[agent]),
        ops=QueueFactory(key_prefix="OPS", slug="ops", members=[other_agent]),
        fin=QueueFactory(key_prefix="FIN", slug="fin"),
        agent=agent,
        stranger=UserFactory(username="stranger", roles=[Role.REQUESTER]),
        # Writes the internal note; not one of the personas under test.
        lead=UserFactory(username="lead", roles=[Role.MANAGER]),
    )


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"log line", content_type="text/plain")


def make_ticket(world: World, kind: str, persona) -> Ticket:
    """One ticket of ``kind`` as seen from ``persona``, with a file and an internal note."""
    title = f"Не работает {TITLE_WORD} в бухгалтерии"
    files = [upload(TICKET_FILE)]
    stranger, lead = world.stranger, world.lead
    if kind == "own":
        ticket = TicketFactory(
            queue=world.fin, requester=persona, actor=persona, title=title, files=files
        )
    elif kind in ("queue", "other_queue", "unrelated"):
        queue = {"queue": world.hd, "other_queue": world.ops, "unrelated": world.fin}[kind]
        ticket = TicketFactory(
            queue=queue, requester=stranger, actor=stranger, title=title, files=files
        )
    elif kind == "watched":
        ticket = TicketFactory(
            queue=world.fin,
            requester=stranger,
            actor=lead,
            title=title,
            files=files,
            watchers=[persona],
        )
    elif kind == "assigned":
        assignee = persona if user_is_agent(persona) else world.agent
        ticket = TicketFactory(
            queue=world.fin,
            requester=stranger,
            actor=lead,
            assignee=assignee,
            title=title,
            files=files,
        )
    else:
        raise AssertionError(kind)
    comment(ticket, lead, NOTE_TEXT, is_internal=True, files=[upload(NOTE_FILE)])
    return Ticket.objects.get(pk=ticket.pk)


# --- Reading it as the persona -------------------------------------------------------------


class Ids(HTMLParser):
    """The ``data-ticket-key`` of the list's rows and the ids of elements on a page."""

    def __init__(self):
        super().__init__()
        self.row_keys: set[str] = set()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("data-ticket-key"):
            self.row_keys.add(attrs["data-ticket-key"])
        if attrs.get("id"):
            self.ids.add(attrs["id"])


def parsed(response) -> Ids:
    assert response.status_code == 200
    parser = Ids()
    parser.feed(response.content.decode())
    return parser


def listed(client, ticket: Ticket, **params) -> bool:
    response = client.get(reverse("tickets:list"), {"state": "all", **params})
    return ticket.key in parsed(response).row_keys


def download_status(client, ticket: Ticket, *, internal: bool) -> int:
    attachment = ticket.attachments.get(comment__isnull=not internal)
    url = reverse("tickets:attachment", kwargs={"key": ticket.key, "attachment_id": attachment.pk})
    response = client.get(url)
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == b"log line"
    return response.status_code


def move_status(client, ticket: Ticket) -> int:
    response = client.post(
        reverse("api-ticket-move", kwargs={"pk": ticket.pk}),
        json.dumps({"status": "in_progress", "version": ticket.version}),
        content_type="application/json",
    )
    if response.status_code == 200:
        ticket.refresh_from_db()
        assert ticket.status.code == "in_progress"
    return response.status_code


def observe(client, ticket: Ticket) -> Seen:
    page = client.get(reverse("tickets:detail", kwargs={"key": ticket.key}))
    html = page.content.decode()
    board = parsed(client.get(reverse("tickets:board")))
    return Seen(
        listed=listed(client, ticket),
        found=listed(client, ticket, q=TITLE_WORD),
        page=page.status_code,
        on_board=f"ticket-card-{ticket.pk}" in board.ids,
        download=download_status(client, ticket, internal=False),
        note_download=download_status(client, ticket, internal=True),
        note_shown=NOTE_WORD in html or NOTE_FILE in html,
        note_found=listed(client, ticket, q=NOTE_WORD),
        # Last: a successful move changes the ticket.
        move=move_status(client, ticket),
    )


@pytest.mark.parametrize(
    ("persona", "kind"), [pytest.param(*key, id="-".join(key)) for key in EXPECTED]
)
# InnoDB updates its full-text index on commit: the search needs committed rows.
@pytest.mark.django_db(transaction=True)
def test_visibility_matrix(client, world, request, persona, kind):
    user = request.getfixturevalue(persona)
    ticket = make_ticket(world, kind, user)
    client.force_login(user)
    assert asdict(observe(client, ticket)) == asdict(EXPECTED[(persona, kind)])


def test_a_public_reply_is_shown_to_the_requester_beside_the_hidden_note(client, world, requester):
    ticket = make_ticket(world, "own", requester)
    comment(ticket, world.lead, "Перезагрузите роутер, пожалуйста.")
    client.force_login(requester)
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "Перезагрузите роутер" in html
    assert NOTE_WORD not in html and NOTE_FILE not in html


def test_anonymous_visitors_are_sent_to_sign_in_and_cannot_move(client, world):
    ticket = make_ticket(world, "queue", world.stranger)
    attachment = ticket.attachments.get(comment__isnull=True)
    for url in (
        reverse("tickets:list"),
        reverse("tickets:detail", kwargs={"key": ticket.key}),
        reverse("tickets:board"),
        reverse("tickets:attachment", kwargs={"key": ticket.key, "attachment_id": attachment.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
    response = client.post(
        reverse("api-ticket-move", kwargs={"pk": ticket.pk}),
        json.dumps({"status": "in_progress", "version": ticket.version}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    ticket.refresh_from_db()
    assert ticket.status.code == "new"


CSRF = re.compile(r'(csrfmiddlewaretoken" value="|name="csrf-token" content=")[^"]+')


def test_an_invisible_ticket_looks_exactly_like_a_missing_one(client, world, requester):
    """The 404 page must not tell "exists but hidden" from "does not exist"."""
    ticket = make_ticket(world, "queue", world.stranger)
    missing_key = "HD-999999"
    client.force_login(requester)
    pages = {}
    for key in (ticket.key, missing_key):
        response = client.get(reverse("tickets:detail", kwargs={"key": key}))
        assert response.status_code == 404
        pages[key] = CSRF.sub(r"\1", response.content.decode().replace(key, "KEY"))
    assert pages[ticket.key] == pages[missing_key]
    assert 'data-testid="error-page"' in pages[missing_key]
    assert ticket.title not in pages[ticket.key]
