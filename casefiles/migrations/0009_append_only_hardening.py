"""The database refuses TRUNCATE on every append-only table, and UPDATE/DELETE on the
checkpoints too.

Row triggers (0002 for the events, 0008 for the transparency log) do not fire on
TRUNCATE, so a table owner's `TRUNCATE casefiles_event` or an operator's
`TRUNCATE casefiles_casefile CASCADE` would have emptied the history without a trace in
the database. A statement-level BEFORE TRUNCATE trigger refuses it. SQLite has no
TRUNCATE (`DELETE FROM` fires the row triggers).

The runtime role has none of UPDATE, DELETE or TRUNCATE on these tables in the first
place (`manage.py grant_runtime_role`, docs/operations.md "Database roles"): the triggers
stop the owner's mistakes, the missing privileges stop the application.

The table list is repeated in casefiles/dbroles.py (a migration must not import code
that may change later); tests/test_dbroles.py asserts that both lists are the same.
"""

from django.db import migrations

APPEND_ONLY = [
    "casefiles_event",
    "casefiles_checkpoint",
    "casefiles_logleaf",
    "casefiles_lognode",
    "casefiles_treehead",
    "casefiles_cosignature",
]
# Tables whose UPDATE/DELETE triggers come from here; the others have theirs already.
ROW_TRIGGERS = ["casefiles_checkpoint"]

FUNCTION = "casefiles_append_only_refuse"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _postgres_triggers():
    for table in APPEND_ONLY:
        yield (f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
               f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();",
               f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    for table in ROW_TRIGGERS:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_no_{operation.lower()}"
            yield (f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();",
                   f"DROP TRIGGER IF EXISTS {name} ON {table};")


def _sqlite_triggers():
    for table in ROW_TRIGGERS:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_no_{operation.lower()}"
            yield (f"CREATE TRIGGER {name} BEFORE {operation} ON {table} BEGIN "
                   f"SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END;",
                   f"DROP TRIGGER IF EXISTS {name};")


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        triggers = _postgres_triggers()
    elif vendor == "sqlite":
        triggers = _sqlite_triggers()
    else:
        raise RuntimeError(f"no append-only triggers for database {vendor!r}")
    for create, _ in triggers:
        schema_editor.execute(create, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    triggers = _postgres_triggers() if vendor == "postgresql" else _sqlite_triggers()
    for _, drop in triggers:
        schema_editor.execute(drop, params=None)
    if vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}();", params=None)


class Migration(migrations.Migration):
    dependencies = [("casefiles", "0008_transparency_log")]
    operations = [migrations.RunPython(forward, backward)]
