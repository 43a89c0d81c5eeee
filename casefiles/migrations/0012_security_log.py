"""The security log: every grant and revocation of a clearance, append-only like the
events (the database refuses UPDATE, DELETE and TRUNCATE; the runtime role has none of
those privileges either, casefiles/dbroles.py)."""

from django.db import migrations, models

TABLE = "casefiles_securitylogentry"
# Created by 0009 (PostgreSQL); raises restrict_violation naming the table and operation.
FUNCTION = "casefiles_append_only_refuse"


def _postgres():
    yield (f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
           f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();",
           f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")
    for operation in ("UPDATE", "DELETE"):
        name = f"{TABLE}_no_{operation.lower()}"
        yield (f"CREATE TRIGGER {name} BEFORE {operation} ON {TABLE} "
               f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();",
               f"DROP TRIGGER IF EXISTS {name} ON {TABLE};")


def _sqlite():
    for operation in ("UPDATE", "DELETE"):
        name = f"{TABLE}_no_{operation.lower()}"
        yield (f"CREATE TRIGGER {name} BEFORE {operation} ON {TABLE} BEGIN "
               f"SELECT RAISE(ABORT, '{TABLE} is append-only: {operation} refused'); END;",
               f"DROP TRIGGER IF EXISTS {name};")


def _triggers(vendor):
    if vendor == "postgresql":
        return _postgres()
    if vendor == "sqlite":
        return _sqlite()
    raise RuntimeError(f"no append-only triggers for database {vendor!r}")


def forward(apps, schema_editor):
    for create, _ in _triggers(schema_editor.connection.vendor):
        schema_editor.execute(create, params=None)


def backward(apps, schema_editor):
    for _, drop in _triggers(schema_editor.connection.vendor):
        schema_editor.execute(drop, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('casefiles', '0011_restricted_cases'),
    ]

    operations = [
        migrations.CreateModel(
            name='SecurityLogEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('occurred_at', models.DateTimeField(db_index=True)),
                ('action', models.CharField(choices=[('clearance_granted', 'Clearance granted'), ('clearance_revoked', 'Clearance revoked')], max_length=40)),
                ('permission', models.CharField(max_length=200)),
                ('subject_id', models.IntegerField()),
                ('subject', models.CharField(max_length=150)),
                ('by_id', models.IntegerField(blank=True, null=True)),
                ('by', models.CharField(max_length=200)),
                ('reason', models.TextField(blank=True)),
            ],
            options={
                'verbose_name': 'security log entry',
                'verbose_name_plural': 'security log',
                'ordering': ['-occurred_at', '-id'],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
