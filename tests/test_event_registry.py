"""Every event type is declared once and completely (casefiles/domain/eventtype.py), and
the projection derived from a declaration's effect stores exactly what `evolve` folds."""

import re
import uuid

import pytest
from django.db import transaction

from casefiles import eventstore, projections
from casefiles.domain.actors import Actor
from casefiles.domain.eventtype import (
    CASE,
    NO_STATE,
    REGISTRY,
    SOURCE,
    EventType,
    missing_parts,
    register,
)
from casefiles.domain.hashing import NotCanonical
from casefiles.domain.state import fold
from casefiles.eventstore import NewEvent
from casefiles.models import CaseFile
from casefiles.selectors import case_state
from tests.conftest import make_user


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_type_declares_every_part(name):
    event_type = REGISTRY[name]
    assert missing_parts(type(event_type)) == []
    assert event_type.name == name == type(event_type).__name__
    assert name in projections.PROJECTORS, f"{name} has no projection and is not in NO_PROJECTION"
    if event_type.stream == CASE and event_type.effect is not NO_STATE:
        assert callable(event_type.effect)
    # Validation: every required key is needed, with the message people act on.
    complete = dict.fromkeys(event_type.required)
    event_type.validate(complete)
    for key in event_type.required:
        with pytest.raises(NotCanonical, match=f"^{name} payload is missing {key}$"):
            event_type.validate({k: v for k, v in complete.items() if k != key})
    with pytest.raises(NotCanonical, match="payload must be an object"):
        event_type.validate([])


def _declaration(**parts):
    body = {
        "schema": 1,
        "required": ("reason",),
        "effect": NO_STATE,
        "describe": lambda self, p: "Did something",
    }
    body.update(parts)
    return type("SomethingHappened", (EventType,), {k: v for k, v in body.items() if v is not ...})


@pytest.mark.parametrize(
    ("parts", "lack"),
    [
        ({"describe": ...}, "describe"),
        ({"effect": ...}, "effect (or effect = NO_STATE)"),
        ({"schema": ...}, "schema version"),
        ({"schema": 0}, "schema version"),
        ({"required": ...}, "required payload keys"),
        ({"required": ()}, "required payload keys"),
        ({"stream": SOURCE, "effect": lambda self, p, e: {}}, "effect = NO_STATE"),
    ],
)
def test_a_declaration_lacking_a_part_is_refused(parts, lack):
    with pytest.raises(TypeError, match=f"SomethingHappened lacks .*{re.escape(lack)}"):
        register(_declaration(**parts))
    assert "SomethingHappened" not in REGISTRY


def test_a_type_registered_twice_is_refused():
    with pytest.raises(ValueError, match="CaseOpened registered twice"):
        register(
            type(
                "CaseOpened",
                (EventType,),
                {
                    "schema": 1,
                    "required": ("reason",),
                    "effect": NO_STATE,
                    "describe": lambda self, p: "Opened",
                },
            )
        )


def test_a_type_without_projection_is_refused_not_skipped():
    """A non-case type gets no derived projection: without a handler or an explicit
    NO_PROJECTION it is left out of the plan, and projecting it fails loudly."""
    event_type = register(_declaration(stream=SOURCE))
    try:
        assert "SomethingHappened" not in projections._plan()
    finally:
        del REGISTRY["SomethingHappened"]
    with pytest.raises(LookupError, match="no projection handles SomethingHappened"):
        projections.project([{"type": event_type.name}])


def _id() -> str:
    return str(uuid.uuid4())


