"""Commands that open and document a case."""

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

from casefiles.commands.base import (
    Outcome,
    begin,
    command,
    new_id,
    require_text,
)
from casefiles.domain import taxonomy, workflow
from casefiles.domain.actors import AUDITOR, CASE_WRITERS, ROLES, Actor
from casefiles.domain.events import (
    CANDIDATE_DISCARDED,
    CANDIDATE_RESTORED,
    CASE_ASSIGNED,
    CASE_EDITED,
    CASE_OPENED,
    CRITERIA_WAIVED,
    NOTE_ADDED,
)
from casefiles.domain.state import EDITABLE_FIELDS, LIST_FIELDS
from casefiles.errors import DecisionConflict, InvalidCommand, PermissionDenied
from casefiles.eventstore import NewEvent
from casefiles.models import CaseFile, IdempotencyRecord
from casefiles.selectors import case_head

LEGAL_FIELDS = ("outcome", "legal_qualification")
TITLE_MAX = 500
TEXT_MAX = 100_000


def _categories(values: Iterable[str] | None) -> list[str]:
    values = list(values or [])
    known = taxonomy.categories()
    unknown = [v for v in values if v not in known]
    if unknown:
        raise InvalidCommand(
            f"unknown violation categor{'ies' if len(unknown) > 1 else 'y'}: "
            f"{', '.join(map(str, unknown))}; known: {', '.join(known)}"
        )
    return list(dict.fromkeys(values))


def _places(values: Iterable[object] | None) -> list[str]:
    places = []
    for value in values or []:
        places.append(require_text(value, "a place name", max_length=200))
    return list(dict.fromkeys(places))


