"""Attachment limits and storage: size, number and type are checked before anything is kept."""

import functools
import logging
import mimetypes
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ParamSpec, TypeAlias, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets.models import Attachment, Comment, Ticket

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from accounts.models import User

logger = logging.getLogger(__name__)
# Files stored by the service call in progress, removed again if it fails.
# A file as uploaded (a form's or the API's ``UploadedFile``).
Upload: TypeAlias = "UploadedFile[Any]"
P = ParamSpec("P")
R = TypeVar("R")

_stored_files: ContextVar[list[FieldFile] | None] = ContextVar("stored_files", default=None)

# Types a browser would run or render in the page are always sent as downloads.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def allowed_extensions() -> frozenset[str]:
    return frozenset(ext.lower().lstrip(".") for ext in settings.TICKET_ATTACHMENT_EXTENSIONS)


def content_type_for(name: str) -> str:
    """The type we serve a file as, from its extension, never from what the browser said."""
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def validate_uploads(files: Iterable[Upload]) -> None:
    """Refuse the whole upload with a message naming the file when any file breaks a limit."""
    files = list(files)
    limit = settings.TICKET_ATTACHMENT_MAX_FILES
    if len(files) > limit:
        raise ValidationError(
            {
                "files": ngettext(
                    "Attach at most %(limit)d file at a time.",
                    "Attach at most %(limit)d files at a time.",
                    limit,
                )
                % {"limit": limit}
            }
        )
    allowed = allowed_extensions()
    max_size = settings.TICKET_ATTACHMENT_MAX_SIZE
    for upload in files:
        name = PurePath(upload.name or "").name
        extension = PurePath(name).suffix.lower().lstrip(".")
        if not extension or extension not in allowed:
            message = _(
                "“%(name)s” was refused: files of this type are not accepted. Allowed: %(allowed)s."
            ) % {"name": name, "allowed": ", ".join(sorted(allowed))}
            raise ValidationError({"files": ValidationError(message, code="type_refused")})
        size = upload.size or 0
        if size > max_size:
            message = _("“%(name)s” was refused: it is %(size)s, the limit is %(limit)s.") % {
                "name": name,
                "size": filesizeformat(size),
                "limit": filesizeformat(max_size),
            }
            raise ValidationError({"files": ValidationError(message, code="too_large")})
        if size == 0:
            raise ValidationError({"files": _("“%(name)s” is empty.") % {"name": name}})


def attachment_create(
    *,
    ticket: Ticket,
    upload: Upload,
    uploader: "User | None",
    now: datetime,
    comment: Comment | None = None,
) -> Attachment:
    """Store one validated upload (called by the services inside their transaction)."""
    name = PurePath(upload.name or "file").name[:255]
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        original_name=name,
        size=upload.size or 0,
        content_type=content_type_for(name),
        uploaded_by=uploader,
        created_at=now,
    )
    attachment.file.save(name, upload, save=False)
    stored = _stored_files.get()
    if stored is not None:
        stored.append(attachment.file)
    attachment.save()
    return attachment


def removes_files_on_error(service: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service (above ``transaction.atomic``) so that a failure, including one
    at commit, also removes the files it stored: a rolled-back change leaves no files."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _stored_files.set([])
        try:
            return service(*args, **kwargs)
        except BaseException:
            for stored in _stored_files.get() or ():
                if not stored.name:
                    continue
                try:
                    stored.storage.delete(stored.name)
                except OSError:
                    logger.warning("could not remove %s after a failed change", stored.name)
            raise
        finally:
            _stored_files.reset(token)

    return wrapper
