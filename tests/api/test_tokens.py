"""API tokens under the admin's second-factor policy: a device owner proves the device to
get one, tokens are hashed, expire (idle and absolute), are listed and revoked by their
owner and by an administrator, and a read-only token cannot write."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from casefiles.commands import tokens
from casefiles.models import ApiToken, Event
from tests.api.test_cases import problem
from tests.factories import open_case
from tests.test_deploy import PRODUCTION_ENV, run_django

pytestmark = pytest.mark.django_db
SAM = {"username": "sam", "password": "x-sam"}


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def phone(users) -> TOTPDevice:
    return TOTPDevice.objects.create(user=users["supervisor"], name="phone", confirmed=True)


def request_token(anon, **body):
    return anon.post("/api/auth/token/", body, format="json")


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


class Clock:
    def __init__(self, monkeypatch):
        self.at = timezone.now()
        monkeypatch.setattr(tokens, "now", lambda: self.at)

    def advance(self, **delta):
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


# --- the finding: a password alone got a device owner a token -------------------------


def test_a_device_owner_gets_no_token_with_the_password_alone(anon, phone):
    body = problem(request_token(anon, **SAM), 422, "invalid-request")
    assert body["errors"]["otp"] == [
        "this account has a second factor: send its current code as otp"
    ]
    assert (
        "otp" in problem(request_token(anon, **SAM, otp="000000"), 422, "invalid-request")["errors"]
    )
    assert not ApiToken.objects.exists()


def test_with_the_code_the_device_owner_gets_a_working_token(anon, phone, actors):
    case_id = open_case(actors["documenter"])
    used = code(phone)
    response = request_token(anon, **SAM, otp=used)
    assert response.status_code == 200, response.content
    issued = response.json()
    assert (issued["scope"], issued["issued_with"]) == ("write", "password+otp")
    supervisor = client_with(issued["token"])
    assert supervisor.get("/api/approvals/").status_code == 200
    assert supervisor.get(f"/api/cases/{case_id}/").status_code == 200
    # The code was used: the same one again is refused (replay). The same string, not a
    # code computed again, which is a new, valid one once the 30-second step has passed.
    problem(request_token(anon, **SAM, otp=used), 422, "invalid-request")


def test_only_the_hash_of_the_key_is_stored(anon, users):
    key = request_token(anon, username="dora", password="x-dora").json()["token"]
    stored = ApiToken.objects.get()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values()))
    assert stored.prefix == key[:8]


def test_wrong_credentials_say_nothing_about_the_second_factor(anon, phone):
    body = problem(request_token(anon, username="sam", password="wrong"), 422)
    assert "otp" not in body["errors"]


# --- lifetime: idle and absolute, with a controllable clock --------------------------


def test_a_token_expires_when_left_unused(anon, users, clock, settings):
    key = request_token(anon, username="dora", password="x-dora").json()["token"]
    client = client_with(key)
    for _ in range(3):  # used within the idle limit, it keeps working past it in total
        clock.advance(seconds=settings.API_TOKEN_IDLE_SECONDS - 60)
        assert client.get("/api/cases/").status_code == 200
    clock.advance(seconds=settings.API_TOKEN_IDLE_SECONDS)
    body = problem(client.get("/api/cases/"), 401)
    assert "unused for too long" in body["detail"]


def test_a_token_expires_at_its_maximum_age_however_much_it_is_used(anon, users, clock, settings):
    assert (settings.API_TOKEN_IDLE_SECONDS, settings.API_TOKEN_MAX_AGE_SECONDS) == (
        8 * 3600,
        30 * 24 * 3600,
    )
    key = request_token(anon, username="dora", password="x-dora").json()["token"]
    client = client_with(key)
    elapsed = 0
    while elapsed + 7 * 3600 < settings.API_TOKEN_MAX_AGE_SECONDS:
        clock.advance(hours=7)
        elapsed += 7 * 3600
        assert client.get("/api/cases/").status_code == 200
    clock.advance(hours=7)
    assert "maximum age" in problem(client.get("/api/cases/"), 401)["detail"]


def test_lifetimes_are_configurable(anon, users, clock, settings):
    settings.API_TOKEN_IDLE_SECONDS = 600
    issued = request_token(anon, username="dora", password="x-dora").json()
    assert issued["idle_expires_at"] == (clock.at + timedelta(seconds=600)).isoformat().replace(
        "+00:00", "Z"
    )
    clock.advance(seconds=601)
    problem(client_with(issued["token"]).get("/api/cases/"), 401)


# --- listing and revoking -------------------------------------------------------------


def test_the_owner_lists_and_revokes_their_tokens(anon, users):
    first = request_token(anon, username="dora", password="x-dora", name="laptop").json()
    second = request_token(anon, username="dora", password="x-dora", scope="read").json()
    other = request_token(anon, username="lena", password="x-lena").json()
    client = client_with(first["token"])
    listed = client.get("/api/auth/tokens/").json()
    assert [(t["id"], t["name"], t["scope"], t["current"]) for t in listed] == [
        (second["id"], "", "read", False),
        (first["id"], "laptop", "write", True),
    ]
    assert "token" not in listed[0] and "key_hash" not in listed[0]
    # Someone else's token is not found, and stays valid.
    problem(client.delete(f"/api/auth/tokens/{other['id']}/"), 404)
    assert client_with(other["token"]).get("/api/cases/").status_code == 200
    assert client.delete(f"/api/auth/tokens/{second['id']}/").status_code == 204
    problem(client_with(second["token"]).get("/api/cases/"), 401)
    assert client.delete(f"/api/auth/tokens/{first['id']}/").status_code == 204
    assert "revoked" in problem(client.get("/api/cases/"), 401)["detail"]
    revoked = ApiToken.objects.get(pk=first["id"])
    assert revoked.revoked_by == "dora" and revoked.revoked_at is not None


def test_an_administrator_sees_and_revokes_a_users_tokens_in_the_admin(anon, users, client):
    key = request_token(anon, username="dora", password="x-dora", name="script").json()["token"]
    client.force_login(User.objects.create_superuser("root", password="x-root"))
    page = client.get(f"/admin/auth/user/{users['documenter'].pk}/change/")
    assert (
        page.status_code == 200 and b"script" in page.content and key[:8].encode() in page.content
    )
    assert key.encode() not in page.content
    client.post(
        "/admin/auth/user/",
        {"action": "revoke_tokens", "_selected_action": [users["documenter"].pk]},
    )
    assert ApiToken.objects.get().revoked_by == "root"
    problem(client_with(key).get("/api/cases/"), 401)


# --- scope: read-only tokens cannot write --------------------------------------------


def test_a_read_only_token_gets_403_on_every_write(anon, users, actors):
    case_id = open_case(actors["documenter"])
    key = request_token(anon, username="dora", password="x-dora", scope="read").json()["token"]
    client = client_with(key)
    assert client.get("/api/cases/").status_code == 200
    assert client.get(f"/api/cases/{case_id}/").status_code == 200
    from tests.api.test_access import ENDPOINTS

    writes = [(m, p) for m, p in ENDPOINTS if m != "get"] + [
        ("post", f"/api/cases/{case_id}/notes/"),
        ("patch", f"/api/cases/{case_id}/"),
        ("post", "/api/auth/tokens/"),
    ]
    for method, path in writes:
        body = problem(
            getattr(client, method)(path, {"text": "x"}, format="json", HTTP_IF_MATCH='"1"'), 403
        )
        assert "read-only" in body["detail"], (method, path)
    assert Event.objects.filter(case_id=case_id).count() == 1


# --- minting from a session ----------------------------------------------------------


def test_tokens_are_minted_from_a_session_verified_by_the_device(users, phone):
    client = APIClient()
    client.force_login(users["supervisor"])
    # Signed in without the device: the session counts for nothing.
    problem(client.post("/api/auth/tokens/", {}, format="json"), 401)
    session = client.session
    session["otp_device_id"] = phone.persistent_id  # what django_otp.login() records
    session.save()
    response = client.post(
        "/api/auth/tokens/", {"scope": "read", "name": "notebook"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["issued_with"], response.json()["scope"]) == ("session+otp", "read")
    # A token cannot mint another (it would outlive its own limits).
    problem(client_with(response.json()["token"]).post("/api/auth/tokens/", {}, format="json"), 403)
    writer = request_token(APIClient(), **SAM, otp=code(phone)).json()["token"]
    body = problem(client_with(writer).post("/api/auth/tokens/", {}, format="json"), 403)
    assert "cannot mint" in body["detail"]


# --- the production policy: some roles must have a second factor ----------------------


def test_production_requires_a_second_factor_for_supervisors_legal_reviewers_and_auditors():
    show = "from django.conf import settings; print(settings.CASEFILES_SECOND_FACTOR_ROLES)"
    result = run_django(show, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['supervisor', 'legal_reviewer', 'auditor']"
    assert run_django(show, DJANGO_ENV="development").stdout.strip() == "[]"
    assert (
        run_django(show, **PRODUCTION_ENV, CASEFILES_SECOND_FACTOR_ROLES="none").stdout.strip()
        == "[]"
    )
    bad = run_django(show, CASEFILES_SECOND_FACTOR_ROLES="supervisors")
    assert bad.returncode != 0 and "unknown roles: supervisors" in bad.stderr


@pytest.fixture
def required(settings):
    settings.CASEFILES_SECOND_FACTOR_ROLES = ["supervisor", "legal_reviewer", "auditor"]


@pytest.mark.parametrize("username", ["sam", "lena", "aud"])
def test_without_a_device_those_roles_get_no_token_and_no_admin(
    anon, client, users, required, username
):
    login = {"username": username, "password": f"x-{username}"}
    body = problem(request_token(anon, **login), 403, "permission-denied")
    assert "set up a second factor" in body["detail"]
    page = client.post("/admin/login/?next=/admin/", login)
    assert page.status_code == 200 and not page.wsgi_request.user.is_authenticated
    assert b"set up a second factor" in page.content
    # An existing session is no longer enough either, for the admin and the API.
    client.force_login(User.objects.get(username=username))
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/cases/").status_code == 401
    assert not ApiToken.objects.exists()


def test_with_a_device_they_sign_in_and_documenters_need_none(anon, users, required, phone):
    assert request_token(anon, **SAM, otp=code(phone)).status_code == 200
    assert request_token(anon, username="dora", password="x-dora").status_code == 200


# --- a passkey as the only second factor ---------------------------------------------


def passkey(user):
    from tests.admin.test_second_factor import passkey as make

    return make(user, credential_id=b"sam-key-00000000")


def test_a_passkey_only_user_is_told_to_mint_a_token_from_a_verified_session(anon, users):
    passkey(users["supervisor"])
    # A passkey cannot be typed: whatever otp is sent, the answer says where to go instead.
    for body in (SAM, {**SAM, "otp": "123456"}):
        refused = problem(request_token(anon, **body), 403, "permission-denied")
        assert "passkey" in refused["detail"] and "POST /api/auth/tokens/" in refused["detail"]
    # Only after the right password: a wrong one says nothing about the passkey.
    wrong = problem(request_token(anon, username="sam", password="wrong"), 422)
    assert "passkey" not in str(wrong)
    assert not ApiToken.objects.exists()


def test_a_passkey_and_an_authenticator_app_still_take_the_code(anon, users, phone):
    passkey(users["supervisor"])
    assert request_token(anon, **SAM, otp=code(phone)).status_code == 200


def test_a_passkey_verified_session_mints_a_token_and_an_unverified_one_does_not(client, users):
    from django_otp import DEVICE_ID_SESSION_KEY

    key = passkey(users["supervisor"])
    # The password at the admin's door leaves the session waiting for the passkey: anonymous.
    client.post("/admin/login/?next=/admin/", {"username": "sam", "password": "x-sam"})
    problem(client.post("/api/auth/tokens/", {}, content_type="application/json"), 401)
    # Signed in some other way, without the passkey: the session counts for nothing.
    client.force_login(users["supervisor"])
    problem(client.post("/api/auth/tokens/", {}, content_type="application/json"), 401)
    assert not ApiToken.objects.exists()
    # Verified by the passkey (what django_otp.login() records after the ceremony,
    # casefiles.second_factor.second_factor_done): a token, recorded as such.
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = key.persistent_id
    session.save()
    minted = client.post(
        "/api/auth/tokens/", {"scope": "read", "name": "laptop"}, content_type="application/json"
    )
    assert minted.status_code == 200, minted.content
    assert (minted.json()["issued_with"], minted.json()["scope"]) == ("session+passkey", "read")
    assert client_with(minted.json()["token"]).get("/api/approvals/").status_code == 200
