import pytest

from casefiles.domain.describe import describe
from casefiles.domain.events import REGISTRY

SAMPLES = {
    "SigningKeyRotated": {
        "origin": "casefiles.test/log",
        "old_vkey": "casefiles.test/log+0a0b0c0d+AQ==",
        "new_vkey": "casefiles.test/log+01020304+AQ==",
        "announcement": "…",
    },
    "CaseOpened": {"reference": "CF-2026-000001", "title": "Looting in Bucha"},
    "CaseEdited": {"changes": {"title": {"old": "Draft", "new": "Looting"}}},
    "CaseAssigned": {"assignee": {"id": 1, "username": "dora"}, "previous": None},
    "SourceAttached": {"title": "AP report", "origins": ["Associated Press"]},
    "SourceDetached": {"title": "Misattributed clip", "reason": "shows another town"},
    "ExhibitCompleted": {"content_sha256": "ab" * 32, "origins": ["Associated Press"]},
    "NoteAdded": {"text": "call the witness"},
    "TransitionRequested": {"from_state": "intake", "to_state": "sourcing", "reason": "ready"},
    "TransitionApproved": {"from_state": "intake", "to_state": "sourcing", "reason": "ok"},
    "TransitionRejected": {"from_state": "intake", "to_state": "sourcing", "reason": "thin"},
    "TransitionWithdrawn": {"reason": "later"},
    "CriteriaWaived": {"to_state": "legal_review", "reason": "sole record"},
    "SourceIngested": {
        "filename": "a.txt",
        "bytes": 10,
        "content_sha256": "ab" * 32,
        "metadata": {"title": "T"},
    },
    "SourceVariantReceived": {"filename": "b.txt", "content_sha256": "cd" * 32},
    "SourceNearDuplicateReceived": {
        "filename": "c.txt",
        "content_sha256": "ef" * 32,
        "similarity": 84,
    },
    "AllegationExtracted": {"allegation": {"category": "pillage"}, "extractor_version": "x/1"},
    "LinkSuggested": {
        "other_reference": "CF-2026-000002",
        "relation": "same_context",
        "reasons": ["same place: Bucha"],
    },
    "LinkDismissed": {"reason": "different"},
    "CaseMergedInto": {"into_reference": "CF-2026-000002", "reason": "same"},
    "CaseAbsorbed": {"from_reference": "CF-2026-000003", "reason": "same"},
    "CandidateDiscarded": {"reason": "a training exercise"},
    "CandidateRestored": {"reason": "a real strike after all"},
    "CaseReopened": {"from_state": "closed", "to_state": "legal_review", "reason": "witness"},
    "MergeRequested": {"other_reference": "CF-2026-000003", "reason": "same"},
    "MergeApproved": {"other_reference": "CF-2026-000003", "reason": "agreed"},
    "MergeRejected": {"other_reference": "CF-2026-000003", "reason": "different days"},
    "SourceGraded": {"reliability": "B", "credibility": "2", "reason": "track record"},
    "ProvenanceRecorded": {"chain": [{"role": "obtained", "organisation": "NYT"}]},
    "VerificationRecorded": {"method": "geolocation", "result": "confirmed", "notes": ""},
    "FactRecorded": {"text": "Two soldiers shot after surrendering"},
    "FactSupported": {
        "support_id": "s",
        "start": 10,
        "end": 36,
        "quote": "executed near Novoivanovka",
    },
    "SupportOriginRecorded": {"chain": [{"role": "documented", "organisation": "HRMMU"}]},
    "SupportAggregateMarked": {"incidents": 24, "reason": "79 across 24 incidents"},
    "AggregateSupportLinked": {"reason": "the 24 include this one"},
    "SupportWithdrawn": {"reason": "another incident"},
    "QualificationAdded": {"code": "killing_hors_de_combat"},
    "ElementAssessed": {
        "code": "killing_hors_de_combat",
        "element": "hors_de_combat",
        "finding": "met",
        "standard": "reasonable_grounds",
        "fact_ids": ["f1"],
        "fact_texts": ["Two soldiers shot after surrendering"],
        "note": "",
    },
    "ConflictClassified": {"classification": "international", "reason": "occupation"},
    "LiabilityAlleged": {
        "person": "Alleged perpetrator 1",
        "mode": "military_commander",
        "code": "killing_hors_de_combat",
    },
    "LiabilityElementAssessed": {
        "mode": "military_commander",
        "element": "effective_control",
        "finding": "insufficient",
        "standard": "beyond_reasonable_doubt",
        "fact_ids": [],
        "fact_texts": [],
        "note": "",
    },
    "PersonAdded": {"role": "witness", "pseudonym": "Witness 1", "protected": True, "name": None},
    "PersonRemoved": {
        "role": "witness",
        "pseudonym": "Witness 1",
        "protected": True,
        "name": None,
        "reason": "wrong case",
    },
    "IdentityRevealed": {"reason": "interview preparation"},
    "CaseSplitOff": {"new_reference": "CF-2026-000009", "reason": "second incident"},
    "CaseSplitFrom": {"from_reference": "CF-2026-000001", "reason": "second incident"},
    "RestrictionRequested": {"team": "team-kharkiv", "reason": "witness testimony"},
    "RestrictionLiftRequested": {"team": "team-kharkiv", "reason": "published"},
    "CaseRestricted": {"team": "team-kharkiv", "reason": "agreed"},
    "RestrictionLifted": {"team": "team-kharkiv", "reason": "agreed"},
    "RestrictionRejected": {"reason": "not needed"},
    "CaseExported": {
        "exported_version": 7,
        "kind": "complete",
        "format": "casefile-export/1",
        "head_hash": "ab" * 32,
    },
}


def test_edit_is_described_in_words():
    event = {
        "type": "CaseEdited",
        "payload": {
            "changes": {
                "title": {"old": "Draft", "new": "Executions near Novoivanovka"},
                "categories": {"old": [], "new": ["killing_hors_de_combat"]},
            }
        },
    }
    assert describe(event) == (
        "Title changed from “Draft” to “Executions near Novoivanovka”; violation categories "
        "changed from (empty) to Killing or wounding a combatant who has surrendered "
        "(hors de combat) (art. 8(2)(b)(vi))"
    )


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_type_has_a_description(name):
    text = describe({"type": name, "payload": SAMPLES[name]})
    assert text and name not in text


def test_unknown_type_is_an_error_not_a_silent_fallback():
    with pytest.raises(ValueError, match="no description"):
        describe({"type": "Unknown", "payload": {}})
