"""The case workflow: states, allowed moves and entry criteria. Pure functions of CaseState."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casefiles.domain.state import CaseState, SourceRef

INTAKE = "intake"
SOURCING = "sourcing"
CORROBORATION = "corroboration"
LEGAL_REVIEW = "legal_review"
CLOSED = "closed"
STATES = (INTAKE, SOURCING, CORROBORATION, LEGAL_REVIEW, CLOSED)
STATE_LABELS = {
    INTAKE: "Intake",
    SOURCING: "Sourcing",
    CORROBORATION: "Corroboration",
    LEGAL_REVIEW: "Legal review",
    CLOSED: "Closed",
}

FORWARD = {
    INTAKE: SOURCING,
    SOURCING: CORROBORATION,
    CORROBORATION: LEGAL_REVIEW,
    LEGAL_REVIEW: CLOSED,
}
# Sending a case back always needs a reason (every request has one) but no criteria:
# the earlier state's criteria held when the case first left it.
BACKWARD = {
    CORROBORATION: SOURCING,
    LEGAL_REVIEW: CORROBORATION,
}

OUTCOMES = ("substantiated", "unsubstantiated", "referred", "inadmissible")

UNCORROBORATED = "uncorroborated"
SINGLE_ORIGIN = "single_origin"
CORROBORATED = "corroborated"


def targets(state: str) -> list[str]:
    """The states a case in `state` may be moved to, forward first."""
    return [t for t in (FORWARD.get(state), BACKWARD.get(state)) if t]


def is_forward(from_state: str, to_state: str) -> bool:
    return FORWARD.get(from_state) == to_state


def normalise_origin(name: str) -> str:
    folded = " ".join(name.split()).casefold()
    return folded[4:] if folded.startswith("the ") else folded


def independent_origins(sources: tuple[SourceRef, ...] | list[SourceRef]) -> int:
    """How many independent origins the sources reach.

    Sources that share any originating organisation belong to one origin (a relay of
    the NYT recordings counts with the NYT); the count is the number of such groups.
    A source with no stated origin cannot show independence and is not counted.
    """
    groups: list[set[str]] = []
    for source in sources:
        names = {normalise_origin(name) for name in source.origins if name.strip()}
        if not names:
            continue
        merged = names
        rest = []
        for group in groups:
            if group & merged:
                merged = merged | group
            else:
                rest.append(group)
        groups = [*rest, merged]
    return len(groups)


def corroboration_status(count: int) -> str:
    if count == 0:
        return UNCORROBORATED
    if count == 1:
        return SINGLE_ORIGIN
    return CORROBORATED


def unmet_criteria(case: CaseState, to_state: str) -> list[str]:
    """Every entry criterion of `to_state` that `case` does not meet, in plain words."""
    if to_state not in targets(case.state):
        allowed = ", ".join(targets(case.state)) or "none (the case is closed)"
        return [f"a case in {case.state} cannot move to {to_state}; allowed: {allowed}"]
    if not is_forward(case.state, to_state):
        return []
    unmet = []
    if to_state == SOURCING:
        if not case.title.strip():
            unmet.append("the case has no title")
        if not case.summary.strip():
            unmet.append("the case has no summary")
        if not case.categories:
            unmet.append("the case has no violation category")
    elif to_state == CORROBORATION:
        if not case.sources:
            unmet.append("no source is attached")
    elif to_state == LEGAL_REVIEW:
        count = independent_origins(case.sources)
        if count < 2 and not case.waiver_for(LEGAL_REVIEW):
            unmet.append(
                "fewer than two sources from independent origins "
                f"({count} independent origin{'s' if count != 1 else ''}) "
                "and no supervisor waiver is recorded"
            )
    elif to_state == CLOSED:
        if not case.outcome:
            unmet.append("no outcome is recorded")
        if not case.legal_qualification.strip():
            unmet.append("no legal qualification note is recorded")
    return unmet
