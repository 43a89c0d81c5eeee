"""Tokens for scripts: POST username and password, get the user's token."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from casefiles.api import problems


class TokenView(ObtainAuthToken):
    # It checks a password: a stricter rate than the rest of the API, per client address.
    throttle_classes = [ScopedRateThrottle, AnonRateThrottle]
    throttle_scope = "auth"
    authentication_classes: list = []

    @extend_schema(
        operation_id="auth_token", request=AuthTokenSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()}),
                   **problems.responses(400, 415, 422, 429)},
        description="Send as `Authorization: Token <token>`. Wrong credentials: 422.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
