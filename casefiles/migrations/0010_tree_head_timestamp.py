"""RFC 3161 time-stamps of the signed tree heads (casefiles/timestamps.py), append-only
like the tree heads: the database refuses UPDATE and DELETE (as 0008 does for the log's
tables) and, on PostgreSQL, TRUNCATE (as 0009 does)."""

from django.db import migrations, models

TABLE = "casefiles_treeheadtimestamp"


def _triggers(vendor):
    for operation in ("UPDATE", "DELETE"):
        name = f"{TABLE}_no_{operation.lower()}"
        if vendor == "postgresql":
            # casefiles_refuse_change() is 0008's.
            yield (f"CREATE TRIGGER {name} BEFORE {operation} ON {TABLE} FOR EACH ROW "
                   "EXECUTE FUNCTION casefiles_refuse_change();",
                   f"DROP TRIGGER IF EXISTS {name} ON {TABLE};")
        else:
            yield (f"CREATE TRIGGER {name} BEFORE {operation} ON {TABLE} BEGIN "
                   f"SELECT RAISE(ABORT, '{TABLE} is append-only: {operation} refused'); "
                   "END;",
                   f"DROP TRIGGER IF EXISTS {name};")
    if vendor == "postgresql":
        # Row triggers do not fire on TRUNCATE; SQLite has no TRUNCATE.
        yield (f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
               "FOR EACH STATEMENT EXECUTE FUNCTION casefiles_refuse_change();",
               f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")


def forward(apps, schema_editor):
    for create, _ in _triggers(schema_editor.connection.vendor):
        schema_editor.execute(create, params=None)


def backward(apps, schema_editor):
    for _, drop in _triggers(schema_editor.connection.vendor):
        schema_editor.execute(drop, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('casefiles', '0009_append_only_hardening'),
    ]

    operations = [
        migrations.CreateModel(
            name='TreeHeadTimestamp',
            fields=[
                ('size', models.BigIntegerField(primary_key=True, serialize=False)),
                ('token', models.TextField()),
                ('gen_time', models.DateTimeField()),
                ('tsa', models.CharField(max_length=500)),
            ],
            options={
                'ordering': ['-size'],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
