"""Tokens for scripts: the token request (username, password and, for a user with a
second factor, its current code), and the owner's list, minting from a verified admin
session, and revocation. One policy with the admin's login: casefiles.authpolicy."""

from django.contrib.auth import authenticate
from django_otp import match_token
from django_otp_webauthn.models import WebAuthnCredential
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from casefiles import authpolicy, lockout
from casefiles.api import problems
from casefiles.api.base import validated
from casefiles.api.serializers import Strict
from casefiles.commands.tokens import (
    idle_expires_at,
    live_tokens,
    token_issue,
    token_revoke,
)
from casefiles.domain.actors import TOKEN_SCOPES
from casefiles.errors import PermissionDenied
from casefiles.models import ApiToken

SCOPE_HELP = "write (default) or read: a read-only token gets 403 on every write"


class TokenRequest(Strict):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        required=False,
        max_length=64,
        help_text="the current code of your second factor: required when your account has one",
    )
    scope = serializers.ChoiceField(TOKEN_SCOPES, default=ApiToken.WRITE, help_text=SCOPE_HELP)
    name = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="to recognise it in your list",
    )


class TokenMint(Strict):
    scope = serializers.ChoiceField(TOKEN_SCOPES, default=ApiToken.WRITE, help_text=SCOPE_HELP)
    name = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)


class TokenOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="the key's first characters")
    scope = serializers.CharField()
    issued_with = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="the absolute limit")
    idle_expires_at = serializers.DateTimeField(help_text="when it ends if left unused")
    current = serializers.BooleanField(help_text="the token of this request")


def _described(token: ApiToken, current=None) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "issued_with": token.issued_with,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "idle_expires_at": idle_expires_at(token),
        "current": current is not None and token.pk == current.pk,
    }


def _issued(token: ApiToken, key: str) -> Response:
    return Response({"token": key, **TokenOut(_described(token)).data})


ISSUED = inline_serializer(
    "IssuedToken",
    {
        "token": serializers.CharField(help_text="shown this once: only its hash is kept"),
        **TokenOut().fields,
    },
)


class AccountLocked(exceptions.APIException):
    """The username is locked out by the back-off (casefiles/lockout.py). Its own problem
    type, so that a client tells it from the throttle's 429 (too many requests from its
    address): waiting out Retry-After is the answer to both, but only this one is about
    the account. The password is never checked while locked, so the answer is the same
    whether it was right or not."""

    status_code = 429
    kind = "account-locked"
    title = "Account temporarily locked"

    def __init__(self, wait: int):
        self.wait = wait
        super().__init__(
            f"this account is temporarily locked after repeated failed sign-ins; try again "
            f"in {wait} s (Retry-After). Nothing sent while it is locked is checked or "
            "counted, and each further failure after it ends locks it twice as long."
        )


class TokenView(APIView):
    # It checks a password: a stricter rate than the rest of the API, per client address.
    throttle_classes = [ScopedRateThrottle, AnonRateThrottle]
    throttle_scope = "auth"
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="auth_token",
        request=TokenRequest,
        responses={200: ISSUED, **problems.responses(400, 403, 415, 422, 429)},
        description="Send as `Authorization: Token <token>`. Wrong credentials, or a "
        "missing or wrong `otp` for an account with a second factor: 422. An account "
        "whose role needs a second factor it has not set up, or whose only second factor "
        "is a passkey (mint a token from an admin session instead, "
        "`POST /api/auth/tokens/`): 403. A username locked out after repeated failures: "
        "429 `urn:casefiles:problem:account-locked` with `Retry-After`; too many requests "
        "from one address: 429 `about:blank` (the throttle).",
    )
    def post(self, request, *args, **kwargs):
        data = validated(TokenRequest, request)
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if user is None:
            # django-axes flags the request it refused (or that reached the limit); its
            # backend refuses a locked username before any password is checked.
            if getattr(request, "axes_locked_out", False):
                raise AccountLocked(lockout.seconds_locked(request, data["username"]))
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with provided credentials."]}
            )
        authpolicy.refuse_without_required_device(user)
        issued_with = "password"
        if authpolicy.has_device(user):
            if not authpolicy.has_code_device(user):
                # No code could ever pass here: not a request to correct (422) but a way
                # in this account does not have (403), like a missing required device.
                raise PermissionDenied(authpolicy.PASSKEY_ONLY)
            if not data.get("otp"):
                raise serializers.ValidationError(
                    {"otp": ["this account has a second factor: send its current code as otp"]}
                )
            if match_token(user, data["otp"].strip()) is None:
                raise serializers.ValidationError(
                    {"otp": ["the code is wrong, expired or already used"]}
                )
            issued_with = "password+otp"
        token, key = token_issue(
            user=user, scope=data["scope"], name=data["name"], issued_with=issued_with
        )
        lockout.token_signed_in(request, user)
        return _issued(token, key)


class TokensView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_tokens_list",
        responses={200: TokenOut(many=True), **problems.responses(401, 403)},
        description="Your tokens that still work (revoked and expired ones are left out).",
    )
    def get(self, request):
        return Response(
            TokenOut(
                [_described(token, request.auth) for token in live_tokens(request.user)], many=True
            ).data
        )

    @extend_schema(
        operation_id="auth_tokens_mint",
        request=TokenMint,
        responses={200: ISSUED, **problems.responses(403, 415, 422)},
        description="A new token from a signed-in admin session (verified by "
        "your second factor, code or passkey, if you have one); a token cannot "
        "mint tokens. The way to a token for an account whose second factor is "
        "a passkey.",
    )
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(
                "a token cannot mint tokens: sign in to the admin, or send username, "
                "password (and otp) to /api/auth/token/"
            )
        user = request.user
        authpolicy.refuse_without_required_device(user)
        verified = authpolicy.has_device(user)
        if verified and not user.is_verified():
            raise PermissionDenied("sign in with your second factor first")
        data = validated(TokenMint, request)
        issued_with = "session"
        if verified:
            passkey = isinstance(getattr(user, "otp_device", None), WebAuthnCredential)
            issued_with = "session+passkey" if passkey else "session+otp"
        token, key = token_issue(
            user=user, scope=data["scope"], name=data["name"], issued_with=issued_with
        )
        return _issued(token, key)


class TokenRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_tokens_revoke",
        request=None,
        responses={204: None, **problems.responses(401, 403, 404)},
        description="Revoke one of your tokens (this one too).",
    )
    def delete(self, request, token_id):
        token_revoke(token_id=token_id, by=request.user)
        return Response(status=204)
