"""What happens on a ticket, in the REST API: comments, history and files.

A ticket in the URL is an id or a key (``HD-42``); a ticket the user may not see is 404.
Reads go through ``tickets.selectors`` (requesters never see internal notes, their files
or their history rows), writes through ``tickets.services`` with ``source=api``; refusals
of the services are answered by ``helpdesk.api.exception_handler`` (400 field errors,
403, 404, 413 file too large, 415 file type refused). Every list has a fixed number of
queries whatever its page size.
"""

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    Direction,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotAcceptable
from rest_framework.fields import empty
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import BasePagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import html as html_input
from rest_framework.views import APIView

from accounts.models import Viewer
from helpdesk.api import JSONParser
from helpdesk.api_fields import StrictBooleanField, StrictCharField, StrictIntegerField
from helpdesk.api_schema import ApiAutoSchema
from tickets import services
from tickets.api.common import (
    MAX_ID,
    MAX_VERSION,
    PersonSerializer,
    StatusCodeField,
    TicketRefMixin,
    api_user,
    paginate,
    person,
)
from tickets.forms import MAX_MARKDOWN_LENGTH
from tickets.markdown import render_markdown_many
from tickets.mentions import mentioned_people, render_mentions
from tickets.models import Attachment, Comment, CommentRevision, Source, Ticket, TicketEvent
from tickets.parsing import parse_id
from tickets.selectors import (
    ticket_people,
    user_can_work_ticket,
    visible_attachments,
    visible_comments,
    visible_events,
)
from tickets.services.comments import REASON_MAX_LENGTH
from tickets.timeline import _EventRenderer
from tickets.uploads import content_type_for

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

# The type of a file is read from its name's extension (TICKET_ATTACHMENT_EXTENSIONS).
FILE_NAME_HEADER = {
    "description": "Each file part's name; its extension decides whether the type is accepted.",
    "schema": {"type": "string"},
    "example": 'form-data; name="files"; filename="error.log"',
}
NOT_FOUND = OpenApiResponse(description="The ticket (or file) does not exist or is not visible.")
BAD_INPUT = OpenApiResponse(description='Field errors: {"field": ["message", ...]}.')


def download_url(request: Request | None, attachment: Attachment) -> str:
    # The ticket's id names it as well as its key, without loading the ticket.
    url = reverse(
        "api-ticket-attachment-download",
        kwargs={"ref": str(attachment.ticket_id), "attachment_id": attachment.pk},
    )
    return request.build_absolute_uri(url) if request is not None else url


# --- Serializers -------------------------------------------------------------------------


class AttachmentBriefSerializer(serializers.ModelSerializer):
    """A file as a comment lists it."""

    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields: tuple[str, ...] = ("id", "name", "size", "content_type", "download_url")
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        return download_url(self.context.get("request"), attachment)


class AttachmentSerializer(AttachmentBriefSerializer):
    """A file of the ticket: on the ticket itself (``comment`` null) or on a comment."""

    comment = serializers.IntegerField(source="comment_id", read_only=True, allow_null=True)
    uploaded_by = serializers.SerializerMethodField()

    class Meta(AttachmentBriefSerializer.Meta):
        fields = (*AttachmentBriefSerializer.Meta.fields, "comment", "uploaded_by", "created_at")
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_uploaded_by(self, attachment: Attachment) -> dict | None:
        return person(attachment.uploaded_by)


class CommentSerializer(serializers.ModelSerializer):
    """A comment or internal note; ``body`` is Markdown, ``body_html`` its sanitised HTML."""

    body = StrictCharField(max_length=MAX_MARKDOWN_LENGTH)
    is_internal = StrictBooleanField(
        default=False,
        help_text=gettext_lazy("An internal note, seen only by those who work the ticket."),
    )
    author = serializers.SerializerMethodField()
    edited_by = serializers.SerializerMethodField()
    body_html = serializers.CharField(read_only=True)
    attachments = AttachmentBriefSerializer(many=True, read_only=True)
    status = StatusCodeField(
        required=False,
        write_only=True,
        help_text=gettext_lazy(
            "Also move the ticket to this status, in the same change (those who work it)."
        ),
    )
    version = StrictIntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        write_only=True,
        help_text=gettext_lazy(
            "With a status: the ticket's version you saw; if it changed since, nothing is "
            "saved (409). Without it the status is changed whatever the version."
        ),
    )

    class Meta:
        model = Comment
        fields = (
            "id",
            "author",
            "body",
            "body_html",
            "is_internal",
            "source",
            "created_at",
            "edited_at",
            "edited_by",
            "edit_reason",
            "attachments",
            "status",
            "version",
        )
        read_only_fields = ("id", "source", "created_at", "edited_at", "edit_reason")

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, comment: Comment) -> dict | None:
        return person(comment.author)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_edited_by(self, comment: Comment) -> dict | None:
        return person(comment.edited_by)


