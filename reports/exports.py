"""Exports as CSV and XLSX, streamed: the ticket list's current view and dashboard tables.

CSV is written row by row while the database cursor is read in chunks, so memory stays
flat however many tickets there are. XLSX is built by openpyxl in write-only mode (rows
go to a temporary file, not kept in memory) and then sent in chunks. Text that would
start a formula is neutralised in both (``reports.tables.safe_cell``).
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from accounts.models import User
from reports.tables import safe_row
from tickets.models import Ticket
from tickets.workflow import workflow

CHUNK = 2000
CSV_ROWS_PER_WRITE = 500
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TICKET_VALUES = (
    "key",
    "title",
    "status_id",
    "priority_id",
    "queue_id",
    *(f"requester__{name}" for name in User.NAME_FIELDS),
    *(f"assignee__{name}" for name in User.NAME_FIELDS),
    "created_at",
    "updated_at",
    "due_date",
    "resolved_at",
)


def ticket_headers() -> list[str]:
    return [
        _("Key"),
        _("Title"),
        _("Status"),
        _("Priority"),
        _("Queue"),
        _("Requester"),
        _("Assignee"),
        _("Created"),
        _("Updated"),
        _("Due"),
        _("Resolved"),
    ]


def _person(names: Sequence[Any]) -> str:
    username, first_name, last_name, display_name = names
    if username is None:
        return ""
    full = " ".join(part for part in (first_name, last_name) if part)
    return str(display_name or full or username)


def _moment(value: datetime | None) -> datetime | None:
    # Local wall-clock time without a zone: spreadsheets have no time zones.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def ticket_rows(tickets: QuerySet[Ticket]) -> Iterator[list[Any]]:
    """The export's rows, read in chunks from one query (names of statuses, priorities
    and queues from the cached workflow; people joined)."""
    flow = workflow()
    statuses = {s.pk: s.name for s in flow.statuses}
    priorities = {p.pk: p.name for p in flow.priorities}
    queues = {q.pk: q.name for q in flow.queues}
    people = len(User.NAME_FIELDS)
    for values in tickets.values_list(*TICKET_VALUES).iterator(chunk_size=CHUNK):
        key, title, status_id, priority_id, queue_id = values[:5]
        requester = values[5 : 5 + people]
        assignee = values[5 + people : 5 + 2 * people]
        created, updated, due, resolved = values[5 + 2 * people :]
        yield [
            key,
            title,
            statuses.get(status_id, ""),
            priorities.get(priority_id, ""),
            queues.get(queue_id, ""),
            _person(requester),
            _person(assignee),
            _moment(created),
            _moment(updated),
            due,
            _moment(resolved),
        ]


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text, a BOM first (so spreadsheet programs read UTF-8), then ``CSV_ROWS_PER_WRITE`` rows
    at a time (one small write per row would cost more than the rows themselves)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(safe_row(headers))
    for count, row in enumerate(rows, start=1):
        writer.writerow(safe_row([_csv_value(value) for value in row]))
        if count % CSV_ROWS_PER_WRITE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, total: int | None
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_chunks(headers, rows), content_type=CSV_TYPE)
    return _attach(response, f"{filename}.csv", total)


def xlsx_response(
    filename: str,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    total: int | None,
) -> FileResponse:
    """An XLSX workbook of one sheet, built in write-only mode into a temporary file and
    sent from it in chunks (with its length, so the page can show the progress)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet")
    bold = Font(bold=True)
    header_cells = []
    for header in safe_row(headers):
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(safe_row(row))
    # FileResponse closes the file once sent (and the system deletes it then).
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    book.save(target)
    target.seek(0)
    response = FileResponse(target, content_type=XLSX_TYPE)
    return _attach(response, f"{filename}.xlsx", total)


def _attach(response: StreamingHttpResponse, name: str, total: int | None) -> Any:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    if total is not None:
        # The page's progress bar: rows to come (CSV) as the body has no length.
        response["X-Export-Rows"] = str(total)
    return response


def export_name(prefix: str) -> str:
    return f"{prefix}-{timezone.localtime():%Y%m%d-%H%M}"
