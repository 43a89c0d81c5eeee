"""docs/api.md's endpoint table against the OpenAPI schema: every operation of the schema
is a row of the table and every row an operation (issue 18: the table lacked the exports
and the signing key). Path parameters are compared by position, not by name."""

import re
from pathlib import Path

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

API_DOC = Path(settings.BASE_DIR) / "docs" / "api.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/api/[^`?]*)(?:\?[^`]*)?` \|")


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def documented() -> set[tuple[str, str]]:
    text = API_DOC.read_text(encoding="utf-8")
    table = text[text.index("## Endpoints") :]
    table = table[: table.index("\n## ", 1)]
    return {
        (match.group(1), shape(match.group(2)))
        for line in table.splitlines()
        if (match := ROW.match(line))
    }


def in_schema() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), shape(path))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_the_endpoint_table_lists_exactly_the_schemas_operations():
    table, schema = documented(), in_schema()
    assert sorted(schema - table) == [], "operations missing from docs/api.md's table"
    assert sorted(table - schema) == [], "rows of docs/api.md's table the schema lacks"


def test_the_schema_is_valid_openapi():
    """Checked by a validator that is not drf-spectacular's own (openapi-spec-validator)."""
    import json

    from drf_spectacular.renderers import OpenApiJsonRenderer
    from openapi_spec_validator import validate

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate(json.loads(OpenApiJsonRenderer().render(schema, renderer_context={})))
