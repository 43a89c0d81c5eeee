"""Legal review: qualifications (Rome Statute provisions) and their elements of crimes, the
armed conflict's classification, and the modes of liability alleged against perpetrators
(docs/legal.md)."""

from collections.abc import Iterable
from typing import Any

from casefiles.commands.base import (
    Id,
    Outcome,
    begin,
    command,
    new_id,
    require_text,
)
from casefiles.domain import liability, qualifications
from casefiles.domain.actors import Actor
from casefiles.domain.events import (
    CONFLICT_CLASSIFIED,
    ELEMENT_ASSESSED,
    LIABILITY_ALLEGED,
    LIABILITY_ELEMENT_ASSESSED,
    QUALIFICATION_ADDED,
)
from casefiles.domain.persons import person_label
from casefiles.domain.state import CaseState
from casefiles.errors import InvalidCommand, NotFound
from casefiles.eventstore import NewEvent

REASON_MAX = 5_000
NOTE_MAX = 20_000


@command
def qualification_add(
    *, actor: Actor, case_id: Id, code: str, expected_version: int | None = None
) -> Outcome:
    change = begin(actor, "qualification_add", case_id, expected_version=expected_version)
    case = change.state
    if code not in qualifications.provisions():
        raise InvalidCommand(
            f"unknown provision {code!r}; known: {', '.join(qualifications.provisions())}"
        )
    if any(q["code"] == code for q in case.qualifications):
        raise InvalidCommand(
            f"{qualifications.title(code)} is already recorded on {case.reference}"
        )
    contradiction = qualifications.conflict_contradiction(code, case.conflict)
    if contradiction:
        raise InvalidCommand(
            contradiction + "; classify the conflict again (with the reason) or choose the "
            "provision for that kind of conflict"
        )
    return change.write(
        NewEvent(QUALIFICATION_ADDED.name, {"qualification_id": new_id(), "code": code})
    )


def _qualification(case: CaseState, qualification_id: Id) -> dict[str, Any]:
    found = next(
        (q for q in case.qualifications if q["qualification_id"] == str(qualification_id)), None
    )
    if found is None:
        raise NotFound(f"{case.reference} has no qualification {qualification_id}")
    return found


def _finding(
    case: CaseState, finding: str, standard: str | None, fact_ids: Iterable[Any], note: str
) -> dict[str, Any]:
    """The parts every assessment shares, checked: the finding, the standard of proof
    (the policy's default when none is given), the facts cited (known facts of this
    case, each once; at least one for a finding of met) and the note."""
    if finding not in qualifications.FINDINGS:
        raise InvalidCommand(f"finding must be one of {', '.join(qualifications.FINDINGS)}")
    standard = standard or qualifications.default_standard()
    if standard not in qualifications.standards():
        raise InvalidCommand(
            f"unknown standard of proof {standard!r}; the team's policy allows: "
            f"{', '.join(qualifications.standards())}"
        )
    if isinstance(fact_ids, str | bytes) or not isinstance(fact_ids, Iterable):
        raise InvalidCommand("fact_ids must be a list of fact ids")
    cited = [str(f) for f in fact_ids]
    if len(cited) > qualifications.FACTS_MAX:
        raise InvalidCommand(f"an assessment cites at most {qualifications.FACTS_MAX} facts")
    if len(set(cited)) != len(cited):
        raise InvalidCommand("each fact is cited once")
    facts = {f["fact_id"]: f for f in case.facts}
    unknown = [f for f in cited if f not in facts]
    if unknown:
        raise InvalidCommand(f"{case.reference} has no fact {', '.join(unknown)}")
    if finding == qualifications.MET and not cited:
        raise InvalidCommand(
            "an element marked met must cite at least one fact recorded in the case"
        )
    if not isinstance(note, str):
        raise InvalidCommand("note must be text")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidCommand(f"note is longer than {NOTE_MAX} characters")
    return {
        "finding": finding,
        "standard": standard,
        "fact_ids": cited,
        "fact_texts": [facts[f]["text"] for f in cited],
        "note": note,
    }