class CommentEditSerializer(serializers.Serializer):
    body = StrictCharField(max_length=MAX_MARKDOWN_LENGTH)
    reason = StrictCharField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "Why the text changes: required of those who work the ticket when they redact "
            "someone else's comment, or their own after the edit window; shown to readers."
        ),
    )


class CommentRevisionSerializer(serializers.ModelSerializer):
    """A comment's text before one of its edits."""

    edited_by = serializers.SerializerMethodField()

    class Meta:
        model = CommentRevision
        fields = ("id", "body", "edited_by", "edited_at", "reason")
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_edited_by(self, revision: CommentRevision) -> dict | None:
        return person(revision.edited_by)


class EventSerializer(serializers.ModelSerializer):
    """One history row: raw stored values, and ``text``, the sentence the ticket page shows,
    in the request's language."""

    actor = serializers.SerializerMethodField()
    text = serializers.CharField(read_only=True)

    class Meta:
        model = TicketEvent
        fields = (
            "id",
            "kind",
            "field",
            "old_value",
            "new_value",
            "actor",
            "source",
            "created_at",
            "is_internal",
            "text",
        )
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_actor(self, event: TicketEvent) -> dict | None:
        return person(event.actor)


class MultipleFilesField(serializers.FileField):
    """Several files under one name (``files`` repeated); shown as a file input."""

    def get_value(self, dictionary: Any) -> Any:
        if html_input.is_html_input(dictionary):
            return dictionary.getlist(self.field_name) or empty
        return dictionary.get(self.field_name, empty)

    # Several files: a list of what FileField makes of one.
    def to_internal_value(self, data: Any) -> list[File]:  # type: ignore[override]
        uploads = data if isinstance(data, list | tuple) else [data]
        if not uploads:
            self.fail("required")
        return [super(MultipleFilesField, self).to_internal_value(upload) for upload in uploads]

    def to_representation(self, value: Any) -> None:
        return None


class MultipleFilesFieldExtension(OpenApiSerializerFieldExtension):
    """One to ``TICKET_ATTACHMENT_MAX_FILES`` files, none of them empty."""

    target_class = MultipleFilesField

    def map_serializer_field(
        self, auto_schema: "AutoSchema", direction: Direction
    ) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "string", "format": "binary", "minLength": 1},
            "minItems": 1,
            "maxItems": settings.TICKET_ATTACHMENT_MAX_FILES,
        }


class AttachmentUploadSerializer(serializers.Serializer):
    # Empty files are refused by the service, with a message naming the file.
    files = MultipleFilesField(
        allow_empty_file=True,
        help_text=gettext_lazy("One or several files (send “files” once per file)."),
    )


# --- Views -------------------------------------------------------------------------------


