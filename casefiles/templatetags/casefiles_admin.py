"""The admin index's workflow counts (cases per state, the approval queue)."""

from django import template
from django.urls import reverse

from casefiles import selectors
from casefiles.admin.access import holds_role
from casefiles.domain import workflow
from casefiles.models import Ingestion

register = template.Library()


@register.inclusion_tag("casefiles/admin/counts.html", takes_context=True)
def casefiles_counts(context) -> dict:
    request = context["request"]
    if not holds_role(request):
        return {"show": False}
    counts = selectors.counts()
    cases = reverse("admin:casefiles_casefile_changelist")
    return {
        "show": True,
        "states": [
            (label, counts["by_state"].get(state, 0), f"{cases}?state__exact={state}")
            for state, label in workflow.STATE_LABELS.items()
        ],
        "pending": counts["pending_approvals"],
        "old": counts["pending_older_than_7_days"],
        "failed": Ingestion.objects.filter(status=Ingestion.FAILED).count(),
    }
