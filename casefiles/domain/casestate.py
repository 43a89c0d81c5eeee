"""What a case is at one version: `CaseState` and its parts, plain frozen data.

The event declarations (casefiles/domain/eventtypes/) say how each event changes it;
`casefiles.domain.state.evolve` applies them; the read models store an image of it
(casefiles/projections.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from casefiles.domain import workflow

EDITABLE_FIELDS = (
    "title",
    "summary",
    "categories",
    "places",
    "incident_from",
    "incident_to",
    "outcome",
    "legal_qualification",
)
LIST_FIELDS = ("categories", "places")

# A plain JSON object as an event payload gave it (a fact, a grade, a qualification…).
Row = dict[str, Any]


@dataclass(frozen=True)
class SourceRef:
    source_id: str
    title: str
    url: str
    origins: tuple[str, ...]
    excerpt: str
    content_sha256: str | None
    published_on: str | None
    attached_at: str
    attached_by: str
    grade: Row | None = None  # {reliability, credibility, reason, graded_by, graded_at}
    provenance: tuple[Row, ...] = ()  # ({role, organisation}, ...)
    verifications: tuple[Row, ...] = ()


@dataclass(frozen=True)
class NoteRef:
    note_id: str
    text: str
    author: str
    added_at: str


@dataclass(frozen=True)
class PendingRequest:
    request_id: str
    from_state: str
    to_state: str
    reason: str
    requested_by_id: int | None
    requested_by: str
    requested_at: str


@dataclass(frozen=True)
class Waiver:
    to_state: str
    reason: str
    waived_by: str
    waived_at: str


@dataclass(frozen=True)
class LinkRef:
    link_id: str
    other_case_id: str
    other_reference: str
    reasons: tuple[str, ...]
    status: str  # suggested | dismissed | merged
    # same_incident | shared_origin | same_context; "unspecified" for LinkSuggested/1
    relation: str = "unspecified"


@dataclass(frozen=True)
class CaseState:
    case_id: str
    reference: str
    version: int
    head_hash: str
    state: str
    title: str
    summary: str
    categories: tuple[str, ...]
    places: tuple[str, ...]
    incident_from: str | None
    incident_to: str | None
    outcome: str | None
    legal_qualification: str
    assignee_id: int | None
    assignee: str | None
    opened_at: str
    opened_by: str
    updated_at: str
    sources: tuple[SourceRef, ...] = ()
    notes: tuple[NoteRef, ...] = ()
    pending: PendingRequest | None = None
    waivers: tuple[Waiver, ...] = field(default=())
    extraction: Row | None = None
    links: tuple[LinkRef, ...] = ()
    merged_into: str | None = None
    facts: tuple[Row, ...] = ()  # ({fact_id, text, support: [{source_id, excerpt}]}, ...)
    qualifications: tuple[Row, ...] = ()  # ({qualification_id, code, elements: {...}}, ...)
    # The armed conflict's classification: {classification, reason, classified_by,
    # classified_at}, None until a legal reviewer records one.
    conflict: Row | None = None
    # Modes of liability alleged: ({liability_id, person_id, person, mode,
    # qualification_id, code, elements: {...}}, ...)
    liabilities: tuple[Row, ...] = ()
    persons: tuple[Row, ...] = ()  # pseudonymous: a protected person's name is never here
    related: tuple[Row, ...] = ()  # split-off / split-from cross references
    restricted_to: str | None = None  # the team (a group) that alone may see the case
    # The pending restriction or lift: {request_id, team, lift, reason, requested_by_id,
    # requested_by, requested_at}.
    restriction_pending: Row | None = None
    # Set while the case is discarded at intake: {reason, discarded_by_id, discarded_by,
    # discarded_at}; the supervisor restoring it must be someone else.
    discarded: Row | None = None
    # The pending request to merge a linked case into this one (past intake, four-eyes):
    # {request_id, link_id, other_case_id, other_reference, reason, requested_by_id,
    # requested_by, requested_at}.
    merge_pending: Row | None = None

    def waiver_for(self, to_state: str) -> Waiver | None:
        return next((w for w in self.waivers if w.to_state == to_state), None)

    @property
    def independent_origins(self) -> int:
        return workflow.independent_origins(self.sources)

    @property
    def corroboration(self) -> str:
        return workflow.corroboration_status(self.independent_origins)
