"""List filters for cases and sources (query parameters)."""

import json
import uuid

import django_filters
from django import forms
from django.db import connection
from django.db.models import Q, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from casefiles.domain import taxonomy
from casefiles.models import CaseFile, Source
from casefiles.search import search_cases


class IdFilter(django_filters.NumberFilter):
    """A database id: an integer the id column can hold (not NumberFilter's decimal)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**31 - 1, **kwargs)


def _list_has(field: str, value: str) -> Q:
    """`value` is an element of the JSON list in `field`."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    # SQLite has no JSON containment lookup: match the element with its quotes in the
    # stored JSON text, encoded the way Django stored it (json.dumps, ASCII escapes).
    return Q(**{f"{field}__icontains": json.dumps(value)})


# Query parameters every list takes besides its filters (casefiles/api/pagination.py).
PAGING = ("page", "page_size")


class StrictFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend, except that a query parameter no filter knows is refused (422)
    instead of ignored: a misspelt filter must not silently return everything."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            known = {*filterset_class.base_filters, *PAGING}
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise ValidationError(
                    {
                        name: [f"unknown query parameter; known: {', '.join(sorted(known))}"]
                        for name in unknown
                    }
                )
        return super().filter_queryset(request, queryset, view)


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="_search",
        label="words in the title, summary, notes or sources' text (ranked), or a reference",
    )
    reference = django_filters.CharFilter(
        method="_reference", label="a case reference (CF-YYYY-NNNNNN), exactly"
    )
    state = django_filters.MultipleChoiceFilter(choices=CaseFile.STATE_CHOICES)
    category = django_filters.ChoiceFilter(
        choices=[(code, code) for code in taxonomy.categories()],
        method="_category",
        label="violation category code",
    )
    place = django_filters.CharFilter(method="_place", label="a place name, exactly")
    assignee = IdFilter(field_name="assignee_id", label="user id")
    source_document = django_filters.UUIDFilter(
        method="_source_document",
        label="the ingested document (source id) the candidate cases were extracted from",
    )
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    corroboration = django_filters.MultipleChoiceFilter(choices=CaseFile.CORROBORATION_CHOICES)
    incident_after = django_filters.DateFilter(
        method="_incident_after", label="incident period ends on or after this date"
    )
    incident_before = django_filters.DateFilter(
        method="_incident_before", label="incident period starts on or before this date"
    )
    ordering = django_filters.OrderingFilter(
        fields=("updated_at", "opened_at", "reference", "incident_from")
    )

    class Meta:
        model = CaseFile
        fields: list[str] = []

    @property
    def qs(self) -> QuerySet:
        # A unique last key keeps pages stable when the sort key ties.
        queryset = super().qs
        return queryset.order_by(*(queryset.query.order_by or ("-updated_at",)), "id")

    def _source_document(self, queryset: QuerySet, name: str, value: uuid.UUID) -> QuerySet:
        return queryset.filter(extraction__source_id=str(value))

    def _search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Full text (casefiles/search.py), ranked, the exact reference included."""
        return search_cases(queryset, value)

    def _reference(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(reference__iexact=value.strip())

    def _category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(_list_has("categories", value))

    def _place(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(_list_has("places", value))

    def _incident_after(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(
            Q(incident_to__gte=value) | Q(incident_to__isnull=True, incident_from__gte=value)
        )

    def _incident_before(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(
            Q(incident_from__lte=value) | Q(incident_from__isnull=True, incident_to__lte=value)
        )


class SourceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="_search", label="text in the title or outlet")
    language = django_filters.CharFilter()
    media_type = django_filters.CharFilter()

    class Meta:
        model = Source
        fields: list[str] = []

    @property
    def qs(self) -> QuerySet:
        return super().qs.order_by("-ingested_at", "id")

    def _search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(outlet__icontains=value))
