"""Give the application's runtime role exactly what it needs, and nothing that would let
it rewrite history (docs/operations.md, "Database roles").

Run as the owner of the tables (the role `migrate` runs as), after every `migrate`:
new tables get only SELECT and INSERT by default until this runs again. Idempotent:
each run revokes the role's table and sequence privileges and grants them afresh, in one
transaction, so a stray `GRANT ALL` from earlier does not survive it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from casefiles import dbroles


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _names(names) -> str:
    return ", ".join(_ident(name) for name in sorted(names))


class Command(BaseCommand):
    help = (
        "Grant ROLE (the runtime role of web, worker and beat) SELECT and INSERT on the "
        "append-only tables and SELECT, INSERT, UPDATE, DELETE on the others; revoke "
        "anything more. Run as the table owner after migrate. PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the runtime role, e.g. casefiles_app")

    def handle(self, *args, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError(f"PostgreSQL only: {connection.vendor} has no database roles")
        with transaction.atomic(), connection.cursor() as cursor:
            statements, summary = self._plan(cursor, role)
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(summary)
        report = dbroles.inspect_role(role=role)
        if not report.ok:
            raise CommandError(
                "granted, but the role can still get past the append-only "
                "guards:\n" + "\n".join(f"  {p.id}: {p.message}" for p in report.problems)
            )
        self.stdout.write(f"OK {report.detail}")

    def _plan(self, cursor, role: str) -> tuple[list[str], str]:
        cursor.execute(
            "SELECT rolsuper, pg_has_role(rolname, current_user, 'MEMBER'), current_user, "
            "current_schema(), current_database() FROM pg_roles WHERE rolname = %s",
            [role],
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f"role {role!r} does not exist: create it first ({dbroles.DOCS})")
        superuser, member_of_owner, owner, schema, database = row
        if superuser or member_of_owner:
            what = (
                "a superuser"
                if superuser
                else "the role running this command"
                if role == owner
                else f"a member of {owner}, the role running this command"
            )
            raise CommandError(
                f"{role} is {what}: granting would restrict nothing; the "
                "runtime role must be a role of its own, owning nothing"
            )
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) "
            "AND c.relkind IN ('r', 'p', 'v', 'm')",
            [schema],
        )
        relations = dict(cursor.fetchall())
        # Sequences and the table whose column they number (serial or identity).
        cursor.execute(
            "SELECT s.relname, t.relname FROM pg_class s "
            "LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
            " AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
            "LEFT JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE s.relkind = 'S' "
            "AND s.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s)",
            [schema],
        )
        sequences = dict(cursor.fetchall())
        missing = [t for t in dbroles.APPEND_ONLY_TABLES if relations.get(t) not in ("r", "p")]
        if missing:
            raise CommandError(
                f"no table {', '.join(missing)} in schema {schema}: run manage.py migrate first"
            )
        append_only = set(dbroles.APPEND_ONLY_TABLES)
        read_only = {
            name
            for name, kind in relations.items()
            if name in dbroles.READ_ONLY_TABLES or kind in ("v", "m")
        }
        writable = set(relations) - append_only - read_only
        append_only_sequences = {s for s, table in sequences.items() if table in append_only}
        other_sequences = set(sequences) - append_only_sequences
        who, where = _ident(role), _ident(schema)
        statements = [
            f"GRANT CONNECT ON DATABASE {_ident(database)} TO {who}",
            f"GRANT USAGE ON SCHEMA {where} TO {who}",
            f"REVOKE ALL ON TABLE {_names(relations)} FROM {who}",
            f"GRANT SELECT, INSERT ON TABLE {_names(append_only)} TO {who}",
            # A privilege granted to PUBLIC is everyone's, the runtime role's included.
            f"REVOKE UPDATE, DELETE, TRUNCATE ON TABLE {_names(append_only)} FROM PUBLIC",
        ]
        if read_only:
            statements.append(f"GRANT SELECT ON TABLE {_names(read_only)} TO {who}")
        if writable:
            statements.append(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {_names(writable)} TO {who}"
            )
        if sequences:
            statements.append(f"REVOKE ALL ON SEQUENCE {_names(sequences)} FROM {who}")
        if append_only_sequences:
            # No UPDATE: setval() on an event sequence would make every append collide.
            statements.append(
                f"GRANT USAGE, SELECT ON SEQUENCE {_names(append_only_sequences)} TO {who}"
            )
        if other_sequences:
            statements.append(
                f"GRANT USAGE, SELECT, UPDATE ON SEQUENCE {_names(other_sequences)} TO {who}"
            )
        # Tables the owner creates later (the next migration) are readable and
        # appendable at once; whether they may change is decided by the next run of
        # this command, so a new append-only table is never writable by default.
        statements += [
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} REVOKE ALL ON TABLES FROM {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT SELECT, INSERT ON TABLES TO {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} REVOKE ALL ON SEQUENCES FROM {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
        ]
        summary = (
            f"{role} in {database}.{schema} (granted by {owner}): SELECT, INSERT on "
            f"{len(append_only)} append-only tables; SELECT, INSERT, UPDATE, DELETE on "
            f"{len(writable)} tables; SELECT on {len(read_only)} ({_names(read_only)}); "
            f"{len(sequences)} sequences ({len(append_only_sequences)} of append-only "
            "tables without UPDATE); defaults for new tables: SELECT, INSERT"
        )
        return statements, summary