def _sequence(user_id: int) -> list[tuple[str, dict]]:
    """One event of every case type (several of some), each valid after the previous."""
    source, fact, qualification, link, other, gone = _id(), _id(), _id(), _id(), _id(), _id()
    perpetrator, liability = _id(), _id()
    requests = [_id() for _ in range(10)]
    move = {"from_state": "intake", "to_state": "sourcing", "reason": "ready"}
    reopen = {"from_state": "closed", "to_state": "legal_review", "reason": "new witness"}
    return [
        (
            "CaseOpened",
            {
                "reference": "CF-2026-900001",
                "title": "Shelling of a school",
                "summary": "Two strikes.",
                "categories": ["wilful_killing"],
                "places": ["Irpin"],
                "incident_from": "2026-03-01",
                "incident_to": None,
            },
        ),
        (
            "CaseEdited",
            {
                "changes": {
                    "title": {"old": "Shelling of a school", "new": "Shelling of School 17"},
                    "categories": {"old": ["wilful_killing"], "new": ["wilful_killing", "pillage"]},
                    "incident_to": {"old": None, "new": "2026-03-02"},
                    "outcome": {"old": None, "new": "referred"},
                    "legal_qualification": {"old": "", "new": "Art. 8(2)(b)(ix)"},
                }
            },
        ),
        ("CaseAssigned", {"assignee": {"id": user_id, "username": "reg-doc"}, "previous": None}),
        (
            "SourceAttached",
            {
                "source_id": source,
                "title": "AP report",
                "url": "https://a",
                "origins": ["Associated Press"],
                "excerpt": "strikes",
                "content_sha256": None,
                "published_on": "2026-03-03",
                "metadata": None,
            },
        ),
        (
            "ExhibitCompleted",
            {
                "source_id": source,
                "content_sha256": "12" * 32,
                "metadata": {"title": "AP report", "origins": ["Associated Press"]},
                "origins": ["Associated Press", "Reuters"],
                "url": "https://a",
                "published_on": "2026-03-03",
            },
        ),
        (
            "SourceAttached",
            {
                "source_id": _id(),
                "title": "Relay",
                "url": "",
                "origins": ["Associated Press"],
                "excerpt": "",
                "content_sha256": "ab" * 32,
                "published_on": None,
                "metadata": {"title": "Relay", "outlet": None},
            },
        ),
        (
            "SourceAttached",
            {
                "source_id": gone,
                "title": "Misattributed clip",
                "url": "",
                "origins": ["Telegram channel"],
                "excerpt": "",
                "content_sha256": "9a" * 32,
                "published_on": None,
                "metadata": None,
            },
        ),
        (
            "SourceDetached",
            {
                "source_id": gone,
                "title": "Misattributed clip",
                "content_sha256": "9a" * 32,
                "reason": "the clip shows another town",
            },
        ),
        (
            "SourceGraded",
            {"source_id": source, "reliability": "B", "credibility": "2", "reason": "track record"},
        ),
        (
            "ProvenanceRecorded",
            {"source_id": source, "chain": [{"role": "captured", "organisation": "UN HRMMU"}]},
        ),
        (
            "VerificationRecorded",
            {
                "verification_id": _id(),
                "source_id": source,
                "method": "geolocation",
                "result": "confirmed",
                "notes": "",
            },
        ),
        (
            "VerificationRecorded",
            {
                "verification_id": _id(),
                "source_id": source,
                "method": "chronolocation",
                "result": "confirmed",
                "notes": "shadows",
            },
        ),
        ("NoteAdded", {"note_id": _id(), "text": "call the witness"}),
        ("TransitionRequested", {"request_id": requests[0], **move}),
        ("TransitionApproved", {"request_id": requests[0], **move}),
        ("TransitionRequested", {"request_id": requests[1], **move}),
        ("TransitionRejected", {"request_id": requests[1], **move}),
        ("TransitionRequested", {"request_id": requests[2], **move}),
        ("TransitionWithdrawn", {"request_id": requests[2], "reason": "later"}),
        ("CriteriaWaived", {"to_state": "legal_review", "reason": "sole record"}),
        ("CriteriaWaived", {"to_state": "legal_review", "reason": "sole record, again"}),
        (
            "AllegationExtracted",
            {
                "source_id": source,
                "content_sha256": "cd" * 32,
                "text_sha256": "ef" * 32,
                "extractor_version": "x/1",
                "allegation": {"category": "pillage"},
            },
        ),
        (
            "LinkSuggested",
            {
                "link_id": link,
                "other_case_id": other,
                "other_reference": "CF-2026-900002",
                "relation": "same_context",
                "reasons": ["same place"],
            },
        ),
        ("LinkDismissed", {"link_id": link, "other_case_id": other, "reason": "different"}),
        (
            "LinkSuggested",
            {
                "link_id": requests[3],
                "other_case_id": other,
                "other_reference": "CF-2026-900002",
                "relation": "same_incident",
                "reasons": ["same day"],
            },
        ),
        (
            "CaseAbsorbed",
            {
                "from_case_id": other,
                "from_reference": "CF-2026-900002",
                "link_id": requests[3],
                "reason": "same",
            },
        ),
        ("FactRecorded", {"fact_id": fact, "text": "Two strikes at 10:00"}),
        (
            "FactSupported",
            {
                "fact_id": fact,
                "support_id": requests[9],
                "source_id": source,
                "content_sha256": "cd" * 32,
                "source_text_sha256": "ef" * 32,
                "start": 3,
                "end": 9,
                "quote": "at ten",
                "text_sha256": "01" * 32,
                "chain": [{"role": "documented", "organisation": "HRMMU"}],
                "aggregate": None,
            },
        ),
        (
            "SupportOriginRecorded",
            {
                "fact_id": fact,
                "support_id": requests[9],
                "chain": [{"role": "captured", "organisation": "drone unit"}],
            },
        ),
        (
            "SupportAggregateMarked",
            {"fact_id": fact, "support_id": requests[9], "incidents": 24, "reason": "all"},
        ),
        ("AggregateSupportLinked", {"fact_id": fact, "support_id": requests[9], "reason": "ok"}),
        ("SupportWithdrawn", {"fact_id": fact, "support_id": requests[9], "reason": "wrong"}),
        ("ConflictClassified", {"classification": "international", "reason": "occupation"}),
        ("QualificationAdded", {"qualification_id": qualification, "code": "pillage"}),
        (
            "ElementAssessed",
            {
                "qualification_id": qualification,
                "code": "pillage",
                "element": "appropriated",
                "finding": "met",
                "standard": "reasonable_grounds",
                "fact_ids": [fact],
                "fact_texts": ["Two strikes at 10:00"],
                "note": "",
            },
        ),
        (
            "PersonAdded",
            {
                "person_id": perpetrator,
                "role": "alleged_perpetrator",
                "pseudonym": "Alleged perpetrator 1",
                "protected": False,
                "name": "Col. X",
                "identity_commitment": "00" * 32,
            },
        ),
        (
            "LiabilityAlleged",
            {
                "liability_id": liability,
                "person_id": perpetrator,
                "person": "Col. X",
                "mode": "military_commander",
                "qualification_id": qualification,
                "code": "pillage",
            },
        ),
        (
            "LiabilityElementAssessed",
            {
                "liability_id": liability,
                "mode": "military_commander",
                "element": "effective_control",
                "finding": "insufficient",
                "standard": "reasonable_grounds",
                "fact_ids": [],
                "fact_texts": [],
                "note": "order of battle unknown",
            },
        ),
        (
            "PersonAdded",
            {
                "person_id": _id(),
                "role": "witness",
                "pseudonym": "Witness 1",
                "protected": True,
                "name": None,
                "identity_commitment": "00" * 32,
            },
        ),
        (
            "PersonAdded",
            {
                "person_id": gone,
                "role": "victim",
                "pseudonym": "Victim 1",
                "protected": False,
                "name": "Added to the wrong case",
                "identity_commitment": None,
            },
        ),
        (
            "PersonRemoved",
            {
                "person_id": gone,
                "role": "victim",
                "pseudonym": "Victim 1",
                "protected": False,
                "name": "Added to the wrong case",
                "reason": "belongs to another incident",
            },
        ),
        ("IdentityRevealed", {"person_id": _id(), "reason": "interview"}),
        (
            "CaseSplitOff",
            {
                "new_case_id": _id(),
                "new_reference": "CF-2026-900003",
                "source_ids": [source],
                "reason": "second incident",
            },
        ),
        (
            "CaseSplitFrom",
            {"from_case_id": _id(), "from_reference": "CF-2026-900004", "reason": "first incident"},
        ),
        (
            "RestrictionRequested",
            {"request_id": requests[4], "team": "kharkiv", "reason": "witness"},
        ),
        ("RestrictionRejected", {"request_id": requests[4], "reason": "not needed"}),
        (
            "RestrictionRequested",
            {"request_id": requests[5], "team": "kharkiv", "reason": "witness"},
        ),
        ("CaseRestricted", {"request_id": requests[5], "team": "kharkiv", "reason": "ok"}),
        (
            "RestrictionLiftRequested",
            {"request_id": requests[5], "team": "kharkiv", "reason": "published"},
        ),
        ("RestrictionLifted", {"request_id": requests[5], "team": "kharkiv", "reason": "ok"}),
        ("CaseAssigned", {"assignee": None, "previous": {"id": user_id, "username": "reg-doc"}}),
        ("CandidateDiscarded", {"reason": "not an incident"}),
        ("CandidateRestored", {"reason": "it is one"}),
        ("TransitionRequested", {"request_id": requests[6], **reopen}),
        ("CaseReopened", {"request_id": requests[6], **reopen}),
        (
            "MergeRequested",
            {
                "request_id": requests[7],
                "link_id": requests[3],
                "other_case_id": other,
                "other_reference": "CF-2026-900002",
                "reason": "same",
            },
        ),
        (
            "MergeRejected",
            {
                "request_id": requests[7],
                "link_id": requests[3],
                "other_reference": "CF-2026-900002",
                "reason": "not sure",
            },
        ),
        (
            "MergeRequested",
            {
                "request_id": requests[8],
                "link_id": requests[3],
                "other_case_id": other,
                "other_reference": "CF-2026-900002",
                "reason": "same, sure",
            },
        ),
        (
            "MergeApproved",
            {
                "request_id": requests[8],
                "link_id": requests[3],
                "other_reference": "CF-2026-900002",
                "reason": "agreed",
            },
        ),
        (
            "CaseExported",
            {
                "export_id": _id(),
                "kind": "complete",
                "exported_version": 3,
                "head_hash": "ab" * 32,
                "format": "casefile-export/1",
            },
        ),
        (
            "CaseMergedInto",
            {
                "into_case_id": other,
                "into_reference": "CF-2026-900002",
                "link_id": link,
                "reason": "same after all",
            },
        ),
    ]


