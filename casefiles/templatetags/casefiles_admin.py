"""The admin index's workflow counts (cases per state, the approval queue)."""

from django import template
from django.urls import reverse

from casefiles import selectors
from casefiles.admin import labels
from casefiles.admin.access import actor_for, holds_role
from casefiles.domain import workflow
from casefiles.domain.actors import AUDITOR, SUPERVISOR
from casefiles.models import Ingestion, IntegrityAlert

register = template.Library()


@register.inclusion_tag("casefiles/admin/counts.html", takes_context=True)
def casefiles_counts(context) -> dict:
    request = context["request"]
    if not holds_role(request):
        return {"show": False}
    counts = selectors.counts(request.user)
    cases = reverse("admin:casefiles_casefile_changelist")
    return {
        "show": True,
        "states": [
            (
                labels.state_label(state),
                counts["by_state"].get(state, 0),
                f"{cases}?state__exact={state}",
            )
            for state in workflow.STATES
        ],
        "pending": counts["pending_approvals"],
        "old": counts["pending_older_than_7_days"],
        "failed": Ingestion.objects.filter(status=Ingestion.FAILED).count(),
        # A broken chain found by the nightly run: shown until someone investigates.
        "alerts": list(IntegrityAlert.objects.all()[:5]),
        "signing_key": _signing_key(request),
    }


def _signing_key(request) -> dict | None:
    """The log's key as the verifier takes it (and its fingerprint), for auditors and
    supervisors who check bundles."""
    actor = actor_for(request)
    if actor is None or not actor.roles & {AUDITOR, SUPERVISOR}:
        return None
    from casefiles.signing import SigningKeyError, signing_key

    try:
        public = signing_key().public
    except SigningKeyError as exc:
        return {"error": str(exc)}
    return {"vkey": public.vkey, "key_id": public.key_id, "fingerprint": public.fingerprint}


@register.filter
def web_link(url: str) -> str:
    """The URL if it is http(s), else "": a stored `javascript:` or `data:` URL must never
    become a link (escaping the attribute does not neutralise a scheme)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""
