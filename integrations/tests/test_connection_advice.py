""" "Test connection" failures say in one translated sentence what is wrong and what to
check, with the library's own words as the detail under it (issue 19, item 5)."""

import pytest
import requests
from django.urls import reverse
from django.utils import translation

from accounts.erp import ERPConfigError, ERPUnavailable
from helpdesk.testing import free_port
from integrations.connection_advice import erp_advice, redmine_advice
from integrations.redmine.client import (
    RedmineAuthError,
    RedmineForbidden,
    RedmineNotConfigured,
    RedmineNotFound,
    RedmineUnavailable,
)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def operator(client, admin):
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_redmine_refusing_connections_is_one_sentence_with_the_detail_under_it(operator, settings):
    settings.REDMINE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.REDMINE_API_KEY = "test-key"
    answer = operator.post(reverse("admin:integrations_syncrun_redmine_test"), follow=True)
    [message] = _messages(answer)
    sentence, _sep, detail = message.partition("<details")
    assert sentence == (
        f"Ничто не принимает соединения по адресу {settings.REDMINE_URL}: проверьте адрес "
        "и порт в REDMINE_URL и что Redmine запущен."
    )
    assert "HTTPConnectionPool" not in sentence
    assert "<summary>Технические подробности</summary>" in detail
    assert "HTTPConnectionPool" in detail


@pytest.mark.django_db
def test_an_unreachable_erp_is_explained_in_russian(operator, fake_erp):
    fake_erp.set_down(True)
    answer = operator.post(reverse("admin:integrations_syncrun_erp_test"), follow=True)
    [message] = _messages(answer)
    sentence, _sep, detail = message.partition("<details")
    assert sentence.startswith("Не удаётся подключиться к базе данных ERP: проверьте ORACLE_HOST")
    assert "DPY-6005" not in sentence
    assert "DPY-6005" in detail


def _caused(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "start"),
    [
        (
            RedmineNotConfigured("REDMINE_URL and REDMINE_API_KEY are not both set"),
            "Redmine не настроен",
        ),
        (
            RedmineAuthError("the API key was refused (401)", status=401),
            "Redmine отклонил ключ API",
        ),
        (RedmineForbidden("access denied (403)", status=403), "Redmine отказал в доступе"),
        (RedmineNotFound("not found (404)", status=404), "Redmine ответил «не найдено»"),
        (RedmineUnavailable("Redmine failed (502)", status=502), "Redmine ответил ошибкой сервера"),
        (
            _caused(
                RedmineUnavailable("Redmine cannot be reached (…)"),
                requests.ConnectionError(
                    "HTTPSConnectionPool(host='redmine.example', port=443): Max retries exceeded "
                    "(Caused by NameResolutionError(\"Failed to resolve 'redmine.example' "
                    '([Errno -2] Name or service not known)"))'
                ),
            ),
            "Имя сервера redmine.example из REDMINE_URL не найдено",
        ),
        (
            _caused(
                RedmineUnavailable("Redmine did not answer in time (…)"),
                requests.ConnectTimeout("Connection to redmine.example timed out."),
            ),
            "Redmine по адресу https://redmine.example не ответил вовремя",
        ),
        (
            _caused(
                RedmineUnavailable("Redmine cannot be reached (…)"),
                requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] self-signed"),
            ),
            "Не удалось установить защищённое соединение с https://redmine.example",
        ),
        (
            RedmineUnavailable("Redmine answered with something other than JSON"),
            "По адресу https://redmine.example отвечает не REST API Redmine",
        ),
    ],
)
def test_common_redmine_failures_have_their_own_sentence(settings, error, start):
    settings.REDMINE_URL = "https://redmine.example"
    with translation.override("ru"):
        assert redmine_advice(error).startswith(start)


@pytest.mark.parametrize(
    ("error", "start"),
    [
        (ERPConfigError("service account refused", code="ORA-01017"), "База данных ERP отклонила"),
        (ERPConfigError("locked", code="ORA-28000"), "Служебная учётная запись ERP заблокирована"),
        (ERPConfigError("expired", code="ORA-28001"), "Срок действия пароля"),
        (ERPConfigError("no service", code="DPY-6001"), "Листенер базы данных не знает"),
        (
            ERPUnavailable("cannot connect: timed out", code="DPY-6005"),
            "База данных ERP не ответила вовремя",
        ),
        (
            ERPUnavailable("ORA-01034: ORACLE not available", code="ORA-01034"),
            "База данных ERP запускается",
        ),
        (ERPConfigError("missing grant", code="ORA-00942"), "Служебной учётной записи не хватает"),
        (
            ERPConfigError("Oracle EBS is not configured: set ORACLE_USER."),
            "Подключение к ERP не настроено",
        ),
        (ERPUnavailable("something new", code="DPY-9999"), "ERP не ответила"),
    ],
)
def test_common_erp_failures_have_their_own_sentence(error, start):
    with translation.override("ru"):
        assert erp_advice(error).startswith(start)
