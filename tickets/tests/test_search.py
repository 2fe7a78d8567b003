"""Full-text search: Russian and English word forms, ranking, visibility of notes.

Runs in both passes of ``make test``: SQLite, then MariaDB. Transactional, because InnoDB
updates its full-text index only when a transaction commits.
"""

import pytest
from django.db.models import F

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import lemmas, search, services
from tickets.models import SearchDocument
from tickets.selectors import search_visible_tickets
from tickets.tests.factories import comment

pytestmark = pytest.mark.django_db(transaction=True)


def found(user, query):
    return list(
        search_visible_tickets(user, query)
        .order_by(F("search_rank").desc(), "-id")
        .values_list("title", flat=True)
    )


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Сломался принтер на третьем этаже", "принтера"),
        ("Нет сети в переговорной", "сеть"),
        ("Пропала сеть в переговорной", "сети"),
        ("Ошибка при входе в 1С", "ошибки"),
        ("Ошибки печати", "ошибка"),
        ("The printer is jammed", "printers"),
        ("Printers on floor 2 are offline", "printer"),
        ("Не работает ЁЛКА", "елка"),
        ("Сломался ПРИНТЕР", "Принтер"),
    ],
)
def test_word_forms_are_found(make, agent, text, query):
    make(text)
    make("Заявка про совсем другое")
    assert found(agent, query) == [text]


def test_words_in_the_description_and_comments_are_found(make, agent, requester):
    make("Не открывается почта", "Outlook пишет: ошибка сертификата")
    ticket = make("Медленный компьютер")
    comment(ticket, requester, "После обновления драйверов видеокарты")
    assert found(agent, "сертификаты") == ["Не открывается почта"]
    assert found(agent, "драйвер") == ["Медленный компьютер"]


def test_every_word_must_match(make, agent):
    make("Принтер не печатает", "Бухгалтерия, второй этаж")
    make("Принтер замяло бумагу", "Склад")
    assert found(agent, "принтер бухгалтерии") == ["Принтер не печатает"]
    assert sorted(found(agent, "принтеры")) == ["Принтер замяло бумагу", "Принтер не печатает"]


def test_title_matches_rank_above_body_matches(make, agent, requester):
    body = make("Не работает телефон", "А ещё сломался принтер")
    in_comment = make("Медленный интернет")
    comment(in_comment, requester, "принтер тоже")
    title = make("Принтер HP не печатает")
    assert found(agent, "принтеру") == [title.title, body.title, in_comment.title]


def test_a_stem_is_also_a_prefix(make, agent):
    make("Сетевой диск недоступен")
    assert found(agent, "сеть") == ["Сетевой диск недоступен"]


def test_a_ticket_key_finds_the_ticket(make, agent):
    first = make("Первая")
    make("Вторая")
    assert found(agent, first.key.lower()) == ["Первая"]


def test_internal_notes_are_searched_only_by_who_works_the_ticket(make, agent, requester):
    ticket = make("Не печатает")
    comment(ticket, agent, "Проверить картридж у поставщика", is_internal=True)
    other_agent = UserFactory(username="other", roles=[Role.AGENT])
    ticket.watchers.add(other_agent)  # sees the ticket, does not work it
    manager = UserFactory(username="boss", roles=[Role.MANAGER])
    assert found(agent, "картриджа") == ["Не печатает"]
    assert found(manager, "картриджа") == ["Не печатает"]
    assert found(requester, "картриджа") == []
    assert found(other_agent, "картриджа") == []
    assert found(requester, "печатает") == ["Не печатает"]


def test_search_never_shows_tickets_one_may_not_see(make, agent):
    make("Принтер в бухгалтерии")
    stranger = UserFactory(username="stranger", roles=[Role.REQUESTER])
    assert found(stranger, "принтер") == []


def test_the_index_follows_edits(make, agent, requester):
    ticket = make("Не работает мышь")
    services.ticket_update(actor=agent, ticket=ticket, title="Не работает клавиатура")
    assert found(agent, "мышь") == []
    assert found(agent, "клавиатуры") == ["Не работает клавиатура"]
    note = comment(ticket, requester, "монитор мерцает")
    services.comment_edit(actor=requester, comment=note, body="проектор мерцает")
    assert found(agent, "монитор") == []
    assert found(agent, "проектора") == ["Не работает клавиатура"]


def test_rebuilding_the_index_gives_the_same_results(make, agent, requester):
    ticket = make("Нет доступа к папке", "Сетевая папка бухгалтерии")
    comment(ticket, requester, "Права на запись")
    columns = ("title", "description", "comments", "notes")
    before = list(SearchDocument.objects.values_list(*columns))
    search.index_tickets([ticket.pk])
    assert list(SearchDocument.objects.values_list(*columns)) == before
    assert found(agent, "права папки") == ["Нет доступа к папке"]


def test_stop_words_and_punctuation_are_ignored():
    assert lemmas.query_terms("и в на, the printers!!! принтера") == ["printer", "принтер"]
    assert lemmas.query_terms("   ") == []


def test_a_query_of_only_stop_words_filters_nothing(make, agent):
    make("Раз")
    make("Два")
    assert len(found(agent, "и на")) == 2


def test_search_reindex_command(make, agent):
    from io import StringIO

    from django.core.management import call_command

    ticket = make("Нет звука в наушниках")
    SearchDocument.objects.all().delete()
    assert found(agent, "наушники") == []
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert "Indexed 1 tickets" in out.getvalue()
    assert found(agent, "наушники") == [ticket.title]
