"""Reads. Each selector owns its queries (and their select/prefetch)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q

from casefiles import eventstore, projections, statements
from casefiles.compartments import hidden_case_ids, visible_cases
from casefiles.domain.state import CaseState, fold
from casefiles.errors import InvalidCommand, NotFound
from casefiles.models import CaseFile, CaseLink, CaseNote, CaseSource, TransitionRequest


def get_case(case_id: uuid.UUID | str, *, lock: bool = False) -> CaseFile:
    cases = CaseFile.objects.all()
    if lock:
        # Row lock on the case for the rest of the command's transaction: commands on
        # one case run one after another, so two supervisors deciding the same request
        # see each other's decision instead of both acting on the old state.
        cases = cases.select_for_update()
    try:
        return cases.get(pk=case_id)
    except (CaseFile.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"no case with id {case_id}") from None


def get_case_by_reference(reference: str) -> CaseFile:
    try:
        return CaseFile.objects.get(reference=reference)
    except CaseFile.DoesNotExist:
        raise NotFound(f"no case with reference {reference}") from None


@dataclass(frozen=True)
class CaseHead:
    """What commands that do not decide on sources, notes or links need: a constant
    cost whatever the size of the case."""

    case_id: str
    reference: str
    version: int
    state: str
    merged_into: str | None
    assignee_id: int | None
    assignee: str | None


def case_head(case_id: uuid.UUID | str, *, lock: bool = False) -> CaseHead:
    # Most commands start here, under the row lock of get_case(); plain SQL, as the
    # statement every command runs (casefiles/statements.py says why).
    try:
        row = statements.select_one(
            CaseFile,
            ("id", "reference", "version", "state", "merged_into", "assignee_id", "assignee_name"),
            {"pk": case_id},
            lock=lock,
        )
    except (ValidationError, ValueError, TypeError):
        row = None
    if row is None:
        raise NotFound(f"no case with id {case_id}")
    pk, reference, version, state, merged_into, assignee_id, assignee = row
    return CaseHead(
        case_id=str(pk),
        reference=reference,
        version=version,
        state=state,
        merged_into=str(merged_into) if merged_into else None,
        assignee_id=assignee_id,
        assignee=assignee or None,
    )


def case_state(case_id: uuid.UUID | str, *, lock: bool = False) -> CaseState:
    """The current CaseState, from the read models (the same shape `case_at` folds),
    read through the images the projections write (casefiles/projections.py)."""
    row = get_case(case_id, lock=lock)
    return projections.case_state_from_rows(
        row,
        sources=row.sources.order_by("attached_version"),
        notes=row.notes.order_by("added_version"),
        links=row.links.order_by("suggested_version"),
        pending=row.requests.filter(status=TransitionRequest.PENDING).first(),
    )


def case_states(case_ids) -> dict[str, CaseState]:
    """The current CaseStates of several cases, by id, in five queries whatever their
    number (lists that show something derived from each case's state)."""
    rows = CaseFile.objects.filter(pk__in=list(case_ids)).prefetch_related(
        Prefetch("sources", queryset=CaseSource.objects.order_by("attached_version")),
        Prefetch("notes", queryset=CaseNote.objects.order_by("added_version")),
        Prefetch("links", queryset=CaseLink.objects.order_by("suggested_version")),
        Prefetch(
            "requests",
            to_attr="pending_requests",
            queryset=TransitionRequest.objects.filter(status=TransitionRequest.PENDING),
        ),
    )
    return {
        str(row.pk): projections.case_state_from_rows(
            row,
            sources=row.sources.all(),
            notes=row.notes.all(),
            links=row.links.all(),
            pending=row.pending_requests[0] if row.pending_requests else None,
        )
        for row in rows
    }


def case_at(
    case_id: uuid.UUID | str, *, version: int | None = None, at: datetime | str | None = None
) -> CaseState:
    """Time travel: the case as it was at `version` or at instant `at`, from events alone."""
    if isinstance(at, datetime):
        at = eventstore.format_time(at)
    elif isinstance(at, str):
        try:
            at = eventstore.format_time(datetime.fromisoformat(at))
        except ValueError:
            raise InvalidCommand(f"{at!r} is not an RFC 3339 time") from None
    state = fold(eventstore.stream(case_id, upto_version=version, upto_time=at))
    if state is None:
        raise NotFound(f"case {case_id} did not exist at that point")
    return state


def pending_requests():
    return TransitionRequest.objects.filter(status=TransitionRequest.PENDING).select_related("case")


def counts(viewer=None) -> dict:
    """Cases per state and the approval queue, counting only what `viewer` may see
    (restricted cases: casefiles/compartments.py); everything without a viewer."""
    cases = CaseFile.objects.all() if viewer is None else visible_cases(viewer)
    requests = TransitionRequest.objects.all()
    if viewer is not None:
        requests = requests.exclude(case_id__in=hidden_case_ids(viewer))
    by_state = dict(cases.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    # Restriction and merge requests wait on the same page (admin/approvals.py) as
    # transitions; both live on the case row, so one query counts them.
    on_cases = cases.aggregate(
        restrictions=Count("pk", filter=Q(restriction_pending__isnull=False)),
        merges=Count("pk", filter=Q(merge_pending__isnull=False)),
    )
    return {
        "by_state": by_state,
        "pending_approvals": requests.filter(Q(status=TransitionRequest.PENDING)).count()
        + on_cases["restrictions"]
        + on_cases["merges"],
        "pending_older_than_7_days": requests.filter(
            status=TransitionRequest.PENDING,
            requested_at__lt=datetime.now(UTC) - timedelta(days=7),
        ).count(),
    }


@dataclass(frozen=True)
class StoredText:
    """The stored text of an exhibit: what the extractor made of the original, kept in
    the blob store under `text_sha256`, which cited spans are checked against."""

    content_sha256: str
    text_sha256: str
    text: str


def stored_text(source) -> StoredText | None:
    """The stored text of a case's exhibit (a SourceRef), read from the ingested source
    with the same original (`content_sha256`); None when the exhibit has no ingested
    original (attached by reference only) or its text cannot be read intact."""
    from casefiles import blobs
    from casefiles.models import Source

    if not source.content_sha256:
        return None
    row = (
        Source.objects.filter(content_sha256=source.content_sha256)
        .values("content_sha256", "text_sha256")
        .first()
    )
    if row is None:
        return None
    try:
        text = blobs.read(row["text_sha256"]).decode("utf-8")
    except (blobs.BlobError, UnicodeDecodeError):
        return None
    return StoredText(row["content_sha256"], row["text_sha256"], text)
