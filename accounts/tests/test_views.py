import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_home_sends_anonymous_people_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_sign_in_page_speaks_russian_by_default(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert "Войти" in response.content.decode()


def test_sign_in_and_out(client, agent):
    response = client.post(
        reverse("accounts:login"), {"username": "agent", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert agent.get_display_name() in home.content.decode()

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_a_clear_error(client, agent):
    response = client.post(
        reverse("accounts:login"), {"username": "agent", "password": "wrong"}, follow=True
    )
    assert response.status_code == 200
    assert "Неверное имя пользователя или пароль" in response.content.decode()


def test_language_switch_is_kept_in_cookie_and_account(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("accounts:set_language"), {"language": "en", "next": reverse("home")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    agent.refresh_from_db()
    assert agent.language == "en"
    page = client.get(reverse("home"))
    assert page["Content-Language"] == "en"
    assert "Sign out" in page.content.decode()


def test_account_language_wins_over_the_cookie(client, agent):
    agent.language = "en"
    agent.save()
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert client.get(reverse("home"))["Content-Language"] == "en"


def test_anonymous_language_switch_uses_the_cookie(client):
    response = client.post(reverse("accounts:set_language"), {"language": "en"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("accounts:login"))
    assert page["Content-Language"] == "en"
    assert "Sign in" in page.content.decode()


def test_unknown_language_is_a_400_with_the_field(client):
    response = client.post(reverse("accounts:set_language"), {"language": "de"})
    assert response.status_code == 400
    assert "language" in response.json()["errors"]


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post(
        reverse("accounts:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_theme_is_saved_on_the_account_and_painted_by_the_server(client, agent):
    client.force_login(agent)
    response = client.post(reverse("accounts:set_theme"), {"theme": "dark"})
    assert response.status_code == 200
    assert response.json() == {"theme": "dark"}
    agent.refresh_from_db()
    assert agent.theme == User.Theme.DARK
    page = client.get(reverse("home")).content.decode()
    assert 'data-bs-theme="dark"' in page
    assert 'data-theme-account="dark"' in page


def test_bad_theme_is_a_400_with_the_field(client, agent):
    client.force_login(agent)
    response = client.post(reverse("accounts:set_theme"), {"theme": "purple"})
    assert response.status_code == 400
    assert "theme" in response.json()["errors"]


def test_theme_needs_a_signed_in_user(client):
    assert client.post(reverse("accounts:set_theme"), {"theme": "dark"}).status_code == 401


def test_theme_and_language_only_accept_post(client, agent):
    client.force_login(agent)
    assert client.get(reverse("accounts:set_theme")).status_code == 405
    assert client.get(reverse("accounts:set_language")).status_code == 405


def test_sign_out_page_asks_before_signing_out(client, agent):
    client.force_login(agent)
    page = client.get(reverse("accounts:logout"))
    assert page.status_code == 200
    assert "Выйти из Helpdesk?" in page.content.decode()
    assert client.get(reverse("home")).status_code == 200  # still signed in
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302


def test_sign_out_page_sends_anonymous_people_to_sign_in(client):
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
