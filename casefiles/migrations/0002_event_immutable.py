"""The database itself refuses UPDATE and DELETE on the event table.

Triggers, so raw SQL is refused too, not only the ORM. In production the application's
database role should also lack UPDATE/DELETE/TRUNCATE privileges on this table
(docs/operations.md); the hash chain detects anything that gets past both.
"""

from django.db import migrations

MESSAGE = "casefiles_event is append-only"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION casefiles_event_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casefiles_event_no_update BEFORE UPDATE ON casefiles_event
    FOR EACH ROW EXECUTE FUNCTION casefiles_event_refuse_change();
CREATE TRIGGER casefiles_event_no_delete BEFORE DELETE ON casefiles_event
    FOR EACH ROW EXECUTE FUNCTION casefiles_event_refuse_change();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS casefiles_event_no_update ON casefiles_event;
DROP TRIGGER IF EXISTS casefiles_event_no_delete ON casefiles_event;
DROP FUNCTION IF EXISTS casefiles_event_refuse_change();
"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER casefiles_event_no_update BEFORE UPDATE ON casefiles_event
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END;""",
    f"""CREATE TRIGGER casefiles_event_no_delete BEFORE DELETE ON casefiles_event
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS casefiles_event_no_update;",
    "DROP TRIGGER IF EXISTS casefiles_event_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)
    else:
        raise RuntimeError(f"no append-only triggers for database {vendor!r}")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = POSTGRES_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD
    for statement in [statements] if isinstance(statements, str) else statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("casefiles", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
