"""The second factor at the admin's door, through the test client: a correct password of a
device owner signs nobody in (not the admin, not the API's session authentication); the
code or the passkey does. The passkey ceremonies themselves run in a real browser
(test_passkeys_browser.py)."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/casefiles/casefile/"


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def passkey(user, name="Laptop", credential_id=b"\x01" * 16) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=b"\x02" * 77,
        sign_count=0,
        confirmed=True,
    )


def test_password_of_a_passkey_owner_signs_nobody_in(client, users):
    passkey(users["supervisor"])
    answer = client.post(LOGIN, {"username": "sam", "password": "x-sam"})
    assert answer.status_code == 200
    assert "Use your passkey" in answer.text and "second-factor-code" not in answer.text
    assert not answer.wsgi_request.user.is_authenticated
    assert client.get("/admin/").status_code == 302
    # The API's session authentication sees an anonymous session too.
    assert client.get("/api/cases/").status_code in (401, 403)


def test_wrong_password_never_reaches_the_second_step(client, users):
    passkey(users["supervisor"])
    answer = client.post(LOGIN, {"username": "sam", "password": "wrong"})
    assert answer.status_code == 200 and "Use your passkey" not in answer.text
    assert client.get("/admin/second-factor/").status_code == 302


def test_code_on_the_second_step_signs_in_and_a_wrong_one_does_not(client, users):
    device = TOTPDevice.objects.create(user=users["supervisor"], name="phone", confirmed=True)
    passkey(users["supervisor"])
    step = client.post(LOGIN, {"username": "sam", "password": "x-sam"})
    assert "Use your passkey" in step.text and "second-factor-code" in step.text
    wrong = client.post(
        "/admin/second-factor/", {"otp_token": "000000" if code(device) != ("000000") else "111111"}
    )
    assert wrong.status_code == 200 and "Wrong or expired code" in wrong.text
    assert not wrong.wsgi_request.user.is_authenticated
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    right = client.post("/admin/second-factor/", {"otp_token": code(device)})
    assert right.status_code == 302 and right["Location"] == "/admin/casefiles/casefile/"
    assert client.get("/admin/").status_code == 200


def test_the_passkey_challenge_names_only_the_waiting_users_passkeys(client, users):
    passkey(users["supervisor"], credential_id=b"sam-key-00000000")
    passkey(users["auditor"], credential_id=b"aud-key-00000000")
    begin = "/admin/webauthn/authentication/begin/"
    # Nobody waiting: no ceremony (passwordless sign-in is off).
    assert client.post(begin).status_code == 403
    client.post(LOGIN, {"username": "sam", "password": "x-sam"})
    options = client.post(begin).json()
    assert [c["id"] for c in options["allowCredentials"]] == ["c2FtLWtleS0wMDAwMDAwMA"]
    # A made-up answer signs nobody in.
    forged = client.post(
        "/admin/webauthn/authentication/complete/",
        {
            "id": "YXVkLWtleS0wMDAwMDAwMA",
            "rawId": "YXVkLWtleS0wMDAwMDAwMA",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
        },
        content_type="application/json",
    )
    assert forged.status_code >= 400
    assert client.get("/admin/").status_code == 302


def test_adding_a_passkey_needs_an_admin_session_verified_by_the_existing_device(client, users):
    begin = "/admin/webauthn/registration/begin/"
    assert client.post(begin).status_code in (401, 403)
    device = TOTPDevice.objects.create(user=users["supervisor"], name="phone", confirmed=True)
    # Signed in by the password alone (as another path might), not verified by the phone.
    client.force_login(users["supervisor"])
    assert client.post(begin).status_code in (401, 403)
    client.logout()
    client.post(LOGIN, {"username": "sam", "password": "x-sam"})
    client.post("/admin/second-factor/", {"otp_token": code(device)})
    options = client.post(begin).json()
    assert options["rp"]["id"] == "localhost" and options["user"]["name"] == "sam"


def test_passkeys_page_names_and_removes_only_your_own(client, users):
    own = passkey(users["documenter"], name="", credential_id=b"own-key-00000000")
    theirs = passkey(users["auditor"], name="Auditor's key", credential_id=b"aud-key-00000000")
    client.force_login(users["documenter"])
    # (force_login is not verified by the passkey: the admin refuses until it is.)
    assert client.get("/admin/passkeys/").status_code == 302
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = own.persistent_id
    session.save()
    page = client.get("/admin/passkeys/")
    assert page.status_code == 200 and "Auditor's key" not in page.text
    client.post("/admin/passkeys/", {"action": "name", "credential": own.pk, "name": "Phone"})
    client.post("/admin/passkeys/", {"action": "remove", "credential": theirs.pk})
    client.post("/admin/passkeys/", {"action": "name", "credential": theirs.pk, "name": "x"})
    for hostile in ("abc", "", "1e3", "\x00", "9" * 30, "١"):
        answer = client.post("/admin/passkeys/", {"action": "remove", "credential": hostile})
        assert answer.status_code == 302
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert own.name == "Phone" and theirs.name == "Auditor's key"
    client.post("/admin/passkeys/", {"action": "remove", "credential": own.pk})
    assert not WebAuthnCredential.objects.filter(pk=own.pk).exists()
