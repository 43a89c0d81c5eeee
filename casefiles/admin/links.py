"""The case page's actions between cases: split a case in two."""

from django.utils.translation import gettext_lazy as _

from casefiles.commands.links import case_split
from casefiles.domain.actors import Actor
from casefiles.domain.state import CaseState


def run_split(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    outcome = case_split(
        actor=actor,
        case_id=case.case_id,
        source_ids=data["sources"],
        title=data["title"],
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(
        _("%(new)s split off from %(ref)s with %(n)d source(s).")
        % {
            "new": outcome.events[0].payload["new_reference"],
            "ref": case.reference,
            "n": len(data["sources"]),
        }
    )
