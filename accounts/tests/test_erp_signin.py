"""ERP sign-in through the sign-in page, driven by the fake ERP gateway."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from accounts.models import ResponsibilityRole, User
from accounts.roles import Role, user_role
from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ERP_PASSWORD = "Welcome#2026"


def error_codes(response) -> list[str]:
    return [error.code for error in response.context["form"].non_field_errors().as_data()]


def sign_in(client, username, password=ERP_PASSWORD, **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **extra
    )


@pytest.fixture
def ivanov(fake_erp):
    return fake_erp.add(
        "IVANOV_II",
        ERP_PASSWORD,
        first_name="Иван",
        last_name="Иванов",
        email="ivanov@example.com",
        employee_number="1001",
        department="Бухгалтерия",
        responsibilities=["XX_GL_USER"],
    )


def test_first_sign_in_creates_the_local_user_from_the_profile(client, ivanov):
    response = sign_in(client, "ivanov_ii")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(erp_username="IVANOV_II")
    assert user.username == "ivanov_ii"
    assert (user.first_name, user.last_name) == ("Иван", "Иванов")
    assert user.email == "ivanov@example.com"
    assert (user.employee_number, user.department) == ("1001", "Бухгалтерия")
    assert not user.has_usable_password(), "no ERP password may be kept locally"
    assert user.erp_last_login is not None
    assert user_role(user) == Role.REQUESTER, "unmapped responsibilities give the requester role"
    assert client.get(reverse("home")).wsgi_request.user == user


def test_second_sign_in_updates_the_profile_and_keeps_one_user(client, fake_erp, ivanov):
    sign_in(client, "IVANOV_II")
    client.post(reverse("accounts:logout"))
    fake_erp.change("IVANOV_II", department="ИТ", email="i.ivanov@example.com")

    response = sign_in(client, "Ivanov_II ")

    assert response.status_code == 302
    user = User.objects.get(erp_username="IVANOV_II")
    assert (user.department, user.email) == ("ИТ", "i.ivanov@example.com")
    assert User.objects.filter(erp_username__isnull=False).count() == 1


def test_responsibilities_map_to_roles_and_follow_changes(client, fake_erp):
    ResponsibilityRole.objects.create(responsibility_key="xx_helpdesk_agent", role=Role.AGENT)
    ResponsibilityRole.objects.create(responsibility_key="XX_HELPDESK_LEAD", role=Role.MANAGER)
    fake_erp.add("PETROV", ERP_PASSWORD, responsibilities=["XX_GL_USER", "XX_HELPDESK_AGENT"])

    sign_in(client, "petrov")
    user = User.objects.get(erp_username="PETROV")
    assert user_role(user) == Role.AGENT

    client.post(reverse("accounts:logout"))
    fake_erp.change("PETROV", responsibilities=["XX_HELPDESK_LEAD"])
    sign_in(client, "petrov")
    user = User.objects.get(erp_username="PETROV")
    assert set(user.groups.values_list("name", flat=True)) == {Role.MANAGER}


def test_roles_kept_locally_are_not_overwritten(client, fake_erp):
    ResponsibilityRole.objects.create(responsibility_key="XX_HELPDESK_AGENT", role=Role.AGENT)
    fake_erp.add("SIDOROV", ERP_PASSWORD, responsibilities=["XX_HELPDESK_AGENT"])
    UserFactory(
        username="sidorov", erp_username="SIDOROV", roles=[Role.MANAGER], roles_from_erp=False
    )

    sign_in(client, "sidorov")

    user = User.objects.get(erp_username="SIDOROV")
    assert set(user.groups.values_list("name", flat=True)) == {Role.MANAGER}


@pytest.mark.parametrize(
    "dates",
    [
        {"end_date": dt.date(2020, 1, 1)},
        {"end_date": "today"},
        {"start_date": "tomorrow"},
    ],
    ids=["end-dated", "ends-today", "not-started"],
)
def test_inactive_erp_accounts_are_refused_and_deactivated(client, fake_erp, dates):
    today = timezone.localdate()
    named = {"today": today, "tomorrow": today + dt.timedelta(days=1)}
    dates = {key: named.get(value, value) for key, value in dates.items()}
    fake_erp.add("LEFT", ERP_PASSWORD)
    sign_in(client, "left")
    client.post(reverse("accounts:logout"))
    fake_erp.change("LEFT", **{key: value.isoformat() for key, value in dates.items()})

    response = sign_in(client, "left")

    assert response.status_code == 200
    assert error_codes(response) == ["invalid_login"]
    user = User.objects.get(erp_username="LEFT")
    assert not user.is_active
    assert user.erp_deactivated_at is not None


def test_an_erp_reactivated_account_signs_in_again(client, fake_erp):
    fake_erp.add("BACK", ERP_PASSWORD, end_date="2020-01-01")
    UserFactory(username="back", erp_username="BACK", is_active=False)
    User.objects.filter(username="back").update(erp_deactivated_at=timezone.now())

    fake_erp.change("BACK", end_date=None)
    assert sign_in(client, "back").status_code == 302
    assert User.objects.get(username="back").is_active


def test_a_user_deactivated_by_hand_stays_out(client, fake_erp):
    fake_erp.add("BANNED", ERP_PASSWORD)
    UserFactory(username="banned", erp_username="BANNED", is_active=False)

    response = sign_in(client, "banned")

    assert response.status_code == 200
    assert not User.objects.get(username="banned").is_active


def test_wrong_erp_password_is_a_plain_error(client, ivanov):
    response = sign_in(client, "ivanov_ii", "wrong")

    assert response.status_code == 200
    assert error_codes(response) == ["invalid_login"]
    assert not User.objects.filter(erp_username="IVANOV_II").exists()


def test_a_local_account_with_the_same_name_is_never_taken_over(client, fake_erp):
    local = UserFactory(username="boss")
    fake_erp.add("BOSS", ERP_PASSWORD)

    assert sign_in(client, "boss").status_code == 200
    local.refresh_from_db()
    assert local.erp_username is None
    assert sign_in(client, "boss", TEST_PASSWORD).status_code == 302


def test_a_pre_created_account_is_linked_on_first_sign_in(client, fake_erp):
    pre = UserFactory(username="newcomer", roles=[Role.AGENT], roles_from_erp=False)
    pre.set_unusable_password()
    pre.save()
    fake_erp.add("NEWCOMER", ERP_PASSWORD, last_name="Новиков")

    assert sign_in(client, "newcomer").status_code == 302
    pre.refresh_from_db()
    assert (pre.erp_username, pre.last_name) == ("NEWCOMER", "Новиков")
    assert user_role(pre) == Role.AGENT


@pytest.mark.parametrize("mode", [True, "config"], ids=["unreachable", "refused"])
def test_erp_down_local_admin_signs_in_and_erp_users_are_told_why(client, fake_erp, admin, mode):
    fake_erp.add("IVANOV_II", ERP_PASSWORD)
    fake_erp.set_down(mode)

    refused = sign_in(client, "ivanov_ii")
    assert refused.status_code == 200
    assert error_codes(refused) == ["erp_unavailable"]
    assert "ERP" in refused.content.decode()

    assert sign_in(client, "admin", TEST_PASSWORD).status_code == 302


def test_the_erp_message_is_translated(client, fake_erp):
    fake_erp.set_down()
    response = sign_in(client, "someone")
    assert "ERP сейчас недоступна" in response.content.decode()


def test_without_the_flag_the_erp_is_never_asked(client, settings, fake_erp, ivanov):
    settings.AUTHENTICATION_BACKENDS = [
        b for b in settings.AUTHENTICATION_BACKENDS if not b.endswith("OracleERPBackend")
    ]
    fake_erp.set_down()  # would show the ERP message if the backend were asked

    response = sign_in(client, "ivanov_ii")

    assert error_codes(response) == ["invalid_login"]


def test_a_broken_gateway_never_reaches_the_sign_in_view(client, settings, fake_erp):
    settings.ERP_FAKE_DIRECTORY = str(fake_erp.path.parent)  # a folder: reading it fails

    response = sign_in(client, "anyone")

    assert response.status_code == 200
    assert error_codes(response) == ["erp_unavailable"]


@pytest.mark.parametrize("username", ["x" * 101, "a\tb", "line\nbreak", "bell\x07"])
def test_what_can_never_be_an_ebs_user_name_never_reaches_the_erp(client, fake_erp, username):
    fake_erp.set_down()  # any call would be seen as "ERP unavailable"
    response = sign_in(client, username)
    assert response.status_code == 200
    assert "erp_unavailable" not in error_codes(response)


@pytest.mark.parametrize("username", ["o'brien", "ivanov.ii@corp", "ПЕТРОВ_ПП", "a b", "x" * 100])
def test_user_names_ebs_allows_sign_in(client, fake_erp, username):
    fake_erp.add(username, ERP_PASSWORD)

    response = sign_in(client, username.lower())

    assert response.status_code == 302
    assert User.objects.get(erp_username=username.upper()).username == username.lower()


# --- Throttling (the rule itself: test_lockout.py) --------------------------------------


def test_wrong_erp_passwords_pause_the_name_from_that_address_only(client, settings, ivanov):
    settings.AXES_FAILURE_LIMIT = 3
    for _attempt in range(3):
        sign_in(client, "ivanov_ii", "guess")

    locked = sign_in(client, "IVANOV_II", ERP_PASSWORD)

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 60
    assert "Вход приостановлен" in locked.content.decode()
    assert not User.objects.filter(erp_username="IVANOV_II").exists()
    # The same person on another computer signs in.
    other = sign_in(client, "ivanov_ii", ERP_PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_the_pause_lifts_after_its_time(client, settings, ivanov):
    settings.AXES_FAILURE_LIMIT = 2
    for _attempt in range(2):
        sign_in(client, "ivanov_ii", "guess")
    assert sign_in(client, "ivanov_ii").status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=2))

    assert sign_in(client, "ivanov_ii").status_code == 302


def test_success_resets_the_count(client, settings, ivanov):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "ivanov_ii", "guess")
    sign_in(client, "ivanov_ii", "guess")
    assert sign_in(client, "ivanov_ii").status_code == 302
    client.post(reverse("accounts:logout"))
    sign_in(client, "ivanov_ii", "guess")
    sign_in(client, "ivanov_ii", "guess")
    assert sign_in(client, "ivanov_ii").status_code == 302


def test_success_under_another_local_name_resets_the_typed_name(client, settings, fake_erp):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="orlov", erp_username="ORLOV_OLD")
    fake_erp.add("ORLOV", ERP_PASSWORD)
    sign_in(client, "orlov", "guess")
    sign_in(client, "orlov", "guess")

    assert sign_in(client, "orlov").status_code == 302  # signs in as "orlov-2"

    assert not AccessAttempt.objects.filter(username="orlov").exists()


def test_scripts_get_json_when_locked_out(client, settings, ivanov):
    settings.AXES_FAILURE_LIMIT = 1
    sign_in(client, "ivanov_ii", "guess")
    response = sign_in(client, "ivanov_ii", HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert response.json() == {"detail": "locked_out", "retry_after_minutes": 1}


def test_the_admin_sign_in_is_throttled_too(client, settings, admin):
    settings.AXES_FAILURE_LIMIT = 2
    url = reverse("admin:login")
    for _attempt in range(2):
        client.post(url, {"username": "admin", "password": "guess"})
    assert client.post(url, {"username": "admin", "password": TEST_PASSWORD}).status_code == 429
    other = client.post(
        url, {"username": "admin", "password": TEST_PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert other.status_code == 302


def test_a_name_taken_by_another_erp_user_gets_a_number(client, fake_erp):
    UserFactory(username="orlov", erp_username="ORLOV_OLD")
    fake_erp.add("ORLOV", ERP_PASSWORD)

    assert sign_in(client, "orlov").status_code == 302
    assert User.objects.get(erp_username="ORLOV").username == "orlov-2"
