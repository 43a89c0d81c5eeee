"""Every domain error maps to one status and problem type (RFC 9457)."""

import json

import pytest

from casefiles.api.problems import exception_handler
from casefiles.errors import (
    ConcurrencyError,
    CriteriaNotMet,
    DecisionConflict,
    IdempotencyKeyReused,
    InvalidCommand,
    NotFound,
    PermissionDenied,
    StaleVersion,
)


@pytest.mark.parametrize(
    "error,status,kind",
    [
        (InvalidCommand("bad"), 422, "invalid-command"),
        (NotFound("gone"), 404, "not-found"),
        (PermissionDenied("no"), 403, "permission-denied"),
        (StaleVersion("moved", expected=1, actual=2), 412, "stale-version"),
        (DecisionConflict("taken"), 409, "decision-conflict"),
        (ConcurrencyError("race"), 409, "concurrent-change"),
        (IdempotencyKeyReused("again"), 422, "idempotency-key-reused"),
        (CriteriaNotMet("sourcing", ["no summary"]), 422, "criteria-not-met"),
    ],
)
def test_domain_errors_become_problem_details(error, status, kind):
    response = exception_handler(error, {})
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["type"] == f"urn:casefiles:problem:{kind}"
    assert (body["status"], body["detail"]) == (status, error.message)
    if isinstance(error, CriteriaNotMet):
        assert body["unmet"] == ["no summary"]


def test_an_unexpected_error_is_a_logged_500_problem(caplog):
    response = exception_handler(RuntimeError("boom"), {})
    assert response.status_code == 500
    assert json.loads(response.content)["detail"] == "unexpected error; it was logged"
    assert "boom" in caplog.text
