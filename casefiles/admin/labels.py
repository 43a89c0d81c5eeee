"""Workflow words as the admin shows them, in the reader's language.

The domain's labels (casefiles.domain.workflow.STATE_LABELS, the model choices) stay
English on purpose: they end up in event descriptions and in signed exports, which must
read the same whoever produced them. Only the admin's own display is translated."""

from django.utils.translation import gettext_lazy as _

from casefiles.domain import workflow
from casefiles.domain.sources import CREDIBILITY, RELIABILITY

STATE_LABELS = {
    workflow.INTAKE: _("Intake"),
    workflow.SOURCING: _("Sourcing"),
    workflow.CORROBORATION: _("Corroboration"),
    workflow.LEGAL_REVIEW: _("Legal review"),
    workflow.CLOSED: _("Closed"),
    workflow.DISCARDED: _("Discarded"),
}

CORROBORATION_LABELS = {
    workflow.UNCORROBORATED: _("Uncorroborated"),
    workflow.SINGLE_ORIGIN: _("Single origin"),
    workflow.CORROBORATED: _("Corroborated"),
}

# How a suggested link relates two cases (LinkSuggested's `relation`).
RELATION_LABELS = {
    "same_incident": _("Possibly the same incident"),
    "shared_origin": _("Shared origin (not independent)"),
    "same_context": _("Same area and period"),
    "unspecified": _("Relation not recorded"),
}


def relation_label(relation: str) -> str:
    return str(RELATION_LABELS.get(relation, relation))


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def corroboration_label(status: str) -> str:
    return str(CORROBORATION_LABELS.get(status, status))


def grade_label(grade: dict | None) -> str:
    """E.g. "B2 — usually reliable / probably true"."""
    if not grade:
        return ""
    reliability, credibility = grade["reliability"], grade["credibility"]
    return f"{reliability}{credibility} — {RELIABILITY[reliability]} / {CREDIBILITY[credibility]}"


def chain_label(chain) -> str:
    return " → ".join(f"{link['role']} by {link['organisation']}" for link in chain)
