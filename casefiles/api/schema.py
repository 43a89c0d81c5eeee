"""The OpenAPI schema, as a file for programs and as text for a person's browser."""

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from casefiles.api.problems import wants_html


class SchemaView(SpectacularAPIView):
    """drf-spectacular's view, except that a browser is shown the YAML instead of being
    made to download "Case files API.yaml" (`?format=json` still gives JSON)."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)  # as drf-spectacular's own (SERVE_INCLUDE_SCHEMA off)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)
        if wants_html(request) and "format" not in request.query_params:
            response.content_type = "text/plain; charset=utf-8"
            del response["Content-Disposition"]
        return response
