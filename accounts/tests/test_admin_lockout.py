"""The admin's sign-in lockouts: who is paused, until when; clearing lifts the pause."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_signinlockout_changelist"


def fail(client, username, times, address):
    for _attempt in range(times):
        client.post(
            reverse("accounts:login"),
            {"username": username, "password": "wrong guess"},
            REMOTE_ADDR=address,
        )


@pytest.fixture
def operator(client, admin):
    """The administrator's own browser (a client separate from the failing sign-ins)."""
    from django.test import Client

    browser = Client()
    browser.force_login(admin)
    return browser


def test_the_list_shows_pauses_in_russian(client, operator, db):
    UserFactory(username="ivanov", roles=[Role.REQUESTER])
    fail(client, "ivanov", 5, "10.1.1.1")
    fail(client, "petrov", 2, "10.1.1.2")

    page = operator.get(reverse(CHANGELIST)).content.decode()

    assert "<h1>Блокировки входа</h1>" in page
    assert "приостановлен до" in page
    assert "до паузы осталось 3 неверных пароля" in page
    assert "Снять выбранные блокировки" in page
    paused = operator.get(reverse(CHANGELIST), {"paused": "yes"}).content.decode()
    assert "10.1.1.1" in paused and "10.1.1.2" not in paused
    calm = operator.get(reverse(CHANGELIST), {"paused": "no"}).content.decode()
    assert "10.1.1.2" in calm and "10.1.1.1" not in calm


def test_the_list_costs_the_same_queries_for_many_lockouts(
    client, operator, django_assert_num_queries
):
    fail(client, "one", 5, "10.2.0.1")
    with CaptureQueriesContext(connection) as first:
        operator.get(reverse(CHANGELIST))
    queries = len(first.captured_queries)  # read now: the next request clears the log
    for n in range(6):
        fail(client, f"user{n}", 5, f"10.2.1.{n}")
        client.post(
            reverse("accounts:login"),
            {"username": f"user{n}", "password": "x"},
            REMOTE_ADDR=f"10.2.1.{n}",
            HTTP_USER_AGENT="another browser",
        )
    with django_assert_num_queries(queries):
        operator.get(reverse(CHANGELIST))


def test_clearing_lifts_the_pause_of_every_browser_of_the_pair(client, operator, db):
    UserFactory(username="ivanov", roles=[Role.REQUESTER])
    fail(client, "ivanov", 5, "10.1.1.1")
    client.post(
        reverse("accounts:login"),
        {"username": "ivanov", "password": "x"},
        REMOTE_ADDR="10.1.1.1",
        HTTP_USER_AGENT="another browser",
    )
    fail(client, "sidorov", 5, "10.1.1.3")
    fail(client, "petrov", 1, "10.1.1.2")
    first = AccessAttempt.objects.filter(username="ivanov").order_by("pk").first()
    sidorov = AccessAttempt.objects.get(username="sidorov")

    response = operator.post(
        reverse(CHANGELIST),
        {"action": "clear_lockouts", "_selected_action": [first.pk, sidorov.pk]},
        follow=True,
    )

    assert "Сняты 2 блокировки." in response.content.decode()
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["petrov"]
    assert AccessFailureLog.objects.filter(username="ivanov").exists(), "the record stays"
    signed_in = client.post(
        reverse("accounts:login"),
        {"username": "ivanov", "password": TEST_PASSWORD},
        REMOTE_ADDR="10.1.1.1",
    )
    assert signed_in.status_code == 302


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (1, "Снята 1 блокировка."),
        (3, "Сняты 3 блокировки."),
        (5, "Снято 5 блокировок."),
    ],
)
def test_the_message_takes_the_russian_plural_form(client, operator, count, message):
    for n in range(count):
        fail(client, f"user{n}", 1, f"10.3.0.{n}")

    response = operator.post(
        reverse(CHANGELIST),
        {
            "action": "clear_lockouts",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )

    assert message in response.content.decode()


def test_deleting_one_row_clears_its_pair(client, operator):
    fail(client, "ivanov", 5, "10.1.1.1")
    client.post(
        reverse("accounts:login"),
        {"username": "ivanov", "password": "x"},
        REMOTE_ADDR="10.1.1.1",
        HTTP_USER_AGENT="another browser",
    )
    row = AccessAttempt.objects.order_by("pk").first()

    operator.post(reverse("admin:accounts_signinlockout_delete", args=[row.pk]), {"post": "yes"})

    assert not AccessAttempt.objects.exists()


def test_the_failure_record_is_listed_read_only(client, operator):
    fail(client, "ivanov", 6, "10.1.1.1")

    page = operator.get(reverse("admin:accounts_failedsignin_changelist")).content.decode()

    assert "Неудачные входы" in page
    assert "10.1.1.1" in page
    assert operator.get(reverse("admin:accounts_failedsignin_add")).status_code == 403


def test_only_administrators_see_the_lockouts(client, db):
    manager = UserFactory(username="boss", roles=[Role.MANAGER], is_staff=True)
    client.force_login(manager)
    assert client.get(reverse(CHANGELIST)).status_code == 403
