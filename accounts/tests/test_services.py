import pytest

from accounts.services import user_set_preferences

pytestmark = pytest.mark.django_db


def test_only_changed_preferences_are_written(agent, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        user_set_preferences(user=agent, theme="dark", language="en")
    agent.refresh_from_db()
    assert (agent.theme, agent.language) == ("dark", "en")
    with django_assert_max_num_queries(0):
        user_set_preferences(user=agent, theme="dark")


@pytest.mark.parametrize(("field", "value"), [("theme", "purple"), ("language", "de")])
def test_unknown_values_are_refused(agent, field, value):
    with pytest.raises(ValueError, match=field):
        user_set_preferences(user=agent, **{field: value})
    agent.refresh_from_db()
    assert agent.theme == "auto" and agent.language == ""
