"""The case page's actions between cases: split a case in two, and the supervisors'
decision on a pending merge request (four-eyes, enforced by the command), with the rows
of the pending page."""

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casefiles.admin.access import may
from casefiles.commands.links import case_split, merge_decide
from casefiles.compartments import HIDDEN_CASE, hidden_case_ids, visible_cases
from casefiles.domain.actors import SUPERVISOR, Actor
from casefiles.domain.state import CaseState
from casefiles.errors import InvalidCommand, NotFound
from casefiles.eventstore import parse_time
from casefiles.models import CaseFile


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


# --- a pending merge request -----------------------------------------------------------------


def _merge_pending(case: CaseState) -> dict:
    if case.merge_pending is None:
        raise NotFound(f"{case.reference} has no pending merge request")
    return case.merge_pending


def explain_merge_decision(case: CaseState) -> tuple[str, list[str]]:
    pending = _merge_pending(case)
    return (
        str(_("The merge request")),
        [
            str(
                _("%(who)s asks to merge %(other)s into %(ref)s (its sources come here).")
                % {
                    "who": pending["requested_by"],
                    "other": pending["other_reference"],
                    "ref": case.reference,
                }
            ),
            str(_("Their reason: %(reason)s") % {"reason": pending["reason"]}),
        ],
    )


def run_merge_decision(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    pending = _merge_pending(case)
    if button not in ("approve", "reject"):
        raise InvalidCommand("choose Approve or Reject")
    merge_decide(
        actor=actor,
        case_id=case.case_id,
        approve=button == "approve",
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    words = {"other": pending["other_reference"], "ref": case.reference}
    if button == "reject":
        return str(_("Rejected merging %(other)s into %(ref)s.") % words)
    return str(_("Approved: %(other)s was merged into %(ref)s.") % words)


def merge_panel(request: HttpRequest, case: CaseState) -> dict:
    pending = case.merge_pending
    own = pending is not None and pending["requested_by_id"] == request.user.pk
    return {
        "merge_pending": pending,
        "own_merge_request": own,
        "can_decide_merge": pending is not None and not own and may(request, (SUPERVISOR,)),
    }


@dataclass(frozen=True)
class PendingMerge:
    case_id: str
    reference: str
    title: str
    other_case_id: str | None
    other_reference: str
    requested_by: str
    requested_at: datetime
    reason: str
    decidable: bool
    own: bool


def pending_merges(request: HttpRequest) -> list[PendingMerge]:
    """Every pending merge request on a case the viewer may see, oldest first, in two
    queries (the request lives on the case's row; the other case may be restricted)."""
    supervisor = may(request, (SUPERVISOR,))
    cases: list[tuple[CaseFile, dict]] = [
        (case, case.merge_pending)
        for case in visible_cases(request.user)
        .filter(merge_pending__isnull=False)
        .only("pk", "reference", "title", "merge_pending")
        if case.merge_pending is not None
    ]
    others = [pending["other_case_id"] for _, pending in cases]
    hidden = (
        {
            str(pk)
            for pk in hidden_case_ids(request.user)
            .filter(pk__in=others)
            .values_list("pk", flat=True)
        }
        if others
        else set()
    )
    rows = []
    for case, pending in cases:
        own = pending["requested_by_id"] == request.user.pk
        seen = pending["other_case_id"] not in hidden
        rows.append(
            PendingMerge(
                case_id=str(case.pk),
                reference=case.reference,
                title=case.title,
                other_case_id=pending["other_case_id"] if seen else None,
                other_reference=pending["other_reference"] if seen else HIDDEN_CASE,
                requested_by=pending["requested_by"],
                requested_at=parse_time(pending["requested_at"]),
                reason=pending["reason"],
                decidable=supervisor and not own,
                own=own,
            )
        )
    return sorted(rows, key=lambda row: row.requested_at)
