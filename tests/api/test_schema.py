"""Schemathesis against the live OpenAPI schema, as a documenter and as a supervisor:
no 5xx, and every response (status, media type, headers, body) matches the schema."""

import uuid
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casefiles import commands
from casefiles.commands.facts import fact_record
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from casefiles.commands.legal import liability_allege, qualification_add
from casefiles.commands.persons import person_add
from casefiles.commands.tokens import token_issue
from casefiles.models import CaseFile
from tests.factories import SUBMITTER, attach, open_case

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ("documenter", "supervisor")
SEED = Path(django_settings.BASE_DIR) / "seeds" / "004_06b981fa41532c02.txt"


# Loaded from the running application at collection time (no database needed).
# The coverage phase (every boundary case of every parameter) alone takes over a minute;
# the fuzzing phase, positive and negative, stays within the time budget.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler: keep them on the test's connection and
    transaction, as Django's test client does (no closing between requests)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def known(users, actors) -> dict:
    """Records for the generated requests to find: an ingested document, and a case with
    that source attached, a fact, a qualification, a protected person and a pending
    request, and a mode of liability alleged against a perpetrator."""
    doc = actors["documenter"]
    job = ingestion_submit(data=SEED.read_bytes(), filename=SEED.name, actor=SUBMITTER)
    job = document_ingest(ingestion_id=str(job.id))
    case_id = open_case(doc)
    attach(doc, case_id, ["NYT"], source_id=job.source_id)
    fact = fact_record(actor=doc, case_id=case_id, text="Civilians were shot")
    qualification = qualification_add(actor=actors["legal"], case_id=case_id, code="wilful_killing")
    person = person_add(actor=doc, case_id=case_id, role="witness", name="A. B.", protected=True)
    perpetrator = person_add(actor=doc, case_id=case_id, role="alleged_perpetrator", name="C. D.")
    alleged = liability_allege(
        actor=actors["legal"],
        case_id=case_id,
        person_id=perpetrator.events[0].payload["person_id"],
        mode="ordering",
        qualification_id=qualification.events[0].payload["qualification_id"],
    )
    outcome = commands.transition_request(
        actor=doc, case_id=case_id, to_state="sourcing", reason="ready"
    )
    return {
        "case_id": case_id,
        "request_id": outcome.events[0].payload["request_id"],
        "source_id": str(job.source_id),
        "ingestion_id": str(job.id),
        "fact_id": fact.events[0].payload["fact_id"],
        "qualification_id": qualification.events[0].payload["qualification_id"],
        "person_id": person.events[0].payload["person_id"],
        "liability_id": alleged.events[0].payload["liability_id"],
        "support_id": str(uuid.uuid4()),  # no span is cited: the 404 path
    }


@pytest.fixture
def tokens(users) -> dict:
    return {role: token_issue(user=users[role], issued_with="password")[1] for role in ROLES}


def on_known_records(case, known: dict) -> dict:
    """Point the case at existing records and send the case's current version as
    If-Match, so the generated bodies reach the commands (2xx, 403, 409, 422 paths)."""
    for name in list(case.path_parameters or {}):
        if name in known:
            case.path_parameters[name] = known[name]
    if case.headers and "If-Match" in case.headers:
        return {"If-Match": f'"{CaseFile.objects.get(pk=known["case_id"]).version}"'}
    return {}


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, tokens, known):
    for role in ROLES:
        auth = {"Authorization": f"Token {tokens[role]}"}
        case.call_and_validate(headers=auth, checks=CHECKS)  # as generated: mostly 404s
    for role in ROLES:
        auth = {"Authorization": f"Token {tokens[role]}"}
        case.call_and_validate(headers={**auth, **on_known_records(case, known)}, checks=CHECKS)


# The hostile bodies of tests/reliability/test_hostile_requests.py, sent to every
# operation of the schema that takes JSON: each gets a 4xx problem, none stores anything.
HOSTILE_BODIES = {
    "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "a number out of range": '{"text": 1e400, "reason": 1e400}',
    "NaN": '{"text": NaN, "reason": NaN}',
    "a NUL in a string": '{"text": "a\\u0000b", "reason": "a\\u0000b", "name": "\\u0000"}',
    "not an object": '"just a string"',
}
JSON_OPERATIONS = [
    operation
    for result in schema.get_all_operations()
    if (operation := result.ok())
    and any(b.media_type == "application/json" for b in operation.body)
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_bodies_get_a_4xx_on_every_json_operation(client, tokens, known, body):
    from casefiles.models import Event

    assert len(JSON_OPERATIONS) >= 20
    stored = Event.objects.count()
    version = CaseFile.objects.get(pk=known["case_id"]).version
    for operation in JSON_OPERATIONS:
        path = operation.path.format(**{**known, "link_id": known["request_id"]})
        response = client.generic(
            operation.method.upper(),
            path,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {tokens['documenter']}",
            HTTP_IF_MATCH=f'"{version}"',
        )
        assert 400 <= response.status_code < 500, (operation.path, response.status_code)
        assert response["Content-Type"].startswith("application/problem+json"), operation.path
    assert Event.objects.count() == stored
