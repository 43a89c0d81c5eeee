"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools protocol,
WebAuthn domain) stands in for a phone or laptop. A supervisor adds a named passkey from the
admin, then signing in takes the password and the passkey, and that session mints an API
token; an authenticator that does not hold the passkey signs nobody in."""

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from tests.admin.test_browser import CHROMIUM, ON_SQLITE, SCREENSHOTS, chromium, server_url
from tests.conftest import make_user

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=not ON_SQLITE),
]
__all__ = ["server_url"]  # the live-server fixture, shared with test_browser.py

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def add_authenticator(cdp) -> str:
    return cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})[
        "authenticatorId"
    ]


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def password(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", "x-" + username)
    page.click("input[type=submit]")


def press(page, button: str) -> None:
    """Click a button of django-otp-webauthn's script once its translations (loaded by an
    async script) are there: its click handler calls gettext() first and stops without."""
    for _ in range(400):  # (wait_for_function evaluates a string: the CSP forbids that)
        if page.evaluate("typeof window.gettext === 'function'"):
            break
        page.wait_for_timeout(50)
    page.click(button)


def signed_in(page, base: str) -> bool:
    page.goto(f"{base}/admin/")
    return "/admin/login/" not in page.url


def test_add_a_passkey_then_sign_in_with_password_and_passkey(server_url, settings):
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [server_url]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_TIMEOUT_SECONDS = 5
    sam = make_user("sam", "supervisor")

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(20_000)
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        laptop = add_authenticator(cdp)

        # No device yet: the password alone signs in. The user adds a passkey, named.
        password(page, server_url, "sam")
        page.wait_for_selector("#site-name")
        page.click("#passkeys-link")
        page.wait_for_selector("#casefiles-passkeys")
        assert "You have no passkey yet" in page.inner_text("#casefiles-passkeys")
        page.fill("#id_passkey_name", "Work laptop")
        press(page, "#passkey-register-button")
        page.wait_for_selector(".messagelist .success")
        shot(page, "20-passkey-added")
        assert page.locator("tr.casefiles-passkey[data-name='Work laptop']").count() == 1
        held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": laptop})["credentials"]
        assert len(held) == 1 and held[0]["rpId"] == "localhost"

        # Signing in again: the password is not enough, the passkey finishes it.
        context.clear_cookies()
        password(page, server_url, "sam")
        page.wait_for_selector("#casefiles-second-factor")
        shot(page, "21-passkey-second-factor")
        assert page.locator("#second-factor-code").count() == 0  # no authenticator app
        press(page, "#passkey-verification-button")
        page.wait_for_url(f"{server_url}/admin/")
        page.wait_for_selector("#passkeys-link")
        assert signed_in(page, server_url)

        # A script's token: the token request cannot take a passkey and says where to go;
        # this session, verified by the passkey, mints one.
        refused = page.request.post(
            f"{server_url}/api/auth/token/", data={"username": "sam", "password": "x-sam"}
        )
        assert refused.status == 403 and "POST /api/auth/tokens/" in refused.json()["detail"]
        csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
        minted = page.request.post(
            f"{server_url}/api/auth/tokens/", data={"name": "script"}, headers={"X-CSRFToken": csrf}
        )
        assert minted.status == 200, minted.text()
        assert minted.json()["issued_with"] == "session+passkey"
        approvals = page.request.get(
            f"{server_url}/api/approvals/",
            headers={"Authorization": f"Token {minted.json()['token']}", "Cookie": ""},
        )
        assert approvals.status == 200

        # An authenticator that does not hold the passkey (the laptop's is gone, another
        # one is there) cannot finish it, and the password alone got nobody in.
        context.clear_cookies()
        cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": laptop})
        other = add_authenticator(cdp)
        password(page, server_url, "sam")
        page.wait_for_selector("#casefiles-second-factor")
        press(page, "#passkey-verification-button")
        status = page.locator("#passkey-verification-status-message")
        status.filter(has_text="not allowed").wait_for()
        shot(page, "22-passkey-wrong-authenticator")
        assert not signed_in(page, server_url)
        assert cdp.send("WebAuthn.getCredentials", {"authenticatorId": other})["credentials"] == []

    # (The database is read once the browser is closed: inside Playwright's event loop
    # Django refuses synchronous queries.)
    credential = WebAuthnCredential.objects.get(user=sam)
    assert credential.name == "Work laptop" and credential.confirmed
    assert credential.last_used_at is not None
