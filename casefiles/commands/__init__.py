"""The one write path: every change to a case is a command here.

A command checks permission and invariants, appends events and projects them, all in
one transaction. Views, admin, API, tasks and management commands call these.
"""

from casefiles.commands.base import Outcome
from casefiles.commands.cases import (
    candidate_discard,
    candidate_restore,
    case_assign,
    case_edit,
    case_open,
    criteria_waive,
    note_add,
)
from casefiles.commands.sources import source_attach
from casefiles.commands.transitions import (
    transition_approve,
    transition_reject,
    transition_request,
    transition_withdraw,
)

__all__ = [
    "Outcome",
    "candidate_discard",
    "candidate_restore",
    "case_assign",
    "case_edit",
    "case_open",
    "criteria_waive",
    "note_add",
    "source_attach",
    "transition_approve",
    "transition_reject",
    "transition_request",
    "transition_withdraw",
]
