"""The admin in Russian: app and model names translated, sentences that agree with the
noun whatever its gender, counts in the form their number asks for (issue 19, item 17)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from integrations.models import SyncRun
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, admin):
    admin.language = "ru"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_index_names_third_party_apps_and_models_in_russian(operator):
    html = page(operator, reverse("admin:index"))
    for name in ("Push-уведомления", "Push-подписки", "Периодические задачи", "Разовые расписания"):
        assert name in html
    for english in ("Webpush", "Push informations", "Периодические Задачи", "Время<"):
        assert english not in html


def test_permissions_name_third_party_apps_in_russian(operator):
    # Axes has no admin pages here; its names show in the permission pickers.
    html = page(operator, reverse("admin:auth_group_add"))
    assert "Попытки входа (Axes) | попытка входа" in html
    assert "Push-уведомления | подписка браузера" in html
    assert "Axes | " not in html
    assert "Webpush | " not in html


def test_the_change_page_title_agrees_with_a_feminine_noun(operator, queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester, actor=requester)
    html = page(operator, reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert "<h1>Изменение: заявка</h1>" in html
    assert "Изменить заявка" not in html
    assert "<h1>Добавление: метка</h1>" in page(operator, reverse("admin:tickets_tag_add"))


def test_the_added_message_has_no_gendered_verb(operator):
    response = operator.post(reverse("admin:tickets_tag_add"), {"name": "принтер"})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Добавлено: метка «")
    assert "был" not in message


@pytest.mark.parametrize(
    ("runs", "line"),
    [
        (0, "0 запусков синхронизации"),
        (1, "1 запуск синхронизации"),
        (3, "3 запуска синхронизации"),
        (5, "5 запусков синхронизации"),
    ],
)
def test_the_change_list_counts_in_the_right_form(operator, runs, line):
    for _number in range(runs):
        SyncRun.objects.create(kind=SyncRun.Kind.ERP_DIRECTORY, started_at=timezone.now())
    html = page(operator, reverse("admin:integrations_syncrun_changelist"))
    assert line in html
    assert "запуски синхронизации\n" not in html


def test_a_list_without_its_own_phrase_counts_with_a_colon(operator):
    html = page(operator, reverse("admin:tickets_savedview_changelist"))
    assert "Сохранённые виды: 0" in html