@pytest.mark.django_db
def test_every_case_event_projects_what_it_folds_to():
    """The read models (read back by case_state) equal the fold of the events after each
    event, for every case event type, and a rebuild equals the live projection."""
    user = make_user("reg-doc", "documenter")
    actor = Actor.for_user(user).as_event_actor("documenter")
    sequence = _sequence(user.pk)
    case_types = {name for name, t in REGISTRY.items() if t.stream == CASE}
    assert case_types - {name for name, _ in sequence} == set(), "add it to _sequence()"
    case_id = _id()
    for version, (kind, payload) in enumerate(sequence):
        with transaction.atomic():
            stored, _ = eventstore.append(
                case_id, expected_version=version, actor=actor, events=[NewEvent(kind, payload)]
            )
            projections.project(event.as_record() for event in stored)
        folded = fold(eventstore.stream(case_id))
        assert case_state(case_id) == folded, f"after {kind}"
        # The columns kept beside the image for lists and filters follow it too.
        row = CaseFile.objects.get(pk=case_id)
        assert (row.source_count, row.independent_origins, row.corroboration) == (
            len(folded.sources),
            folded.independent_origins,
            folded.corroboration,
        ), kind
        assert row.extraction_category == (
            folded.extraction["allegation"]["category"] if folded.extraction else ""
        ), kind
    assert folded.restricted_to is None and folded.assignee is None
    assert [link.status for link in folded.links] == ["merged", "merged"]
    live = projections.snapshot()
    projections.rebuild()
    assert projections.diff(live, projections.snapshot()) == []