@command
def element_assess(
    *,
    actor: Actor,
    case_id: Id,
    qualification_id: Id,
    element: str,
    finding: str,
    standard: str | None = None,
    fact_ids: Iterable[object] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Outcome:
    change = begin(actor, "element_assess", case_id, expected_version=expected_version)
    case = change.state
    qualification = _qualification(case, qualification_id)
    code = qualification["code"]
    if qualifications.element_of(code, element) is None:
        raise InvalidCommand(f"{element!r} is not an element of {qualifications.title(code)}")
    return change.write(
        NewEvent(
            ELEMENT_ASSESSED.name,
            {
                "qualification_id": qualification["qualification_id"],
                "code": code,
                "element": element,
                **_finding(case, finding, standard, fact_ids, note or ""),
            },
        )
    )


@command
def conflict_classify(
    *,
    actor: Actor,
    case_id: Id,
    classification: str,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Record (or change) the classification of the armed conflict. A classification that
    contradicts recorded war-crime qualifications is recorded all the same (the facts
    decide, not the order things were entered in); those qualifications then no longer
    count towards substantiating the case until the contradiction is resolved."""
    change = begin(actor, "conflict_classify", case_id, expected_version=expected_version)
    case = change.state
    if classification not in qualifications.CLASSIFICATIONS:
        raise InvalidCommand(
            f"classification must be one of {', '.join(qualifications.CLASSIFICATIONS)}"
        )
    reason = require_text(reason, "reason", max_length=REASON_MAX)
    current = case.conflict or {}
    if (current.get("classification"), current.get("reason")) == (classification, reason):
        raise InvalidCommand("the conflict is already classified so, for that reason")
    return change.write(
        NewEvent(CONFLICT_CLASSIFIED.name, {"classification": classification, "reason": reason})
    )


@command
def liability_allege(
    *,
    actor: Actor,
    case_id: Id,
    person_id: Id,
    mode: str,
    qualification_id: Id,
    expected_version: int | None = None,
) -> Outcome:
    change = begin(actor, "liability_allege", case_id, expected_version=expected_version)
    case = change.state
    person = next((p for p in case.persons if p["person_id"] == str(person_id)), None)
    if person is None:
        raise NotFound(f"{case.reference} has no person {person_id}")
    if person["role"] not in liability.PERPETRATOR_ROLES:
        raise InvalidCommand(
            f"{person_label(person)} is recorded as {person['role'].replace('_', ' ')}; "
            "a mode of liability is alleged against an alleged perpetrator"
        )
    if mode not in liability.modes():
        raise InvalidCommand(
            f"unknown mode of liability {mode!r}; known: {', '.join(liability.modes())}"
        )
    qualification = _qualification(case, qualification_id)
    mismatch = liability.mode_mismatch(mode, qualification["code"])
    if mismatch:
        raise InvalidCommand(mismatch)
    if any(
        (item["person_id"], item["mode"], item["qualification_id"])
        == (person["person_id"], mode, qualification["qualification_id"])
        for item in case.liabilities
    ):
        raise InvalidCommand(
            f"{liability.mode_title(mode)} is already alleged against {person_label(person)} "
            f"for {qualifications.title(qualification['code'])}"
        )
    return change.write(
        NewEvent(
            LIABILITY_ALLEGED.name,
            {
                "liability_id": new_id(),
                "person_id": person["person_id"],
                "person": person_label(person),
                "mode": mode,
                "qualification_id": qualification["qualification_id"],
                "code": qualification["code"],
            },
        )
    )


@command
def liability_element_assess(
    *,
    actor: Actor,
    case_id: Id,
    liability_id: Id,
    element: str,
    finding: str,
    standard: str | None = None,
    fact_ids: Iterable[object] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Outcome:
    change = begin(actor, "liability_element_assess", case_id, expected_version=expected_version)
    case = change.state
    alleged = next(
        (item for item in case.liabilities if item["liability_id"] == str(liability_id)), None
    )
    if alleged is None:
        raise NotFound(f"{case.reference} has no alleged mode of liability {liability_id}")
    if liability.element_of(alleged["mode"], element) is None:
        raise InvalidCommand(
            f"{element!r} is not an element of {liability.mode_title(alleged['mode'])}"
        )
    return change.write(
        NewEvent(
            LIABILITY_ELEMENT_ASSESSED.name,
            {
                "liability_id": alleged["liability_id"],
                "mode": alleged["mode"],
                "element": element,
                **_finding(case, finding, standard, fact_ids, note or ""),
            },
        )
    )
