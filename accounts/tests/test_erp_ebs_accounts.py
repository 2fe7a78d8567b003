"""What EBS does to an account, as the sign-in page sees it: locks, expired and reset
passwords, single sign-on users, the failure limit Helpdesk must stay below, and the
profile details EBS gives (middle name, department in the user's language)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.erp import ERPUnavailable
from accounts.erp_failures import (
    TooManyFailures,
    erp_check_reserve,
    erp_check_settle,
    erp_failures_prune,
)
from accounts.models import ERPLoginFailure, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ERP_PASSWORD = "Welcome#2026"


def sign_in(client, username, password=ERP_PASSWORD, **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **extra
    )


def error_codes(response) -> list[str]:
    return [error.code for error in response.context["form"].non_field_errors().as_data()]


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def ebs(fake_erp, settings):
    """The fake EBS with SIGNON_PASSWORD_FAILURE_LIMIT 3; Helpdesk's own lockout out of
    the way, so only the EBS guard is seen."""
    settings.AXES_FAILURE_LIMIT = 1000
    fake_erp.set_failure_limit(3)
    return fake_erp


# --- account states ------------------------------------------------------------------------


def test_a_locked_ebs_account_is_named_locked_and_ebs_is_not_asked(client, ebs):
    ebs.add("LOCKED", "INVALID")  # what EBS stores for a locked account

    response = sign_in(client, "locked")

    assert error_codes(response) == ["erp_locked"]
    assert "учётная запись EBS заблокирована" in page_text(response)
    assert ebs.reload()["users"]["LOCKED"]["checks"] == 0
    assert not User.objects.filter(erp_username="LOCKED").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"password_date": None},  # reset by an administrator: must change at next logon
        {"password_date": "past", "password_lifespan_days": 90},
        {"password_lifespan_accesses": 30, "password_accesses_left": 0},
    ],
    ids=["reset-by-admin", "lifespan-days", "no-accesses-left"],
)
def test_an_expired_or_reset_password_is_refused_with_what_to_do(client, ebs, fields):
    if fields.get("password_date") == "past":
        fields["password_date"] = timezone.localdate() - dt.timedelta(days=91)
    ebs.add("OLDPASS", ERP_PASSWORD, **fields)

    response = sign_in(client, "oldpass")

    assert error_codes(response) == ["erp_password_expired"]
    assert "Смените его в EBS" in page_text(response)
    assert not User.objects.filter(erp_username="OLDPASS").exists()


def test_an_expired_password_given_wrong_is_just_wrong(client, ebs):
    ebs.add("OLDPASS", ERP_PASSWORD, password_date=None)

    assert error_codes(sign_in(client, "oldpass", "guess")) == ["invalid_login"]


def test_a_password_expiring_later_signs_in(client, ebs):
    ebs.add("FRESH", ERP_PASSWORD, password_lifespan_days=90)

    assert sign_in(client, "fresh").status_code == 302


@pytest.mark.parametrize(
    "fields",
    [{"user_guid": "F9374D4B80AB1A86E034080020B2612C"}, {"password": "EXTERNAL"}],
    ids=["user-guid", "external-password"],
)
def test_single_sign_on_users_are_told_this_page_cannot_check_them(client, ebs, fields):
    ebs.add("SSOUSER", fields.pop("password", ERP_PASSWORD), **fields)

    response = sign_in(client, "ssouser")

    assert error_codes(response) == ["erp_external"]
    assert "единый вход" in page_text(response)
    assert ebs.reload()["users"]["SSOUSER"]["checks"] == 0


# --- the EBS failure limit --------------------------------------------------------------------


def test_helpdesk_never_locks_an_ebs_account(client, ebs):
    ebs.add("IVANOV", ERP_PASSWORD)

    responses = [sign_in(client, "ivanov", f"guess{n}") for n in range(10)]

    entry = ebs.reload()["users"]["IVANOV"]
    assert entry["password"] != "INVALID", "EBS locked the account"
    assert entry["failed_logins"] == 2  # one fewer than SIGNON_PASSWORD_FAILURE_LIMIT
    assert [error_codes(r) for r in responses[:2]] == [["invalid_login"]] * 2
    assert {tuple(error_codes(r)) for r in responses[2:]} == {("erp_failure_limit",)}
    # Even the right password is not checked now: the guard cannot know it is right.
    assert error_codes(sign_in(client, "ivanov")) == ["erp_failure_limit"]
    assert ebs.reload()["users"]["IVANOV"]["checks"] == 2


def test_the_refusal_says_until_when(client, ebs):
    ebs.add("IVANOV", ERP_PASSWORD)
    sign_in(client, "ivanov", "guess")
    sign_in(client, "ivanov", "guess")
    first = ERPLoginFailure.objects.filter(username="IVANOV").order_by("at").first()
    assert first is not None

    response = sign_in(client, "ivanov")

    with translation.override("ru"):
        until = formats.date_format(
            timezone.localtime(first.at + dt.timedelta(hours=24)), "DATETIME_FORMAT"
        )
    assert until in page_text(response)
    assert "не будет проверять пароль этой учётной записи" in page_text(response)


def test_checks_resume_when_the_failures_leave_the_window(client, ebs):
    ebs.add("IVANOV", ERP_PASSWORD)
    sign_in(client, "ivanov", "guess")
    sign_in(client, "ivanov", "guess")

    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        response = sign_in(client, "ivanov")

    assert response.status_code == 302


def test_a_right_password_does_not_use_up_a_failure(client, ebs):
    ebs.add("IVANOV", ERP_PASSWORD)

    sign_in(client, "ivanov")
    client.post(reverse("accounts:logout"))
    sign_in(client, "ivanov", "guess")

    assert ERPLoginFailure.objects.filter(username="IVANOV").count() == 1


def test_unknown_users_and_erp_outages_count_no_failure(client, ebs):
    sign_in(client, "nobody", "guess")
    ebs.set_down()
    sign_in(client, "ivanov", "guess")

    assert not ERPLoginFailure.objects.exists()


def test_a_limit_of_one_means_no_password_is_ever_checked(client, ebs):
    ebs.set_failure_limit(1)
    ebs.add("IVANOV", ERP_PASSWORD)

    response = sign_in(client, "ivanov")

    assert error_codes(response) == ["erp_no_checks"]
    assert ebs.reload()["users"]["IVANOV"]["checks"] == 0


def test_without_an_ebs_limit_nothing_is_counted(client, ebs):
    ebs.set_failure_limit(None)
    ebs.add("IVANOV", ERP_PASSWORD)

    for _attempt in range(4):
        assert error_codes(sign_in(client, "ivanov", "guess")) == ["invalid_login"]
    assert not ERPLoginFailure.objects.exists()


def test_reservations_keep_concurrent_checks_below_the_limit():
    first = erp_check_reserve(username="ivanov", limit=3)
    second = erp_check_reserve(username="IVANOV ", limit=3)
    with pytest.raises(TooManyFailures) as raised:  # both still under way
        erp_check_reserve(username="ivanov", limit=3)
    assert raised.value.failures == 2

    erp_check_settle(second, failed=False)  # that one was the right password
    erp_check_settle(first, failed=True)

    third = erp_check_reserve(username="ivanov", limit=3)
    assert ERPLoginFailure.objects.filter(username="IVANOV").count() == 2
    erp_check_settle(third, failed=False)


def test_a_gateway_error_gives_the_reservation_back(client, ebs, monkeypatch):
    from accounts.erp_fake import FakeERPGateway

    def broken(self, username, password):
        raise ERPUnavailable("call timeout", code="DPY-4024")

    monkeypatch.setattr(FakeERPGateway, "check_login", broken)
    ebs.add("IVANOV", ERP_PASSWORD)

    assert error_codes(sign_in(client, "ivanov")) == ["erp_unavailable"]
    assert not ERPLoginFailure.objects.exists()


def test_old_failures_are_pruned(settings):
    now = timezone.now()
    ERPLoginFailure.objects.create(username="A", at=now - dt.timedelta(hours=25))
    ERPLoginFailure.objects.create(username="B", at=now - dt.timedelta(hours=1))

    assert erp_failures_prune(now=now) == 1
    assert list(ERPLoginFailure.objects.values_list("username", flat=True)) == ["B"]


# --- profile details ------------------------------------------------------------------


def test_the_patronymic_is_stored_and_part_of_the_full_name(client, ebs):
    ebs.add("IVANOV", ERP_PASSWORD, first_name="Иван", middle_name="Петрович", last_name="Иванов")

    sign_in(client, "ivanov")

    user = User.objects.get(erp_username="IVANOV")
    assert user.middle_name == "Петрович"
    assert user.get_full_name() == "Иван Петрович Иванов"


@pytest.mark.parametrize(
    ("language", "department"),
    [("ru", "Бухгалтерия"), ("en", "Accounting"), (None, "Бухгалтерия")],
)
def test_the_department_is_named_in_the_users_language(client, ebs, settings, language, department):
    ebs.add("IVANOV", ERP_PASSWORD, department="Бухгалтерия", department_tl={"US": "Accounting"})
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    sign_in(client, "ivanov")

    assert User.objects.get(erp_username="IVANOV").department == department


def test_a_known_users_own_language_names_the_department(client, ebs):
    ebs.add("IVANOV", ERP_PASSWORD, department="Бухгалтерия", department_tl={"US": "Accounting"})
    UserFactory(username="ivanov", erp_username="IVANOV", language="en")
    User.objects.filter(username="ivanov").update(password="!")  # no usable password

    sign_in(client, "ivanov")

    assert User.objects.get(erp_username="IVANOV").department == "Accounting"


def test_terminated_employees_are_refused_when_the_site_says_so(client, ebs, settings):
    ebs.add("LEAVER", ERP_PASSWORD, current_worker=False)

    assert sign_in(client, "leaver").status_code == 302  # the default: FND_USER decides
    client.post(reverse("accounts:logout"))

    settings.ERP_REFUSE_TERMINATED = True
    response = sign_in(client, "leaver")

    assert error_codes(response) == ["invalid_login"]
    user = User.objects.get(erp_username="LEAVER")
    assert not user.is_active and user.erp_deactivated_at is not None


def test_technical_accounts_without_a_person_are_not_terminated(client, ebs, settings):
    settings.ERP_REFUSE_TERMINATED = True
    ebs.add("SYSADMIN", ERP_PASSWORD, current_worker=None)

    assert sign_in(client, "sysadmin").status_code == 302
