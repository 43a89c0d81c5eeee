"""Hostile requests get a 4xx that says why, never a 500: bodies over their cap (refused
before they are read), bodies of unknown length, JSON nested too deep or with numbers out
of range, NUL and out-of-range values in admin filters and API queries, and a misspelt
DJANGO_ENV. Each test performs the attack."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from casefiles.models import CaseNote, Ingestion
from tests.factories import open_case

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _no_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def documenter(users):
    client = APIClient()
    # Whatever the authentication scheme: these tests are about what comes after it.
    client.force_authenticate(user=users["documenter"])
    return client


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["status"] == status and body["detail"]
    return body


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def post_declared(client, path: str, length: int, content_type: str, **extra):
    """A POST that declares `length` bytes of body that cannot be read."""
    return client.generic(
        "POST",
        path,
        b"",
        content_type=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
        **extra,
    )


# --- body size -----------------------------------------------------------------------


@pytest.mark.parametrize("megabytes", [3, 200, 2048])
def test_json_body_over_the_cap_is_413_before_it_is_read(documenter, actors, megabytes):
    case_id = open_case(actors["documenter"])
    body = problem(
        post_declared(
            documenter,
            f"/api/cases/{case_id}/notes/",
            megabytes * 1_048_576,
            "application/json",
            HTTP_IF_MATCH='"1"',
        ),
        413,
    )
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}" in body["detail"]
    assert not CaseNote.objects.exists()


def test_a_real_body_over_the_cap_is_413(documenter, actors):
    case_id = open_case(actors["documenter"])
    text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = documenter.post(
        f"/api/cases/{case_id}/notes/", {"text": text}, format="json", HTTP_IF_MATCH='"1"'
    )
    problem(response, 413)
    assert not CaseNote.objects.exists()


def test_a_2_gb_upload_is_refused_before_a_byte_is_read(documenter):
    body = problem(
        post_declared(
            documenter, "/api/ingestions/", 2 * 1024**3, "multipart/form-data; boundary=xyz"
        ),
        413,
    )
    assert f"{settings.CASEFILES_MAX_UPLOAD_BYTES:,}" in body["detail"]
    assert not Ingestion.objects.exists()


def test_an_upload_within_the_cap_still_works_and_over_the_document_limit_is_recorded(
    documenter, monkeypatch
):
    monkeypatch.setattr("casefiles.api.sources.MAX_BYTES", 10)
    response = documenter.post(
        "/api/ingestions/", {"file": io.BytesIO(b"x" * 11)}, format="multipart"
    )
    problem(response, 413)
    assert Ingestion.objects.get().status == Ingestion.FAILED


def test_a_form_field_over_the_memory_cap_inside_an_upload_is_413(documenter):
    # Within the upload cap, but a plain field Django keeps in memory: RequestDataTooBig,
    # raised while DRF parses, was a 500.
    field = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = documenter.post("/api/ingestions/", {"file": field}, format="multipart")
    problem(response, 413)


def test_too_many_form_fields_is_400(documenter):
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = documenter.generic(
        "POST", "/api/cases/", fields, content_type="application/x-www-form-urlencoded"
    )
    problem(response, 400)


def test_a_body_of_unknown_length_is_411_and_not_read(documenter):
    # Chunked: no Content-Length (the test client sends none for an empty body).
    response = documenter.generic(
        "POST",
        "/api/cases/",
        b"",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": Unreadable()},
    )
    assert "CONTENT_LENGTH" not in response.wsgi_request.META
    assert "Content-Length" in problem(response, 411)["detail"]


def test_a_malformed_content_length_is_400():
    from django.test import RequestFactory

    from casefiles.request_limits import RequestSizeMiddleware

    for value in ("12abc", "-5", "１２"):
        request = RequestFactory().post("/api/cases/", b"", content_type="application/json")
        request.META["CONTENT_LENGTH"] = value
        problem(RequestSizeMiddleware(lambda r: None)(request), 400)


def test_admin_forms_over_the_cap_are_413_too(client):
    response = post_declared(
        client, "/admin/login/", 50 * 1_048_576, "application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


# --- JSON depth and numbers ----------------------------------------------------------


def post_note(client, case_id, raw: str):
    return client.generic(
        "POST",
        f"/api/cases/{case_id}/notes/",
        raw,
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested more than 64"),
        ('{"text": ' + "[" * 65 + "]" * 65 + "}", "nested more than 64"),
        ('{"text": ' + '{"a": ' * 70 + "1" + "}" * 70 + "}", "nested more than 64"),
        ('{"text": 1e400}', "out of range"),
        ('{"text": -1e400}', "out of range"),
        ('{"text": NaN}', "NaN is not a JSON number"),
        ('{"text": Infinity}', "Infinity is not a JSON number"),
        ('{"text": 100000000000000000000}', "out of range"),
        ('{"text": ' + "9" * 5000 + "}", "out of range"),
    ],
)
def test_hostile_json_is_400_with_a_reason(documenter, actors, raw, reason):
    case_id = open_case(actors["documenter"])
    body = problem(post_note(documenter, case_id, raw), 400)
    assert reason in body["detail"]
    assert not CaseNote.objects.exists()


def test_json_within_the_limits_still_reaches_the_command(documenter, actors):
    case_id = open_case(actors["documenter"])
    # 64 levels are allowed; the field is the wrong type: 422 from validation, not 400.
    nested = '{"text": ' + "[" * 63 + "]" * 63 + "}"
    assert post_note(documenter, case_id, nested).status_code == 422
    assert post_note(documenter, case_id, '{"text": "fine"}').status_code == 201
    # A finite float and a 64-bit integer pass the parser (and then fail validation).
    assert post_note(documenter, case_id, '{"text": 1.5e300}').status_code in (412, 422)
    assert post_note(documenter, case_id, '{"text": 9223372036854775807}').status_code in (412, 422)


# --- query parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "state=%00",
        "place=%00",
        "q=%00",
        "state__exact=%00",
        "place=Bucha%00",
        "category=%00",
        "incident_year=%C2%B2",
        "incident_year=99999999999999999999",
        "assignee=%C2%B2",
        "assignee=99999999999999999999",
        "sources=%00",
        "%00=1",
    ],
)
def test_admin_case_list_filters_never_500(client, users, actors, query):
    open_case(actors["documenter"])
    client.force_login(users["documenter"])
    response = client.get(f"/admin/casefiles/casefile/?{query}", follow=True)
    assert response.status_code == 200, query
    if "%00" in query:
        assert "NUL" in response.content.decode()


@pytest.mark.parametrize("path", ["event", "source", "ingestion", "casenote", "transitionrequest"])
def test_other_admin_lists_drop_nul_too(client, users, path):
    client.force_login(users["supervisor"])
    response = client.get(f"/admin/casefiles/{path}/?q=%00&type=%00&status=%00", follow=True)
    assert response.status_code in (200, 403), path


@pytest.mark.parametrize(
    "query",
    [
        "place=%00",
        "q=%00",
        "state=%00",
        "category=%00",
        "assignee=%00",
        "assignee=99999999999999999999",
        "incident_after=%00",
        "ordering=%00",
        "page=%00",
        "page_size=%00",
    ],
)
def test_api_case_list_queries_never_500(documenter, actors, query):
    open_case(actors["documenter"])
    response = documenter.get(f"/api/cases/?{query}")
    assert response.status_code < 500, (query, response.content[:300])


# --- DJANGO_ENV ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Production", "prod", "PRODUCTION", "staging", " production"])
def test_an_unknown_django_env_is_refused_at_start_up(value):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ENV": value},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "neither 'production' nor 'development'" in result.stderr


def test_the_two_known_values_start():
    for value in ("development", "production"):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": value,
            "SECRET_KEY": "k" * 60,
            "DEBUG": "0",
        }
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr


def test_problem_bodies_are_json(documenter):
    # The 413 of the API is a problem document a client can read.
    body = json.loads(post_declared(documenter, "/api/cases/", 10**9, "application/json").content)
    assert body["type"] == "about:blank" and body["status"] == 413
