"""Paused sign-ins reach the account's owner and the administrators, through every channel."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from notifications.models import Channel, Delivery, Event, Notification
from notifications.text import as_message

pytestmark = pytest.mark.django_db

OFFICE = "10.20.0.1"
HOME = "10.30.0.7"


def fail(username, times, address=OFFICE):
    browser = Client()
    for _attempt in range(times):
        response = browser.post(
            reverse("accounts:login"),
            {"username": username, "password": "wrong guess"},
            REMOTE_ADDR=address,
        )
    return response


@pytest.fixture
def owner(db):
    return UserFactory(username="ivanov", roles=[Role.REQUESTER], language="ru")


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def notices():
    return list(
        Notification.objects.filter(event=Event.SIGN_IN_PAUSED)
        .select_related("recipient")
        .order_by("recipient__username", "pk")
    )


def test_a_pause_tells_the_owner_and_the_administrators(
    owner, admin, django_capture_on_commit_callbacks
):
    fail("ivanov", 4)
    assert notices() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert fail("IVANOV", 1).status_code == 429

    to_admin, to_owner = notices()
    assert (to_admin.recipient, to_owner.recipient) == (admin, owner)
    assert to_owner.ticket is None and to_owner.actor is None
    assert to_owner.params == {
        "username": "ivanov",
        "address": OFFICE,
        "failures": 5,
        "minutes": 1,
        "for_admin": False,
        "erp": False,
    }
    assert to_admin.params["for_admin"] is True
    # In the app, as push and by e-mail unless the person switched it off.
    channels = set(Delivery.objects.filter(notification=to_owner).values_list("channel", flat=True))
    assert channels == {Channel.WS, Channel.PUSH, Channel.EMAIL}


def test_the_words_and_links_for_owner_and_administrator(
    owner, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail("ivanov", 5)
    to_admin, to_owner = notices()

    owner_message = as_message(to_owner, language="ru")
    assert owner_message["title"] == (
        f"Вход в вашу учётную запись с адреса {OFFICE} приостановлен на 1 мин. "
        "после 5 неверных паролей"
    )
    assert owner_message["url"] == reverse("accounts:profile")
    assert owner_message["ticket"] == ""
    assert "смените пароль" in owner_message["body"]

    admin_message = as_message(to_admin, language="en")
    assert admin_message["title"] == (
        f"Signing in as ivanov from {OFFICE} is paused for 1 min after 5 wrong passwords"
    )
    assert admin_message["url"] == (
        reverse("admin:accounts_signinlockout_changelist") + f"?q={OFFICE}"
    )


def test_the_mail_needs_no_ticket(owner, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fail("ivanov", 5)

    by_recipient = {message.to[0]: message for message in mail.outbox}
    to_owner = by_recipient[owner.email]
    assert to_owner.subject.startswith("Вход в вашу учётную запись")
    assert "/accounts/profile/" in to_owner.body
    assert "In-Reply-To" not in to_owner.extra_headers
    assert "X-Helpdesk-Ticket" not in to_owner.extra_headers
    assert "кто-то пытался войти в вашу учётную запись" in to_owner.body
    to_admin = by_recipient[admin.email]
    assert "/admin/accounts/signinlockout/" in to_admin.body


def test_at_most_one_notice_an_hour_per_account_and_per_address(
    owner, admin, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail("ivanov", 5)
        clock.shift(dt.timedelta(minutes=2))
        fail("ivanov", 1)  # the next, longer pause: same hour
        fail("ivanov", 5, address=HOME)  # another address: the administrators hear of it
    assert [(n.recipient.username, n.params["address"]) for n in notices()] == [
        ("admin", OFFICE),
        ("admin", HOME),
        ("ivanov", OFFICE),
    ]

    clock.shift(dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        fail("ivanov", 1)
    assert len(notices()) == 5


def test_an_unknown_name_tells_only_the_administrators(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fail("nobody", 5)

    assert [n.recipient for n in notices()] == [admin]


def test_an_erp_account_is_found_by_its_erp_name_and_told_to_change_that_password(
    admin, django_capture_on_commit_callbacks
):
    erp_user = UserFactory(username="orlov-2", erp_username="ORLOV", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        fail("orlov", 5)

    to_owner = Notification.objects.get(recipient=erp_user)
    assert to_owner.params["erp"] is True
    assert "ERP password" in as_message(to_owner)["body"]


def test_a_switched_off_channel_is_respected(owner, django_capture_on_commit_callbacks):
    from notifications.services import preferences_set

    preferences_set(user=owner, changes={(Event.SIGN_IN_PAUSED, Channel.EMAIL): False})
    with django_capture_on_commit_callbacks(execute=True):
        fail("ivanov", 5)

    channels = set(Delivery.objects.values_list("channel", flat=True))
    assert channels == {Channel.WS, Channel.PUSH}
    assert mail.outbox == []


def test_the_notice_is_listed_by_the_api(client, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fail("ivanov", 5)
    client.force_login(owner)

    result = client.get(reverse("api-notifications"), HTTP_ACCEPT_LANGUAGE="en").json()

    (item,) = result["results"]
    assert item["event"] == "sign_in_paused"
    assert item["url"] == "/accounts/profile/"
    assert item["ticket"] == ""
