"""Restricted cases in the admin: asking to restrict a case to a team or to lift the
restriction, a supervisor's decision (four-eyes, enforced by the command), what the case
page says about it and the rows of the supervisors' pending page. Every change is one
call to casefiles.commands.compartments; registered with the other actions in
casefiles.admin.actions."""

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casefiles.admin.access import may
from casefiles.commands.compartments import restriction_decide, restriction_request
from casefiles.compartments import visible_cases
from casefiles.domain.actors import CASE_WRITERS, SUPERVISOR, Actor
from casefiles.domain.state import CaseState
from casefiles.errors import InvalidCommand, NotFound
from casefiles.eventstore import parse_time


def _pending(case: CaseState) -> dict:
    if case.restriction_pending is None:
        raise NotFound(f"{case.reference} has no pending restriction request")
    return case.restriction_pending


def asked_for(pending: dict) -> str:
    """What the pending request asks, in the reader's language."""
    if pending["lift"]:
        return str(_("lift the restriction to team %(team)s") % {"team": pending["team"]})
    return str(_("restrict the case to team %(team)s") % {"team": pending["team"]})


# --- asking ------------------------------------------------------------------------------


def explain_restrict(case: CaseState) -> tuple[str, list[str]]:
    lines = [
        str(
            _(
                "Only the members of the team, and auditors holding the grant for "
                "restricted cases, will see the case: in lists, searches, counts, "
                "exports and link suggestions. If you are not a member, you will no "
                "longer see it either."
            )
        ),
        str(_("A supervisor other than you approves or rejects the request.")),
    ]
    if case.restricted_to:
        lines.insert(
            0,
            str(
                _("The case is restricted to team %(team)s now; choose another team to move it.")
                % {"team": case.restricted_to}
            ),
        )
    return (str(_("Restricting the case")), lines)


def run_restrict(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    restriction_request(
        actor=actor,
        case_id=case.case_id,
        team=data["team"],
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Asked to restrict %(ref)s to team %(team)s; another supervisor will decide.")
        % {"ref": case.reference, "team": data["team"]}
    )


def explain_lift(case: CaseState) -> tuple[str, list[str]]:
    if not case.restricted_to:
        return (str(_("The case is not restricted.")), [])
    return (
        str(_("Lifting the restriction")),
        [
            str(
                _(
                    "The case is restricted to team %(team)s. Once the restriction is lifted, "
                    "everyone with a role sees it again."
                )
                % {"team": case.restricted_to}
            ),
            str(_("A supervisor other than you approves or rejects the request.")),
        ],
    )


def run_lift(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    restriction_request(
        actor=actor,
        case_id=case.case_id,
        team=None,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Asked to lift the restriction on %(ref)s; another supervisor will decide.")
        % {"ref": case.reference}
    )


# --- deciding ----------------------------------------------------------------------------


def explain_decision(case: CaseState) -> tuple[str, list[str]]:
    pending = _pending(case)
    return (
        str(_("The restriction request")),
        [
            str(
                _("%(who)s asks to %(what)s.")
                % {"who": pending["requested_by"], "what": asked_for(pending)}
            ),
            str(_("Their reason: %(reason)s") % {"reason": pending["reason"]}),
        ],
    )


def run_decision(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    pending = _pending(case)
    if button not in ("approve", "reject"):
        raise InvalidCommand("choose Approve or Reject")
    restriction_decide(
        actor=actor,
        case_id=case.case_id,
        approve=button == "approve",
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    if button == "reject":
        return str(
            _("Rejected the request to %(what)s for %(ref)s.")
            % {"what": asked_for(pending), "ref": case.reference}
        )
    if pending["lift"]:
        return str(_("Approved: %(ref)s is no longer restricted.") % {"ref": case.reference})
    return str(
        _("Approved: %(ref)s is now restricted to team %(team)s.")
        % {"ref": case.reference, "team": pending["team"]}
    )


def own_request(request: HttpRequest, case: CaseState) -> bool:
    pending = case.restriction_pending
    return pending is not None and pending["requested_by_id"] == request.user.pk


# --- the case page and the pending page --------------------------------------------------


def case_panel(request: HttpRequest, case: CaseState) -> dict:
    """What the case page shows about the restriction, and the buttons it offers."""
    pending = case.restriction_pending
    mine = own_request(request, case)
    may_ask = pending is None and may(request, CASE_WRITERS)
    return {
        "restriction_pending": pending,
        "restriction_asked": asked_for(pending) if pending else "",
        "own_restriction_request": mine,
        "can_decide_restriction": pending is not None and not mine and may(request, (SUPERVISOR,)),
        "can_restrict": may_ask,
        "can_lift": may_ask and bool(case.restricted_to),
    }


@dataclass(frozen=True)
class PendingRestriction:
    case_id: str
    reference: str
    title: str
    asked: str
    requested_by: str
    requested_at: datetime
    reason: str
    decidable: bool
    own: bool


def pending_rows(request: HttpRequest) -> list[PendingRestriction]:
    """Every pending restriction request on a case the viewer may see, oldest first, in
    one query (the request lives on the case's row)."""
    supervisor = may(request, (SUPERVISOR,))
    cases = (
        visible_cases(request.user)
        .filter(restriction_pending__isnull=False)
        .only("pk", "reference", "title", "restriction_pending")
    )
    rows = []
    for case in cases:
        pending = case.restriction_pending
        own = pending["requested_by_id"] == request.user.pk
        rows.append(
            PendingRestriction(
                case_id=str(case.pk),
                reference=case.reference,
                title=case.title,
                asked=asked_for(pending),
                requested_by=pending["requested_by"],
                requested_at=parse_time(pending["requested_at"]),
                reason=pending["reason"],
                decidable=supervisor and not own,
                own=own,
            )
        )
    return sorted(rows, key=lambda row: row.requested_at)
