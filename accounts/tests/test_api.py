import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_me_needs_a_signed_in_user(client):
    assert client.get(reverse("api-me")).status_code == 403


@pytest.mark.parametrize(
    ("persona", "role"),
    [("requester", "requester"), ("agent", "agent"), ("manager", "manager"), ("admin", "admin")],
)
def test_me_describes_the_user(request, client, persona, role):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("api-me"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert body["role"] == role
    assert body["display_name"] == user.get_display_name()


def test_me_is_read_only(client, agent):
    client.force_login(agent)
    response = client.put(reverse("api-me"), {"theme": "dark"}, content_type="application/json")
    assert response.status_code == 405


def test_browsable_api_renders(client, agent):
    client.force_login(agent)
    response = client.get(reverse("api-me"), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"agent" in response.content
