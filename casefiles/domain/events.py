"""The registry of event types and payload validation.

Each type is declared once, in a concept module of casefiles/domain/eventtypes/ (the
declaration and its rules: casefiles/domain/eventtype.py). The constants below keep the
names the commands use (`NewEvent(NOTE_ADDED.name, ...)`).
"""

from typing import Any

from casefiles.domain.eventtype import REGISTRY, EventType, register
from casefiles.domain.eventtypes import (
    audit,
    cases,
    compartments,
    facts,
    legal,
    links,
    persons,
    sources,
    transitions,
)
from casefiles.domain.hashing import NotCanonical, check_json_value

__all__ = ["REGISTRY", "EventType", "register", "validate_payload"]


def validate_payload(type_name: str, payload: dict[str, Any]) -> EventType:
    event_type = REGISTRY.get(type_name)
    if event_type is None:
        raise NotCanonical(f"unknown event type {type_name!r}")
    event_type.validate(payload)
    check_json_value(payload)
    return event_type


CASE_OPENED = cases.CaseOpened
CASE_EDITED = cases.CaseEdited
CASE_ASSIGNED = cases.CaseAssigned
NOTE_ADDED = cases.NoteAdded
SOURCE_ATTACHED = sources.SourceAttached
EXHIBIT_COMPLETED = sources.ExhibitCompleted
TRANSITION_REQUESTED = transitions.TransitionRequested
TRANSITION_APPROVED = transitions.TransitionApproved
TRANSITION_REJECTED = transitions.TransitionRejected
TRANSITION_WITHDRAWN = transitions.TransitionWithdrawn
CRITERIA_WAIVED = transitions.CriteriaWaived
SOURCE_INGESTED = sources.SourceIngested
SOURCE_VARIANT_RECEIVED = sources.SourceVariantReceived
SOURCE_NEAR_DUPLICATE_RECEIVED = sources.SourceNearDuplicateReceived
ALLEGATION_EXTRACTED = sources.AllegationExtracted
LINK_SUGGESTED = links.LinkSuggested
LINK_DISMISSED = links.LinkDismissed
CASE_MERGED_INTO = links.CaseMergedInto
CASE_ABSORBED = links.CaseAbsorbed
SOURCE_GRADED = sources.SourceGraded
PROVENANCE_RECORDED = sources.ProvenanceRecorded
VERIFICATION_RECORDED = sources.VerificationRecorded
FACT_RECORDED = facts.FactRecorded
FACT_SUPPORTED = facts.FactSupported
SUPPORT_ORIGIN_RECORDED = facts.SupportOriginRecorded
SUPPORT_AGGREGATE_MARKED = facts.SupportAggregateMarked
AGGREGATE_SUPPORT_LINKED = facts.AggregateSupportLinked
SUPPORT_WITHDRAWN = facts.SupportWithdrawn
QUALIFICATION_ADDED = legal.QualificationAdded
ELEMENT_ASSESSED = legal.ElementAssessed
CONFLICT_CLASSIFIED = legal.ConflictClassified
LIABILITY_ALLEGED = legal.LiabilityAlleged
LIABILITY_ELEMENT_ASSESSED = legal.LiabilityElementAssessed
PERSON_ADDED = persons.PersonAdded
IDENTITY_REVEALED = persons.IdentityRevealed
CASE_SPLIT_OFF = links.CaseSplitOff
CASE_SPLIT_FROM = links.CaseSplitFrom
CASE_EXPORTED = audit.CaseExported
SIGNING_KEY_ROTATED = audit.SigningKeyRotated
RESTRICTION_REQUESTED = compartments.RestrictionRequested
RESTRICTION_LIFT_REQUESTED = compartments.RestrictionLiftRequested
CASE_RESTRICTED = compartments.CaseRestricted
RESTRICTION_LIFTED = compartments.RestrictionLifted
RESTRICTION_REJECTED = compartments.RestrictionRejected
CANDIDATE_DISCARDED = cases.CandidateDiscarded
CANDIDATE_RESTORED = cases.CandidateRestored
CASE_REOPENED = transitions.CaseReopened
MERGE_REQUESTED = links.MergeRequested
MERGE_APPROVED = links.MergeApproved
MERGE_REJECTED = links.MergeRejected
