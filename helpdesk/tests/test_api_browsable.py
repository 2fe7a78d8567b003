"""The browsable API renders every endpoint in a browser, with forms for writes: HTML
forms where a form can say the body (saved views, comments, uploads), the raw JSON form
with the fields filled in elsewhere."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    agent = UserFactory(username="browser", roles=[Role.AGENT])
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    ticket = TicketFactory(queue=queue, requester=agent, actor=agent)
    attachment = services.attachment_add(
        actor=agent, ticket=ticket, files=[SimpleUploadedFile("a.txt", b"x")]
    )[0]
    view = services.saved_view_save(user=agent, name="Мои", query="assignee=me")
    client.force_login(agent)
    return {"ticket": ticket, "attachment": attachment, "view": view}


PAGES = [
    ("/api/v1/", None),
    ("/api/v1/tickets/", "title"),
    ("/api/v1/tickets/{key}/", "version"),
    ("/api/v1/tickets/{key}/assign/", "assignee"),
    ("/api/v1/tickets/{key}/take/", None),
    ("/api/v1/tickets/{id}/move/", "previous_id"),
    ("/api/v1/tickets/{key}/comments/", "is_internal"),
    ("/api/v1/tickets/{key}/events/", None),
    ("/api/v1/tickets/{key}/attachments/", 'type="file"'),
    ("/api/v1/queues/", None),
    ("/api/v1/statuses/", None),
    ("/api/v1/priorities/", None),
    ("/api/v1/tags/", None),
    ("/api/v1/saved-views/", "query"),
    ("/api/v1/saved-views/{view}/", None),
    ("/api/v1/users/me/", None),
]


@pytest.mark.parametrize(("path", "form_field"), PAGES)
def test_every_endpoint_renders_in_the_browser(client, setup, path, form_field):
    url = path.format(key=setup["ticket"].key, id=setup["ticket"].pk, view=setup["view"].pk)
    response = client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 405), (url, response.status_code)
    html = response.content.decode()
    assert "Django REST framework" in html or "rest_framework" in html
    if form_field:
        assert form_field in html, f"{url} has no form with {form_field}"
