"""The case list and case page. Saving the form calls case_open / case_edit; every
other change is an action page calling its command (casefiles.admin.actions)."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from casefiles import blobs, commands
from casefiles.admin import compartments, filters, labels
from casefiles.admin.access import actor_for, may
from casefiles.admin.actions import ACTIONS, Action
from casefiles.admin.base import RecordAdmin, ShownOnce
from casefiles.admin.context import case_page
from casefiles.admin.facts import text_segments
from casefiles.admin.forms import CaseBoundForm, CaseForm
from casefiles.commands.base import source_of
from casefiles.compartments import hidden_case_ids, is_visible
from casefiles.domain import taxonomy, workflow
from casefiles.domain.actors import CASE_WRITERS, LEGAL_REVIEWER, SUPERVISOR
from casefiles.domain.facts import spans_cited
from casefiles.errors import CaseFileError, CriteriaNotMet, NotFound
from casefiles.models import CaseFile, CaseSource, Source
from casefiles.search import search_cases
from casefiles.selectors import case_state, stored_text

WORKFLOW_FIELDS = [
    "reference",
    "state_label",
    "corroboration_label",
    "source_count",
    "independent_origins",
    "assignee_display",
    "opened",
    "updated_at",
    "version",
]
LEGAL_FIELDS = ["outcome", "legal_qualification"]


class CommandRefused(Exception):
    """A command said no while the admin form was being saved."""

    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines))
        self.lines = lines


def refusal_lines(error: CaseFileError) -> list[str]:
    if isinstance(error, CriteriaNotMet):
        return [str(_("Entry criteria are not met:")), *error.unmet]
    return [error.message]


def action_path(action: Action) -> str:
    """E.g. "<path:object_id>/grade/<str:source_id>/"."""
    return "".join(
        ["<path:object_id>/", f"{action.name}/", *(f"<str:{name}>/" for name in action.url_kwargs)]
    )


@admin.register(CaseFile)
class CaseFileAdmin(RecordAdmin):
    case_field = "pk"
    form = CaseForm
    change_form_template = "casefiles/admin/case_change_form.html"
    list_display = [
        "reference",
        "title",
        "state_label",
        "category_list",
        "place_list",
        "incident",
        "source_count",
        "corroboration_label",
        "assignee_name",
        "source_document",
        "updated_at",
    ]
    list_display_links = ["reference", "title"]
    list_filter = [
        filters.StateFilter,
        filters.CategoryFilter,
        filters.PlaceFilter,
        filters.SourceDocumentFilter,
        filters.IncidentYearFilter,
        filters.SourceCountFilter,
        filters.CorroborationFilter,
        filters.AssigneeFilter,
        ("updated_at", admin.DateFieldListFilter),
    ]
    search_fields = ["reference", "title", "summary", "sources__excerpt"]
    search_help_text = _(
        "Searches references, titles, summaries and source excerpts. "
        "Every word must appear somewhere."
    )
    ordering = ["-updated_at"]
    sortable_by = [
        "reference",
        "title",
        "state_label",
        "incident",
        "source_count",
        "corroboration_label",
        "assignee_name",
        "updated_at",
    ]

    # --- permissions: what to show; the commands decide what is allowed ---------------

    def has_add_permission(self, request):
        return may(request, CASE_WRITERS)

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.state in workflow.FINAL_STATES or obj.merged_into):
            # Presentation only: case_edit refuses these too, with its own message.
            return False
        return may(request, CASE_WRITERS)

    # --- list ---------------------------------------------------------------------------

    @admin.display(description=_("categories"))
    def category_list(self, case: CaseFile) -> str:
        known = taxonomy.categories()
        return ", ".join(known[c]["label"] if c in known else c for c in case.categories)

    @admin.display(description=_("places"))
    def place_list(self, case: CaseFile) -> str:
        return ", ".join(case.places)

    @admin.display(description=_("document"))
    def source_document(self, case: CaseFile) -> str:
        """Candidates of one document, grouped: a link to the list filtered to them."""
        if not case.extraction:
            return ""
        return format_html(
            '<a href="?source_document={}">{}</a>',
            case.extraction["source_id"],
            _("its candidates"),
        )

    @admin.display(description=_("incident"), ordering="incident_from")
    def incident(self, case: CaseFile) -> str:
        if case.incident_from and case.incident_to and case.incident_to != case.incident_from:
            return f"{case.incident_from} – {case.incident_to}"
        return str(case.incident_from or "")

    def get_changelist(self, request, **kwargs):
        return RankedChangeList

    def get_search_results(self, request, queryset, search_term):
        """The API's search (casefiles/search.py): words of the title, summary, notes,
        attachments or the sources' stored text, ranked; also the exact reference."""
        if not search_term.strip():
            return queryset, False
        return search_cases(queryset, search_term), False

    # --- case page ------------------------------------------------------------------------

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, case: CaseFile) -> str:
        return labels.state_label(case.state)

    @admin.display(description=_("corroboration"), ordering="corroboration")
    def corroboration_label(self, case: CaseFile) -> str:
        return labels.corroboration_label(case.corroboration)

    @admin.display(description=_("assigned to"))
    def assignee_display(self, case: CaseFile) -> str:
        return case.assignee_name or _("nobody")

    @admin.display(description=_("opened"))
    def opened(self, case: CaseFile) -> str:
        return _("%(when)s by %(who)s") % {
            "when": case.opened_at.strftime("%Y-%m-%d %H:%M"),
            "who": case.opened_by,
        }

    def get_fieldsets(self, request, obj=None):
        case_fields = ["title", "summary", "categories", "places", "incident_from", "incident_to"]
        if obj is None:
            return [(None, {"fields": case_fields})]
        if self.has_change_permission(request, obj):
            case_fields = [*case_fields, "expected_version"]
        else:
            # Read-only viewers see category labels and place names, not raw lists.
            case_fields = [
                "title",
                "summary",
                "category_list",
                "place_list",
                "incident_from",
                "incident_to",
            ]
        return [
            (
                _("Workflow (changes only through requests and approvals)"),
                {"fields": WORKFLOW_FIELDS},
            ),
            (_("The case"), {"fields": case_fields}),
            (_("Legal review"), {"fields": LEGAL_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if not self.has_change_permission(request, obj):
            return [
                *WORKFLOW_FIELDS,
                "title",
                "summary",
                "category_list",
                "place_list",
                "incident_from",
                "incident_to",
                *LEGAL_FIELDS,
            ]
        if not may(request, (LEGAL_REVIEWER, SUPERVISOR)):
            return [*WORKFLOW_FIELDS, *LEGAL_FIELDS]
        return WORKFLOW_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_casefiles_refusal", None)
        if refusal:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def get_object(self, request, object_id, from_field=None):
        # A case the viewer may not see and a case that does not exist look the same: 404
        # (the stock redirect to the list would differ only in wording).
        case = super().get_object(request, object_id, from_field)
        if case is None:
            raise Http404("no such case")
        return case

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None and not is_visible(request.user, object_id):
            raise Http404("no such case")
        extra_context = {
            **(extra_context or {}),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        if object_id is not None and request.method == "GET":
            try:
                extra_context.update(case_page(request, object_id))
            except NotFound:
                pass  # the stock view answers "does not exist" for a wrong id
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CommandRefused as refused:
            # Nothing was saved (the command raised inside the admin's transaction). Show
            # the form again, with what the user typed and why it was refused.
            request._casefiles_refusal = refused.lines
            if object_id is not None:
                extra_context.update(case_page(request, object_id))
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        if actor is None:
            raise PermissionDenied
        data = form.cleaned_data
        try:
            if change:
                changed = {
                    name: data[name] for name in form.changed_data if name in CaseForm.Meta.fields
                }
                commands.case_edit(
                    actor=actor,
                    case_id=obj.pk,
                    expected_version=data.get("expected_version"),
                    **changed,
                )
            else:
                outcome = commands.case_open(
                    actor=actor,
                    title=data["title"],
                    summary=data["summary"],
                    categories=data["categories"],
                    places=data["places"],
                    incident_from=data["incident_from"],
                    incident_to=data["incident_to"],
                )
                obj.pk = outcome.case_id
                obj.reference = case_state(outcome.case_id).reference
        except CaseFileError as error:
            raise CommandRefused(refusal_lines(error)) from error

    def save_related(self, request, form, formsets, change):
        """Nothing: a case has no directly editable related rows."""

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, _("Case %(ref)s opened.") % {"ref": obj.reference})
        return HttpResponseRedirect(reverse("admin:casefiles_casefile_change", args=[obj.pk]))

    def response_change(self, request, obj):
        # Stay on the case page: the next step (a request, a note) starts there.
        messages.success(request, _("Saved. The change is recorded in the case's history."))
        return HttpResponseRedirect(request.path)

    # --- action pages ----------------------------------------------------------------------

    def get_urls(self):
        def view(name):
            return self.admin_site.admin_view(
                lambda request, object_id, **kwargs: self.action_view(
                    request, object_id, ACTIONS[name], **kwargs
                )
            )

        return [
            path(
                "original/<str:sha>/",
                self.admin_site.admin_view(self.original_view),
                name="casefiles_casefile_original",
            ),
            path(
                "<path:object_id>/text/<str:source_id>/",
                self.admin_site.admin_view(self.source_text_view),
                name="casefiles_casefile_source_text",
            ),
            # One page per action of the case page, its URL from the action's own
            # declaration (casefiles.admin.actions.ACTIONS): a new action needs no entry here.
            *[
                path(
                    action_path(action), view(action.name), name=f"casefiles_casefile_{action.name}"
                )
                # Those with URL arguments first, as before: the object id is a <path:…>.
                for action in sorted(ACTIONS.values(), key=lambda a: not a.url_kwargs)
            ],
            *super().get_urls(),
        ]

    def action_view(self, request, object_id, action: Action, **kwargs):
        if not self.has_view_permission(request) or not action.offered_to(request):
            raise PermissionDenied
        if not is_visible(request.user, object_id):
            raise Http404("no such case")
        case_url = reverse("admin:casefiles_casefile_change", args=[object_id])
        back = request.GET.get("next") or request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        try:
            case = case_state(object_id)
            heading, points = action.explain(case, **kwargs)
        except CaseFileError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(
                case_url
                if CaseFile.objects.filter(pk=object_id).exists()
                else reverse("admin:casefiles_casefile_changelist")
            )
        form = self._action_form(request, action, case, kwargs)
        shown = None
        if request.method == "POST" and form.is_valid():
            try:
                result = action.run(
                    actor_for(request),
                    case,
                    form.cleaned_data,
                    request.POST.get("button", ""),
                    **kwargs,
                )
            except CaseFileError as error:
                form.add_error(None, refusal_lines(error))
            else:
                if not isinstance(result, ShownOnce):
                    messages.success(request, result)
                    if not is_visible(request.user, object_id):
                        # Restricted to a team this user is not in: the case page would
                        # now answer 404.
                        messages.info(
                            request,
                            _(
                                "You are not a member of the team, so "
                                "the case no longer appears to you."
                            ),
                        )
                        return HttpResponseRedirect(
                            back
                            if back and object_id not in back
                            else reverse("admin:casefiles_casefile_changelist")
                        )
                    return HttpResponseRedirect(back or case_url)
                shown = result
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": action.title,
            "subtitle": f"{case.reference} {case.title}",
            "case": case,
            "state_label": labels.state_label(case.state),
            "case_url": case_url,
            "back": back,
            "form": form,
            "heading": heading,
            "points": points,
            "buttons": action.buttons,
            "blocked": action.name == "request" and bool(points),
            "own_request": (
                action.name == "decide"
                and case.pending is not None
                and case.pending.requested_by_id == request.user.pk
            )
            or (action.name == "restriction" and compartments.own_request(request, case)),
            "shown": shown,
        }
        response = TemplateResponse(request, "casefiles/admin/action.html", context)
        if shown is not None:
            add_never_cache_headers(response)
        return response

    @staticmethod
    def _action_form(request, action: Action, case, url_kwargs: dict):
        # A link may preselect a choice (?element=…, ?fact=…); the version is the one
        # the user saw when the page was drawn.
        initial = {
            **{key: value for key, value in request.GET.items() if key != "next"},
            "expected_version": case.version,
        }
        if issubclass(action.form, CaseBoundForm):
            return action.form(request.POST or None, initial=initial, case=case, **url_kwargs)
        return action.form(request.POST or None, initial=initial)

    def source_text_view(self, request, object_id, source_id: str):
        """An exhibit's stored text, the spans the case's facts cite highlighted with the
        facts citing them; selecting a passage fills in the form that cites it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not is_visible(request.user, object_id):
            raise Http404("no such case")
        case_url = reverse("admin:casefiles_casefile_change", args=[object_id])
        try:
            case = case_state(object_id)
            source = source_of(case, source_id)
        except CaseFileError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(case_url)
        stored = stored_text(source)
        if stored is None:
            messages.error(
                request,
                _("“%(title)s” has no stored text: it was attached without an ingested original.")
                % {"title": source.title},
            )
            return HttpResponseRedirect(case_url)
        cited = spans_cited(case, source.source_id)
        may_cite = may(request, CASE_WRITERS) and case.state != workflow.CLOSED and bool(case.facts)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Text of %(title)s") % {"title": source.title},
            "subtitle": f"{case.reference} {case.title}",
            "case": case,
            "case_url": case_url,
            "source": source,
            "stored": stored,
            "segments": text_segments(stored.text, cited),
            "cited": cited,
            "may_cite": may_cite and not case.merged_into,
            "facts": case.facts,
            "support_url": reverse("admin:casefiles_casefile_support", args=[object_id]),
            "here": request.get_full_path(),
        }
        return TemplateResponse(request, "casefiles/admin/source_text.html", context)

    def original_view(self, request, sha: str):
        """The stored original of a source, byte for byte, as a download (never rendered
        in the admin's origin: an HTML original must not run there)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        attached = (
            CaseSource.objects.filter(content_sha256=sha)
            .exclude(case_id__in=hidden_case_ids(request.user))
            .first()
        )
        if attached is None:
            raise Http404(_("No source with this original is attached to a case."))
        try:
            data = blobs.read(sha)
        except blobs.BlobError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(
                reverse("admin:casefiles_casefile_change", args=[attached.case_id])
            )
        document = Source.objects.filter(content_sha256=sha).only("filename", "media_type").first()
        response = FileResponse(
            iter([data]),
            as_attachment=True,
            filename=document.filename if document else f"{sha}.bin",
            content_type=(document.media_type if document else "") or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response


class RankedChangeList(ChangeList):
    """A search lists the best matches first, unless a column's ordering is chosen."""

    def get_ordering(self, request, queryset):
        if ORDER_VAR not in self.params and "search_rank" in queryset.query.annotations:
            return [F("search_rank").desc(nulls_last=True), "-updated_at", "-pk"]
        return super().get_ordering(request, queryset)
