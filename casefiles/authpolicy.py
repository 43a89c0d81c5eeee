"""One second-factor policy for the admin and the API.

A user who has a confirmed django-otp device (TOTP, or any other device plugin) proves
it at every sign-in: the admin's login form asks for the code, the API's token request
takes it as `otp`, and tokens minted from a session need a session verified by the
device. Holders of the roles in CASEFILES_SECOND_FACTOR_ROLES (supervisors, legal
reviewers and auditors by default when DJANGO_ENV=production) must have such a device:
without one they can neither sign in to the admin nor get a token.
"""

from django.conf import settings
from django_otp import devices_for_user, user_has_device
from django_otp_webauthn.models import WebAuthnCredential

from casefiles.errors import PermissionDenied

SET_UP = (
    "set up a second factor first: ask an administrator to add an authenticator "
    "(TOTP device) to your account, then sign in with its code"
)
PASSKEY_ONLY = (
    "this account's second factor is a passkey, and a passkey cannot be typed into a token "
    "request: sign in to the admin (/admin/login/) with your password and passkey, then, "
    "from that signed-in session, mint a token with POST /api/auth/tokens/ (the browsable "
    "API at /api/auth/tokens/ does it), or ask an administrator for an authenticator app "
    "(TOTP) to send its code here as otp"
)


def has_device(user) -> bool:
    return user_has_device(user, confirmed=True)


def has_code_device(user) -> bool:
    """Has the user a device that checks a typed code (TOTP)? A passkey (WebAuthn) answers
    a signed challenge in the browser, never a code."""
    return any(
        not isinstance(device, WebAuthnCredential)
        for device in devices_for_user(user, confirmed=True)
    )


def device_required(user) -> bool:
    """Must this user have a second factor? (By role, configured per deployment.)"""
    roles = settings.CASEFILES_SECOND_FACTOR_ROLES
    return bool(roles) and user.groups.filter(name__in=roles).exists()


def refuse_without_required_device(user) -> None:
    """PermissionDenied, saying what to do, for a user whose role needs a second factor
    they have not set up."""
    if device_required(user) and not has_device(user):
        raise PermissionDenied(f"{user.get_username()} must use a second factor: {SET_UP}")


def session_allowed(user) -> bool:
    """May this signed-in session act? Device holders only once verified by the device;
    users whose role needs a device only with one."""
    if has_device(user):
        return bool(getattr(user, "is_verified", lambda: False)())
    return not device_required(user)
