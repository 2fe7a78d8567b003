"""Every inflected form of a word finds the same tickets (Russian lemmas, both engines).

Runs in both passes of ``make test``: SQLite FTS5, then MariaDB's InnoDB FULLTEXT.
Transactional, because InnoDB updates its full-text index only when a transaction commits.
"""

import pytest

from tickets import lemmas
from tickets.selectors import search_visible_tickets
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The ticket's title uses the last form; every form must find the same tickets.
NOUNS = [
    ("запись", "записи", "записью", "записей", "записям"),
    ("сотрудник", "сотрудника", "сотрудников", "сотрудникам", "сотрудниками"),
    ("принтер", "принтера", "принтеры", "принтерами"),
    ("сеть", "сети", "сетью", "сетей"),
    ("ошибка", "ошибки", "ошибок", "ошибкой"),
    ("бухгалтерия", "бухгалтерии", "бухгалтерию"),
    ("ноутбук", "ноутбука", "ноутбуки", "ноутбуков"),
    ("разговор", "разговора", "разговоров"),
    ("пароль", "пароля", "пароли", "паролей"),
    ("письмо", "письма", "писем", "письмами"),
    ("монитор", "монитора", "мониторы", "мониторов"),
    ("договор", "договора", "договоров"),
    ("сервер", "сервера", "серверов", "серверу"),
    ("доступ", "доступа", "доступом"),
    ("папка", "папки", "папок", "папку"),
    ("отчёт", "отчета", "отчеты", "отчётов"),
    ("клавиатура", "клавиатуры", "клавиатурой"),
]
ADJECTIVES = [
    ("сетевой", "сетевые", "сетевого", "сетевая", "сетевых"),
    ("новый", "новая", "новых", "новому"),
    ("беспроводной", "беспроводная", "беспроводные"),
    ("удалённый", "удаленная", "удаленного"),
    ("электронный", "электронная", "электронной", "электронные"),
    ("общий", "общая", "общего", "общие"),
    ("медленный", "медленная", "медленные"),
]
VERBS = [
    ("настроить", "настроил", "настроена", "настроили"),
    ("печатать", "печатает", "печатают", "печатал"),
    ("подключить", "подключил", "подключена", "подключили"),
    ("отправить", "отправил", "отправлено", "отправлю"),
    ("удалить", "удалил", "удалены", "удалит"),
    ("сломаться", "сломался", "сломалась", "сломались"),
    ("зависнуть", "зависла", "зависли"),
]
WORDS = NOUNS + ADJECTIVES + VERBS


def found(user, query) -> set[str]:
    return set(search_visible_tickets(user, query).values_list("title", flat=True))


def test_there_are_enough_words():
    assert len(WORDS) >= 30
    assert all(len(forms) >= 3 for forms in WORDS)


def test_every_form_of_a_word_finds_the_same_tickets(queue, requester, agent):
    for forms in WORDS:
        TicketFactory(
            queue=queue, requester=requester, actor=requester, title=forms[-1], description=""
        )
    differing = {}
    for forms in WORDS:
        results = {form: found(agent, form) for form in forms}
        if forms[-1] not in results[forms[0]] or len(set(map(frozenset, results.values()))) > 1:
            differing[forms[0]] = results
    assert differing == {}


def test_the_forms_a_new_user_tried(queue, requester, agent):
    title = "Сломался принтер, пропала запись разговоров в бухгалтерии"
    TicketFactory(
        queue=queue,
        requester=requester,
        actor=requester,
        title=title,
        description="Прошу проверить ноутбуки новых сотрудников",
    )
    TicketFactory(
        queue=queue, requester=requester, actor=requester, title="Запуск 1С", description=""
    )
    queries = [
        "принтера", "принтеры", "бухгалтерия", "ноутбук", "сотрудника", "разговор",
        "записи", "записей", "запись", "записью", "новый сотрудник", "Записи РАЗГОВОРА",
    ]  # fmt: skip
    assert {query: found(agent, query) for query in queries} == {
        query: {title} for query in queries
    }


def test_a_short_word_is_found_on_every_engine(queue, requester, agent):
    for title in ("Не запускается 1С", "Нет звука"):
        TicketFactory(
            queue=queue, requester=requester, actor=requester, title=title, description=""
        )
    assert found(agent, "1с") == {"Не запускается 1С"}
    assert lemmas.normalise("1С ПК") == "1с_ пк_"
