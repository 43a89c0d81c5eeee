"""The case page's actions on an attached source: grade, provenance, verification steps.
Each explains what is recorded so far and calls one command."""

from django.utils.translation import gettext_lazy as _

from casefiles.admin.labels import chain_label, grade_label
from casefiles.commands.sources import provenance_record, source_grade, verification_record
from casefiles.domain.actors import Actor
from casefiles.domain.state import CaseState, SourceRef
from casefiles.errors import NotFound


def source_on_case(case: CaseState, source_id: str) -> SourceRef:
    source = next((s for s in case.sources if s.source_id == source_id), None)
    if source is None:
        raise NotFound(f"{case.reference} has no source {source_id}")
    return source


def explain_grade(case: CaseState, *, source_id: str) -> tuple[str, list[str]]:
    source = source_on_case(case, source_id)
    if not source.grade:
        return (str(_("Source: %(title)s — not graded yet.") % {"title": source.title}), [])
    grade = source.grade
    return (
        str(_("Source: %(title)s") % {"title": source.title}),
        [
            str(
                _("Current grade %(grade)s, by %(who)s: %(reason)s")
                % {
                    "grade": grade_label(grade),
                    "who": grade["graded_by"],
                    "reason": grade["reason"],
                }
            )
        ],
    )


def run_grade(actor: Actor, case: CaseState, data: dict, button: str, *, source_id: str) -> str:
    source = source_on_case(case, source_id)
    source_grade(
        actor=actor,
        case_id=case.case_id,
        source_id=source_id,
        reliability=data["reliability"],
        credibility=data["credibility"],
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(
        _("%(title)s graded %(grade)s.")
        % {"title": source.title, "grade": f"{data['reliability']}{data['credibility']}"}
    )


def explain_provenance(case: CaseState, *, source_id: str) -> tuple[str, list[str]]:
    source = source_on_case(case, source_id)
    current = chain_label(source.provenance)
    return (
        str(_("Source: %(title)s") % {"title": source.title}),
        [
            str(_("Recorded chain: %(chain)s") % {"chain": current})
            if current
            else str(
                _("No chain recorded yet; the origins stated on attaching: %(origins)s")
                % {"origins": ", ".join(source.origins) or _("none")}
            ),
            str(
                _(
                    "Who captured, obtained, verified or documented the material is an origin; "
                    "relaying or publishing someone else's material adds no independent origin. "
                    "Saving replaces the whole chain."
                )
            ),
        ],
    )


def run_provenance(
    actor: Actor, case: CaseState, data: dict, button: str, *, source_id: str
) -> str:
    source = source_on_case(case, source_id)
    provenance_record(
        actor=actor,
        case_id=case.case_id,
        source_id=source_id,
        chain=data["chain"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Provenance of %(title)s recorded: %(chain)s")
        % {"title": source.title, "chain": chain_label(data["chain"])}
    )


def explain_verification(case: CaseState, *, source_id: str) -> tuple[str, list[str]]:
    source = source_on_case(case, source_id)
    done = [
        f"{step['method'].replace('_', ' ')}: {step['result']} ({step['by']})"
        for step in source.verifications
    ]
    return (
        str(_("Source: %(title)s") % {"title": source.title}),
        done or [str(_("No verification step recorded yet."))],
    )


def run_verification(
    actor: Actor, case: CaseState, data: dict, button: str, *, source_id: str
) -> str:
    source = source_on_case(case, source_id)
    verification_record(
        actor=actor,
        case_id=case.case_id,
        source_id=source_id,
        method=data["method"],
        result=data["result"],
        notes=data["notes"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Verification of %(title)s by %(method)s recorded: %(result)s.")
        % {
            "title": source.title,
            "method": data["method"].replace("_", " "),
            "result": data["result"],
        }
    )