class CommentListView(TicketRefMixin, generics.ListCreateAPIView):
    """Comments of the ticket, oldest first; internal notes only for those who work it.

    POST ``{"body": "<Markdown>", "is_internal": false}`` adds one (201 with the comment);
    with ``"status": "<code>", "version": <n>`` the ticket moves to that status in the
    same change (``services.ticket_reply``, as the ticket page's reply): a transition the
    queue does not allow is 400, a stale version 409 with nothing saved.
    An internal note from someone who does not work the ticket (its requester, a watcher)
    is refused with **403**, the same answer as every other "visible but not yours"
    action in this API; the message says only agents may write internal notes.
    """

    serializer_class = CommentSerializer
    # Text and true/false only, so a form can say all of it too.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Comment]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no ticket
            return Comment.objects.none()
        return visible_comments(self.request.user, self.ticket).order_by("created_at", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = paginate(self, self.get_queryset())
        _add_body_html(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        responses={
            201: CommentSerializer,
            400: BAD_INPUT,
            403: OpenApiResponse(
                description="An internal note or a status change from someone not working it."
            ),
            404: NOT_FOUND,
            409: OpenApiResponse(description="The ticket changed since your version."),
        }
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = self.ticket
        added = services.ticket_reply(
            actor=api_user(request),
            ticket=ticket,
            body=data["body"],
            is_internal=data["is_internal"],
            status=data.get("status"),
            version=data.get("version"),
            source=Source.API,
        )
        # The body is required, so a reply always makes a comment.
        comment = visible_comments(request.user, ticket).get(pk=cast(Comment, added).pk)
        _add_body_html([comment])
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)


class CommentDetailView(TicketRefMixin, generics.GenericAPIView):
    """One comment; PATCH ``{"body": "<Markdown>", "reason": "..."}`` changes its text.

    Authors change their own comments and notes for ``COMMENT_EDIT_MINUTES`` after
    writing them; later, and anyone else's, only those who work the ticket, with a
    ``reason`` (400 without it). Anyone else is refused with 403 and a message. The text
    before is kept: ``revisions/`` lists it for those who work the ticket.
    """

    serializer_class = CommentSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_comment(self) -> Comment:
        comment = (
            visible_comments(self.request.user, self.ticket)
            .filter(pk=parse_id(str(self.kwargs["comment_id"])) or 0)
            .first()
        )
        if comment is None:
            raise Http404
        return comment

    @extend_schema(responses={200: CommentSerializer, 404: NOT_FOUND})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        comment = self.get_comment()
        _add_body_html([comment])
        return Response(CommentSerializer(comment, context={"request": request}).data)

    @extend_schema(
        request=CommentEditSerializer,
        responses={
            200: CommentSerializer,
            400: BAD_INPUT,
            403: OpenApiResponse(description="Not yours to change, or the edit window closed."),
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        comment = self.get_comment()
        serializer = CommentEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.comment_edit(
            actor=api_user(request),
            comment=comment,
            body=serializer.validated_data["body"],
            reason=serializer.validated_data["reason"],
            source=Source.API,
        )
        comment = self.get_comment()
        _add_body_html([comment])
        return Response(CommentSerializer(comment, context={"request": request}).data)


class CommentRevisionListView(TicketRefMixin, generics.ListAPIView):
    """The earlier texts of a comment, oldest first: for those who work the ticket
    (403 for anyone else who sees it)."""

    serializer_class = CommentRevisionSerializer

    def get_queryset(self) -> QuerySet[CommentRevision]:
        if getattr(self, "swagger_fake_view", False):
            return CommentRevision.objects.none()
        user = self.request.user
        comment = (
            visible_comments(user, self.ticket)
            .filter(pk=parse_id(str(self.kwargs["comment_id"])) or 0)
            .first()
        )
        if comment is None:
            raise Http404
        if not user_can_work_ticket(user, self.ticket):
            raise PermissionDenied(_("Only those who work the ticket read earlier versions."))
        return comment.revisions.select_related("edited_by").order_by("edited_at", "id")


def _add_body_html(comments: list[Comment]) -> None:
    named = mentioned_people([c.body for c in comments])
    for comment, body_html in zip(
        comments, render_markdown_many([c.body for c in comments]), strict=True
    ):
        comment.body_html = render_mentions(str(body_html), named) if named else str(body_html)


class _PlainTextRenderer(_EventRenderer):
    """The ticket page's sentences as plain text, for every row, including the reorders
    within a column that the page folds away."""

    def text(self, event: TicketEvent) -> str:
        if event.kind == TicketEvent.Kind.MOVED and event.field == "rank":
            actor = event.actor.get_display_name() if event.actor else _("System")
            return _("%(actor)s reordered the ticket on the board") % {"actor": actor}
        rendered = self.render(event)
        if rendered is None:
            return ""
        # The sentence is escaped HTML: drop the tags, then turn &lt; etc. back into text.
        return html.unescape(strip_tags(str(rendered[1])))


def event_texts(user: Viewer, ticket: Ticket, events: Sequence[TicketEvent]) -> list[str]:
    """The rows' sentences in the active language, with one renderer for the page: the
    people and the files they name are read in one query each."""
    attachment_ids = {
        pk
        for event in events
        if event.kind == TicketEvent.Kind.ATTACHED and (pk := parse_id(event.new_value)) is not None
    }
    attachments = {}
    if attachment_ids:
        visible = visible_attachments(user, ticket).filter(pk__in=attachment_ids)
        attachments = {attachment.pk: attachment for attachment in visible}
    _watchers, people = ticket_people(ticket, user_ids=_EventRenderer.mentioned_ids(events))
    # No comment ids: a "commented" row is told as such, not folded into its comment.
    renderer = _PlainTextRenderer(
        events=events, comment_ids=set(), attachments=attachments, people=people
    )
    return [renderer.text(event) for event in events]


class EventListView(TicketRefMixin, generics.ListAPIView):
    """The ticket's history, oldest first: raw values and the sentence the page shows.

    Every row is listed, also those the page folds away (a comment's "commented" row,
    a reorder within a board column); rows of internal notes only for those who work
    the ticket.
    """

    serializer_class = EventSerializer

    def get_queryset(self) -> QuerySet[TicketEvent]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no ticket
            return TicketEvent.objects.none()
        return visible_events(self.request.user, self.ticket).order_by("created_at", "id")

    @extend_schema(responses={200: EventSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        events = paginate(self, self.get_queryset())
        for event, text in zip(events, event_texts(request.user, self.ticket, events), strict=True):
            event.text = text
        return self.get_paginated_response(self.get_serializer(events, many=True).data)


class _UnpaginatedPostSchema(ApiAutoSchema):
    """The answer to an upload is the list of new files, not a page."""

    def _get_paginator(self) -> BasePagination | None:
        return None if self.method == "POST" else super()._get_paginator()


class AttachmentListView(TicketRefMixin, generics.ListCreateAPIView):
    """Files of the ticket (those on internal notes only for those who work it), oldest
    first. POST multipart ``files`` (once per file) attaches them to the ticket: 201 with
    the new files; 400 no file or an empty one, 413 over the size limit, 415 a type that
    is not accepted."""

    parser_classes = [MultiPartParser]
    schema = _UnpaginatedPostSchema()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.request.method == "POST":
            return AttachmentUploadSerializer
        return AttachmentSerializer

    def get_queryset(self) -> QuerySet[Attachment]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, no ticket
            return Attachment.objects.none()
        return visible_attachments(self.request.user, self.ticket).order_by("created_at", "id")

    @extend_schema(
        request={
            "multipart/form-data": OpenApiRequest(
                AttachmentUploadSerializer,
                encoding={"files": {"headers": {"Content-Disposition": FILE_NAME_HEADER}}},
            )
        },
        responses={
            201: AttachmentSerializer(many=True),
            400: BAD_INPUT,
            404: NOT_FOUND,
            413: OpenApiResponse(description="A file is over the size limit."),
            415: OpenApiResponse(description="A file type that is not accepted."),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        added = services.attachment_add(
            actor=api_user(request),
            ticket=self.ticket,
            files=upload.validated_data["files"],
            source=Source.API,
        )
        data = AttachmentSerializer(added, many=True, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class _AnyAccept(DefaultContentNegotiation):
    """A file answers whatever the client accepts; errors are JSON then."""

    # DRF passes the view's renderers as a list; the stubs say any iterable.
    def select_renderer(  # type: ignore[override]
        self, request: Request, renderers: Sequence[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


class AttachmentDownloadView(TicketRefMixin, APIView):
    """The file, as a download, if its ticket and comment are visible to the user."""

    content_negotiation_class = _AnyAccept

    @extend_schema(
        # Sent with the type its extension names (text/plain, image/png...), hence "*/*".
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (200, "*/*"): OpenApiTypes.BINARY,
            404: NOT_FOUND,
        }
    )
    def get(self, request: Request, ref: str, attachment_id: int) -> FileResponse:
        if attachment_id > MAX_ID:
            raise Http404
        try:
            attachment = visible_attachments(request.user, self.ticket).get(pk=attachment_id)
        except Attachment.DoesNotExist:
            raise Http404 from None
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.original_name,
            content_type=content_type_for(attachment.original_name),
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("tickets/<str:ref>/comments/", CommentListView.as_view(), name="api-ticket-comments"),
    path(
        "tickets/<str:ref>/comments/<int:comment_id>/",
        CommentDetailView.as_view(),
        name="api-ticket-comment",
    ),
    path(
        "tickets/<str:ref>/comments/<int:comment_id>/revisions/",
        CommentRevisionListView.as_view(),
        name="api-ticket-comment-revisions",
    ),
    path("tickets/<str:ref>/events/", EventListView.as_view(), name="api-ticket-events"),
    path(
        "tickets/<str:ref>/attachments/",
        AttachmentListView.as_view(),
        name="api-ticket-attachments",
    ),
    path(
        "tickets/<str:ref>/attachments/<int:attachment_id>/download/",
        AttachmentDownloadView.as_view(),
        name="api-ticket-attachment-download",
    ),
]
