"""What every write view does: read the headers, validate the body, call the command,
answer with the events it appended."""

from collections.abc import Callable

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from casefiles.api.headers import BadHeader, etag, expected_version, idempotency_key
from casefiles.commands import Outcome


def validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def command_response(outcome: Outcome, status: int = 200, headers: dict | None = None) -> Response:
    headers = dict(headers or {})
    if outcome.replayed:
        # The first result, not the case as it is now: no ETag to build on.
        headers["Idempotent-Replayed"] = "true"
    else:
        headers["ETag"] = etag(outcome.version)
    body = {
        "case_id": outcome.case_id,
        "version": outcome.version,
        "replayed": outcome.replayed,
        "events": [event.as_record() for event in outcome.events],
    }
    return Response(body, status=status, headers=headers)


def run_on_case(
    request: Request,
    command: Callable[..., Outcome],
    input_class: type[serializers.Serializer],
    *,
    status: int = 200,
    **arguments,
) -> Response:
    """A command on an existing case: If-Match is required and becomes expected_version."""
    version = expected_version(request)
    key = idempotency_key(request)
    data = validated(input_class, request)
    outcome = command(
        actor=request.actor, expected_version=version, idempotency_key=key, **arguments, **data
    )
    return command_response(outcome, status)


def refuse_idempotency_key(request: Request) -> None:
    """For commands that take no idempotency key: a key would promise a replay that
    nothing would honour. If-Match guards their retries instead (412 once the first
    attempt went through)."""
    if "Idempotency-Key" in request.headers:
        raise BadHeader(
            "this endpoint takes no Idempotency-Key (its command keeps no replay record); "
            "If-Match already makes a retry safe: it answers 412 if the first one went "
            "through"
        )


def call_versioned(
    request: Request,
    command: Callable[..., Outcome],
    input_class: type[serializers.Serializer],
    **arguments,
) -> Outcome:
    """A command on an existing case that takes an expected version and no idempotency
    key: If-Match is required and becomes expected_version."""
    version = expected_version(request)
    refuse_idempotency_key(request)
    data = validated(input_class, request)
    return command(actor=request.actor, expected_version=version, **arguments, **data)


def run_versioned(
    request: Request,
    command: Callable[..., Outcome],
    input_class: type[serializers.Serializer],
    *,
    status: int = 200,
    **arguments,
) -> Response:
    return command_response(call_versioned(request, command, input_class, **arguments), status)
