"""The case page's actions on facts: record one, link a source excerpt that supports it."""

from django.utils.translation import gettext_lazy as _

from casefiles.admin.sources import source_on_case
from casefiles.commands.facts import fact_record, fact_support
from casefiles.domain.actors import Actor
from casefiles.domain.state import CaseState


def run_fact(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    fact_record(
        actor=actor,
        case_id=case.case_id,
        text=data["text"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Fact recorded on %(ref)s; link the sources that support it.") % {"ref": case.reference}
    )


def explain_support(case: CaseState) -> tuple[str, list[str]]:
    if not case.facts:
        return (str(_("Record a fact first (Add fact…).")), [])
    return ("", [])


def run_support(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    source = source_on_case(case, data["source"])
    fact_support(
        actor=actor,
        case_id=case.case_id,
        fact_id=data["fact"],
        source_id=data["source"],
        excerpt=data["excerpt"],
        expected_version=data["expected_version"],
    )
    return str(_("%(title)s now supports the fact.") % {"title": source.title})
