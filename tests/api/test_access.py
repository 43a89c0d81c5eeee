"""Who gets in: 401 for anonymous, 403 without a role, tokens, sessions, throttling."""

import uuid

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.api.test_cases import problem
from tests.conftest import make_user
from tests.factories import open_case

pytestmark = pytest.mark.django_db
SOME = uuid.uuid4()
ENDPOINTS = [
    ("get", "/api/cases/"),
    ("post", "/api/cases/"),
    ("get", f"/api/cases/{SOME}/"),
    ("patch", f"/api/cases/{SOME}/"),
    ("get", f"/api/cases/{SOME}/events/"),
    ("post", f"/api/cases/{SOME}/sources/"),
    ("post", f"/api/cases/{SOME}/notes/"),
    ("post", f"/api/cases/{SOME}/transitions/"),
    ("post", f"/api/cases/{SOME}/sources/{SOME}/grade/"),
    ("post", f"/api/cases/{SOME}/sources/{SOME}/provenance/"),
    ("post", f"/api/cases/{SOME}/sources/{SOME}/verifications/"),
    ("post", f"/api/cases/{SOME}/facts/"),
    ("post", f"/api/cases/{SOME}/facts/{SOME}/support/"),
    ("get", f"/api/cases/{SOME}/corroboration/"),
    ("post", f"/api/cases/{SOME}/qualifications/"),
    ("post", f"/api/cases/{SOME}/qualifications/{SOME}/elements/"),
    ("post", f"/api/cases/{SOME}/persons/"),
    ("post", f"/api/cases/{SOME}/persons/{SOME}/reveal/"),
    ("post", f"/api/cases/{SOME}/split/"),
    ("post", f"/api/cases/{SOME}/discard/"),
    ("post", f"/api/cases/{SOME}/restore/"),
    ("post", f"/api/cases/{SOME}/merge/decision/"),
    ("post", f"/api/cases/{SOME}/links/{SOME}/merge/"),
    ("post", f"/api/cases/{SOME}/links/{SOME}/dismiss/"),
    ("get", "/api/approvals/"),
    ("post", f"/api/approvals/{SOME}/approve/"),
    ("post", f"/api/approvals/{SOME}/reject/"),
    ("get", "/api/sources/"),
    ("get", f"/api/sources/{SOME}/"),
    ("get", f"/api/sources/{SOME}/original/"),
    ("post", "/api/ingestions/"),
    ("get", f"/api/ingestions/{SOME}/"),
]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_anonymous_gets_401_with_a_challenge(anon, method, path):
    response = getattr(anon, method)(path)
    problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_a_user_without_a_role_gets_403(db, method, path):
    client = APIClient()
    client.force_login(make_user("nobody"))
    body = problem(getattr(client, method)(path), 403)
    assert "roles" in body["detail"]


def test_a_bad_token_is_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    problem(anon.get("/api/cases/"), 401)


def test_token_endpoint_issues_a_working_token(anon, users, actors):
    open_case(actors["documenter"])
    response = anon.post(
        "/api/auth/token/", {"username": "aud", "password": "x-aud"}, format="json"
    )
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/cases/").json()["count"] == 1
    body = problem(
        anon.post("/api/auth/token/", {"username": "aud", "password": "wrong"}, format="json"),
        422,
        "invalid-request",
    )
    assert body["errors"]


def test_token_endpoint_is_throttled_more_strictly(anon, users):
    limit = int(api_settings.DEFAULT_THROTTLE_RATES["auth"].split("/")[0])
    user_limit = int(api_settings.DEFAULT_THROTTLE_RATES["user"].split("/")[0])
    assert limit < user_limit
    for _ in range(limit):
        response = anon.post(
            "/api/auth/token/", {"username": "aud", "password": "guess"}, format="json"
        )
        assert response.status_code == 422
    throttled = anon.post(
        "/api/auth/token/", {"username": "aud", "password": "x-aud"}, format="json"
    )
    problem(throttled, 429)
    assert int(throttled["Retry-After"]) > 0


def test_anonymous_requests_to_public_endpoints_are_throttled(anon):
    # Elsewhere an anonymous request is refused (401) before any throttle is consulted.
    limit = int(api_settings.DEFAULT_THROTTLE_RATES["anon"].split("/")[0])
    statuses = [anon.get("/api/docs/").status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [200] * limit
    assert statuses[-1] == 429


def test_session_authentication_works_for_the_browsable_api(users, actors):
    open_case(actors["documenter"])
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["legal"])
    page = client.get("/api/cases/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"CF-" in page.content
    # Session writes need the CSRF token, like any form post.
    problem(client.post("/api/cases/", {"title": "x"}, format="json"), 403)


def test_schema_and_docs_are_served(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/cases/{case_id}/events/" in paths
    assert "/api/approvals/{request_id}/approve/" in paths
    assert anon.get("/api/docs/").status_code == 200


def test_users_are_throttled_per_user(api, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/minute")
    statuses = [api["documenter"].get("/api/cases/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api["supervisor"].get("/api/cases/").status_code == 200  # another user's budget


def test_unknown_api_urls_are_problems_and_other_urls_are_pages(api, anon):
    problem(api["auditor"].get("/api/cases/not-a-uuid/"), 404)
    problem(anon.get("/api/nowhere/"), 404)
    page = anon.get("/nowhere/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
