"""The case page's legal review actions: add a qualification and assess its elements,
classify the armed conflict, allege a mode of liability and assess its elements."""

from django.utils.translation import gettext_lazy as _

from casefiles.commands.legal import (
    conflict_classify,
    element_assess,
    liability_allege,
    liability_element_assess,
    qualification_add,
)
from casefiles.domain import liability, qualifications
from casefiles.domain.actors import Actor
from casefiles.domain.state import CaseState
from casefiles.errors import NotFound


def _qualification(case: CaseState, qualification_id: str) -> dict:
    found = next(
        (q for q in case.qualifications if q["qualification_id"] == qualification_id), None
    )
    if found is None:
        raise NotFound(f"{case.reference} has no qualification {qualification_id}")
    return found


def _liability(case: CaseState, liability_id: str) -> dict:
    found = next((i for i in case.liabilities if i["liability_id"] == liability_id), None)
    if found is None:
        raise NotFound(f"{case.reference} has no alleged mode of liability {liability_id}")
    return found


def explain_qualification(case: CaseState) -> tuple[str, list[str]]:
    words = qualifications.CLASSIFICATION_WORDS[qualifications.classification_of(case.conflict)]
    lines = [str(_("The armed conflict: %(words)s.") % {"words": words})]
    if case.conflict:
        lines.append(str(_("Reason: %(reason)s") % {"reason": case.conflict["reason"]}))
    lines.append(
        str(
            _(
                "Art. 8(2)(a) and (b) need an international armed conflict, 8(2)(c) and (e) "
                "a non-international one; a provision the classification rules out is refused."
            )
        )
    )
    return (str(_("Conflict classification")), lines)


def run_qualification(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    qualification_add(
        actor=actor,
        case_id=case.case_id,
        code=data["code"],
        expected_version=data["expected_version"],
    )
    warning = qualifications.conflict_warning(data["code"], case.conflict)
    message = str(
        _("%(title)s added; assess each of its elements.")
        % {"title": qualifications.title(data["code"])}
    )
    return message + (f" {warning}." if warning else "")


def explain_assess(case: CaseState, *, qualification_id: str) -> tuple[str, list[str]]:
    qualification = _qualification(case, qualification_id)
    missing = qualifications.missing_elements(qualification)
    return (
        qualifications.title(qualification["code"]),
        missing or [str(_("Every element is met."))],
    )


def _finding_message(title: str, data: dict) -> str:
    return str(
        _("%(title)s: element assessed as %(finding)s, on %(standard)s.")
        % {
            "title": title,
            "finding": qualifications.FINDING_WORDS[data["finding"]],
            "standard": qualifications.standard_words(data["standard"]),
        }
    )


def run_assess(
    actor: Actor, case: CaseState, data: dict, button: str, *, qualification_id: str
) -> str:
    qualification = _qualification(case, qualification_id)
    element_assess(
        actor=actor,
        case_id=case.case_id,
        qualification_id=qualification_id,
        element=data["element"],
        finding=data["finding"],
        standard=data["standard"],
        fact_ids=data["facts"],
        note=data["note"],
        expected_version=data["expected_version"],
    )
    return _finding_message(qualifications.title(qualification["code"]), data)


def explain_conflict(case: CaseState) -> tuple[str, list[str]]:
    heading, lines = explain_qualification(case)
    codes = [qualifications.title(q["code"]) for q in case.qualifications]
    if codes:
        lines.append(str(_("Recorded qualifications: %(codes)s") % {"codes": "; ".join(codes)}))
    return heading, lines


def run_conflict(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    conflict_classify(
        actor=actor,
        case_id=case.case_id,
        classification=data["classification"],
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    conflict = {"classification": data["classification"], "reason": data["reason"]}
    contradicted = qualifications.unsupported(case.qualifications, conflict)
    message = str(
        _("The armed conflict is classified as %(words)s.")
        % {"words": qualifications.CLASSIFICATION_WORDS[data["classification"]]}
    )
    if contradicted:
        message += " " + str(
            _("These qualifications no longer fit and do not count: %(list)s")
            % {"list": "; ".join(contradicted)}
        )
    return message


def run_liability(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    liability_allege(
        actor=actor,
        case_id=case.case_id,
        person_id=data["person"],
        mode=data["mode"],
        qualification_id=data["qualification"],
        expected_version=data["expected_version"],
    )
    return str(
        _("%(mode)s alleged; assess each of its elements.")
        % {"mode": liability.mode_title(data["mode"])}
    )


def explain_liability_assess(case: CaseState, *, liability_id: str) -> tuple[str, list[str]]:
    alleged = _liability(case, liability_id)
    missing = liability.missing_elements(alleged)
    return (
        f"{alleged['person']}: {liability.mode_title(alleged['mode'])} — "
        f"{qualifications.title(alleged['code'])}",
        missing or [str(_("Every element is met."))],
    )


def run_liability_assess(
    actor: Actor, case: CaseState, data: dict, button: str, *, liability_id: str
) -> str:
    alleged = _liability(case, liability_id)
    liability_element_assess(
        actor=actor,
        case_id=case.case_id,
        liability_id=liability_id,
        element=data["element"],
        finding=data["finding"],
        standard=data["standard"],
        fact_ids=data["facts"],
        note=data["note"],
        expected_version=data["expected_version"],
    )
    return _finding_message(f"{alleged['person']}, {liability.mode_title(alleged['mode'])}", data)
