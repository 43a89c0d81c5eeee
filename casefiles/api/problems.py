"""Errors as RFC 9457 problem details (application/problem+json).

Domain errors keep the command layer's message as `detail`: it is written for a person.
"""

import json
import logging
from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import Resolver404, ResolverMatch, resolve, reverse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.views import set_rollback

from casefiles import blobs
from casefiles.errors import (
    CaseFileError,
    ConcurrencyError,
    CriteriaNotMet,
    DecisionConflict,
    IdempotencyKeyReused,
    InvalidCommand,
    NotFound,
    PermissionDenied,
    QuoteNotFound,
    StaleVersion,
)

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:casefiles:problem:"

# Most specific first: the first matching class decides.
DOMAIN_PROBLEMS: tuple[tuple[type[CaseFileError], int, str, str], ...] = (
    (CriteriaNotMet, 422, "criteria-not-met", "Entry criteria not met"),
    (StaleVersion, 412, "stale-version", "The case changed since you read it"),
    (DecisionConflict, 409, "decision-conflict", "Already decided or pending"),
    (ConcurrencyError, 409, "concurrent-change", "Concurrent change"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused", "Idempotency key reused"),
    (PermissionDenied, 403, "permission-denied", "Not allowed"),
    (NotFound, 404, "not-found", "Not found"),
    (InvalidCommand, 422, "invalid-command", "Invalid command"),
)


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "this request changes a case: send If-Match with the ETag you read"
    default_code = "precondition_required"


class Problem(serializers.Serializer):
    """The problem details object (for the schema)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False)
    unmet = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="criteria-not-met: each unmet entry criterion in plain words",
    )
    errors = serializers.JSONField(required=False, help_text="invalid-request: messages per field")
    nearest = serializers.JSONField(
        required=False,
        help_text="invalid-command for a cited span not in the source: the stored passage "
        "most like the quote, {start, end, text} (character offsets), or null",
    )
    expected_version = serializers.IntegerField(required=False)
    current_version = serializers.IntegerField(required=False)


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    headers: dict | None = None,
    **extra,
) -> HttpResponse:
    body = {
        "type": TYPE_PREFIX + kind if kind else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **({"instance": instance} if instance else {}),
        **extra,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _domain(exc: CaseFileError, instance: str | None) -> HttpResponse:
    status, kind, title = next(
        (
            (status, kind, title)
            for cls, status, kind, title in DOMAIN_PROBLEMS
            if isinstance(exc, cls)
        ),
        (422, "invalid-command", "Invalid command"),
    )
    extra = {}
    if isinstance(exc, CriteriaNotMet):
        extra["unmet"] = exc.unmet
    if isinstance(exc, QuoteNotFound):
        extra["nearest"] = exc.nearest
    if isinstance(exc, StaleVersion) and exc.actual is not None:
        extra["expected_version"] = exc.expected
        extra["current_version"] = exc.actual
    return problem_response(status, exc.message, kind=kind, title=title, instance=instance, **extra)


def wants_html(request: HttpRequest | None) -> bool:
    """A browser, which asks for a page first; API clients ask for JSON or anything."""
    if request is None:
        return False
    accept = request.headers.get("Accept", "")
    return "text/html" in accept.split(",")[0]


def sign_in_page(request: HttpRequest, exc: exceptions.APIException) -> HttpResponse:
    """What an anonymous browser gets instead of a bare 401 document: where to sign in."""
    response = render(
        request,
        "casefiles/api/sign_in.html",
        {
            "detail": str(exc.detail),
            "sign_in": f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}",
            "docs": reverse("api:docs"),
        },
        status=exc.status_code,
    )
    if auth := getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = auth
    return response


def _api(exc: exceptions.APIException, instance: str | None) -> HttpResponse:
    headers = {}
    if auth := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.ValidationError):
        # The request was well-formed but its content is not: 422, like InvalidCommand.
        return problem_response(
            422,
            "the request has invalid fields; see errors",
            kind="invalid-request",
            title="Invalid request",
            instance=instance,
            errors=exc.detail,
        )
    # An exception may name its own problem type (kind, title), e.g. the account lockout,
    # so that a client tells it apart from another error with the same status.
    return problem_response(
        exc.status_code,
        str(exc.detail),
        instance=instance,
        headers=headers,
        kind=getattr(exc, "kind", None),
        title=getattr(exc, "title", None),
    )


def exception_handler(exc: Exception, context: dict) -> HttpResponse:
    """DRF's EXCEPTION_HANDLER: every error of the API becomes a problem document."""
    request = context.get("request")
    instance = request.path if request is not None else None
    set_rollback()  # with ATOMIC_REQUESTS, an error must not commit half a request
    if isinstance(exc, RequestDataTooBig):
        # Django's own guard, when a body passes DATA_UPLOAD_MAX_MEMORY_SIZE as it is read.
        return problem_response(413, f"the request body is too large: {exc}", instance=instance)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return problem_response(400, str(exc), instance=instance)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, CaseFileError):
        return _domain(exc, instance)
    if isinstance(exc, exceptions.NotAuthenticated) and wants_html(request):
        return sign_in_page(getattr(request, "_request", request), exc)
    if isinstance(exc, exceptions.APIException):
        return _api(exc, instance)
    if isinstance(exc, blobs.BlobError):
        log.error("blob store: %s", exc)
        return problem_response(
            500,
            str(exc),
            kind="original-unavailable",
            title="Stored original unavailable",
            instance=instance,
        )
    log.error("unexpected error in %s", instance, exc_info=exc)
    return problem_response(500, "unexpected error; it was logged", instance=instance)


def responses(*statuses: int) -> dict:
    """Schema entries for the problem responses an operation can give."""
    return {
        (status, MEDIA_TYPE): OpenApiResponse(Problem, description=HTTPStatus(status).phrase)
        for status in statuses
    }


@csrf_exempt  # it changes nothing, and a POST to a wrong URL must say so, not "CSRF"
def api_not_found(request: HttpRequest) -> HttpResponse:
    """The last pattern under /api/: an unknown API URL is a problem document in every
    mode, DEBUG included (where Django would otherwise list every URL pattern)."""
    path = request.path_info
    if settings.APPEND_SLASH and not path.endswith("/") and request.method in ("GET", "HEAD"):
        match = resolve_or_none(f"{path}/")
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return problem_response(404, f"there is no resource at {request.path}", instance=request.path)


def resolve_or_none(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None


def page_not_found(request, exception) -> HttpResponse:
    """handler404: API clients get a problem document for unknown URLs too (e.g. a
    malformed id in the path); everyone else Django's page."""
    if request.path.startswith("/api/"):
        return problem_response(
            404, f"there is no resource at {request.path}", instance=request.path
        )
    return defaults.page_not_found(request, exception)
