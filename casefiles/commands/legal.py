"""Legal review: qualifications (Rome Statute provisions) and their elements of crimes."""

from casefiles.commands.base import (
    Outcome,
    begin,
    command,
    new_id,
    source_of,
)
from casefiles.domain import qualifications
from casefiles.domain.actors import Actor
from casefiles.domain.events import ELEMENT_ASSESSED, QUALIFICATION_ADDED
from casefiles.errors import InvalidCommand, NotFound
from casefiles.eventstore import NewEvent


@command
def qualification_add(
    *, actor: Actor, case_id, code: str, expected_version: int | None = None
) -> Outcome:
    change = begin(actor, "qualification_add", case_id, expected_version=expected_version)
    case = change.case
    if code not in qualifications.provisions():
        raise InvalidCommand(
            f"unknown provision {code!r}; known: {', '.join(qualifications.provisions())}"
        )
    if any(q["code"] == code for q in case.qualifications):
        raise InvalidCommand(
            f"{qualifications.title(code)} is already recorded on {case.reference}"
        )
    return change.write(
        NewEvent(QUALIFICATION_ADDED.name, {"qualification_id": new_id(), "code": code})
    )


@command
def element_assess(
    *,
    actor: Actor,
    case_id,
    qualification_id,
    element: str,
    finding: str,
    source_ids=(),
    note: str = "",
    expected_version: int | None = None,
) -> Outcome:
    change = begin(actor, "element_assess", case_id, expected_version=expected_version)
    case = change.case
    qualification = next(
        (q for q in case.qualifications if q["qualification_id"] == str(qualification_id)), None
    )
    if qualification is None:
        raise NotFound(f"{case.reference} has no qualification {qualification_id}")
    elements = {e["id"] for e in qualifications.provisions()[qualification["code"]]["elements"]}
    if element not in elements:
        raise InvalidCommand(
            f"{element!r} is not an element of {qualifications.title(qualification['code'])}"
        )
    if finding not in qualifications.FINDINGS:
        raise InvalidCommand(f"finding must be one of {', '.join(qualifications.FINDINGS)}")
    source_ids = [source_of(case, s).source_id for s in source_ids]
    if finding == qualifications.MET and not source_ids:
        raise InvalidCommand(
            "an element marked met must refer to at least one supporting source excerpt"
        )
    return change.write(
        NewEvent(
            ELEMENT_ASSESSED.name,
            {
                "qualification_id": qualification["qualification_id"],
                "element": element,
                "finding": finding,
                "source_ids": source_ids,
                "note": (note or "").strip(),
            },
        )
    )
