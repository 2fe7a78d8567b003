"""Property-based run of schemathesis against ``/api/schema/``, signed in as an agent with
an API token: every operation gets generated valid and invalid requests; none may
answer 5xx, and every answer must match the schema.

Bounded: ``FUZZ_EXAMPLES`` valid and ``FUZZ_NEGATIVE_EXAMPLES`` invalid examples per
operation (environment variables of the same names change them). Path parameters are
often swapped for real ids so the operations reach past "not found".
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from accounts.roles import Role
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
NEGATIVE_EXAMPLES = int(os.environ.get("FUZZ_NEGATIVE_EXAMPLES", "15"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def world(settings, tmp_path):
    """Queues, people, tickets with comments, an attachment and a saved view."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000000/min", "token": "1000000/min"},
    }
    agent = UserFactory(username="fuzzagent", roles=[Role.AGENT])
    requester = UserFactory(username="fuzzrequester", roles=[Role.REQUESTER])
    queue = QueueFactory(key_prefix="HD", slug="hd", members=[agent])
    tickets = [
        TicketFactory(queue=queue, requester=requester, actor=requester, tags=["printer"])
        for _ in range(3)
    ]
    comment(tickets[0], agent, "Внутренняя заметка", is_internal=True)
    attachment = services.attachment_add(
        actor=requester,
        ticket=tickets[0],
        files=[SimpleUploadedFile("log.txt", b"error 42\n")],
    )[0]
    view = services.saved_view_save(user=agent, name="Мои", query="assignee=me")
    _token, secret = api_token_create(user=agent, name="fuzz")
    refs = {
        "ref": [str(t.pk) for t in tickets] + [t.key for t in tickets],
        "pk": [str(t.pk) for t in tickets] + [str(view.pk)],
        "attachment_id": [str(attachment.pk)],
    }
    return {"secret": secret, "refs": refs}


@pytest.fixture
def wsgi_app():
    """The WSGI app in this process, on the test's database connection: like Django's
    test client, keep each request from closing that connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_no_operation_answers_5xx_or_off_schema(world, wsgi_app, capsys):
    app = wsgi_app
    headers = {"Authorization": f"Token {world['secret']}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
    refs = world["refs"]
    examples: Counter = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]

    def fuzz(operation, mode, count):
        @given(case=operation.as_strategy(generation_mode=mode), swap=st.booleans())
        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case, swap):
            if swap:
                # Real ids, so the operation gets past "not found".
                for name in case.path_parameters or {}:
                    if name in refs:
                        choices = refs[name]
                        case.path_parameters[name] = choices[
                            examples[operation.label] % len(choices)
                        ]
            examples[operation.label] += 1
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} [{mode.value}]: {exc}"[:2000])

        try:
            run()
        except Unsatisfiable:
            # Nothing to make invalid (e.g. a POST without parameters or body).
            assert mode == GenerationMode.NEGATIVE, operation.label

    for operation in operations:
        fuzz(operation, GenerationMode.POSITIVE, EXAMPLES)
        fuzz(operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)

    total = sum(examples.values())
    with capsys.disabled():
        summary = f"{len(operations)} operations, {total} examples, {len(failures)} failures"
        print(f"\nschemathesis: {summary}")
    assert not failures, "\n\n".join(failures[:10])
