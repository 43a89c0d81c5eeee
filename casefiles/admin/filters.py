"""List filters of the case list. Each is one indexed or simple condition, so a
filtered page stays a single query whatever the number of cases.

Choices computed from the data (years, assignees) are computed over the cases the viewer
may see (casefiles/compartments.py): a year or a name that only a restricted case has
would tell an outsider that the case exists."""

import json
import uuid

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casefiles.admin import labels
from casefiles.admin.forms import category_choices
from casefiles.compartments import visible_cases
from casefiles.domain import workflow


def small_number(value, *, low: int, high: int) -> int | None:
    """A filter's number within bounds, or None: "²".isdigit() is true and a year or an
    id with forty digits passes isdigit() too, then fails in int() or the database."""
    if value and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
        if low <= number <= high:
            return number
    return None


class ChoiceFilter(admin.SimpleListFilter):
    """A field's fixed values with the admin's translated labels (the model's choices
    stay English, see casefiles.admin.labels). The parameter keeps the stock filter's
    name, so links such as ?state__exact=intake still work."""

    field: str
    words: dict

    def lookups(self, request, model_admin):
        return list(self.words.items())

    def queryset(self, request, queryset):
        if self.value() in self.words:
            return queryset.filter(**{self.field: self.value()})
        return queryset


class StateFilter(ChoiceFilter):
    """Discarded candidates are out of the working queue: the list leaves them out
    unless asked for (their state, or every state)."""

    title = _("state")
    parameter_name = "state__exact"
    field = "state"
    words = labels.STATE_LABELS
    EVERY = "any"

    def lookups(self, request, model_admin):
        return [*super().lookups(request, model_admin), (self.EVERY, _("Any, discarded too"))]

    def queryset(self, request, queryset):
        if self.value() == self.EVERY:
            return queryset
        if self.value() in self.words:
            return queryset.filter(state=self.value())
        return queryset.exclude(state=workflow.DISCARDED)

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["query_string"] == changelist.get_query_string(remove=[self.parameter_name]):
                choice = {**choice, "display": _("All but discarded")}
            yield choice


class CorroborationFilter(ChoiceFilter):
    title = _("corroboration")
    parameter_name = "corroboration__exact"
    field = "corroboration"
    words = labels.CORROBORATION_LABELS


class CategoryFilter(admin.SimpleListFilter):
    title = _("violation category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return category_choices()

    def queryset(self, request, queryset):
        if self.value():
            # Categories are stored as a JSON list of codes; the quoted code matches one
            # whole element (no code contains another's quoted form).
            return queryset.filter(categories__icontains=json.dumps(self.value()))
        return queryset


class TextFilter(admin.SimpleListFilter):
    """A filter with a text box instead of a list of links."""

    template = "casefiles/admin/text_filter.html"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def choices(self, changelist):
        # The template needs the other parameters to keep them when this one is applied.
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "others": [
                (key, value)
                for key, value in changelist.params.items()
                if key != self.parameter_name
            ],
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class PlaceFilter(TextFilter):
    title = _("place")
    parameter_name = "place"

    def queryset(self, request, queryset):
        name = (self.value() or "").replace("\x00", "").strip()
        if not name:
            return queryset
        # SQLite keeps JSON text ASCII-escaped (\u0411…), PostgreSQL keeps it as typed.
        escaped = json.dumps(name)[1:-1]
        return queryset.filter(Q(places__icontains=name) | Q(places__icontains=escaped))


class SourceDocumentFilter(TextFilter):
    """Candidate cases extracted from one ingested document, grouped for triage (the
    list's "document" column links here). The value is the source's id."""

    title = _("source document")
    parameter_name = "source_document"

    def queryset(self, request, queryset):
        try:
            source_id = uuid.UUID((self.value() or "").strip())
        except ValueError:
            return queryset if not self.value() else queryset.none()
        return queryset.filter(extraction__source_id=str(source_id))


class IncidentYearFilter(admin.SimpleListFilter):
    title = _("incident year")
    parameter_name = "incident_year"
    UNKNOWN = "unknown"

    def lookups(self, request, model_admin):
        years = visible_cases(request.user).dates("incident_from", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years] + [
            (self.UNKNOWN, _("Date unknown"))
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.UNKNOWN:
            return queryset.filter(incident_from__isnull=True)
        year = small_number(value, low=1, high=9999)
        if year is not None:
            return queryset.filter(
                Q(incident_from__year__lte=year)
                & (
                    Q(incident_to__year__gte=year)
                    | Q(incident_to__isnull=True, incident_from__year=year)
                )
            )
        return queryset


class SourceCountFilter(admin.SimpleListFilter):
    title = _("number of sources")
    parameter_name = "sources"

    def lookups(self, request, model_admin):
        # A context of its own: Django's catalog has a plain "None" with another sense.
        return [
            ("0", pgettext_lazy("number of sources", "None")),
            ("1", _("One")),
            ("2", _("Two or more")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in ("0", "1"):
            return queryset.filter(source_count=int(value))
        if value == "2":
            return queryset.filter(source_count__gte=2)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"
    ME, NOBODY = "me", "nobody"

    def lookups(self, request, model_admin):
        people = (
            visible_cases(request.user)
            .exclude(assignee__isnull=True)
            .values_list("assignee_id", "assignee_name")
            .distinct()
            .order_by("assignee_name")
        )
        return [(self.ME, _("Assigned to me")), (self.NOBODY, _("Nobody"))] + [
            (str(pk), name) for pk, name in people
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ME:
            return queryset.filter(assignee_id=request.user.pk)
        if value == self.NOBODY:
            return queryset.filter(assignee__isnull=True)
        assignee = small_number(value, low=1, high=2**31 - 1)
        if assignee is not None:
            return queryset.filter(assignee_id=assignee)
        return queryset
