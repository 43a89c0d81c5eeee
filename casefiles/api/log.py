"""The transparency log over HTTP, for witnesses and auditors (docs/witness.md): signed
tree heads with their cosignatures, consistency and inclusion proofs, and cosignatures
sent by witnesses.

Public: a tree head and a proof hold only hashes, and a cosignature counts only when it
verifies against a witness key the operator configured. No authentication (a witness
has no account; a token sent along is ignored), so the anonymous rate limit applies.
"""

import re
import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from casefiles import tlog, transparency
from casefiles.api import problems
from casefiles.api.serializers import Strict
from casefiles.api.sources import AnyMediaType
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied

# A cosignature line is ~200 bytes; the body holds one and a size.
MAX_BODY = 4096
MAX_SIZE = (1 << 63) - 1  # tree sizes are uint64 in C2SP; the database keeps int64
MAX_VERSION = (1 << 31) - 1
NUMBER = re.compile(r"^[0-9]{1,19}$")
NOTE_TYPE = "text/plain; charset=utf-8"


class PlainText(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode("utf-8") if isinstance(data, str) else data


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = f"the body is larger than {MAX_BODY} bytes"
    default_code = "body_too_large"


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class PublicLogView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


def _query(request, names: tuple[str, ...]) -> dict[str, str]:
    """The query parameters `names`, each given exactly once; anything else is refused."""
    errors: dict[str, list[str]] = {}
    for name in sorted(set(request.query_params) - set(names)):
        errors[name] = [f"unknown query parameter; allowed: {', '.join(names)}"]
    values = {}
    for name in names:
        given = request.query_params.getlist(name)
        if not given:
            errors[name] = ["required"]
        elif len(given) > 1:
            errors[name] = ["given more than once"]
        else:
            values[name] = given[0]
    if errors:
        raise serializers.ValidationError(errors)
    return values


def _number(name: str, raw: str, *, what: str, least: int = 0, most: int = MAX_SIZE) -> int:
    if not NUMBER.match(raw) or not least <= int(raw) <= most:
        raise serializers.ValidationError(
            {name: [f"{raw[:40]!r} is not {what}: a decimal integer from {least} to {most}"]}
        )
    return int(raw)


def _within_log(name: str, size: int) -> None:
    current = transparency.log_size()
    if size > current:
        raise serializers.ValidationError(
            {name: [f"the log has {current} leaves; there is no tree of size {size}"]}
        )


def _note(text: str) -> HttpResponse:
    return HttpResponse(text, content_type=NOTE_TYPE, headers={"Cache-Control": "no-cache"})


NOTE_RESPONSES = {(200, "text/plain"): OpenApiTypes.STR, **problems.responses(404, 429)}
NOTE_FORMAT = (
    "A C2SP signed note (c2sp.org/tlog-checkpoint): origin, tree size and base64 root "
    "hash, a blank line, the log's Ed25519 signature line, then one line per witness "
    "cosignature received (c2sp.org/tlog-cosignature). Format: docs/witness.md."
)


class CheckpointView(PublicLogView):
    renderer_classes = [PlainText]
    content_negotiation_class = AnyMediaType

    @extend_schema(
        operation_id="log_checkpoint",
        responses=NOTE_RESPONSES,
        description="The latest signed tree head, with its cosignatures. " + NOTE_FORMAT,
    )
    def get(self, request):
        head = transparency.latest_head()
        if head is None:
            raise NotFound("the log has published no tree head yet")
        return _note(transparency.cosigned_note(head))


class TreeHeadView(PublicLogView):
    renderer_classes = [PlainText]
    content_negotiation_class = AnyMediaType

    @extend_schema(
        operation_id="log_tree_head",
        responses=NOTE_RESPONSES,
        description="The tree head published at this size, with its cosignatures. " + NOTE_FORMAT,
    )
    def get(self, request, size: int):
        head = transparency.tree_head(size) if size <= MAX_SIZE else None
        if head is None:
            raise NotFound(f"no tree head of size {size} was published")
        return _note(transparency.cosigned_note(head))


def _size_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.INT, OpenApiParameter.QUERY, required=True, description=description
    )


HASHES = serializers.ListField(
    child=serializers.CharField(), help_text="base64 of each 32-byte hash, in RFC 6962 order"
)


class ProofView(PublicLogView):
    @extend_schema(
        operation_id="log_consistency_proof",
        parameters=[
            _size_parameter("from", "the older tree size (0 allowed)"),
            _size_parameter("to", "the newer tree size, at most the log's size"),
        ],
        responses={
            200: inline_serializer(
                "ConsistencyProof",
                {
                    "origin": serializers.CharField(),
                    "from": serializers.IntegerField(),
                    "to": serializers.IntegerField(),
                    "proof": HASHES,
                },
            ),
            **problems.responses(422, 429),
        },
        description="The RFC 6962 consistency proof that the tree of `to` leaves extends "
        "the tree of `from` leaves; check it with RFC 9162 §2.1.4.2 against the roots of "
        "the two signed tree heads. Empty when from is 0 or equals to.",
    )
    def get(self, request):
        query = _query(request, ("from", "to"))
        old = _number("from", query["from"], what="a tree size")
        new = _number("to", query["to"], what="a tree size")
        if old > new:
            raise serializers.ValidationError(
                {"from": [f"from ({old}) is larger than to ({new}): a log only grows"]}
            )
        _within_log("to", new)
        proof = transparency.consistency_proof(old, new)
        return Response(
            {
                "origin": transparency.origin(),
                "from": old,
                "to": new,
                "proof": tlog.hashes_to_b64(proof),
            }
        )


