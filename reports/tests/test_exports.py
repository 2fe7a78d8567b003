"""Exports of the ticket list's current view: CSV and XLSX, streamed, visibility and
formula injection."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from reports.tables import safe_cell
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory, priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(queue, requester, manager):
    made = [
        TicketFactory(queue=queue, requester=requester, actor=requester, title=title)
        for title in ('=HYPERLINK("http://evil")', "+1 принтер", "Сканер", "@SUM(A1)")
    ]
    other = QueueFactory(name="Бухгалтерия", key_prefix="BU", slug="bu")
    TicketFactory(queue=other, requester=manager, actor=manager, title="Чужая очередь")
    return made


def export(user, fmt, **params):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("reports:ticket_export", kwargs={"fmt": fmt}), params)
    assert response.status_code == 200
    assert response.streaming
    return response, response.getvalue()


def test_csv_exports_the_current_view_in_its_order(tickets, agent):
    response, body = export(agent, "csv", sort="-key")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert response["X-Export-Rows"] == "4"
    assert "attachment" in response["Content-Disposition"]
    titles = [row[1] for row in rows[1:]]
    # Newest key first, neutralised: no cell starts a formula.
    assert titles == ["'@SUM(A1)", "Сканер", "'+1 принтер", '\'=HYPERLINK("http://evil")']
    assert "Чужая очередь" not in body.decode()  # BU is not agent's queue


def test_csv_follows_the_filters(tickets, agent):
    services.ticket_update(actor=agent, ticket=tickets[2], priority=priority("urgent"))
    _response, body = export(agent, "csv", priority="urgent")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Сканер"]


def test_requesters_export_only_their_tickets(tickets, requester, manager):
    _response, body = export(requester, "csv")
    assert len(body.decode("utf-8-sig").splitlines()) == 5
    _response, body = export(manager, "csv")
    assert len(body.decode("utf-8-sig").splitlines()) == 6


def test_xlsx_export_is_a_workbook_without_formulas(tickets, agent):
    response, body = export(agent, "xlsx", sort="key")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(body)).active
    values = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values[0] == '\'=HYPERLINK("http://evil")'
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_unknown_format_is_not_found(agent):
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("reports:ticket_export", kwargs={"fmt": "pdf"})).status_code == 404


def test_export_reads_one_query_however_many_rows(
    tickets, agent, queue, requester, django_assert_num_queries
):
    client = Client()
    client.force_login(agent)
    url = reverse("reports:ticket_export", kwargs={"fmt": "csv"})
    client.get(url).getvalue()
    for _n in range(3):
        TicketFactory(queue=queue, requester=requester, actor=requester)
    # session, user, roles, agent's queues, the count and the rows
    with django_assert_num_queries(6):
        client.get(url).getvalue()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("-2", "'-2"), ("@x", "'@x"), ("\tx", "'\tx"), ("a=b", "a=b"), (5, 5)],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_the_list_offers_the_export_of_its_view(tickets, agent):
    client = Client()
    client.force_login(agent)
    body = client.get(reverse("tickets:list"), {"q": "Сканер", "page": "2"}).content.decode()
    assert f"{reverse('reports:ticket_export', kwargs={'fmt': 'csv'})}?q=" in body
    assert "page=2" not in body.split('data-testid="export-csv"')[0].rsplit("href=", 1)[-1]
