"""Smoke test of the real Redmine server that the Redmine sync's integration tests use."""

import pytest
import requests

pytestmark = pytest.mark.redmine


def test_the_key_is_the_admins(redmine_server):
    response = requests.get(
        f"{redmine_server.url}/users/current.json", headers=redmine_server.headers, timeout=30
    )

    assert response.status_code == 200
    user = response.json()["user"]
    assert user["login"] == "admin"
    assert user["admin"] is True


def test_the_default_data_is_russian(redmine_server):
    response = requests.get(
        f"{redmine_server.url}/issue_statuses.json", headers=redmine_server.headers, timeout=30
    )

    names = {status["name"] for status in response.json()["issue_statuses"]}
    assert {"Новая", "Закрыта"} <= names


def test_an_issue_with_an_emoji_reads_back_equal(redmine_server, redmine_project):
    subject = "Принтер 🖨️ не печатает 😱"
    created = requests.post(
        f"{redmine_server.url}/issues.json",
        json={"issue": {"project_id": redmine_project["id"], "subject": subject}},
        headers=redmine_server.headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text

    issue_id = created.json()["issue"]["id"]
    read = requests.get(
        f"{redmine_server.url}/issues/{issue_id}.json", headers=redmine_server.headers, timeout=30
    )
    assert read.json()["issue"]["subject"] == subject
    assert read.json()["issue"]["project"]["id"] == redmine_project["id"]


def test_stop_closes_the_port_and_start_brings_it_back(redmine_server):
    redmine_server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{redmine_server.url}/users/current.json", timeout=10)

    redmine_server.start()
    response = requests.get(
        f"{redmine_server.url}/users/current.json", headers=redmine_server.headers, timeout=30
    )
    assert response.status_code == 200
