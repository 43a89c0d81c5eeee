"""`<case:case_id>` in the API's URLs: a case by its id or by the reference people use
(`/api/cases/CF-2026-000006/` as well as `/api/cases/<uuid>/`; issue 18).

The reference is looked up when the URL is resolved and the view gets the case id, so
every view, permission and visibility check is the same either way. An unknown
reference does not match, and the URL is the API's 404 problem document. A case the
caller may not see answers 404 whether it is named by id or by reference: the lookup
itself discloses nothing the id would not.
"""

import re
import uuid

from django.urls import register_converter

from casefiles.models import CaseFile

REFERENCE = re.compile(r"CF-[0-9]{4}-[0-9]{6}", re.IGNORECASE)


class CaseIdConverter:
    # Django's own UUID pattern, or a reference.
    regex = (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        r"|[Cc][Ff]-[0-9]{4}-[0-9]{6}"
    )

    def to_python(self, value: str) -> uuid.UUID:
        if REFERENCE.fullmatch(value):
            found = (
                CaseFile.objects.filter(reference=value.upper())
                .values_list("pk", flat=True)
                .first()
            )
            if found is None:
                raise ValueError(f"no case {value}")
            return found
        return uuid.UUID(value)

    def to_url(self, value: object) -> str:
        return str(value)


# Registered once, when the first URLconf that uses <case:…> imports this module.
register_converter(CaseIdConverter, "case")
