"""Events in words, for people who will not read JSON (admin timeline, reports).

Each event type's sentence is part of its declaration (casefiles/domain/eventtypes/);
this is the lookup."""

from collections.abc import Mapping
from typing import Any

from casefiles.domain.events import REGISTRY
from casefiles.domain.wording import FIELD_LABELS

__all__ = ["FIELD_LABELS", "describe"]


def describe(event: Mapping[str, Any]) -> str:
    """One sentence (or a few) saying what the event changed."""
    event_type = REGISTRY.get(event["type"])
    if event_type is None:
        raise ValueError(f"no description for event type {event['type']!r}")
    return event_type.describe(event["payload"])
