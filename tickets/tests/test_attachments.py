"""Files on the ticket page: the panel, uploads, limits, downloads and their headers."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Attachment
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _media(media_root):
    """Every test of this module stores its files apart."""


@pytest.fixture
def ticket(queue, requester):
    return TicketFactory(queue=queue, requester=requester, actor=requester)


def upload(name="log.txt", content=b"error 42", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def attach_url(ticket) -> str:
    return reverse("tickets:attach", kwargs={"key": ticket.key})


def download_url(attachment) -> str:
    return reverse(
        "tickets:attachment", kwargs={"key": attachment.ticket.key, "attachment_id": attachment.pk}
    )


def detail(client, ticket) -> str:
    return client.get(reverse("tickets:detail", kwargs={"key": ticket.key})).content.decode()


def test_requester_uploads_files_and_sees_them_listed(client, ticket, requester):
    client.force_login(requester)
    response = client.post(
        attach_url(ticket), {"files": [upload(), upload("photo.png", PNG, "image/png")]}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#attachments")
    assert Attachment.objects.filter(ticket=ticket, comment=None).count() == 2
    html = detail(client, ticket)
    assert "log.txt" in html and "photo.png" in html
    assert "8\xa0байт" in html or "8\xa0bytes" in html  # filesizeformat
    assert "bi-file-earmark-image" in html and "bi-file-earmark-text" in html


def test_upload_limits_are_error_messages(client, ticket, requester, settings):
    settings.TICKET_ATTACHMENT_MAX_SIZE = 10
    client.force_login(requester)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        attach_url(ticket), {"files": [upload("big.txt", b"x" * 11)]}, follow=True
    )
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    assert "big.txt" in message.message and "10\xa0bytes" in message.message
    response = client.post(attach_url(ticket), {"files": [upload("tool.exe")]}, follow=True)
    [message] = list(response.context["messages"])
    assert "tool.exe" in message.message
    assert not Attachment.objects.exists()


def test_upload_without_files_is_an_error(client, ticket, requester):
    client.force_login(requester)
    response = client.post(attach_url(ticket), {}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_upload_to_an_invisible_ticket_is_404(client, ticket):
    stranger = UserFactory(roles=[Role.REQUESTER])
    client.force_login(stranger)
    assert client.post(attach_url(ticket), {"files": [upload()]}).status_code == 404
    assert not Attachment.objects.exists()


def test_comment_with_files(client, ticket, requester):
    client.force_login(requester)
    client.post(
        reverse("tickets:comment", kwargs={"key": ticket.key}),
        {"body": "Скриншот", "files": [upload("screen.png", PNG, "image/png")]},
    )
    attachment = Attachment.objects.get()
    assert attachment.comment is not None
    assert attachment.comment.body == "Скриншот"
    html = detail(client, ticket)
    # Listed with the comment and in the panel; the upload is not a separate history line.
    assert html.count(download_url(attachment)) == 2
    assert 'data-event-kind="attached"' not in html


def test_comment_with_refused_file_keeps_the_text(client, ticket, requester):
    client.force_login(requester)
    response = client.post(
        reverse("tickets:comment", kwargs={"key": ticket.key}),
        {"body": "Мой текст", "files": [upload("virus.exe")]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field-error="files"' in html
    assert "virus.exe" in html
    assert "Мой текст" in html
    assert not Attachment.objects.exists()
    assert not ticket.comments.exists()


def test_download_headers(client, ticket, requester):
    [attachment] = services.attachment_add(
        actor=requester, ticket=ticket, files=[upload("отчёт.txt", b"hello")]
    )
    client.force_login(requester)
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_safe_images_are_shown_inline_but_sandboxed(client, ticket, requester):
    [image] = services.attachment_add(
        actor=requester, ticket=ticket, files=[upload("p.png", PNG, "image/png")]
    )
    client.force_login(requester)
    response = client.get(download_url(image))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]


def test_html_and_svg_are_never_inline(client, ticket, requester, settings):
    settings.TICKET_ATTACHMENT_EXTENSIONS = ["html", "svg"]
    html_file, svg = services.attachment_add(
        actor=requester,
        ticket=ticket,
        files=[
            upload("page.html", b"<script>alert(1)</script>", "text/html"),
            upload("pic.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml"),
        ],
    )
    client.force_login(requester)
    for attachment in (html_file, svg):
        response = client.get(download_url(attachment))
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]


def test_files_of_internal_notes_are_only_for_those_who_work_the_ticket(
    client, ticket, requester, agent
):
    note = services.comment_add(
        actor=agent,
        ticket=ticket,
        body="Конфиг роутера",
        is_internal=True,
        files=[upload("router.txt", b"secret")],
    )
    [secret] = note.attachments.all()
    client.force_login(requester)
    assert "router.txt" not in detail(client, ticket)
    assert client.get(download_url(secret)).status_code == 404

    client.force_login(agent)
    html = detail(client, ticket)
    assert "router.txt" in html
    assert client.get(download_url(secret)).status_code == 200


@pytest.mark.parametrize("persona", ["stranger", "other_agent"])
def test_download_of_an_invisible_ticket_is_404(client, ticket, requester, persona):
    [attachment] = services.attachment_add(actor=requester, ticket=ticket, files=[upload()])
    role = Role.REQUESTER if persona == "stranger" else Role.AGENT
    client.force_login(UserFactory(roles=[role]))
    assert client.get(download_url(attachment)).status_code == 404


def test_download_under_another_tickets_key_is_404(client, queue, ticket, requester):
    other = TicketFactory(queue=queue, requester=requester, actor=requester)
    [attachment] = services.attachment_add(actor=requester, ticket=ticket, files=[upload()])
    client.force_login(requester)
    url = reverse("tickets:attachment", kwargs={"key": other.key, "attachment_id": attachment.pk})
    assert client.get(url).status_code == 404


def test_missing_file_on_disk_is_404(client, ticket, requester):
    [attachment] = services.attachment_add(actor=requester, ticket=ticket, files=[upload()])
    assert attachment.file.name is not None
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(requester)
    assert client.get(download_url(attachment)).status_code == 404


def test_upload_hint_shows_the_limits(client, ticket, requester):
    client.force_login(requester)
    html = detail(client, ticket)
    assert "zip" in html  # an allowed type
    assert str(settings.TICKET_ATTACHMENT_MAX_FILES) in html
