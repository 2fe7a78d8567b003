"""Schemathesis against the running API, with every check it has.

The API is served by pytest-django's live server (real HTTP, on the test database) and
schemathesis's engine runs it as ``st run --checks all`` would: every phase (the schema's
examples; coverage: boundary values, missing and unexpected parameters, undeclared
methods; fuzzing: valid and invalid data; stateful: create, read, delete, read again)
and every check (no 5xx, status codes, content types, headers and bodies as documented,
invalid data refused, valid data accepted, missing headers, unsupported methods, a
deleted resource stays gone, a created one can be read, authentication enforced, a
requester replaying the agent's reads gets none of the agent's objects, no answer slower
than 30 s). Nothing is excluded: a failure is a difference between the schema and the
behaviour.

The schema cannot say which ids exist or who the people are, so a ``before_call`` hook
puts real ones into every other request's path and into the people fields (the service
answers a user name that does not exist with a 400, like any bad field).

Bounded: ``FUZZ_EXAMPLES`` generated requests per operation and generation mode, and
``FUZZ_STATEFUL_STEPS`` steps per stateful scenario (environment variables of the same
names change them; ``FUZZ_SEED`` repeats a run).
"""

import json
import os
import secrets
import time
from collections import Counter
from itertools import count

import pytest
import requests
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from schemathesis import engine
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.result import Err
from schemathesis.engine import events

from accounts.roles import Role
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from notifications.models import Event, Notification
from tickets import services
from tickets.tests.factories import QueueFactory, TicketFactory, comment

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
STATEFUL_STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "10"))


@pytest.fixture
def world(settings, tmp_path):
    """Queues, people, tickets with comments, an attachment, a saved view, a notification."""
    settings.MEDIA_ROOT = str(tmp_path)
    # Thousands of requests from one address and token: no rate may get in the way.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000000/min", "token": "1000000/min"},
    }
    settings.API_TOKEN_FAILURE_LIMIT = 1_000_000
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
    notification = Notification.objects.create(
        recipient=agent, event=Event.ASSIGNED, ticket=tickets[0], params={"key": tickets[0].key}
    )
    _token, secret = api_token_create(user=agent, name="fuzz")
    # Someone who may see none of the above: object-level authorization replays the
    # agent's reads as this requester.
    outsider = UserFactory(username="fuzzoutsider", roles=[Role.REQUESTER])
    _token, outsider_secret = api_token_create(user=outsider, name="fuzz")
    return {
        "secret": secret,
        "outsider_secret": outsider_secret,
        "path": {
            "ref": [str(t.pk) for t in tickets] + [t.key for t in tickets],
            "id": [t.pk for t in tickets] + [view.pk, notification.pk],
            "attachment_id": [attachment.pk],
        },
        "people": {
            "requester": [requester.username, requester.pk],
            "assignee": [agent.username, agent.pk],
        },
        "filters": {"requester": ["me", requester.username], "assignee": ["me", "none"]},
    }


def _real_data_hook(world):
    """A ``before_call`` hook: real ids in every other request's path, real people in
    the people fields. Values of the wrong type are left alone (they must be refused)."""
    calls = count()

    def before_call(context, case, kwargs):
        turn = next(calls)
        if turn % 2:
            for name, value in list((case.path_parameters or {}).items()):
                if name in world["path"] and isinstance(value, (str, int)):
                    choices = world["path"][name]
                    case.path_parameters[name] = choices[turn // 2 % len(choices)]
        if isinstance(case.body, dict):
            for name, choices in world["people"].items():
                value = case.body.get(name)
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    case.body[name] = choices[turn % len(choices)]
        for name, choices in world["filters"].items():
            if isinstance((case.query or {}).get(name), str):
                case.query[name] = choices[turn % len(choices)]

    return before_call


def _failures(event) -> list[str]:
    """Readable failures and errors in one engine event."""
    found = []
    if isinstance(event, events.ScenarioFinished):
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                case = event.recorder.cases[case_id].value
                failure = check.failure_info.failure
                interaction = event.recorder.interactions.get(case_id)
                answer = interaction.response if interaction else None
                found.append(
                    f"[{event.phase.value}] {case.operation.label} {check.name}: "
                    f"{failure.title}\n{failure.message}\n"
                    f"{case.method} {case.formatted_path} query={case.query!r} "
                    f"body={case.body!r:.600} media_type={case.media_type}\n"
                    f"answer: {answer.status_code if answer else None} "
                    f"{answer.content[:300] if answer else b''!r}"
                )
    elif isinstance(event, events.NonFatalError):
        found.append(f"error in {event.label}: {event.info.title}: {event.info.message}"[:1500])
    elif isinstance(event, events.FatalError):
        found.append(f"fatal error: {event.exception!r}")
    elif isinstance(event, events.EngineFinished):
        found += [f"after the run: {failure}" for failure in event.failures or ()]
    return found


def _identities(world, path) -> str:
    """A Web Fuzzing Commons document naming the agent and the outsider by their tokens."""
    path.write_text(
        json.dumps(
            {
                "auth": [
                    {
                        "name": name,
                        "fixedHeaders": [{"name": "Authorization", "value": f"Token {secret}"}],
                    }
                    for name, secret in (
                        ("fuzzagent", world["secret"]),
                        ("fuzzoutsider", world["outsider_secret"]),
                    )
                ]
            }
        )
    )
    return str(path)


def test_every_schemathesis_check_passes(world, live_server, tmp_path, capsys):
    seed = int(os.environ.get("FUZZ_SEED") or secrets.randbelow(2**32))
    token = f"Token {world['secret']}"
    identities = _identities(world, tmp_path / "identities.json")
    config = schemathesis.Config.from_dict(
        {
            "seed": seed,
            "workers": 1,
            # The live server answers a kept-alive connection only after the client's
            # delayed ACK (~40 ms a request); new connections take ~5 ms.
            "headers": {"Connection": "close"},
            # Requests go as the agent; the outsider is the peer who must not see them.
            "auth": {
                "wfc": {
                    "path": identities,
                    "user": "fuzzagent",
                    "peers": ["fuzzagent", "fuzzoutsider"],
                }
            },
            # Every check is on by default; the response time one needs a limit (a hang).
            "checks": {"max_response_time": 30},
            "generation": {"max-examples": EXAMPLES},
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
        }
    )
    schema_url = f"{live_server.url}/api/schema/?format=json"
    assert requests.get(schema_url, timeout=30).status_code == 401  # signed-in users only
    schema = schemathesis.openapi.from_url(
        schema_url, config=config, headers={"Authorization": token}, timeout=30
    )
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation the schema describes wrongly
        operations.append(result.ok())
    assert len(operations) >= 29, [op.label for op in operations]
    load_all_checks()
    checks = schema.config.checks_config_for()
    names = [check.__name__ for check in CHECKS.get_all()] + ["max_response_time"]
    assert len(names) >= 15 and all(checks.get_by_name(name=name).enabled for name in names)

    hook = schemathesis.hook("before_call")(_real_data_hook(world))
    started = time.monotonic()
    failures: list[str] = []
    cases: Counter = Counter()
    try:
        for event in engine.from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                cases[event.phase.value] += len(event.recorder.cases)
            failures += _failures(event)
    finally:
        schemathesis.hooks.unregister(hook)

    with capsys.disabled():
        print(
            f"\nschemathesis (seed {seed}): {len(operations)} operations, "
            f"{sum(cases.values())} requests ({dict(cases)}), {len(failures)} failures, "
            f"{time.monotonic() - started:.0f} s"
        )
    assert not failures, f"seed {seed}\n\n" + "\n\n".join(failures[:15])
