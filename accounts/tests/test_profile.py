"""The profile page: personal details, preferences, password, sections of other apps."""

import copy

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.profile_sections import register_section, unregister_section
from accounts.services import ProfileLocked, user_set_preferences, user_update_profile
from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
PASSWORD = reverse("accounts:password_change")


@pytest.fixture
def erp_user(db):
    user = UserFactory(
        username="ivanov",
        erp_username="IVANOV",
        first_name="Иван",
        last_name="Иванов",
        email="ivanov@example.com",
        department="Бухгалтерия",
        employee_number="00042",
        erp_last_login=timezone.now(),
    )
    user.set_unusable_password()
    user.save()
    return user


def form_data(user: User, **changes) -> dict:
    data = {
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language or "ru",
        "theme": user.theme,
    }
    if user.sound_enabled:
        data["sound_enabled"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- Services -----------------------------------------------------------------------------


def test_sound_is_a_preference_written_only_when_changed(agent, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        user_set_preferences(user=agent, sound_enabled=False)
    agent.refresh_from_db()
    assert agent.sound_enabled is False
    with django_assert_max_num_queries(0):
        user_set_preferences(user=agent, sound_enabled=False, theme="auto")
    with pytest.raises(ValueError, match="sound_enabled"):
        # A caller that ignores the annotation gets a ValueError.
        user_set_preferences(user=agent, sound_enabled="yes")  # type: ignore[arg-type]


def test_a_local_user_changes_names_and_email(agent, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        user_update_profile(
            user=agent, display_name=" Ваня ", first_name="Иван", email="ivan@example.com"
        )
    agent.refresh_from_db()
    assert (agent.display_name, agent.first_name, agent.email) == (
        "Ваня",
        "Иван",
        "ivan@example.com",
    )
    with django_assert_max_num_queries(0):
        user_update_profile(user=agent, display_name="Ваня")


def test_the_erp_owns_an_erp_users_name_and_email(erp_user):
    with pytest.raises(ProfileLocked) as error:
        user_update_profile(user=erp_user, first_name="Пётр", email="petr@example.com")
    assert error.value.fields == ["first_name", "email"]
    assert isinstance(error.value, ValueError)
    erp_user.refresh_from_db()
    assert (erp_user.first_name, erp_user.email) == ("Иван", "ivanov@example.com")
    # The values it already has are no change; the display name is the person's own.
    user_update_profile(user=erp_user, first_name="Иван", display_name="Ваня")
    erp_user.refresh_from_db()
    assert erp_user.display_name == "Ваня"


def test_the_service_checks_email_and_lengths(agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        user_update_profile(user=agent, email="not an address", display_name="x" * 151)
    assert set(error.value.message_dict) == {"email", "display_name"}


# --- The page ---------------------------------------------------------------------------


def test_the_profile_needs_sign_in(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_profile_speaks_russian_by_default(client, agent):
    client.force_login(agent)
    response = client.get(PROFILE, HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert "Выйти" in html
    for text in ("Личные данные", "Настройки", "Токены API", "У вас пока нет токенов API."):
        assert text in html
    for anchor in ("details", "preferences", "password", "api-tokens"):
        assert f'id="{anchor}"' in html


def test_the_profile_in_english(client, agent):
    agent.language = "en"
    agent.save()
    client.force_login(agent)
    response = client.get(PROFILE)
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert '<html lang="en"' in html
    for text in ("Personal details", "Preferences", "Password", "API tokens", "Profile"):
        assert text in html
    assert "You have no API tokens yet." in html


def test_the_user_menu_links_to_the_profile(client, agent):
    client.force_login(agent)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{PROFILE}"' in html


def test_a_local_user_edits_personal_details(client, agent):
    client.force_login(agent)
    response = client.post(
        PROFILE,
        form_data(
            agent, display_name="Ваня", first_name="Иван", last_name="Петров", email="i@ex.com"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    agent.refresh_from_db()
    assert (agent.display_name, agent.first_name, agent.last_name, agent.email) == (
        "Ваня",
        "Иван",
        "Петров",
        "i@ex.com",
    )
    page = client.get(PROFILE).content.decode()
    assert 'class="alert alert-success' in page
    assert 'value="Петров"' in page


def test_an_erp_user_sees_erp_details_read_only(client, erp_user):
    client.force_login(erp_user)
    html = client.get(PROFILE).content.decode()
    assert 'data-testid="erp-note"' in html
    assert "IVANOV" in html and "Бухгалтерия" in html and "00042" in html
    assert 'name="display_name"' in html
    for name in ("first_name", "last_name", "email"):
        assert f'name="{name}"' not in html


def test_an_erp_user_cannot_change_name_or_email_even_by_forging_the_form(client, erp_user):
    client.force_login(erp_user)
    forged = form_data(
        erp_user, display_name="Ваня", first_name="Пётр", last_name="Петров", email="p@evil.com"
    )
    response = client.post(PROFILE, forged)
    assert response.status_code == 302
    erp_user.refresh_from_db()
    assert erp_user.display_name == "Ваня"
    assert (erp_user.first_name, erp_user.last_name, erp_user.email) == (
        "Иван",
        "Иванов",
        "ivanov@example.com",
    )


def test_a_bad_email_is_a_field_error(client, agent):
    client.force_login(agent)
    response = client.post(PROFILE, form_data(agent, email="not an address"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field-error="email"' in html
    assert "is-invalid" in html
    agent.refresh_from_db()
    assert agent.email == "agent@example.com"


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", "x" * 151), ("theme", "purple"), ("language", "de")],
)
def test_other_bad_values_are_field_errors(client, agent, field, value):
    client.force_login(agent)
    response = client.post(PROFILE, form_data(agent, **{field: value}))
    assert response.status_code == 200
    assert f'data-field-error="{field}"' in response.content.decode()


def test_preferences_are_saved(client, agent):
    client.force_login(agent)
    response = client.post(PROFILE, form_data(agent, theme="dark", sound_enabled=None))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.theme, agent.sound_enabled, agent.language) == ("dark", False, "ru")
    page = client.get(PROFILE)
    assert 'data-theme-account="dark"' in page.content.decode()
    form = page.context["profile_form"]
    assert form["sound_enabled"].value() is False
    assert form["theme"].value() == "dark"

    client.post(PROFILE, form_data(agent, sound_enabled="on"))
    agent.refresh_from_db()
    assert agent.sound_enabled is True


def test_a_language_change_shows_on_the_next_page(client, agent):
    client.force_login(agent)
    response = client.post(PROFILE, form_data(agent, language="en"))
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    agent.refresh_from_db()
    assert agent.language == "en"
    page = client.get(PROFILE)
    assert page["Content-Language"] == "en"
    html = page.content.decode()
    assert '<html lang="en"' in html
    assert "Profile saved." in html  # said in the language just chosen


def test_the_profile_form_needs_csrf(agent):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(PROFILE, form_data(agent, theme="dark")).status_code == 403
    agent.refresh_from_db()
    assert agent.theme == "auto"


# --- Password -----------------------------------------------------------------------------


def test_a_local_user_changes_the_password(client, agent):
    client.force_login(agent)
    response = client.post(
        PASSWORD,
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a much newer secret 42",
            "new_password2": "a much newer secret 42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    agent.refresh_from_db()
    assert agent.check_password("a much newer secret 42")
    page = client.get(PROFILE)  # this session stays signed in
    assert page.status_code == 200
    assert 'class="alert alert-success' in page.content.decode()
    assert client.session[SESSION_KEY] == str(agent.pk)


def test_a_wrong_old_password_is_a_field_error(client, agent):
    client.force_login(agent)
    response = client.post(
        PASSWORD,
        {"old_password": "wrong", "new_password1": "x y z 123 q", "new_password2": "x y z 123 q"},
    )
    assert response.status_code == 200
    assert 'data-field-error="old_password"' in response.content.decode()
    agent.refresh_from_db()
    assert agent.check_password(TEST_PASSWORD)


def test_the_profile_shows_the_password_form_to_local_users(client, agent):
    client.force_login(agent)
    html = client.get(PROFILE).content.decode()
    assert 'data-testid="password-form"' in html
    assert 'name="old_password"' in html
    assert client.get(PASSWORD)["Location"] == PROFILE + "#password"


def test_an_erp_users_password_is_changed_in_the_erp(client, erp_user):
    client.force_login(erp_user)
    html = client.get(PROFILE).content.decode()
    assert 'data-testid="password-erp"' in html
    assert 'name="old_password"' not in html

    response = client.post(
        PASSWORD, {"old_password": "", "new_password1": "x y z 123", "new_password2": "x y z 123"}
    )
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    erp_user.refresh_from_db()
    assert not erp_user.has_usable_password()
    erp_user.language = "en"
    erp_user.save()
    assert "Your password is managed in the ERP." in client.get(PROFILE).content.decode()
    assert client.get(PASSWORD)["Location"] == PROFILE


def test_a_local_account_without_a_password_cannot_set_one_here(client, agent):
    agent.set_unusable_password()
    agent.save()
    client.force_login(agent)
    response = client.post(
        PASSWORD, {"old_password": "", "new_password1": "x y z 123", "new_password2": "x y z 123"}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.has_usable_password()
    assert 'name="old_password"' not in client.get(PROFILE).content.decode()


def test_the_password_change_needs_sign_in(client):
    response = client.post(PASSWORD, {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Sections of other apps ----------------------------------------------------------------


@pytest.fixture
def section_templates(settings, tmp_path):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    (tmp_path / "matrix.html").write_text(
        '<section class="card" data-testid="matrix">{{ greeting }}, {{ user.username }}</section>'
    )
    yield tmp_path
    unregister_section("matrix")
    unregister_section("hidden")


def test_registered_sections_render_on_the_profile(client, agent, section_templates):
    client.force_login(agent)
    assert 'data-profile-section="matrix"' not in client.get(PROFILE).content.decode()

    register_section("matrix", "matrix.html", context=lambda request: {"greeting": "Hi"})
    register_section("hidden", "matrix.html", context=lambda request: None, order=1)
    html = client.get(PROFILE).content.decode()
    assert 'data-profile-section="matrix"' in html
    assert "Hi, agent" in html
    assert 'data-profile-section="hidden"' not in html
    # Outside the profile form, so a section may bring its own form.
    assert html.index('data-profile-section="matrix"') > html.index("</form>")


# --- Cost -----------------------------------------------------------------------------------


def test_the_profile_costs_the_same_with_many_tokens(client, agent, django_assert_num_queries):
    client.force_login(agent)
    ApiToken.objects.bulk_create(
        ApiToken(user=agent, name=f"token {n}", lookup=f"hd_{n:08d}", key_hash="0" * 64)
        for n in range(20)
    )
    # The session, the user, the tokens, the notification choices (a section of the
    # notifications app), the user's roles (the navigation's dashboard link, of reports).
    expected = 3 + apps.is_installed("notifications") + apps.is_installed("reports")
    with django_assert_num_queries(expected):
        response = client.get(PROFILE)
    assert response.content.decode().count("data-api-token=") == 20
