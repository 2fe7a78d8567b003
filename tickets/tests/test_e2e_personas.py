"""Each persona's everyday path in real Chromium, in Russian (the default) and in English.

The English runs switch the language with the navbar's menu, as a person would. Elements
are found by ids, names and data-testid, so the tests do not depend on the wording of
the translations.
"""

import re

import pytest
from playwright.sync_api import FilePayload, Page, expect

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from accounts.tests.test_e2e_theme import sign_in
from tickets.models import Comment, Ticket
from tickets.tests.factories import QueueFactory, TicketFactory, comment, status

pytestmark = pytest.mark.e2e

LANGUAGES = ["ru", "en"]
NOTE = "Проверить журнал DHCP на маршрутизаторе."


@pytest.fixture(autouse=True)
def _media(settings, monkeypatch, tmp_path):
    # Autouse, so it is set before ``live_daphne`` starts the server, which reads the env.
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def desk():
    """Two queues, an agent of HD, a requester with one ticket, someone else's tickets."""
    agent = UserFactory(
        username="e2e-agent", first_name="Анна", last_name="Смирнова", roles=[Role.AGENT]
    )
    manager = UserFactory(username="e2e-manager", roles=[Role.MANAGER], is_staff=True)
    requester = UserFactory(
        username="e2e-requester", first_name="Иван", last_name="Петров", roles=[Role.REQUESTER]
    )
    colleague = UserFactory(username="e2e-colleague", roles=[Role.REQUESTER])
    hd = QueueFactory(name="Служба поддержки", key_prefix="HD", slug="hd", members=[agent])
    net = QueueFactory(name="Сеть", key_prefix="NET", slug="net")
    own = TicketFactory(
        queue=hd, requester=requester, actor=requester, title="Не работает Wi-Fi в переговорной"
    )
    comment(own, agent, NOTE, is_internal=True)
    return {
        "agent": agent,
        "manager": manager,
        "requester": requester,
        "hd": hd,
        "net": net,
        "own": own,
        "colleague": TicketFactory(
            queue=hd, requester=colleague, actor=colleague, title="Монитор мерцает"
        ),
        "network": TicketFactory(
            queue=net, requester=colleague, actor=colleague, title="Нет сети на 3 этаже"
        ),
    }


# --- Helpers -------------------------------------------------------------------------------


