"""The case workflow: states, allowed moves and entry criteria. Pure functions of CaseState."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from casefiles.domain.state import CaseState

INTAKE = "intake"
SOURCING = "sourcing"
CORROBORATION = "corroboration"
LEGAL_REVIEW = "legal_review"
CLOSED = "closed"
# A candidate a documenter discarded at intake (not an incident, a duplicate, noise):
# out of the intake queue and unchangeable until a supervisor restores it to intake.
# Not a workflow move: CandidateDiscarded / CandidateRestored, never a transition.
DISCARDED = "discarded"
STATES = (INTAKE, SOURCING, CORROBORATION, LEGAL_REVIEW, CLOSED, DISCARDED)
STATE_LABELS = {
    INTAKE: "Intake",
    SOURCING: "Sourcing",
    CORROBORATION: "Corroboration",
    LEGAL_REVIEW: "Legal review",
    CLOSED: "Closed",
    DISCARDED: "Discarded",
}
# A case whose record cannot change (notes aside): closed, or discarded at intake.
FINAL_STATES = (CLOSED, DISCARDED)

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
    # Reopening a closed case: four-eyes like any move, and it lands in legal review,
    # where the outcome and qualification that closed it are reconsidered (the approval
    # is recorded as CaseReopened, not TransitionApproved).
    CLOSED: LEGAL_REVIEW,
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


def is_reopening(from_state: str, to_state: str) -> bool:
    return from_state == CLOSED and BACKWARD.get(CLOSED) == to_state


def normalise_origin(name: str) -> str:
    folded = " ".join(name.split()).casefold()
    return folded[4:] if folded.startswith("the ") else folded


# Provenance roles whose organisation is an origin of the material; relaying or
# publishing what someone else obtained adds no independent origin.
ORIGIN_ROLES = ("captured", "obtained", "verified", "documented")
PROVENANCE_ROLES = (*ORIGIN_ROLES, "relayed", "published")


class HasOrigins(Protocol):
    """What origin counting reads of a source: an attached SourceRef, or a projection's
    row with the same two fields."""

    @property
    def provenance(self) -> Sequence[Mapping[str, Any]]: ...

    @property
    def origins(self) -> Sequence[str]: ...


def origin_names(source: HasOrigins) -> set[str]:
    """The organisations a source originates from: its recorded provenance chain when
    there is one, otherwise the origins stated when it was attached."""
    if source.provenance:
        names = [link["organisation"] for link in source.provenance if link["role"] in ORIGIN_ROLES]
    else:
        names = list(source.origins)
    return {normalise_origin(name) for name in names if name.strip()}


def origin_groups(sources: Iterable[HasOrigins]) -> list[set[str]]:
    """Sources sharing any originating organisation merged into one group each."""
    groups: list[set[str]] = []
    for source in sources:
        merged = origin_names(source)
        if not merged:
            continue
        rest = []
        for group in groups:
            if group & merged:
                merged = merged | group
            else:
                rest.append(group)
        groups = [*rest, merged]
    return groups


def independent_origins(sources: Iterable[HasOrigins]) -> int:
    """How many independent origins the sources reach.

    Sources that share any originating organisation belong to one origin (a relay of
    the NYT recordings counts with the NYT); the count is the number of such groups.
    A source with no stated origin cannot show independence and is not counted.
    """
    return len(origin_groups(sources))


def corroboration_status(count: int) -> str:
    if count == 0:
        return UNCORROBORATED
    if count == 1:
        return SINGLE_ORIGIN
    return CORROBORATED


def unmet_criteria(case: CaseState, to_state: str) -> list[str]:
    """Every entry criterion of `to_state` that `case` does not meet, in plain words."""
    if to_state not in targets(case.state):
        allowed = ", ".join(targets(case.state)) or f"none (the case is {case.state})"
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
        if case.outcome == "substantiated":
            unmet.extend(substantiation_gaps(case))
    return unmet


def substantiation_gaps(case: CaseState) -> list[str]:
    """Empty when at least one qualification has every element marked met and is not
    contradicted by the case's conflict classification; otherwise what is missing, per
    qualification, in plain words."""
    from casefiles.domain import qualifications

    if not case.qualifications:
        return [
            "substantiated needs a legal qualification with every element met; none is recorded"
        ]
    gaps = []
    for qualification in case.qualifications:
        missing = qualifications.missing_elements(qualification)
        contradiction = qualifications.conflict_contradiction(qualification["code"], case.conflict)
        if contradiction:
            missing.append(contradiction)
        if not missing:
            return []
        gaps.append(f"{qualifications.title(qualification['code'])}: " + "; ".join(missing))
    return ["no qualification has every element met — " + " | ".join(gaps)]
