"""Read-only lists: the event log, ingested documents, ingestion jobs, notes."""

import re
import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from casefiles.admin.access import actor_for, may
from casefiles.admin.base import RecordAdmin
from casefiles.admin.context import describe_safely
from casefiles.admin.forms import UploadForm
from casefiles.commands.ingestion import ingestion_submit
from casefiles.compartments import hidden_case_ids
from casefiles.domain.actors import CASE_WRITERS
from casefiles.ingestion.decode import MAX_BYTES
from casefiles.models import CaseFile, CaseNote, Event, Ingestion, Source

HASH = re.compile(r"^[0-9a-f]{64}$")


@admin.register(Event)
class EventAdmin(RecordAdmin):
    case_field = "case_id"
    list_display = ["position", "case_id", "version", "type", "who", "occurred_at", "what"]
    list_filter = ["type"]
    search_fields = ["case_id", "hash"]
    search_help_text = _("A case id or an event hash, exactly.")

    @admin.display(description=_("who"))
    def who(self, event: Event) -> str:
        return f"{event.actor.get('username', '')} ({event.actor.get('role', '')})"

    @admin.display(description=_("what"))
    def what(self, event: Event) -> str:
        return describe_safely(event.as_record())

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lower()
        if HASH.match(term):
            return queryset.filter(hash=term), False
        try:
            return queryset.filter(case_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.none() if term else queryset, False


@admin.register(Source)
class SourceAdmin(RecordAdmin):
    list_display = [
        "title",
        "outlet",
        "published_on",
        "language",
        "filename",
        "submitted_by",
        "ingested_at",
    ]
    list_filter = ["language", "media_type"]
    search_fields = ["title", "outlet", "filename"]


@admin.register(Ingestion)
class IngestionAdmin(RecordAdmin):
    list_display = [
        "filename",
        "status",
        "reason",
        "cases",
        "submitted_by",
        "submitted_at",
        "attempts",
    ]
    list_filter = ["status"]
    search_fields = ["filename", "reason", "content_sha256"]
    change_list_template = "casefiles/admin/ingestion_change_list.html"

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="casefiles_ingestion_upload",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": may(request, CASE_WRITERS)}
        return super().changelist_view(request, extra_context)

    def get_list_display(self, request):
        # The references of cases this viewer may not see (restricted to another team)
        # are left out of the "cases opened" column; read once per request, and kept in
        # a function of this request only (the ModelAdmin is shared between requests).
        hidden = set(
            CaseFile.objects.filter(pk__in=hidden_case_ids(request.user)).values_list(
                "reference", flat=True
            )
        )

        @admin.display(description=_("cases opened"))
        def cases(obj: Ingestion) -> str:
            return ", ".join(ref for ref in obj.case_references if ref not in hidden)

        return [cases if name == "cases" else name for name in super().get_list_display(request)]

    @admin.display(description=_("cases opened"))
    def cases(self, obj: Ingestion) -> str:
        # Named in list_display for the admin's checks; get_list_display puts the
        # request's own column in its place. Shows nothing rather than guess.
        return ""

    def upload_view(self, request):
        # Uploading opens cases (as the system actor), so it is for people who work cases.
        if not self.has_view_permission(request) or not may(request, CASE_WRITERS):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["document"]
            too_big = upload.size > MAX_BYTES
            job = ingestion_submit(
                data=None if too_big else upload.read(),
                filename=upload.name,
                actor=actor_for(request),
                size=upload.size,
            )
            job.refresh_from_db()
            self._report(request, job)
            return HttpResponseRedirect(reverse("admin:casefiles_ingestion_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Upload a document"),
            "form": form,
        }
        return TemplateResponse(request, "casefiles/admin/upload.html", context)

    def _report(self, request, job: Ingestion) -> None:
        if job.status == Ingestion.FAILED:
            messages.error(
                request,
                _("%(file)s could not be ingested: %(reason)s")
                % {"file": job.filename, "reason": job.reason},
            )
        elif job.status == Ingestion.QUEUED:
            messages.info(
                request,
                _("%(file)s is queued; its cases appear when it is processed.")
                % {"file": job.filename},
            )
        elif job.status == Ingestion.INGESTED and job.reason:
            # Stored, but its language has no rules: "no cases" must not read as "nothing
            # found" (docs/ingestion.md, "Ukrainian and Russian, and languages without rules").
            messages.warning(
                request,
                _("%(file)s ingested, no candidates looked for: %(reason)s")
                % {"file": job.filename, "reason": job.reason},
            )
        elif job.status == Ingestion.INGESTED:
            messages.success(
                request,
                _("%(file)s ingested; cases opened: %(refs)s")
                % {"file": job.filename, "refs": ", ".join(job.case_references) or _("none")},
            )
        else:
            messages.warning(
                request, _("%(file)s: %(reason)s") % {"file": job.filename, "reason": job.reason}
            )


@admin.register(CaseNote)
class CaseNoteAdmin(RecordAdmin):
    case_field = "case_id"
    list_display = ["case", "author", "added_at", "text"]
    list_select_related = ["case"]
    search_fields = ["text", "case__reference"]