def start(page: Page, base_url: str, username: str, language: str) -> None:
    """Sign in; for English, switch with the navbar's language menu."""
    sign_in(page, base_url, username)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ru")
    if language == "en":
        page.locator("#language-menu").click()
        with page.expect_navigation():
            page.locator('button[name="language"][value="en"]').click()
        expect(html).to_have_attribute("lang", "en")
        expect(page.locator("#language-menu")).to_contain_text("en", ignore_case=True)
        # A label the catalogue has long had, and its English wording.
        expect(page.locator("#main-nav").get_by_role("link", name="Tickets")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()
    expect(html).to_have_attribute("lang", language)


def open_nav(page: Page, url_name: str) -> None:
    """Follow a navbar link (by its address, whatever its language)."""
    with page.expect_navigation():
        page.locator(f'#main-nav a.nav-link[href="{url_name}"]').click()


def row(page: Page, ticket: Ticket):
    return page.locator(f'tr[data-ticket-key="{ticket.key}"]')


def open_from_list(page: Page, ticket: Ticket) -> None:
    with page.expect_navigation():
        row(page, ticket).locator(f'a[href="/tickets/{ticket.key}/"]').first.click()
    expect(page.get_by_test_id("ticket-key")).to_have_text(ticket.key)
    expect(page.get_by_test_id("ticket-title")).to_contain_text(ticket.title)


# --- Requester -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_requester_lists_reads_and_files_a_ticket(live_daphne, page: Page, desk, language):
    own, hd = desk["own"], desk["hd"]
    start(page, live_daphne, "e2e-requester", language)

    open_nav(page, "/tickets/")
    expect(row(page, own)).to_be_visible()
    expect(row(page, desk["colleague"])).to_have_count(0)
    expect(row(page, desk["network"])).to_have_count(0)
    expect(page.locator("[data-bulk-row]")).to_have_count(0)

    open_from_list(page, own)
    expect(page.locator("html")).to_have_attribute("lang", language)
    # Internal notes and the agents' side panel are not for requesters.
    expect(page.locator('[data-internal="true"]')).to_have_count(0)
    expect(page.get_by_text(NOTE)).to_have_count(0)
    expect(page.locator("#field-status")).to_have_count(0)
    expect(page.locator('input[name="is_internal"]')).to_have_count(0)

    open_nav(page, "/tickets/new/")
    form = page.get_by_test_id("ticket-new-form")
    # An empty form comes back with its errors, not as a new ticket.
    with page.expect_navigation():
        page.get_by_test_id("ticket-create").click()
    expect(form.locator(".is-invalid").first).to_be_visible()
    assert Ticket.objects.filter(requester=desk["requester"]).count() == 1

    title = "Принтер не печатает" if language == "ru" else "The printer does not print"
    form.locator('select[name="queue"]').select_option(str(hd.pk))
    form.locator('input[name="title"]').fill(title)
    form.locator('textarea[name="description"]').fill("Горит **красная** лампа.")
    form.locator('input[name="files"]').set_input_files(
        files=[FilePayload(name="error.txt", mimeType="text/plain", buffer=b"E-42")]
    )
    with page.expect_navigation():
        page.get_by_test_id("ticket-create").click()

    filed = Ticket.objects.get(requester=desk["requester"], title=title)
    expect(page).to_have_url(f"{live_daphne}/tickets/{filed.key}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("ticket-title")).to_contain_text(title)
    expect(page.locator(".alert-success")).to_contain_text(filed.key)
    expect(page.locator("#content strong", has_text="красная")).to_be_visible()
    expect(page.locator(f'a[href^="/tickets/{filed.key}/attachments/"]').first).to_be_visible()
    assert filed.queue == hd and filed.attachments.get().original_name == "error.txt"

    open_nav(page, "/board/")
    expect(page.get_by_test_id("board-read-only")).to_be_visible()
    expect(page.locator(f"#ticket-card-{filed.pk}")).to_be_visible()
    expect(page.locator(f"#ticket-card-{own.pk}")).to_be_visible()
    expect(page.locator(f"#ticket-card-{desk['colleague'].pk}")).to_have_count(0)
    expect(page.locator('.board-card[data-can-move="true"]')).to_have_count(0)


# --- Agent ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_takes_and_answers_a_ticket_of_their_queue(live_daphne, page: Page, desk, language):
    agent, colleague_ticket = desk["agent"], desk["colleague"]
    start(page, live_daphne, "e2e-agent", language)

    open_nav(page, "/tickets/")
    expect(row(page, desk["own"])).to_be_visible()
    expect(row(page, colleague_ticket)).to_be_visible()
    expect(row(page, desk["network"])).to_have_count(0)

    open_from_list(page, desk["own"])
    expect(page.locator('[data-internal="true"]')).to_contain_text(NOTE)

    page.goto(f"{live_daphne}/tickets/")
    open_from_list(page, colleague_ticket)
    with page.expect_navigation():
        page.get_by_test_id("take-ticket").click()
    expect(page.locator(".alert-success")).to_contain_text(colleague_ticket.key)
    expect(page.get_by_test_id("take-ticket")).to_have_count(0)
    colleague_ticket.refresh_from_db()
    assert colleague_ticket.assignee == agent

    # A public reply, then an internal note, each shown on the page after sending.
    body = page.get_by_test_id("comment-form").locator('textarea[name="body"]')
    body.fill("Заменим кабель монитора сегодня.")
    with page.expect_navigation():
        page.get_by_test_id("comment-submit").click()
    reply = Comment.objects.get(ticket=colleague_ticket, is_internal=False)
    expect(page.locator(f"#comment-{reply.pk}")).to_contain_text("Заменим кабель")
    expect(page.locator(f"#comment-{reply.pk}")).to_have_attribute("data-internal", "false")

    body.fill("Кабель на складе, полка 3.")
    page.locator('input[name="is_internal"]').check()
    with page.expect_navigation():
        page.get_by_test_id("comment-submit").click()
    note = Comment.objects.get(ticket=colleague_ticket, is_internal=True)
    expect(page.locator(f"#comment-{note.pk}")).to_have_attribute("data-internal", "true")
    expect(page.locator(f"#comment-{note.pk}").get_by_test_id("internal-badge")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)

    open_nav(page, "/board/")
    expect(page.locator(f"#ticket-card-{colleague_ticket.pk}")).to_be_visible()
    expect(page.locator(f"#ticket-card-{desk['network'].pk}")).to_have_count(0)


# --- Manager -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_manager_sees_every_queue_and_moves_a_card(live_daphne, page: Page, desk, language):
    network = desk["network"]
    start(page, live_daphne, "e2e-manager", language)

    open_nav(page, "/tickets/")
    for ticket in (desk["own"], desk["colleague"], network):
        expect(row(page, ticket)).to_be_visible()
    open_from_list(page, desk["own"])
    expect(page.locator('[data-internal="true"]')).to_contain_text(NOTE)
    expect(page.locator("#field-status")).to_be_visible()

    open_nav(page, "/board/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    for ticket in (desk["own"], desk["colleague"], network):
        expect(page.locator(f"#ticket-card-{ticket.pk}")).to_be_visible()
    card = page.locator(f"#ticket-card-{network.pk}")
    expect(card).to_have_attribute("data-can-move", "true")
    new_column = page.locator('section.board-column[data-status="new"]')
    expect(new_column.get_by_test_id("board-column-count")).to_have_text("3")

    # The keyboard alternative to dragging: Alt+→ moves the card one column right.
    card.focus()
    with page.expect_response(re.compile(rf"/api/v1/tickets/{network.pk}/move/$")) as moved:
        page.keyboard.press("Alt+ArrowRight")
    assert moved.value.status == 200
    page.reload()
    in_progress = page.locator('section.board-column[data-status="in_progress"]')
    expect(in_progress.locator(f"#ticket-card-{network.pk}")).to_be_visible()
    network.refresh_from_db()
    assert network.status == status("in_progress")
