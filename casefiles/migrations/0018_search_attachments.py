"""Full-text search also indexes each attachment's title and excerpt (casefiles/search.py):
a source attached without a stored original has nothing else to find it by. The SQLite
triggers are (re)created after every migrate (casefiles/apps.py)."""

from django.db import migrations

from casefiles import search


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = search.POSTGRES_ATTACHMENTS
    elif vendor == "sqlite":
        statements = [search.SQLITE_FILL_ATTACHMENTS]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = search.POSTGRES_ATTACHMENTS_REVERSE
    elif vendor == "sqlite":
        statements = [
            *(f"DROP TRIGGER IF EXISTS casefiles_search_attachment_{op}" for op in (
                "insert", "update", "delete")),
            "DELETE FROM casefiles_search WHERE kind = 'attachment'",
        ]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("casefiles", "0017_legal_framework"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
