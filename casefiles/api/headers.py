"""HTTP-level concurrency and retries: ETag / If-Match and Idempotency-Key."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

from casefiles.api.problems import PreconditionRequired

ETAG = re.compile(r'^(?:"([0-9]{1,10})"|([0-9]{1,10}))$')
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    pattern=r'^"[0-9]{1,10}"$',
    description='The ETag of the case as you read it, e.g. "7". Required on every change '
    "to a case (428 without it); 412 when the case has moved on since.",
)
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=IDEMPOTENCY_KEY.pattern,
    description="Any unique string (1-100 visible ASCII characters). A retry with the same "
    "key and request returns the first result; the same key with a different request "
    "answers 422 (idempotency-key-reused).",
)


def etag_header(*statuses: int) -> OpenApiParameter:
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=list(statuses),
        description='the case version after this response, e.g. "7": send it as If-Match',
    )


class BadHeader(exceptions.APIException):
    status_code = 400
    default_code = "bad_header"


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request) -> int:
    """The case version the client last read, from If-Match (required)."""
    raw = request.headers.get("If-Match")
    if raw is None:
        raise PreconditionRequired()
    match = ETAG.match(raw.strip())
    if match is None:
        # "*" or a list would change a case the client never saw: not accepted.
        raise BadHeader(f'If-Match must be the one ETag you read, e.g. "7"; got {raw!r}')
    return int(match.group(1) or match.group(2))


def idempotency_key(request) -> str | None:
    """The client's key, scoped to the user so two users' keys never collide."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]  # the structured-field form of the IETF draft
    if not IDEMPOTENCY_KEY.match(key):
        raise BadHeader("Idempotency-Key must be 1-100 visible ASCII characters")
    return f"api:{request.user.pk}:{key}"
