"""Events in words, for people who will not read JSON (admin timeline, reports)."""

from collections.abc import Mapping
from typing import Any

from casefiles.domain import taxonomy, workflow

FIELD_LABELS = {
    "title": "title",
    "summary": "summary",
    "categories": "violation categories",
    "places": "places",
    "incident_from": "incident start",
    "incident_to": "incident end",
    "outcome": "outcome",
    "legal_qualification": "legal qualification",
}


def _state(name: str) -> str:
    return workflow.STATE_LABELS.get(name, name)


def _value(field: str, value: Any) -> str:
    if value in (None, "", []):
        return "(empty)"
    if field == "categories":
        return ", ".join(taxonomy.label(code) for code in value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    text = str(value)
    return f"“{text[:120]}…”" if len(text) > 120 else f"“{text}”"


def describe(event: Mapping[str, Any]) -> str:
    """One sentence (or a few) saying what the event changed."""
    kind, payload = event["type"], event["payload"]
    if kind == "CaseOpened":
        return f"Opened case {payload['reference']}: {_value('title', payload['title'])}"
    if kind == "CaseEdited":
        parts = [
            f"{FIELD_LABELS.get(name, name)} changed from {_value(name, change['old'])} "
            f"to {_value(name, change['new'])}"
            for name, change in payload["changes"].items()
        ]
        sentence = "; ".join(parts)
        return sentence[:1].upper() + sentence[1:]
    if kind == "CaseAssigned":
        new, old = payload["assignee"], payload["previous"]
        if new is None:
            return f"Unassigned (was {old['username']})" if old else "Unassigned"
        return f"Assigned to {new['username']}" + (f" (was {old['username']})" if old else "")
    if kind == "SourceAttached":
        origins = ", ".join(payload["origins"]) or "origin not stated"
        return f"Attached source {_value('title', payload['title'])} ({origins})"
    if kind == "NoteAdded":
        return f"Added a note: {_value('text', payload['text'])}"
    if kind == "TransitionRequested":
        return (f"Requested {_state(payload['from_state'])} → {_state(payload['to_state'])}: "
                f"{payload['reason']}")
    if kind == "TransitionApproved":
        return (f"Approved {_state(payload['from_state'])} → {_state(payload['to_state'])}: "
                f"{payload['reason']}")
    if kind == "TransitionRejected":
        return (f"Rejected {_state(payload['from_state'])} → {_state(payload['to_state'])}: "
                f"{payload['reason']}")
    if kind == "TransitionWithdrawn":
        return f"Withdrew the pending request: {payload['reason']}"
    if kind == "CriteriaWaived":
        return (f"Waived the independent-sources criterion for {_state(payload['to_state'])}: "
                f"{payload['reason']}")
    if kind == "SigningKeyRotated":
        return (f"Replaced the log's signing key {payload['old_vkey'].split('+')[1]} with "
                f"{payload['new_vkey'].split('+')[1]}, announced and signed by both keys")
    if kind == "SourceIngested":
        meta = payload["metadata"]
        return (f"Ingested {payload['filename']} ({payload['bytes']} bytes, SHA-256 "
                f"{payload['content_sha256'][:12]}…): {_value('title', meta['title'])}")
    if kind == "SourceVariantReceived":
        return (f"Received {payload['filename']}, a variant differing only in line endings or "
                f"trailing white space (SHA-256 {payload['content_sha256'][:12]}…)")
    if kind == "AllegationExtracted":
        allegation = payload["allegation"]
        return (f"Extracted candidate allegation ({taxonomy.label(allegation['category'])}) "
                f"with extractor {payload['extractor_version']}")
    if kind == "LinkSuggested":
        return (f"Suggested link: possibly the same incident as {payload['other_reference']} "
                f"({'; '.join(payload['reasons'])})")
    if kind == "LinkDismissed":
        return f"Dismissed the suggested link: {payload['reason']}"
    if kind == "CaseMergedInto":
        return f"Merged into {payload['into_reference']}: {payload['reason']}"
    if kind == "CaseAbsorbed":
        return f"Absorbed {payload['from_reference']} (merged here): {payload['reason']}"
    if kind == "SourceGraded":
        return (f"Graded source {payload['reliability']}{payload['credibility']}: "
                f"{payload['reason']}")
    if kind == "ProvenanceRecorded":
        chain = ", ".join(f"{link['role']} by {link['organisation']}"
                          for link in payload["chain"])
        return f"Recorded the source's provenance: {chain}"
    if kind == "VerificationRecorded":
        return (f"Verification by {payload['method'].replace('_', ' ')}: {payload['result']}"
                + (f" ({payload['notes']})" if payload.get("notes") else ""))
    if kind == "FactRecorded":
        return f"Recorded a fact: {_value('text', payload['text'])}"
    if kind == "FactSupported":
        return f"Linked a source excerpt to a fact: {_value('text', payload['excerpt'])}"
    if kind == "QualificationAdded":
        from casefiles.domain.qualifications import title

        return f"Added legal qualification {title(payload['code'])}"
    if kind == "ElementAssessed":
        from casefiles.domain.qualifications import FINDING_WORDS

        return (f"Assessed element “{payload['element']}”: "
                f"{FINDING_WORDS.get(payload['finding'], payload['finding'])}")
    if kind == "PersonAdded":
        who = payload["pseudonym"] if payload["protected"] else payload["name"]
        return (f"Added {payload['role'].replace('_', ' ')} {who}"
                + (" (protected: shown under a pseudonym)" if payload["protected"] else ""))
    if kind == "IdentityRevealed":
        return f"Viewed the real identity of a protected person: {payload['reason']}"
    if kind == "CaseSplitOff":
        return f"Split off {payload['new_reference']}: {payload['reason']}"
    if kind == "CaseSplitFrom":
        return f"Split from {payload['from_reference']}: {payload['reason']}"
    if kind == "CaseExported":
        return (f"Exported the history up to version {payload['exported_version']} "
                f"({payload['kind']} {payload['format']} bundle, head hash "
                f"{payload['head_hash'][:12]}…)")
    if kind == "RestrictionRequested":
        return (f"Asked to restrict the case to team {payload['team']}: "
                f"{payload['reason']}")
    if kind == "RestrictionLiftRequested":
        return (f"Asked to lift the restriction to team {payload['team']}: "
                f"{payload['reason']}")
    if kind == "CaseRestricted":
        return (f"Restricted the case to team {payload['team']} (approved): "
                f"{payload['reason']}")
    if kind == "RestrictionLifted":
        return (f"Lifted the restriction to team {payload['team']} (approved): "
                f"{payload['reason']}")
    if kind == "RestrictionRejected":
        return f"Rejected the restriction request: {payload['reason']}"
    raise ValueError(f"no description for event type {kind!r}")
