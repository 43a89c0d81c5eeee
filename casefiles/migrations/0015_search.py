"""Full-text search (casefiles/search.py): each source's stored text in its row, and the
search index: generated tsvector columns with GIN indexes on PostgreSQL, an FTS5 table
on SQLite (its triggers are (re)created after every migrate, because SQLite drops a
table's triggers whenever a later migration rebuilds the table)."""

from django.db import migrations, models

from casefiles import search


def fill_texts(apps, schema_editor):
    """The sources ingested before this migration: their text from the blob store."""
    from casefiles import blobs

    Source = apps.get_model("casefiles", "Source")
    for source in Source.objects.filter(text="").only("pk", "text_sha256").iterator():
        try:
            text = blobs.read(source.text_sha256).decode("utf-8")
        except blobs.BlobError:
            continue  # `verify_events` and the blob checks report a missing text
        Source.objects.filter(pk=source.pk).update(text=text)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = search.POSTGRES_SCHEMA
    elif schema_editor.connection.vendor == "sqlite":
        statements = [*search.SQLITE_SCHEMA, *search.SQLITE_TRIGGERS, search.SQLITE_FILL_SOURCES]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = search.POSTGRES_SCHEMA_REVERSE
    elif schema_editor.connection.vendor == "sqlite":
        statements = search.SQLITE_SCHEMA_REVERSE
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("casefiles", "0014_security_log_all_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="text",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill_texts, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
