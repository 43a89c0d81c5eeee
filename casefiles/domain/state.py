"""A case's state as a pure fold of its events: `evolve(state, event) -> state`.

Used for time travel (`case_at`) and compared against the live projections by the
tests; the commands decide on the same CaseState type, loaded from the projections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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
# Registered event types that are recorded in a case's chain but change nothing the
# CaseState holds; every other type must be handled explicitly below.
EVENTS_WITHOUT_STATE: frozenset[str] = frozenset({"CaseExported", "IdentityRevealed"})


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
    grade: dict | None = None  # {reliability, credibility, reason, graded_by, graded_at}
    provenance: tuple[dict, ...] = ()  # ({role, organisation}, ...)
    verifications: tuple[dict, ...] = ()


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
    extraction: dict | None = None
    links: tuple[LinkRef, ...] = ()
    merged_into: str | None = None
    facts: tuple[dict, ...] = ()  # ({fact_id, text, support: [{source_id, excerpt}]}, ...)
    qualifications: tuple[dict, ...] = ()  # ({qualification_id, code, elements: {...}}, ...)
    persons: tuple[dict, ...] = ()  # pseudonymous: a protected person's name is never here
    related: tuple[dict, ...] = ()  # split-off / split-from cross references
    restricted_to: str | None = None  # the team (a group) that alone may see the case
    # The pending restriction or lift: {request_id, team, lift, reason, requested_by_id,
    # requested_by, requested_at}.
    restriction_pending: dict | None = None

    def waiver_for(self, to_state: str) -> Waiver | None:
        return next((w for w in self.waivers if w.to_state == to_state), None)

    @property
    def independent_origins(self) -> int:
        return workflow.independent_origins(self.sources)

    @property
    def corroboration(self) -> str:
        return workflow.corroboration_status(self.independent_origins)


def evolve(case: CaseState | None, event: Mapping[str, Any]) -> CaseState:
    kind = event["type"]
    payload = event["payload"]
    at = event["occurred_at"]
    who = event["actor"]["username"]
    if kind == "CaseOpened":
        if case is not None:
            raise ValueError("CaseOpened on an existing case")
        case = CaseState(
            case_id=event["case_id"],
            reference=payload["reference"],
            version=0,
            head_hash="",
            state=workflow.INTAKE,
            title=payload["title"],
            summary=payload["summary"],
            categories=tuple(payload["categories"]),
            places=tuple(payload["places"]),
            incident_from=payload["incident_from"],
            incident_to=payload["incident_to"],
            outcome=None,
            legal_qualification="",
            assignee_id=None,
            assignee=None,
            opened_at=at,
            opened_by=who,
            updated_at=at,
        )
    elif case is None:
        raise ValueError(f"{kind} before CaseOpened")
    elif kind == "CaseEdited":
        changes = {
            name: tuple(change["new"]) if name in LIST_FIELDS else change["new"]
            for name, change in payload["changes"].items()
        }
        case = replace(case, **changes)
    elif kind == "CaseAssigned":
        assignee = payload["assignee"]
        case = replace(
            case,
            assignee_id=assignee["id"] if assignee else None,
            assignee=assignee["username"] if assignee else None,
        )
    elif kind == "SourceAttached":
        source = SourceRef(
            source_id=payload["source_id"],
            title=payload["title"],
            url=payload["url"],
            origins=tuple(payload["origins"]),
            excerpt=payload["excerpt"],
            content_sha256=payload["content_sha256"],
            published_on=payload["published_on"],
            attached_at=at,
            attached_by=who,
        )
        case = replace(case, sources=(*case.sources, source))
    elif kind == "NoteAdded":
        note = NoteRef(note_id=payload["note_id"], text=payload["text"], author=who, added_at=at)
        case = replace(case, notes=(*case.notes, note))
    elif kind == "TransitionRequested":
        pending = PendingRequest(
            request_id=payload["request_id"],
            from_state=payload["from_state"],
            to_state=payload["to_state"],
            reason=payload["reason"],
            requested_by_id=event["actor"]["id"],
            requested_by=who,
            requested_at=at,
        )
        case = replace(case, pending=pending)
    elif kind == "TransitionApproved":
        case = replace(case, state=payload["to_state"], pending=None)
    elif kind in ("TransitionRejected", "TransitionWithdrawn"):
        case = replace(case, pending=None)
    elif kind == "CriteriaWaived":
        waiver = Waiver(
            to_state=payload["to_state"], reason=payload["reason"], waived_by=who, waived_at=at
        )
        others = tuple(w for w in case.waivers if w.to_state != waiver.to_state)
        case = replace(case, waivers=(*others, waiver))
    elif kind == "AllegationExtracted":
        case = replace(case, extraction=dict(payload))
    elif kind == "LinkSuggested":
        link = LinkRef(
            link_id=payload["link_id"],
            other_case_id=payload["other_case_id"],
            other_reference=payload["other_reference"],
            reasons=tuple(payload["reasons"]),
            status="suggested",
        )
        case = replace(case, links=(*case.links, link))
    elif kind == "LinkDismissed":
        case = _link_status(case, payload["link_id"], "dismissed")
    elif kind == "CaseMergedInto":
        case = replace(_link_status(case, payload["link_id"], "merged"),
                       merged_into=payload["into_case_id"])
    elif kind == "CaseAbsorbed":
        case = _link_status(case, payload["link_id"], "merged")
    elif kind in ("SourceGraded", "ProvenanceRecorded", "VerificationRecorded"):
        case = _evolve_source(case, kind, payload, who, at)
    elif kind == "FactRecorded":
        fact = {"fact_id": payload["fact_id"], "text": payload["text"], "support": []}
        case = replace(case, facts=(*case.facts, fact))
    elif kind == "FactSupported":
        support = {"source_id": payload["source_id"], "excerpt": payload["excerpt"]}
        case = replace(case, facts=tuple(
            {**f, "support": [*f["support"], support]} if f["fact_id"] == payload["fact_id"]
            else f for f in case.facts))
    elif kind == "QualificationAdded":
        qualification = {"qualification_id": payload["qualification_id"],
                         "code": payload["code"], "elements": {}}
        case = replace(case, qualifications=(*case.qualifications, qualification))
    elif kind == "ElementAssessed":
        assessment = {"finding": payload["finding"], "source_ids": list(payload["source_ids"]),
                      "note": payload["note"], "assessed_by": who, "assessed_at": at}
        case = replace(case, qualifications=tuple(
            {**q, "elements": {**q["elements"], payload["element"]: assessment}}
            if q["qualification_id"] == payload["qualification_id"] else q
            for q in case.qualifications))
    elif kind == "PersonAdded":
        person = {k: payload[k] for k in ("person_id", "role", "pseudonym", "protected", "name")}
        case = replace(case, persons=(*case.persons, person))
    elif kind == "CaseSplitOff":
        ref = {"relation": "split_off", "case_id": payload["new_case_id"],
               "reference": payload["new_reference"]}
        case = replace(case, related=(*case.related, ref))
    elif kind == "CaseSplitFrom":
        ref = {"relation": "split_from", "case_id": payload["from_case_id"],
               "reference": payload["from_reference"]}
        case = replace(case, related=(*case.related, ref))
    elif kind in ("RestrictionRequested", "RestrictionLiftRequested"):
        pending = {"request_id": payload["request_id"], "team": payload["team"],
                   "lift": kind == "RestrictionLiftRequested", "reason": payload["reason"],
                   "requested_by_id": event["actor"]["id"], "requested_by": who,
                   "requested_at": at}
        case = replace(case, restriction_pending=pending)
    elif kind == "CaseRestricted":
        case = replace(case, restricted_to=payload["team"], restriction_pending=None)
    elif kind == "RestrictionLifted":
        case = replace(case, restricted_to=None, restriction_pending=None)
    elif kind == "RestrictionRejected":
        case = replace(case, restriction_pending=None)
    elif kind not in EVENTS_WITHOUT_STATE:
        raise ValueError(f"evolve() does not know event type {kind!r}")
    return replace(case, version=event["version"], head_hash=event["hash"], updated_at=at)


def _evolve_source(case: CaseState, kind: str, payload: dict, who: str, at: str) -> CaseState:
    def change(source: SourceRef) -> SourceRef:
        if kind == "SourceGraded":
            grade = {"reliability": payload["reliability"], "credibility": payload["credibility"],
                     "reason": payload["reason"], "graded_by": who, "graded_at": at}
            return replace(source, grade=grade)
        if kind == "ProvenanceRecorded":
            return replace(source, provenance=tuple(dict(link) for link in payload["chain"]))
        step = {"verification_id": payload["verification_id"], "method": payload["method"],
                "result": payload["result"], "notes": payload["notes"], "by": who, "at": at}
        return replace(source, verifications=(*source.verifications, step))

    return replace(case, sources=tuple(
        change(s) if s.source_id == payload["source_id"] else s for s in case.sources))


def _link_status(case: CaseState, link_id: str, status: str) -> CaseState:
    links = tuple(replace(link, status=status) if link.link_id == link_id else link
                  for link in case.links)
    return replace(case, links=links)


def fold(events: Iterable[Mapping[str, Any]]) -> CaseState | None:
    case = None
    for event in events:
        case = evolve(case, event)
    return case
