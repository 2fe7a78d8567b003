"""What the search box offers: phrases, exclusions, a key that jumps, highlighted snippets.

Runs in both passes of ``make test``. Transactional, because InnoDB updates its full-text
index only when a transaction commits.
"""

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import search
from tickets.selectors import search_visible_tickets
from tickets.tests.factories import comment

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("tickets:list")


def found(user, query):
    return sorted(search_visible_tickets(user, query).values_list("title", flat=True))


def test_a_quoted_phrase_matches_the_words_in_order(make, agent):
    make("Пропала запись разговоров")
    make("Разговоров нет, запись пропала")
    assert found(agent, '"пропали записи"') == ["Пропала запись разговоров"]
    assert found(agent, "пропали записи") == [
        "Пропала запись разговоров",
        "Разговоров нет, запись пропала",
    ]


def test_a_minus_excludes_a_word(make, agent):
    make("Принтер в бухгалтерии")
    make("Принтер на складе")
    assert found(agent, "принтер -бухгалтерия") == ["Принтер на складе"]
    assert found(agent, '-"на складе"') == ["Принтер в бухгалтерии"]


def test_a_requester_never_matches_or_is_excluded_by_a_note(make, agent, requester):
    ticket = make("Не печатает")
    comment(ticket, agent, "Заменить картридж", is_internal=True)
    assert found(requester, "печатает -картридж") == ["Не печатает"]
    assert found(agent, "печатает -картридж") == []


def test_a_key_in_the_list_jumps_to_the_ticket(client, make, agent):
    ticket = make("Первая")
    client.force_login(agent)
    response = client.get(LIST, {"q": ticket.key.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", kwargs={"key": ticket.key})
    assert client.get(LIST, {"q": "HD-99999"}).status_code == 200


def test_a_key_one_may_not_see_does_not_jump(client, make):
    ticket = make("Чужая")
    stranger = UserFactory(username="stranger", roles=[Role.REQUESTER])
    client.force_login(stranger)
    assert client.get(LIST, {"q": ticket.key}).status_code == 200


def test_the_list_shows_the_matched_words_in_a_snippet(client, make, agent, requester):
    make("Не работает", "После обновления драйверов <b>принтер</b> не печатает")
    ticket = make("Медленно")
    comment(ticket, requester, "Принтеры на третьем этаже тоже")
    comment(ticket, agent, "секретный принтер у поставщика", is_internal=True)
    client.force_login(requester)
    html = client.get(LIST, {"q": "принтера"}).content.decode()
    assert "&lt;b&gt;<mark>принтер</mark>&lt;/b&gt; не печатает" in html
    assert "<mark>Принтеры</mark> на третьем этаже" in html
    assert "секретный" not in html


def test_a_snippet_is_cut_around_the_first_match():
    text = " ".join(f"слово{n}" for n in range(100)) + " принтер " + "хвост " * 50
    result = search.snippet(text, "принтеры")
    assert result.startswith("… ") and result.endswith(" …")
    assert "<mark>принтер</mark>" in result
    assert len(result) < 400
    assert search.snippet("Нет совпадений", "принтер") == ""


def test_a_snippet_shows_the_words_without_markdown_marks():
    text = (
        "# Принтер\n> Добрый день! **Pantum M6700DW** в `каб. 311`, см. "
        "[инструкцию](https://wiki/printers) и ![фото](/media/p.png)\n- *не печатает*"
    )
    found = search.snippet(text, "pantum инструкция")
    assert "<mark>Pantum</mark> M6700DW" in found
    assert "<mark>инструкцию</mark> и фото" in found
    words = found.replace("<mark>", "").replace("</mark>", "")
    assert (
        words == "Принтер Добрый день! Pantum M6700DW в каб. 311, см. инструкцию и фото не печатает"
    )
    assert search.plain_text("snake_case и 2*3") == "snake_case и 23"
