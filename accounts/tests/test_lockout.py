"""The sign-in pause: per (user name, address), growing, refused unchecked while it lasts."""

import base64
import datetime as dt
import logging

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import pause_after
from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OFFICE = "10.20.0.1"  # one NAT address for a whole office
HOME = "10.30.0.7"


def sign_in(client, username, password=TEST_PASSWORD, address=OFFICE, **extra):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def fail(client, username, times=1, address=OFFICE):
    for _attempt in range(times):
        response = sign_in(client, username, "wrong guess", address)
        assert response.status_code in (200, 429)
    return response


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def counted(username, address=OFFICE) -> int:
    return sum(
        AccessAttempt.objects.filter(username=username, ip_address=address).values_list(
            "failures_since_start", flat=True
        )
    )


def test_five_failures_for_admin_from_one_address_do_not_lock_admin_from_another(client, admin):
    response = fail(client, "admin", times=5)

    assert response.status_code == 429
    assert sign_in(client, "admin").status_code == 429, "the right password waits too"
    assert sign_in(client, "admin", address=HOME).status_code == 302


def test_failures_for_one_person_do_not_lock_another_from_the_same_address(client, admin, agent):
    fail(client, "admin", times=5)

    assert sign_in(client, "agent").status_code == 302


def test_twenty_failures_of_different_users_from_one_nat_address_do_not_lock_a_fresh_user(
    client, db
):
    names = [f"colleague{n}" for n in range(20)]
    for name in names:
        UserFactory(username=name, roles=[Role.REQUESTER])
        assert fail(client, name).status_code == 200
    UserFactory(username="newcomer", roles=[Role.REQUESTER])

    assert sign_in(client, "newcomer").status_code == 302


def test_a_user_agent_per_attempt_does_not_dodge_the_count(client, admin):
    for n in range(5):
        response = sign_in(client, "admin", "wrong guess", HTTP_USER_AGENT=f"bot/{n}")

    assert response.status_code == 429
    assert sign_in(client, "admin", HTTP_USER_AGENT="bot/9").status_code == 429


def test_each_failure_after_a_pause_takes_the_next_longer_step(client, admin, clock):
    fail(client, "admin", times=4)
    assert counted("admin") == 4  # no pause yet

    pauses = []
    for _step in range(5):
        response = fail(client, "admin")
        assert response.status_code == 429
        pauses.append(int(response["Retry-After"]))
        clock.shift(dt.timedelta(seconds=pauses[-1] - 1))
        assert sign_in(client, "admin").status_code == 429, "still paused a second before"
        clock.shift(dt.timedelta(seconds=1))

    assert pauses == [60, 5 * 60, 15 * 60, 60 * 60, 60 * 60]
    assert sign_in(client, "admin").status_code == 302
    assert counted("admin") == 0, "a success forgets the count"