def _date(value: object, name: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        raise InvalidCommand(f"{name} must be a date, not a date and time")
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InvalidCommand(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _incident(start: str | None, end: str | None) -> None:
    if start and end and end < start:
        raise InvalidCommand(f"incident end {end} is before its start {start}")


def _next_reference() -> str:
    """CF-<year>-<6 digits>, the next free number of the year."""
    if connection.vendor == "postgresql":
        # Serialise reference allocation between concurrent case openings; SQLite
        # already serialises writers (IMMEDIATE transactions).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('casefiles.reference'))")
    prefix = f"CF-{datetime.now(UTC).year}-"
    last = (
        CaseFile.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:06d}"


@command
def case_open(
    *,
    actor: Actor,
    title: str,
    summary: str = "",
    categories: Iterable[str] = (),
    places: Iterable[str] = (),
    incident_from: object = None,
    incident_to: object = None,
    case_id: str | uuid.UUID | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    role = actor.authorize("case_open")
    if case_id is None and idempotency_key is not None:
        # A retry must find the case its first attempt opened.
        case_id = (
            IdempotencyRecord.objects.filter(key=idempotency_key)
            .values_list("case_id", flat=True)
            .first()
        )
    case_id = str(case_id or new_id())
    change = begin(
        actor,
        "case_open",
        case_id,
        idempotency_key=idempotency_key,
        read=None,
        role=role,
        request=(
            "case_open",
            title,
            summary,
            list(categories),
            list(places),
            str(incident_from),
            str(incident_to),
        ),
    )
    payload: dict[str, Any] = {
        "reference": "",
        "title": require_text(title, "title", max_length=TITLE_MAX),
        "summary": summary.strip() if isinstance(summary, str) else "",
        "categories": _categories(categories),
        "places": _places(places),
        "incident_from": _date(incident_from, "incident start"),
        "incident_to": _date(incident_to, "incident end"),
    }
    _incident(payload["incident_from"], payload["incident_to"])
    payload["reference"] = _next_reference()
    return change.write(NewEvent(CASE_OPENED.name, payload))


def _clean_change(name: str, value: Any) -> Any:
    if name == "title":
        return require_text(value, "title", max_length=TITLE_MAX)
    if name in ("summary", "legal_qualification"):
        if value is None:
            return ""
        if not isinstance(value, str) or len(value) > TEXT_MAX:
            raise InvalidCommand(f"{name} must be text of at most {TEXT_MAX} characters")
        return value.strip()
    if name == "categories":
        return _categories(value)
    if name == "places":
        return _places(value)
    if name in ("incident_from", "incident_to"):
        return _date(value, name.replace("_", " "))
    if name == "outcome":
        if value in (None, ""):
            return None
        if value not in workflow.OUTCOMES:
            raise InvalidCommand(f"outcome {value!r} is not one of {', '.join(workflow.OUTCOMES)}")
        return value
    raise InvalidCommand(f"{name} cannot be edited")


@command
def case_edit(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
    **changes: Any,
) -> Outcome:
    """Change summary fields; records old and new value of each field that changed."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidCommand(
            f"cannot edit {', '.join(unknown)}; editable: {', '.join(EDITABLE_FIELDS)}"
        )
    legal = any(name in LEGAL_FIELDS for name in changes)
    change = begin(
        actor,
        "case_edit_legal" if legal else "case_edit",
        case_id,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        request=("case_edit", str(case_id), sorted((k, str(v)) for k, v in changes.items())),
    )
    case = change.state
    diff = {}
    for name, value in changes.items():
        new = _clean_change(name, value)
        old = getattr(case, name)
        old = list(old) if name in LIST_FIELDS else old
        if new != old:
            diff[name] = {"old": old, "new": new}
    _incident(
        diff.get("incident_from", {}).get("new", case.incident_from),
        diff.get("incident_to", {}).get("new", case.incident_to),
    )
    if not diff:
        return Outcome(case.case_id, case.version)
    return change.write(NewEvent(CASE_EDITED.name, {"changes": diff}))


@command
def note_add(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    text: str,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    # Notes may still be added to a closed or merged case.
    change = begin(
        actor,
        "note_add",
        case_id,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        request=("note_add", str(case_id), text),
        read=case_head,
        writable=False,
    )
    payload = {"note_id": new_id(), "text": require_text(text, "note", max_length=TEXT_MAX)}
    return change.write(NewEvent(NOTE_ADDED.name, payload))


@command
def case_assign(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    assignee: Any,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """Assign the case to a documenter, legal reviewer or supervisor (None unassigns)."""
    assignee_id = getattr(assignee, "pk", assignee)
    change = begin(
        actor,
        "case_assign",
        case_id,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        request=("case_assign", str(case_id), assignee_id),
        read=case_head,
    )
    case = change.head
    new = None
    if assignee_id is not None:
        user = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        if user is None:
            raise InvalidCommand(f"no active user with id {assignee_id}")
        roles = set(user.groups.values_list("name", flat=True)) & set(ROLES)
        if not roles & set(CASE_WRITERS) or AUDITOR in roles:
            raise InvalidCommand(
                f"{user.get_username()} cannot work cases (needs the role documenter, "
                "legal reviewer or supervisor, and no auditor role)"
            )
        new = {"id": user.pk, "username": user.get_username()}
    if (new or {}).get("id") == case.assignee_id:
        return Outcome(case.case_id, case.version)
    previous = {"id": case.assignee_id, "username": case.assignee} if case.assignee_id else None
    return change.write(NewEvent(CASE_ASSIGNED.name, {"assignee": new, "previous": previous}))


@command
def criteria_waive(
    *,
    actor: Actor,
    case_id: str | uuid.UUID,
    reason: str,
    to_state: str = workflow.LEGAL_REVIEW,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """A supervisor's recorded waiver of the independent-sources criterion."""
    role = actor.authorize("criteria_waive")
    if to_state != workflow.LEGAL_REVIEW:
        raise PermissionDenied(
            "only the independent-sources criterion of legal review can be waived"
        )
    change = begin(
        actor,
        "criteria_waive",
        case_id,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        role=role,
        read=case_head,
        request=("criteria_waive", str(case_id), to_state, reason),
    )
    payload = {"to_state": to_state, "reason": require_text(reason, "reason", max_length=TEXT_MAX)}
    return change.write(NewEvent(CRITERIA_WAIVED.name, payload))


REASON_MAX = 10_000


@command
def candidate_discard(
    *, actor: Actor, case_id: str | uuid.UUID, reason: str, expected_version: int | None = None
) -> Outcome:
    """Take a candidate out of the intake queue, with the reason; nothing is deleted (the
    case, its sources and the ingestion that opened it stay), and a supervisor other than
    the documenter may restore it (candidate_restore)."""
    # Row lock: a discard and a concurrent request or merge on the case run one after
    # the other, and the second sees the first.
    change = begin(actor, "candidate_discard", case_id, expected_version=expected_version)
    case = change.state
    if case.state != workflow.INTAKE:
        raise InvalidCommand(
            f"{case.reference} is in {workflow.STATE_LABELS[case.state].lower()}: only a "
            "candidate at intake can be discarded"
        )
    if case.pending is not None:
        raise DecisionConflict(
            f"{case.reference} has a pending request ({case.pending.from_state} → "
            f"{case.pending.to_state} by {case.pending.requested_by}); it must be decided or "
            "withdrawn first"
        )
    if case.merge_pending is not None:
        raise DecisionConflict(
            f"{case.reference} has a pending merge request by "
            f"{case.merge_pending['requested_by']}; it must be decided first"
        )
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    return change.write(NewEvent(CANDIDATE_DISCARDED.name, {"reason": reason}))


@command
def candidate_restore(
    *, actor: Actor, case_id: str | uuid.UUID, reason: str, expected_version: int | None = None
) -> Outcome:
    """Put a discarded candidate back in the intake queue: a supervisor who is not the
    person who discarded it (whatever other roles either holds)."""
    change = begin(
        actor, "candidate_restore", case_id, expected_version=expected_version, writable=False
    )
    case = change.state
    if case.state != workflow.DISCARDED or case.discarded is None:
        raise InvalidCommand(f"{case.reference} is not discarded; there is nothing to restore")
    if actor.user_id is not None and actor.user_id == case.discarded["discarded_by_id"]:
        raise PermissionDenied(
            f"four-eyes: {actor.username} discarded this candidate and cannot restore it; "
            "another supervisor must"
        )
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    return change.write(NewEvent(CANDIDATE_RESTORED.name, {"reason": reason}))
