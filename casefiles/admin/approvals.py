"""Requests to change a case's state: their history, and the supervisors' pending page
(which lists the pending restriction requests too, casefiles.admin.compartments, and the
pending merge requests, casefiles.admin.links)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from casefiles import commands, selectors
from casefiles.admin import compartments, links
from casefiles.admin.access import actor_for, may
from casefiles.admin.base import RecordAdmin
from casefiles.admin.forms import DecideForm
from casefiles.admin.labels import state_label
from casefiles.compartments import hidden_case_ids
from casefiles.domain import workflow
from casefiles.domain.actors import SUPERVISOR
from casefiles.errors import CaseFileError
from casefiles.models import TransitionRequest

OLD = timedelta(days=7)


@dataclass(frozen=True)
class PendingRow:
    request: TransitionRequest
    from_label: str
    to_label: str
    unmet: list[str]
    decidable: bool
    old: bool


@admin.register(TransitionRequest)
class TransitionRequestAdmin(RecordAdmin):
    case_field = "case_id"
    list_display = [
        "case",
        "move",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "to_state"]
    list_select_related = ["case"]
    search_fields = ["case__reference", "requested_by", "decided_by", "reason"]

    @admin.display(description=_("change"))
    def move(self, row: TransitionRequest) -> str:
        return f"{state_label(row.from_state)} → {state_label(row.to_state)}"

    def get_urls(self):
        return [
            path(
                "pending/",
                self.admin_site.admin_view(self.pending_view),
                name="casefiles_transitionrequest_pending",
            ),
            *super().get_urls(),
        ]

    def pending_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        supervisor = may(request, (SUPERVISOR,))
        if request.method == "POST":
            if not supervisor:
                raise PermissionDenied
            return self._decide_many(request)
        return self._render_pending(request, DecideForm(request_ids=[]))

    @staticmethod
    def _pending(request):
        return selectors.pending_requests().exclude(case_id__in=hidden_case_ids(request.user))

    def _rows(self, request, page) -> list[PendingRow]:
        supervisor = may(request, (SUPERVISOR,))
        now = datetime.now(UTC)
        # The page's cases in one batch: a state per row would cost five queries a row.
        states = selectors.case_states(row.case_id for row in page)
        rows = []
        for row in page:
            case = states[str(row.case_id)]
            rows.append(
                PendingRow(
                    request=row,
                    from_label=state_label(row.from_state),
                    to_label=state_label(row.to_state),
                    unmet=workflow.unmet_criteria(case, row.to_state),
                    # Four-eyes, for display: the command refuses a requester's own decision.
                    decidable=supervisor and row.requested_by_id != request.user.pk,
                    old=now - row.requested_at > OLD,
                )
            )
        return rows

    def _render_pending(self, request, form):
        paginator = Paginator(self._pending(request).order_by("requested_at"), 50)
        page = paginator.get_page(request.GET.get("p"))
        rows = self._rows(request, page)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Requests waiting for a decision"),
            "rows": rows,
            "restrictions": compartments.pending_rows(request),
            "merges": links.pending_merges(request),
            "page": page,
            "form": form,
            "can_decide": any(row.decidable for row in rows),
            "pending_url": request.get_full_path(),
        }
        return TemplateResponse(request, "casefiles/admin/pending.html", context)

    def _decide_many(self, request):
        ids = [str(pk) for pk in self._pending(request).values_list("pk", flat=True)]
        form = DecideForm(request.POST, request_ids=ids)
        if not form.is_valid():
            return self._render_pending(request, form)
        decide = (
            commands.transition_approve
            if request.POST.get("button") == "approve"
            else commands.transition_reject
        )
        actor = actor_for(request)
        done = 0
        for request_id in form.cleaned_data["requests"]:
            # One command per request: each is decided (or refused) on its own.
            try:
                decide(actor=actor, request_id=request_id, reason=form.cleaned_data["reason"])
                done += 1
            except CaseFileError as error:
                messages.error(request, error.message)
        if done:
            verb = _("approved") if decide is commands.transition_approve else _("rejected")
            messages.success(request, _("%(n)d request(s) %(verb)s.") % {"n": done, "verb": verb})
        return HttpResponseRedirect(reverse("admin:casefiles_transitionrequest_pending"))
