"""Least privilege in the database: can the application's role rewrite history?

The append-only tables are guarded twice: triggers refuse UPDATE, DELETE and TRUNCATE
(migrations 0002, 0008, 0009), and the runtime role lacks those privileges
(`manage.py grant_runtime_role`). Triggers stop nobody who may disable them: a table's
owner (`ALTER TABLE ... DISABLE TRIGGER USER`), a superuser, or a role allowed to
`SET session_replication_role = replica`. `inspect_role` lists what would let the
connected role past either guard; `/health/ready/` and `manage.py check --deploy` report
it (casefiles/health.py, casefiles/checks.py; docs/operations.md, "Database roles").

PostgreSQL only: SQLite has no roles, so there the answer is "not applicable".
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

# Every table a migration makes append-only: 0009's list (a migration may not import
# this module) and any later one's. tests/test_dbroles.py asserts that this is exactly
# the set of tables the migrated database guards with UPDATE/DELETE triggers.
APPEND_ONLY_TABLES = (
    "casefiles_event",
    "casefiles_checkpoint",
    "casefiles_logleaf",
    "casefiles_lognode",
    "casefiles_treehead",
    "casefiles_cosignature",
    "casefiles_treeheadtimestamp",  # 0010
    "casefiles_securitylogentry",  # 0012
)
# Written only by `migrate` (the owner); the application reads it (/health/ready/).
READ_ONLY_TABLES = ("django_migrations",)

# pg_trigger.tgtype bits (PostgreSQL's include/catalog/pg_trigger.h).
_BEFORE, _DELETE, _UPDATE, _TRUNCATE = 1 << 1, 1 << 3, 1 << 4, 1 << 5
_REFUSED = {"UPDATE": _UPDATE, "DELETE": _DELETE, "TRUNCATE": _TRUNCATE}
# pg_trigger.tgenabled: 'O' fires in ordinary sessions, 'A' always; 'D' is disabled and
# 'R' fires only in replica mode, i.e. never for the application.
_FIRES = {"O", "A"}
_NOT_FIRING = {"D": "disabled", "R": "set to fire only in replica mode"}
_LISTED = 8  # names shown in one message before "and N more"

DOCS = 'docs/operations.md, "Database roles"'


@dataclass(frozen=True)
class Problem:
    id: str  # E101..E106, the suffix of the system check's id (casefiles.E101)
    message: str
    hint: str


@dataclass(frozen=True)
class RoleReport:
    applicable: bool
    detail: str
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    return shown if len(names) <= _LISTED else f"{shown} and {len(names) - _LISTED} more"


def inspect_role(using: str = DEFAULT_DB_ALIAS, role: str | None = None) -> RoleReport:
    """What would let the role past the append-only guards, and whether the guards
    (the triggers) are in place.

    Without `role`: the role the connection runs as and, when it differs, the role it
    logged in as, because `RESET ROLE` goes back to the login role: a superuser login
    that `SET ROLE`s to the runtime role (Django's `assume_role` option, or
    `options=-c role=...` in the URL) has every power of the superuser."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return RoleReport(
            applicable=False, detail=f"not applicable: {connection.display_name} has no roles"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, session_user, current_setting('server_version_num')::int"
        )
        current, session, version = cursor.fetchone()
        cursor.execute(
            "SELECT name, to_regclass(name)::oid FROM unnest(%s::text[]) AS name",
            [list(APPEND_ONLY_TABLES)],
        )
        tables = dict(cursor.fetchall())
        present = {name: oid for name, oid in tables.items() if oid is not None}
        problems = []
        if role is not None:
            labels = [(role, f"role {role}")]
        else:
            labels = [(current, f"role {current}")]
            if session != current:
                labels.append(
                    (
                        session,
                        f"login role {session} (the session SET ROLE to "
                        f"{current}; RESET ROLE returns to {session})",
                    )
                )
        for name, label in labels:
            problems += _role_problems(cursor, name, label, present, version)
        problems += _trigger_problems(cursor, tables)
    roles = role or (current if session == current else f"{current} (login {session})")
    detail = (
        f"{roles}: least privilege holds"
        if not problems
        else f"{roles}: {len(problems)} problem(s)"
    )
    return RoleReport(applicable=True, detail=detail, problems=tuple(problems))