def test_the_steps_come_from_the_settings(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_PAUSE_MINUTES = [2, 10]

    assert [pause_after(n) for n in range(1, 7)] == [
        None,
        None,
        dt.timedelta(minutes=2),
        dt.timedelta(minutes=10),
        dt.timedelta(minutes=10),
        dt.timedelta(minutes=10),
    ]


def test_attempts_while_paused_are_refused_unchecked_and_do_not_count(client, admin, clock):
    fail(client, "admin", times=5)
    for _attempt in range(3):
        clock.shift(dt.timedelta(seconds=10))
        assert fail(client, "admin").status_code == 429
        assert sign_in(client, "admin").status_code == 429

    assert counted("admin") == 5
    clock.shift(dt.timedelta(seconds=31))  # 60 s after the fifth failure
    assert sign_in(client, "admin").status_code == 302


def test_the_count_is_forgotten_a_day_after_the_last_failure(client, admin, clock):
    fail(client, "admin", times=4)
    clock.shift(dt.timedelta(hours=24, seconds=1))

    assert fail(client, "admin", times=4).status_code == 200
    assert counted("admin") == 4


def test_the_page_says_sign_in_is_paused_and_for_how_long(client, admin):
    response = fail(client, "admin", times=5)

    page = response.content.decode()
    assert response.status_code == 429
    assert "Вход приостановлен" in page
    assert "Попробуйте снова через 1 минуту." in page
    assert response["Retry-After"] == "60"


def test_the_page_speaks_english_too(client, admin, clock, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fail(client, "admin", times=5)
    clock.shift(dt.timedelta(seconds=61))
    response = fail(client, "admin")  # the sixth: five minutes

    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "Try again in 5 minutes." in page
    clock.shift(dt.timedelta(seconds=200))
    assert "Try again in 2 minutes." in sign_in(client, "admin").content.decode()


def test_russian_minutes_take_their_plural_forms(client, admin, clock, settings):
    settings.LOGIN_PAUSE_MINUTES = [21, 3, 60]
    fail(client, "admin", times=5)
    assert "через 21 минуту." in sign_in(client, "admin").content.decode()
    clock.shift(dt.timedelta(minutes=21, seconds=1))
    assert "через 3 минуты." in fail(client, "admin").content.decode()
    clock.shift(dt.timedelta(minutes=3, seconds=1))
    assert "через 60 минут." in fail(client, "admin").content.decode()


def test_failures_and_pauses_are_logged_with_user_and_address_never_the_password(
    client, admin, caplog
):
    caplog.set_level(logging.INFO)
    for _attempt in range(5):
        sign_in(client, "admin", "Sup3r-Secret-Guess")
    sign_in(client, "admin", TEST_PASSWORD)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("'admin'" in m and OFFICE in m and "paused for 1 min" in m for m in warnings)
    assert any("'admin'" in m and OFFICE in m and "refused" in m for m in warnings)
    assert any("'admin'" in m and OFFICE in m and "4 wrong passwords" in m for m in warnings)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "Sup3r-Secret-Guess" not in everything
    assert TEST_PASSWORD not in everything
    assert all("Sup3r" not in a.post_data for a in AccessAttempt.objects.all())


def test_a_pause_is_announced_once_committed(client, admin, django_capture_on_commit_callbacks):
    from accounts.signals import sign_in_paused

    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    sign_in_paused.connect(listener)
    try:
        fail(client, "admin", times=4)
        with django_capture_on_commit_callbacks(execute=True):
            fail(client, "admin")
        with django_capture_on_commit_callbacks(execute=True):
            sign_in(client, "admin")  # refused while paused: nothing new to say
    finally:
        sign_in_paused.disconnect(listener)

    assert len(heard) == 1
    assert heard[0]["username"] == "admin"
    assert heard[0]["ip_address"] == OFFICE
    assert heard[0]["failures"] == 5
    assert heard[0]["pause"] == dt.timedelta(minutes=1)
    assert heard[0]["account"] == admin


def test_a_failing_listener_does_not_break_the_sign_in_page(
    client, admin, django_capture_on_commit_callbacks
):
    from accounts.signals import sign_in_paused

    def broken(sender, **kwargs):
        raise RuntimeError("listener down")

    sign_in_paused.connect(broken)
    try:
        fail(client, "admin", times=4)
        with django_capture_on_commit_callbacks(execute=True):
            response = fail(client, "admin")
    finally:
        sign_in_paused.disconnect(broken)

    assert response.status_code == 429


def test_the_api_has_no_password_sign_in_to_get_around_the_pause(client, admin):
    fail(client, "admin", times=5)
    api = reverse("api-me")
    basic = base64.b64encode(f"admin:{TEST_PASSWORD}".encode()).decode()
    response = client.get(api, HTTP_AUTHORIZATION=f"Basic {basic}", REMOTE_ADDR=OFFICE)

    assert response.status_code in (401, 403)


def test_axes_asking_for_the_cool_off_gets_the_pairs_current_pause(client, admin, clock, rf):
    from axes.helpers import get_cool_off

    def asked(address=OFFICE):
        request = rf.post("/accounts/login/", {"username": "admin"}, REMOTE_ADDR=address)
        return get_cool_off(request)

    assert asked() == dt.timedelta(minutes=1), "the first step, before any pause"
    fail(client, "admin", times=5)
    assert asked() == dt.timedelta(minutes=1)
    clock.shift(dt.timedelta(minutes=2))
    fail(client, "admin")
    assert asked() == dt.timedelta(minutes=5)
    assert asked(HOME) == dt.timedelta(minutes=1)
