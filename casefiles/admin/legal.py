"""The case page's legal review actions: add a qualification, assess its elements."""

from django.utils.translation import gettext_lazy as _

from casefiles.commands.legal import element_assess, qualification_add
from casefiles.domain import qualifications
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


def run_qualification(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    qualification_add(
        actor=actor,
        case_id=case.case_id,
        code=data["code"],
        expected_version=data["expected_version"],
    )
    return str(
        _("%(title)s added; assess each of its elements.")
        % {"title": qualifications.title(data["code"])}
    )


def explain_assess(case: CaseState, *, qualification_id: str) -> tuple[str, list[str]]:
    qualification = _qualification(case, qualification_id)
    missing = qualifications.missing_elements(qualification)
    return (
        qualifications.title(qualification["code"]),
        missing or [str(_("Every element is met."))],
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
        source_ids=data["sources"],
        note=data["note"],
        expected_version=data["expected_version"],
    )
    return str(
        _("%(title)s: element assessed as %(finding)s.")
        % {
            "title": qualifications.title(qualification["code"]),
            "finding": qualifications.FINDING_WORDS[data["finding"]],
        }
    )
