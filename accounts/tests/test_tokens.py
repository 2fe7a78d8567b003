"""Personal API tokens: the services, the REST API sign-in and the profile's token views."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import ApiToken
from accounts.services import (
    API_TOKENS_PER_USER,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"hd_[A-Za-z0-9_-]{20,}")


@pytest.fixture(autouse=True)
def _english():
    # Services speak the active language; assert on the English wording. Pages choose
    # their own language per request (LanguageMiddleware).
    with translation.override("en"):
        yield


def me(client, secret: str, scheme: str = "Token"):
    return client.get(
        reverse("api-me"), HTTP_AUTHORIZATION=f"{scheme} {secret}", HTTP_ACCEPT="application/json"
    )


# --- Services -----------------------------------------------------------------------------


def test_create_gives_the_secret_and_stores_only_its_hash(agent):
    token, secret = api_token_create(user=agent, name="  Reports script  ")
    token.refresh_from_db()
    assert token.name == "Reports script"
    assert secret.startswith(ApiToken.PREFIX) and secret.startswith(token.lookup)
    assert token.key_hash == ApiToken.hash(secret)
    assert secret not in (token.key_hash, token.lookup)
    assert token.is_active and token.last_used_at is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the token a name"),
        ("   ", "Give the token a name"),
        ("x" * 101, "longer than 100"),
    ],
)
def test_create_needs_a_sensible_name(agent, name, message):
    with pytest.raises(ValidationError) as error:
        api_token_create(user=agent, name=name)
    assert message in error.value.message_dict["name"][0]
    assert not ApiToken.objects.exists()


def test_names_are_unique_among_a_users_active_tokens(agent, requester):
    api_token_create(user=agent, name="CI")
    with pytest.raises(ValidationError) as error:
        api_token_create(user=agent, name=" CI ")
    assert "already have a token called “CI”" in error.value.message_dict["name"][0]
    api_token_create(user=requester, name="CI")  # another person's names do not count

    old = agent.api_tokens.get()
    api_token_revoke(user=agent, token_id=old.pk)
    api_token_create(user=agent, name="CI")  # a revoked token's name is free again
    assert agent.api_tokens.active().count() == 1


def test_active_tokens_per_user_are_capped(agent):
    for number in range(API_TOKENS_PER_USER):
        api_token_create(user=agent, name=f"token {number}")
    with pytest.raises(ValidationError, match="limit of active tokens"):
        api_token_create(user=agent, name="one too many")
    api_token_revoke(user=agent, token_id=agent.api_tokens.first().pk)
    api_token_create(user=agent, name="fits again")
    assert agent.api_tokens.active().count() == API_TOKENS_PER_USER


def test_revoke_is_idempotent_and_only_for_the_owner(agent, requester):
    token, _secret = api_token_create(user=agent, name="CI")
    with pytest.raises(ApiToken.DoesNotExist):
        api_token_revoke(user=requester, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None

    first = api_token_revoke(user=agent, token_id=token.pk).revoked_at
    assert first is not None
    assert api_token_revoke(user=agent, token_id=token.pk).revoked_at == first


def test_authenticate_finds_the_user_and_token(agent):
    token, secret = api_token_create(user=agent, name="CI")
    assert api_token_authenticate(secret) == (agent, token)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda secret: "",
        lambda secret: "not-a-token",
        lambda secret: secret[:-1] + ("A" if secret[-1] != "A" else "B"),  # right lookup
        lambda secret: secret + "x",
        lambda secret: secret[:11],
        lambda secret: secret + "x" * 500,
    ],
    ids=["empty", "garbage", "wrong-secret", "longer", "lookup-only", "huge"],
)
def test_authenticate_refuses_wrong_secrets(agent, mangle):
    _token, secret = api_token_create(user=agent, name="CI")
    assert api_token_authenticate(mangle(secret)) is None


def test_authenticate_refuses_revoked_tokens_and_inactive_users(agent, requester):
    token, secret = api_token_create(user=agent, name="CI")
    api_token_revoke(user=agent, token_id=token.pk)
    assert api_token_authenticate(secret) is None

    _token, other = api_token_create(user=requester, name="CI")
    requester.is_active = False
    requester.save()
    assert api_token_authenticate(other) is None


def test_last_use_is_written_at_most_once_a_minute(agent, django_assert_max_num_queries):
    token, secret = api_token_create(user=agent, name="CI")
    with django_assert_max_num_queries(2):  # the token with its user, one UPDATE
        api_token_authenticate(secret)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)

    with django_assert_max_num_queries(1):  # within the minute: read only
        api_token_authenticate(secret)
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    with django_assert_max_num_queries(2):
        api_token_authenticate(secret)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


# --- REST API sign-in -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "bearer"])
def test_api_accepts_the_token_in_both_schemes(client, agent, scheme):
    _token, secret = api_token_create(user=agent, name="CI")
    response = me(client, secret, scheme)
    assert response.status_code == 200
    assert response.json()["username"] == "agent"


def test_api_token_requests_do_not_start_a_session(client, agent):
    _token, secret = api_token_create(user=agent, name="CI")
    assert me(client, secret).status_code == 200
    assert client.get(reverse("api-me")).status_code == 403  # no header, no session


@pytest.mark.parametrize(
    "header",
    ["Token hd_wrong", "Bearer hd_wrong", "Token", "Token two parts", "Bearer caf\xe9"],
)
def test_api_answers_bad_tokens_with_401_and_the_scheme(client, agent, header):
    response = client.get(
        reverse("api-me"), HTTP_AUTHORIZATION=header, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]


def test_api_answers_a_revoked_token_with_401(client, agent):
    token, secret = api_token_create(user=agent, name="CI")
    assert me(client, secret).status_code == 200
    api_token_revoke(user=agent, token_id=token.pk)
    response = me(client, secret)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_api_401_message_follows_the_language(client):
    assert me(client, "hd_wrong")["Content-Language"] == "ru"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = me(client, "hd_wrong")
    assert response["Content-Language"] == "en"
    assert response.json()["detail"] == "The API token is not valid or has been revoked."


def test_other_authorization_schemes_are_left_alone(client):
    response = client.get(
        reverse("api-me"), HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403  # not authenticated, as without a header


def test_the_session_still_works_beside_tokens(client, agent):
    client.force_login(agent)
    assert client.get(reverse("api-me")).json()["username"] == "agent"


@pytest.mark.parametrize("header", ["Token hd_wrong", "Bearer hd_wrong", "Token"])
def test_a_presented_token_is_judged_alone_even_beside_a_session(client, agent, header):
    client.force_login(agent)
    response = client.get(
        reverse("api-me"), HTTP_AUTHORIZATION=header, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_valid_token_beside_another_persons_session_acts_as_the_token(client, agent, requester):
    _token, secret = api_token_create(user=requester, name="CI")
    client.force_login(agent)
    assert me(client, secret).json()["username"] == "requester"


# --- Throttling wrong tokens --------------------------------------------------------------


@pytest.fixture
def failure_limit(settings):
    settings.API_TOKEN_FAILURE_LIMIT = 3
    settings.API_TOKEN_FAILURE_WINDOW = 60
    return 3


def me_from(client, secret: str, address: str):
    return client.get(
        reverse("api-me"),
        HTTP_AUTHORIZATION=f"Token {secret}",
        HTTP_ACCEPT="application/json",
        REMOTE_ADDR=address,
    )


def test_wrong_tokens_from_one_address_are_throttled(client, agent, failure_limit):
    _token, secret = api_token_create(user=agent, name="CI")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(failure_limit):
            assert me_from(client, "hd_wrong", "10.0.0.1").status_code == 401

        refused = me_from(client, "hd_wrong", "10.0.0.1")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "60"
        assert refused["Content-Language"] == "ru"
        assert refused.json()["detail"] == (
            "С вашего адреса прислано слишком много неверных API-токенов. "
            "Повторите через 60 секунд."
        )
        # A right token from there waits too (or the answers would tell right from wrong);
        # other addresses are not affected.
        assert me_from(client, secret, "10.0.0.1").status_code == 429
        assert me_from(client, secret, "10.0.0.2").status_code == 200
        assert me_from(client, "hd_wrong", "10.0.0.2").status_code == 401

        traveller.shift(timedelta(seconds=45))
        assert me_from(client, secret, "10.0.0.1")["Retry-After"] == "15"
        traveller.shift(timedelta(seconds=16))
        assert me_from(client, secret, "10.0.0.1").status_code == 200
        assert me_from(client, "hd_wrong", "10.0.0.1").status_code == 401


def test_the_window_counts_from_the_first_failure(client, agent, failure_limit):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        me_from(client, "hd_wrong", "10.0.0.1")
        traveller.shift(timedelta(seconds=59))
        me_from(client, "hd_wrong", "10.0.0.1")
        traveller.shift(timedelta(seconds=2))  # the first window is over: a fresh count
        for _ in range(failure_limit):
            assert me_from(client, "hd_wrong", "10.0.0.1").status_code == 401
        assert me_from(client, "hd_wrong", "10.0.0.1").status_code == 429


def test_successes_and_sessions_are_not_counted(client, agent, failure_limit):
    _token, secret = api_token_create(user=agent, name="CI")
    for _ in range(failure_limit * 2):
        assert me_from(client, secret, "10.0.0.1").status_code == 200
    for _ in range(failure_limit - 1):
        me_from(client, "hd_wrong", "10.0.0.1")
    assert me_from(client, secret, "10.0.0.1").status_code == 200
    # A session without a token is not a token attempt.
    client.force_login(agent)
    for _ in range(failure_limit + 1):
        response = client.get(reverse("api-me"), REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 200


# --- Profile page: creating, listing and revoking ----------------------------------------


def test_a_new_tokens_secret_is_shown_once(client, agent):
    client.force_login(agent)
    response = client.post(reverse("accounts:token_create"), {"name": "Reports script"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile") + "#api-tokens"
    assert "hd_" not in response["Location"]

    page = client.get(reverse("accounts:profile"))
    html = page.content.decode()
    assert 'data-testid="new-token"' in html
    secrets = SECRET.findall(html)
    assert len(set(secrets)) == 1
    token = agent.api_tokens.get()
    assert token.key_hash == ApiToken.hash(secrets[0])
    assert "no-store" in page["Cache-Control"]

    again = client.get(reverse("accounts:profile")).content.decode()
    assert secrets[0] not in again
    assert 'data-testid="new-token"' not in again
    assert f"{token.lookup}…" in again  # still listed, by its first characters


def test_the_new_token_warning_says_it_is_shown_once(client, agent):
    agent.language = "en"
    agent.save()
    client.force_login(agent)
    client.post(reverse("accounts:token_create"), {"name": "CI"})
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "it will not be shown again" in html
    assert "data-copy-target" in html


def test_token_name_errors_show_on_the_form(client, agent):
    client.force_login(agent)
    api_token_create(user=agent, name="CI")
    response = client.post(reverse("accounts:token_create"), {"name": "CI"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field-error="name"' in html
    assert "is-invalid" in html
    assert not SECRET.search(html)
    assert agent.api_tokens.count() == 1

    response = client.post(reverse("accounts:token_create"), {"name": ""})
    assert response.status_code == 200
    assert 'data-field-error="name"' in response.content.decode()


def test_the_token_cap_shows_above_the_form(client, agent):
    for number in range(API_TOKENS_PER_USER):
        api_token_create(user=agent, name=f"token {number}")
    client.force_login(agent)
    response = client.post(reverse("accounts:token_create"), {"name": "one too many"})
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()
    assert agent.api_tokens.count() == API_TOKENS_PER_USER


def test_revoking_from_the_profile(client, agent):
    token, secret = api_token_create(user=agent, name="CI")
    client.force_login(agent)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile") + "#api-tokens"
    token.refresh_from_db()
    assert token.revoked_at is not None
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f'data-api-token="{token.pk}"' not in page
    assert 'data-testid="api-tokens-empty"' in page
    assert api_token_authenticate(secret) is None


def test_another_persons_token_cannot_be_revoked(client, agent, requester):
    token, _secret = api_token_create(user=requester, name="CI")
    client.force_login(agent)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[999999])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(client, agent):
    token, _secret = api_token_create(user=agent, name="CI")
    client.force_login(agent)
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    assert client.get(reverse("accounts:token_create")).status_code == 405


def test_other_peoples_tokens_are_not_listed(client, agent, requester):
    mine, _secret = api_token_create(user=agent, name="Mine")
    theirs, _secret = api_token_create(user=requester, name="Someone else’s")
    client.force_login(agent)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert f'data-api-token="{mine.pk}"' in html
    assert f'data-api-token="{theirs.pk}"' not in html
    assert theirs.lookup not in html


def test_token_views_need_sign_in_and_csrf(agent):
    anonymous = Client()
    response = anonymous.post(reverse("accounts:token_create"), {"name": "CI"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(reverse("accounts:token_create"), {"name": "CI"}).status_code == 403
    token, _secret = api_token_create(user=agent, name="CI")
    assert strict.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert agent.api_tokens.count() == 1


def test_a_token_made_on_the_profile_works_with_the_api(client):
    person = UserFactory(username="scripter")
    client.force_login(person)
    client.post(reverse("accounts:token_create"), {"name": "CI"})
    found = SECRET.search(client.get(reverse("accounts:profile")).content.decode())
    assert found is not None
    secret = found.group()
    api = Client()
    assert me(api, secret, "Bearer").json()["username"] == "scripter"
