"""The registry of event types: name -> current schema version and required payload keys.

Types are past tense. Changing a payload's meaning or shape means a new schema
version of that type (docs/event-format.md), never an edit to an existing one.
"""

from dataclasses import dataclass

from casefiles.domain.hashing import NotCanonical, check_json_value


@dataclass(frozen=True)
class EventType:
    name: str
    schema: int
    required: tuple[str, ...]


REGISTRY: dict[str, EventType] = {}


def register(name: str, schema: int, required: tuple[str, ...]) -> EventType:
    if name in REGISTRY:
        raise ValueError(f"event type {name} registered twice")
    REGISTRY[name] = EventType(name, schema, required)
    return REGISTRY[name]


CASE_OPENED = register(
    "CaseOpened",
    1,
    ("reference", "title", "summary", "categories", "places", "incident_from", "incident_to"),
)
CASE_EDITED = register("CaseEdited", 1, ("changes",))
CASE_ASSIGNED = register("CaseAssigned", 1, ("assignee", "previous"))
SOURCE_ATTACHED = register(
    "SourceAttached",
    1,
    ("source_id", "title", "url", "origins", "excerpt", "content_sha256", "published_on"),
)
NOTE_ADDED = register("NoteAdded", 1, ("note_id", "text"))
TRANSITION_REQUESTED = register(
    "TransitionRequested", 1, ("request_id", "from_state", "to_state", "reason")
)
TRANSITION_APPROVED = register(
    "TransitionApproved", 1, ("request_id", "from_state", "to_state", "reason")
)
TRANSITION_REJECTED = register(
    "TransitionRejected", 1, ("request_id", "from_state", "to_state", "reason")
)
TRANSITION_WITHDRAWN = register("TransitionWithdrawn", 1, ("request_id", "reason"))
CRITERIA_WAIVED = register("CriteriaWaived", 1, ("to_state", "reason"))


def validate_payload(type_name: str, payload: dict) -> EventType:
    event_type = REGISTRY.get(type_name)
    if event_type is None:
        raise NotCanonical(f"unknown event type {type_name!r}")
    if not isinstance(payload, dict):
        raise NotCanonical(f"{type_name} payload must be an object")
    missing = [key for key in event_type.required if key not in payload]
    if missing:
        raise NotCanonical(f"{type_name} payload is missing {', '.join(missing)}")
    check_json_value(payload)
    return event_type

# Ingestion (issue 3). Source custody events live in a source's own stream, whose id is
# uuid5(SOURCE_STREAM_NAMESPACE, content_sha256) (docs/event-format.md).
SOURCE_INGESTED = register(
    "SourceIngested",
    1,
    ("content_sha256", "bytes", "filename", "media_type", "encoding", "text_sha256",
     "normalized_sha256", "extractor_version", "submitted_by", "received_at", "metadata"),
)
SOURCE_VARIANT_RECEIVED = register(
    "SourceVariantReceived",
    1,
    ("content_sha256", "bytes", "filename", "normalized_sha256", "submitted_by", "received_at"),
)
ALLEGATION_EXTRACTED = register(
    "AllegationExtracted",
    1,
    ("source_id", "content_sha256", "text_sha256", "extractor_version", "allegation"),
)
LINK_SUGGESTED = register(
    "LinkSuggested", 1, ("link_id", "other_case_id", "other_reference", "reasons")
)
LINK_DISMISSED = register("LinkDismissed", 1, ("link_id", "other_case_id", "reason"))
CASE_MERGED_INTO = register(
    "CaseMergedInto", 1, ("into_case_id", "into_reference", "link_id", "reason")
)
CASE_ABSORBED = register(
    "CaseAbsorbed", 1, ("from_case_id", "from_reference", "link_id", "reason")
)

# Sourcing, corroboration and legal review in depth (issue 7).
SOURCE_GRADED = register(
    "SourceGraded", 1, ("source_id", "reliability", "credibility", "reason")
)
PROVENANCE_RECORDED = register("ProvenanceRecorded", 1, ("source_id", "chain"))
VERIFICATION_RECORDED = register(
    "VerificationRecorded", 1, ("verification_id", "source_id", "method", "result", "notes")
)
FACT_RECORDED = register("FactRecorded", 1, ("fact_id", "text"))
FACT_SUPPORTED = register("FactSupported", 1, ("fact_id", "source_id", "excerpt"))
QUALIFICATION_ADDED = register("QualificationAdded", 1, ("qualification_id", "code"))
ELEMENT_ASSESSED = register(
    "ElementAssessed", 1, ("qualification_id", "element", "finding", "source_ids", "note")
)
# A protected person's identity never enters the chain: the event carries a salted
# SHA-256 commitment to it; the identity itself is kept in the protected-identity store.
PERSON_ADDED = register(
    "PersonAdded",
    1,
    ("person_id", "role", "pseudonym", "protected", "name", "identity_commitment"),
)
IDENTITY_REVEALED = register("IdentityRevealed", 1, ("person_id", "reason"))
CASE_SPLIT_OFF = register(
    "CaseSplitOff", 1, ("new_case_id", "new_reference", "source_ids", "reason")
)
CASE_SPLIT_FROM = register("CaseSplitFrom", 1, ("from_case_id", "from_reference", "reason"))

# Exports (issue 6): the audit trail includes its own reading.
CASE_EXPORTED = register(
    "CaseExported", 1, ("export_id", "kind", "exported_version", "head_hash", "format")
)

# The transparency log's own stream, uuid5(LOG_STREAM_NAMESPACE, origin): a new signing
# key announced by the old one (docs/transparency-log.md, "Key rotation").
SIGNING_KEY_ROTATED = register(
    "SigningKeyRotated", 1, ("origin", "old_vkey", "new_vkey", "announcement")
)

# Restricted cases (compartments): restricting a case to a team, and lifting it, is
# requested by one person and approved by a supervisor who is not the requester.
RESTRICTION_REQUESTED = register("RestrictionRequested", 1, ("request_id", "team", "reason"))
RESTRICTION_LIFT_REQUESTED = register(
    "RestrictionLiftRequested", 1, ("request_id", "team", "reason")
)
CASE_RESTRICTED = register("CaseRestricted", 1, ("request_id", "team", "reason"))
RESTRICTION_LIFTED = register("RestrictionLifted", 1, ("request_id", "team", "reason"))
RESTRICTION_REJECTED = register("RestrictionRejected", 1, ("request_id", "reason"))
