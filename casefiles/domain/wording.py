"""Words shared by the event descriptions (casefiles/domain/eventtypes/)."""

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


def state(name: str) -> str:
    return workflow.STATE_LABELS.get(name, name)


def value(field: str, value: Any) -> str:
    if value in (None, "", []):
        return "(empty)"
    if field == "categories":
        return ", ".join(taxonomy.label(code) for code in value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    text = str(value)
    return f"“{text[:120]}…”" if len(text) > 120 else f"“{text}”"


def transition(verb: str, payload: Mapping[str, Any]) -> str:
    return (
        f"{verb} {state(payload['from_state'])} → {state(payload['to_state'])}: {payload['reason']}"
    )
