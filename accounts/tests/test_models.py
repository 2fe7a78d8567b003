import pytest
from django.conf import settings
from django.db import IntegrityError

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_custom_user_is_the_auth_model():
    assert settings.AUTH_USER_MODEL == "accounts.User"


def test_display_name_falls_back_to_full_name_then_username():
    user = UserFactory(username="ivanov", first_name="Иван", last_name="Иванов")
    assert user.get_display_name() == "Иван Иванов"
    user.display_name = "Ваня"
    assert str(user) == "Ваня"
    bare = UserFactory(username="bare", first_name="", last_name="")
    assert str(bare) == "bare"


def test_local_accounts_share_an_empty_erp_name():
    first = UserFactory(erp_username="")
    second = UserFactory(erp_username="")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.erp_username is None and second.erp_username is None
    assert not first.is_erp_account


def test_erp_names_are_upper_case_and_unique():
    user = UserFactory(erp_username="ipetrov")
    assert User.objects.get(pk=user.pk).erp_username == "IPETROV"
    with pytest.raises(IntegrityError):
        UserFactory(erp_username="IPETROV")


def test_defaults():
    user = UserFactory()
    assert user.theme == User.Theme.AUTO
    assert user.language == ""
