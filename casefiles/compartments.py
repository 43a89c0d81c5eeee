"""Restricted cases (compartments): who may see which case, decided in one place.

A case restricted to a team (a Django group named on the case) is visible only to the
members of that group and to holders of the `casefiles.access_restricted` grant, given to
the user or to one of the user's groups. The grant is read from the permission tables,
never through `has_perm`, which says yes to every superuser: administering accounts is
no clearance. (Not a `view_…` codename: the role groups get every `view_…` permission.)
Every list, detail, count, export and link suggestion goes through
`visible_cases`, `hidden_case_ids` or `check_visible`; a case the viewer may not see
answers "not found" (its existence is itself sensitive).
"""

import uuid

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

from casefiles.domain.actors import Actor
from casefiles.errors import NotFound
from casefiles.models import CaseFile

GRANT = ("casefiles", "access_restricted")


def _user_id(viewer) -> int | None:
    """A Django user or an Actor; None for anonymous."""
    if isinstance(viewer, Actor):
        return viewer.user_id
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.pk


def _is_system(viewer) -> bool:
    # System processes (ingestion, the log) act on every case; they show nothing to anyone.
    return isinstance(viewer, Actor) and viewer.is_system


def holds_grant(viewer) -> bool:
    user_id = _user_id(viewer)
    if user_id is None:
        return False
    app_label, codename = GRANT
    return Permission.objects.filter(
        Q(user__id=user_id) | Q(group__user__id=user_id),
        content_type__app_label=app_label,
        codename=codename,
    ).exists()


def _visible_q(viewer) -> Q | None:
    """The filter on CaseFile for this viewer; None when every case is visible."""
    if _is_system(viewer) or holds_grant(viewer):
        return None
    user_id = _user_id(viewer)
    teams = Group.objects.filter(user__id=user_id).values("name") if user_id else []
    return Q(restricted_to="") | Q(restricted_to__in=teams)


def visible_cases(viewer, queryset: QuerySet[CaseFile] | None = None) -> QuerySet[CaseFile]:
    queryset = CaseFile.objects.all() if queryset is None else queryset
    rule = _visible_q(viewer)
    return queryset if rule is None else queryset.filter(rule)


def hidden_case_ids(viewer) -> QuerySet:
    """The ids of the cases this viewer may not see, as a subquery: for rows that refer
    to a case by id (events, notes, requests, links, exports)."""
    rule = _visible_q(viewer)
    if rule is None:
        return CaseFile.objects.none().values("pk")
    return CaseFile.objects.exclude(rule).values("pk")


def is_visible(viewer, case_id) -> bool:
    """The case exists and the viewer may see it: a hidden case and a case that does not
    exist get the same answer."""
    try:
        case_id = uuid.UUID(str(case_id))
    except (ValueError, TypeError, AttributeError):
        return False
    return visible_cases(viewer).filter(pk=case_id).exists()


def check_visible(viewer, case_id) -> None:
    """NotFound, worded as for a case that does not exist, unless the viewer may see it."""
    if not is_visible(viewer, case_id):
        raise NotFound(f"no case with id {case_id}")


# What a viewer who may not see a case reads in its place (a pending merge's other case).
HIDDEN_CASE = "a case you may not see"


def without_hidden_references(viewer, case):
    """The CaseState with its links and split cross-references to cases the viewer may
    not see left out (a link suggested before the other case was restricted)."""
    from dataclasses import replace

    named = {link.other_case_id for link in case.links} | {ref["case_id"] for ref in case.related}
    if case.merge_pending is not None:
        named.add(case.merge_pending["other_case_id"])
    if not named:
        return case
    hidden = {
        str(pk) for pk in hidden_case_ids(viewer).filter(pk__in=named).values_list("pk", flat=True)
    }
    if not hidden:
        return case
    merge_pending = case.merge_pending
    if merge_pending is not None and merge_pending["other_case_id"] in hidden:
        merge_pending = {**merge_pending, "other_case_id": None, "other_reference": HIDDEN_CASE}
    return replace(
        case,
        links=tuple(link for link in case.links if link.other_case_id not in hidden),
        related=tuple(ref for ref in case.related if ref["case_id"] not in hidden),
        merge_pending=merge_pending,
    )
