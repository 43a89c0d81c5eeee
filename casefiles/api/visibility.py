"""Restricted cases in the API: every endpoint that names a case (in its path, through
a request or export it belongs to, or as `?case=`) answers 404 to a viewer who may not
see it, before the view runs; lists filter through casefiles.compartments.

Kept free of view imports: DRF imports its permission classes while loading its views."""

import uuid

from rest_framework.permissions import BasePermission

from casefiles.compartments import is_visible
from casefiles.errors import NotFound
from casefiles.models import ExportJob, TransitionRequest


class CaseVisible(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not hasattr(view, request.method.lower()):
            return True  # 405 follows, the same whatever the id names
        kwargs = getattr(view, "kwargs", None) or {}
        named: list[tuple[object, str]] = []  # (case id, what the 404 says)
        if "case_id" in kwargs:
            named.append((kwargs["case_id"], f"no case with id {kwargs['case_id']}"))
        # A request or an export that does not exist answers as one of a hidden case.
        if "request_id" in kwargs:
            message = f"no transition request with id {kwargs['request_id']}"
            owner = (
                TransitionRequest.objects.filter(pk=kwargs["request_id"])
                .values_list("case_id", flat=True)
                .first()
            )
            named.append((owner, message))
        if "export_id" in kwargs:
            message = f"no export {kwargs['export_id']}"
            owner = (
                ExportJob.objects.filter(pk=kwargs["export_id"])
                .values_list("case_id", flat=True)
                .first()
            )
            named.append((owner, message))
        if "case" in request.query_params:
            case = request.query_params["case"]
            try:
                uuid.UUID(case)
            except ValueError:
                pass  # not a case id: the view answers 422 with the reason
            else:
                named.append((case, f"no case with id {case}"))
        for case_id, message in named:
            if not is_visible(request.user, case_id):
                raise NotFound(message)
        return True
