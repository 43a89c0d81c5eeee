"""What a new user meets first with a browser and curl (issue 18): errors that are problem
documents in every mode, a page telling an anonymous browser where to sign in, a schema a
browser shows instead of downloading."""

import pytest
from django.test import Client
from django.urls import clear_url_caches

pytestmark = pytest.mark.django_db
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    clear_url_caches()
    return request.param


def test_an_unknown_api_url_is_a_problem_document_in_every_mode(debug):
    response = Client().get("/api/nothing/here", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "there is no resource at /api/nothing/here"
    # Django's debug page lists every URL pattern: none of that leaks.
    assert b"urlpatterns" not in response.content and b"<html" not in response.content


def test_an_api_url_without_its_slash_is_still_redirected(debug):
    response = Client().get("/api/cases?state=intake")
    assert response.status_code == 301
    assert response["Location"] == "/api/cases/?state=intake"


def test_an_anonymous_browser_is_told_where_to_sign_in(debug):
    response = Client().get("/api/cases/?state=intake", HTTP_ACCEPT=BROWSER)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/html")
    assert response["WWW-Authenticate"] == "Token"
    page = response.content.decode()
    assert 'href="/admin/login/?next=%2Fapi%2Fcases%2F%3Fstate%3Dintake"' in page
    assert 'href="/api/docs/"' in page


def test_a_program_still_gets_the_problem_document(anon):
    for accept in ("application/json", "*/*"):
        response = anon.get("/api/cases/", HTTP_ACCEPT=accept)
        assert response.status_code == 401, accept
        assert response["Content-Type"] == "application/problem+json", accept


def test_a_browser_is_shown_the_schema(anon):
    shown = anon.get("/api/schema/", HTTP_ACCEPT=BROWSER)
    assert shown.status_code == 200
    assert shown["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in shown
    assert shown.content.startswith(b"openapi: 3")
    downloaded = anon.get("/api/schema/")
    assert downloaded["Content-Type"].startswith("application/vnd.oai.openapi")
    assert anon.get("/api/schema/?format=json", HTTP_ACCEPT=BROWSER).json()["openapi"]


def test_a_write_to_an_unknown_api_url_is_a_404_not_a_csrf_page(users):
    """Session clients are CSRF-checked on resolved views; the catch-all changes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["documenter"])
    response = client.post("/api/approvals/%C2%B5/approve/", {"reason": "x"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
