"""How API requests authenticate: our tokens (`Authorization: Token <key>`, hashed,
expiring, scoped) and admin sessions held to the same second-factor policy."""

from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from casefiles import authpolicy
from casefiles.commands.tokens import token_check
from casefiles.errors import PermissionDenied
from casefiles.models import ApiToken


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing and `WWW-Authenticate: Token` challenge, our token store.
    A read-only token gets 403 on every method but GET, HEAD and OPTIONS."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if token.scope == ApiToken.READ and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(
                "this token is read-only: writing needs a token with scope write"
            )
        return user, token

    def authenticate_credentials(self, key):
        try:
            token = token_check(key)
        except PermissionDenied as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None
        return token.user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """The browsable API after signing in at /admin/login/: a session counts only when
    the admin itself would let it in (verified by the device, if the user has one)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        if not authpolicy.session_allowed(result[0]):
            # As if not signed in: the admin login asks for the second factor.
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """The schema describes our session class as DRF's (cookie authentication)."""

    target_class = SessionAuthentication
