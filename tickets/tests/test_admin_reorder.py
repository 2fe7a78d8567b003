"""Statuses and priorities are put in order by dragging rows in the admin (or with the
arrow buttons): one POST saves the order of the rows on the page."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import Priority, Status
from tickets.tests.factories import priority, status
from tickets.workflow import workflow

pytestmark = pytest.mark.django_db

CODES = ["new", "in_progress", "waiting", "resolved", "closed"]


def ids(*codes: str) -> list[int]:
    return [status(code).pk for code in codes]


def status_codes() -> list[str]:
    return list(Status.objects.values_list("code", flat=True))


# --- The service -----------------------------------------------------------------------


def test_reorder_saves_the_order_in_steps_of_ten():
    services.workflow_reorder(
        model=Status, ids=ids("waiting", "new", "closed", "resolved", "in_progress")
    )
    assert status_codes() == ["waiting", "new", "closed", "resolved", "in_progress"]
    assert list(Status.objects.values_list("order", flat=True)) == [10, 20, 30, 40, 50]
    # Every page reads the new order at once (the cached workflow is replaced).
    assert [s.code for s in workflow().statuses] == status_codes()


def test_reordering_a_part_keeps_the_others_in_place():
    Status.objects.filter(code="in_progress").update(order=20)
    Status.objects.filter(code="waiting").update(order=20)  # a tie, settled by id
    services.workflow_reorder(model=Status, ids=ids("closed", "new"))
    assert status_codes() == ["closed", "in_progress", "waiting", "resolved", "new"]


@pytest.mark.parametrize("bad", [[], [999_999], "repeated"])
def test_unknown_or_repeated_ids_change_nothing(bad):
    before = list(Status.objects.values_list("code", "order"))
    given = ids("new", "new") if bad == "repeated" else bad
    with pytest.raises(ValidationError):
        services.workflow_reorder(model=Status, ids=given)
    assert list(Status.objects.values_list("code", "order")) == before


# --- The admin -------------------------------------------------------------------------


def reorder_url(model: str = "status") -> str:
    return reverse(f"admin:tickets_{model}_reorder")


def test_admin_reorder_saves_the_order(client, admin):
    client.force_login(admin)
    new_order = ids("in_progress", "new", "waiting", "resolved", "closed")
    response = client.post(reorder_url(), {"ids": new_order})
    assert response.status_code == 200
    assert status_codes() == ["in_progress", "new", "waiting", "resolved", "closed"]
    assert response.json()["order"][str(status("in_progress").pk)] == 10


def test_admin_reorders_priorities_too(client, admin):
    client.force_login(admin)
    codes = ["immediate", "urgent", "high", "normal", "low"]
    response = client.post(reorder_url("priority"), {"ids": [priority(c).pk for c in codes]})
    assert response.status_code == 200
    assert list(Priority.objects.values_list("code", flat=True)) == codes


def test_admin_reorder_needs_the_change_permission(client):
    status("new")
    before = status_codes()
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_status"))
    client.force_login(viewer)
    changelist = client.get(reverse("admin:tickets_status_changelist"))
    assert changelist.status_code == 200
    assert "hd-reorder" not in changelist.content.decode()
    response = client.post(reorder_url(), {"ids": ids(*reversed(CODES))})
    assert response.status_code == 403
    assert status_codes() == before


def test_admin_reorder_refuses_anonymous_get_and_bad_input(client, admin):
    before = status_codes()
    assert client.post(reorder_url(), {"ids": ids(*reversed(CODES))}).status_code == 302
    client.force_login(admin)
    assert client.get(reorder_url()).status_code == 405
    assert client.post(reorder_url(), {"ids": ["x"]}).status_code == 400
    response = client.post(reorder_url(), {"ids": [999_999]})
    assert response.status_code == 409
    assert "Обновите страницу" in response.json()["error"]
    assert status_codes() == before


def test_changelist_offers_drag_handles_and_buttons(client, admin):
    status("new")
    client.force_login(admin)
    html = client.get(reverse("admin:tickets_status_changelist")).content.decode()
    assert html.count('class="hd-reorder"') == len(CODES)
    # The handle column is not the row's link: its buttons must not open the status.
    assert '<td class="field-reorder_handle">' in html
    assert "Переместить «Новая» вверх" in html
    assert reorder_url() in html
    assert "js/admin-reorder.js" in html