class InclusionView(APIView):
    """Not public like the rest of the log: it takes a case id and tells how many events
    the case has and their hashes. Anyone with a role may ask (auditors, above all)."""

    @extend_schema(
        operation_id="log_inclusion_proof",
        parameters=[
            OpenApiParameter(
                "case",
                OpenApiTypes.UUID,
                OpenApiParameter.QUERY,
                required=True,
                description="the case's id",
            ),
            OpenApiParameter(
                "version",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                required=True,
                description="the event's version in its case",
            ),
            _size_parameter("size", "the tree size (of a signed tree head you hold)"),
        ],
        responses={
            200: inline_serializer(
                "InclusionProof",
                {
                    "leaf_index": serializers.IntegerField(),
                    "tree_size": serializers.IntegerField(),
                    "event_hash": serializers.CharField(
                        help_text="the event's hash (hex), the leaf's data"
                    ),
                    "proof": HASHES,
                },
            ),
            **problems.responses(401, 403, 404, 422, 429),
        },
        description="The RFC 6962 inclusion proof of a case's event in the tree of `size` "
        "leaves: leaf = SHA-256(0x00 ‖ event hash bytes); check it with RFC 9162 "
        "§2.1.3.2 against the root of the signed tree head of that size. 404 when the "
        "event is not among the tree's leaves (not yet logged, or no such event).",
    )
    def get(self, request):
        query = _query(request, ("case", "version", "size"))
        try:
            case_id = uuid.UUID(query["case"])
        except ValueError:
            raise serializers.ValidationError(
                {"case": [f"{query['case'][:40]!r} is not a case id (a UUID)"]}
            ) from None
        version = _number(
            "version", query["version"], what="an event version", least=1, most=MAX_VERSION
        )
        size = _number("size", query["size"], what="a tree size")
        _within_log("size", size)
        found = transparency.event_inclusion(case_id, version, size)
        if found is None:
            raise NotFound(
                f"version {version} of case {case_id} is not in the log's tree of size {size}"
            )
        return Response(
            {
                "leaf_index": found.leaf_index,
                "tree_size": found.tree_size,
                "event_hash": found.event_hash,
                "proof": tlog.hashes_to_b64(found.proof),
            }
        )


class CosignatureInput(Strict):
    size = serializers.IntegerField(
        min_value=0, max_value=MAX_SIZE, help_text="the size of the tree head cosigned"
    )
    cosignature = serializers.CharField(
        max_length=1000,
        trim_whitespace=False,
        help_text="the witness's note signature line: '— <name> <base64(key id ‖ "
        "timestamp ‖ signature)>' (c2sp.org/tlog-cosignature, Ed25519)",
    )


class CosignatureOut(serializers.Serializer):
    size = serializers.IntegerField()
    witness = serializers.CharField(help_text="the witness's vkey")
    cosignature = serializers.CharField(help_text="the line stored, ending in a newline")
    timestamp = serializers.IntegerField(help_text="POSIX time the witness signed at")


class CosignaturesView(PublicLogView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="log_cosignature_add",
        request=CosignatureInput,
        responses={
            201: CosignatureOut,
            200: CosignatureOut,
            **problems.responses(400, 403, 404, 409, 413, 415, 422, 429),
        },
        description="A witness delivers its cosignature of a published tree head. 201 when "
        "stored, 200 when this witness's cosignature of that size was already stored "
        "(the answer holds the stored one). 403 when the signer is not one of the log's "
        "witnesses (CASEFILES_WITNESSES); 422 when the line does not parse or does not "
        "verify; 404 when no tree head of that size was published.",
    )
    def post(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise BodyTooLarge()
        serializer = CosignatureInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        size, line = serializer.validated_data["size"], serializer.validated_data["cosignature"]
        if transparency.tree_head(size) is None:
            raise NotFound(f"no tree head of size {size} was published")
        try:
            stored, created = transparency.cosignature_receive(size, line)
        except transparency.UnknownWitness as exc:
            raise PermissionDenied(str(exc)) from None
        except transparency.LogInconsistent as exc:
            raise Conflict(str(exc)) from None
        except tlog.LogError as exc:
            raise InvalidCommand(f"the cosignature is refused: {exc}") from None
        body = {
            "size": stored.tree_size,
            "witness": stored.witness,
            "cosignature": stored.line,
            "timestamp": stored.timestamp,
        }
        return Response(CosignatureOut(body).data, status=201 if created else 200)
