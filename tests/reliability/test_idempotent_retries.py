"""Identical retries with the same Idempotency-Key sent at the same moment, over the API
on PostgreSQL with real threads (each its own connection and transaction): every one
gets the first answer, none a 412 or 409, and the command runs once."""

import pytest
from django.db import connection, connections  # noqa: F401 - skipif reads connection
from rest_framework.test import APIClient

from casefiles.models import CaseNote, Event, IdempotencyRecord
from tests.factories import open_case
from tests.test_concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL: "
        "SQLite runs one writer at a time, so the race cannot happen there",
    ),
]

ROUNDS = 10
CLIENTS = 4


@pytest.fixture
def client_factory(users):
    def make():
        client = APIClient()
        client.force_authenticate(user=users["documenter"])
        return client

    return make


def test_simultaneous_identical_retries_all_get_the_first_answer(actors, client_factory):
    case_id = open_case(actors["documenter"])
    clients = [client_factory() for _ in range(CLIENTS)]
    for round_ in range(ROUNDS):
        version = Event.objects.filter(case_id=case_id).count()
        key = f"retry-{round_}"

        def post(client, key=key, version=version):
            response = client.post(
                f"/api/cases/{case_id}/notes/",
                {"text": f"note {key}"},
                format="json",
                HTTP_IF_MATCH=f'"{version}"',
                HTTP_IDEMPOTENCY_KEY=key,
            )
            return response.status_code, response.json()

        results = run_together(*[lambda c=c: post(c) for c in clients])
        statuses = [r[0] if isinstance(r, tuple) else r for r in results]
        assert statuses == [201] * CLIENTS, (round_, results)
        bodies = [body for _, body in results]
        # One ran, the others were replays of its answer.
        assert sorted(body["replayed"] for body in bodies) == [False] + [True] * (CLIENTS - 1)
        assert len({(body["version"], body["events"][0]["hash"]) for body in bodies}) == 1
    assert CaseNote.objects.filter(case_id=case_id).count() == ROUNDS
    assert IdempotencyRecord.objects.count() == ROUNDS


def test_simultaneous_identical_case_opens_open_one_case(client_factory):
    clients = [client_factory() for _ in range(CLIENTS)]
    for round_ in range(ROUNDS // 2):
        key = f"open-{round_}"

        def post(client, key=key):
            response = client.post(
                "/api/cases/", {"title": f"Shelling {key}"}, format="json", HTTP_IDEMPOTENCY_KEY=key
            )
            return response.status_code, response.json()

        results = run_together(*[lambda c=c: post(c) for c in clients])
        assert [r[0] if isinstance(r, tuple) else r for r in results] == [201] * CLIENTS, results
        assert len({body["case_id"] for _, body in results}) == 1
    assert Event.objects.filter(type="CaseOpened").count() == ROUNDS // 2