def _role_problems(
    cursor, role: str, label: str, tables: dict[str, int], version: int
) -> list[Problem]:
    # A member of a superuser role becomes one with SET ROLE.
    cursor.execute(
        "SELECT r.rolsuper, array(SELECT s.rolname FROM pg_roles s WHERE s.rolsuper "
        "AND s.oid <> r.oid AND pg_has_role(r.oid, s.oid, 'MEMBER') ORDER BY s.rolname) "
        "FROM pg_roles r WHERE r.rolname = %s",
        [role],
    )
    row = cursor.fetchone()
    if row is None:
        raise ValueError(f"role {role!r} does not exist")
    superuser, superuser_roles = row
    problems = []
    if superuser or superuser_roles:
        what = (
            "a superuser"
            if superuser
            else f"a member of the superuser role {_listed(superuser_roles)}"
        )
        problems.append(
            Problem(
                "E101",
                f"{label} is {what}: it can disable the append-only triggers and "
                "rewrite or delete any event",
                f"Run the application as a runtime role that is not a superuser ({DOCS}).",
            )
        )
    if version >= 150000:
        # PostgreSQL 15 can grant SET on a superuser-only parameter to anyone.
        cursor.execute(
            "SELECT has_parameter_privilege(%s, 'session_replication_role', 'SET')", [role]
        )
        replication = cursor.fetchone()[0]
    else:
        replication = superuser
    if replication:
        problems.append(
            Problem(
                "E102",
                f"{label} may SET session_replication_role: in replica mode the "
                "append-only triggers do not fire",
                "Only superusers should have this; REVOKE SET ON PARAMETER "
                f"session_replication_role FROM {role} (PostgreSQL 15+).",
            )
        )
    # Owning a table (or being a member of its owner) allows ALTER TABLE ... DISABLE
    # TRIGGER and DROP; owning the schema allows DROP TABLE in it; owning a trigger
    # function allows CREATE OR REPLACE with a body that refuses nothing.
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c
         WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
           AND pg_has_role(%(role)s, c.relowner, 'MEMBER')
        UNION ALL
        SELECT 'schema ' || nspname FROM pg_namespace
         WHERE nspname = current_schema() AND pg_has_role(%(role)s, nspowner, 'MEMBER')
        UNION ALL
        SELECT 'database ' || datname FROM pg_database
         WHERE datname = current_database() AND pg_has_role(%(role)s, datdba, 'MEMBER')
        UNION ALL
        SELECT DISTINCT 'function ' || p.proname || '()' FROM pg_trigger t
          JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE t.tgrelid = ANY(%(tables)s::oid[]) AND NOT t.tgisinternal
           AND pg_has_role(%(role)s, p.proowner, 'MEMBER')
        """,
        {"role": role, "tables": list(tables.values())},
    )
    # The append-only tables first: the ones that matter most.
    owned = sorted(
        (name for (name,) in cursor.fetchall()),
        key=lambda name: (name not in APPEND_ONLY_TABLES, name),
    )
    if owned:
        problems.append(
            Problem(
                "E103",
                f"{label} owns, or is a member of the owner of, {len(owned)} "
                f"object(s): {_listed(owned)}; an owner can disable the append-only triggers "
                "or drop the tables",
                "Run migrations as a separate owner role and the application as a runtime "
                f"role that owns nothing and is no member of the owner ({DOCS}).",
            )
        )
    cursor.execute(
        """
        SELECT c.relname, has_any_column_privilege(%(role)s, c.oid, 'UPDATE'),
               has_table_privilege(%(role)s, c.oid, 'DELETE'),
               has_table_privilege(%(role)s, c.oid, 'TRUNCATE')
          FROM pg_class c WHERE c.oid = ANY(%(tables)s::oid[]) ORDER BY c.relname
        """,
        {"role": role, "tables": list(tables.values())},
    )
    for table, *allowed in cursor.fetchall():
        may = [op for op, yes in zip(("UPDATE", "DELETE", "TRUNCATE"), allowed, strict=True) if yes]
        if may:
            problems.append(
                Problem(
                    "E104",
                    f"{label} may {', '.join(may)} the append-only table {table}",
                    "Connect as the runtime role; run as the owner, `manage.py "
                    "grant_runtime_role ROLE` leaves it only SELECT and INSERT there.",
                )
            )
    return problems


def _trigger_problems(cursor, tables: dict[str, int | None]) -> list[Problem]:
    problems = []
    for table, oid in tables.items():
        if oid is None:
            problems.append(
                Problem(
                    "E105",
                    f"the append-only table {table} does not exist",
                    "Run manage.py migrate.",
                )
            )
    present = {oid: table for table, oid in tables.items() if oid is not None}
    cursor.execute(
        "SELECT tgrelid, tgname, tgtype, tgenabled FROM pg_trigger "
        "WHERE tgrelid = ANY(%s::oid[]) AND NOT tgisinternal ORDER BY tgname",
        [list(present)],
    )
    triggers = cursor.fetchall()
    for oid, table in present.items():
        for operation, bit in _REFUSED.items():
            found = [
                (name, enabled)
                for relid, name, kind, enabled in triggers
                if relid == oid and kind & _BEFORE and kind & bit
            ]
            if not found:
                problems.append(
                    Problem(
                        "E105",
                        f"{table} has no BEFORE {operation} trigger: the database "
                        f"would accept {operation} on an append-only table",
                        "Run manage.py migrate; a dropped trigger comes back only by hand "
                        "(see casefiles/migrations/0002, 0008, 0009).",
                    )
                )
            elif not any(enabled in _FIRES for _, enabled in found):
                for name, enabled in found:
                    problems.append(
                        Problem(
                            "E106",
                            f"trigger {name} on {table} is "
                            f"{_NOT_FIRING.get(enabled, f'in state {enabled!r}')}: the database "
                            f"would accept {operation} on an append-only table",
                            f"ALTER TABLE {table} ENABLE TRIGGER {name} (as the owner), then "
                            "manage.py verify_events.",
                        )
                    )
    return problems
