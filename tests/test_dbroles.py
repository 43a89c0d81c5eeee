"""Least privilege in the database (casefiles/dbroles.py, `grant_runtime_role`, migration
0009): every attack the application's role could try, performed as that role, and every
weakness of a role or of the triggers, reported.

CI's PostgreSQL run connects as the superuser `postgres`, which owns the test database's
tables. The runtime-role tests create a role of their own inside the test's transaction
(a unique name per run; dropped afterwards, and the rollback would undo it anyway), grant
it with `grant_runtime_role`, and switch the session to it with SET SESSION
AUTHORIZATION. Not SET ROLE: after SET ROLE the login role is still `postgres`, which
RESET ROLE returns to, and dbroles reports exactly that (tested below).
"""

import importlib
import os
import re
import secrets
import subprocess
import sys
import uuid
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from casefiles import commands, dbroles, eventstore, integrity, transparency
from casefiles.checks import database_role
from casefiles.models import Checkpoint, Event
from tests.conftest import is_postgres
from tests.factories import open_case

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    not is_postgres(),
    reason="database roles exist only on PostgreSQL (SQLite has none: dbroles answers "
    "'not applicable', tested here on SQLite)",
)
sqlite_only = pytest.mark.skipif(is_postgres(), reason="SQLite's 'not applicable' answer")

PERMISSION_DENIED = "42501"  # insufficient_privilege, also "must be owner of table"
REFUSED_BY_TRIGGER = "23001"  # restrict_violation, raised by the append-only triggers


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def refused(statement: str, sqlstate: str, match: str = "") -> str:
    """Run `statement` in a savepoint; it must fail with `sqlstate`. Returns the message."""
    with pytest.raises(DatabaseError, match=match) as error:
        with transaction.atomic():
            sql(statement)
    assert error.value.__cause__.sqlstate == sqlstate, error.value
    return str(error.value)


@pytest.fixture
def runtime_role(db):
    name = f"casefiles_test_app_{uuid.uuid4().hex[:10]}"
    sql(f'CREATE ROLE "{name}" NOLOGIN')
    call_command("grant_runtime_role", name, stdout=StringIO())
    yield name
    sql("RESET SESSION AUTHORIZATION")
    sql(f'DROP OWNED BY "{name}"')
    sql(f'DROP ROLE "{name}"')


@contextmanager
def session_as(role: str):
    sql(f'SET SESSION AUTHORIZATION "{role}"')
    try:
        assert sql("SELECT current_user, session_user") == [(role, role)]
        yield
    finally:
        sql("RESET SESSION AUTHORIZATION")


def ids(report) -> list[str]:
    return [problem.id for problem in report.problems]


# --- the table list, the checkpoint triggers: both databases -------------------------


def test_dbroles_lists_every_table_the_migrations_made_append_only():
    """dbroles' list decides what the runtime role may change: a table that the
    migrations guard with triggers but the list forgets would be granted UPDATE and
    DELETE, and its triggers would go unchecked."""
    migration = importlib.import_module("casefiles.migrations.0009_append_only_hardening")
    assert set(migration.APPEND_ONLY) <= set(dbroles.APPEND_ONLY_TABLES)
    if is_postgres():
        guarded = sql(
            "SELECT DISTINCT c.relname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND t.tgtype & 2 = 2 AND t.tgtype & (8 | 16) <> 0"
        )  # BEFORE UPD/DEL
    else:
        guarded = sql(
            "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
            "AND (sql LIKE '%BEFORE UPDATE%' OR sql LIKE '%BEFORE DELETE%')"
        )
    guarded = {name for (name,) in guarded}
    assert guarded == set(dbroles.APPEND_ONLY_TABLES), (
        f"tables with append-only triggers missing from dbroles.APPEND_ONLY_TABLES: "
        f"{sorted(guarded - set(dbroles.APPEND_ONLY_TABLES))}; listed without triggers: "
        f"{sorted(set(dbroles.APPEND_ONLY_TABLES) - guarded)}"
    )
    tables = {model._meta.db_table for model in apps.get_app_config("casefiles").get_models()}
    assert set(dbroles.APPEND_ONLY_TABLES) <= tables


def test_checkpoints_refuse_update_and_delete(actors):
    case_id = open_case(actors["documenter"])
    checkpoint = Checkpoint.objects.create(
        case_id=case_id, version=1, head_hash="a" * 64, taken_at=timezone.now()
    )
    for statement in (
        f"UPDATE casefiles_checkpoint SET head_hash = '{'b' * 64}'",
        "DELETE FROM casefiles_checkpoint",
    ):
        operation = statement.split()[0]
        with pytest.raises(
            DatabaseError, match=f"casefiles_checkpoint is append-only: {operation} refused"
        ):
            with transaction.atomic():
                sql(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Checkpoint.objects.filter(pk=checkpoint.pk).delete()
    assert Checkpoint.objects.get().head_hash == "a" * 64


@sqlite_only
def test_sqlite_says_least_privilege_is_not_applicable(client, settings):
    report = dbroles.inspect_role()
    assert (report.applicable, report.ok) == (False, True)
    assert report.detail == "not applicable: SQLite has no roles"
    settings.CASEFILES_REQUIRE_LEAST_PRIVILEGE = True
    [warning] = database_role()
    assert (warning.id, warning.level) == ("casefiles.W101", checks.WARNING)
    assert "SQLite cannot enforce least privilege" in warning.msg
    response = client.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["checks"]["database_role"] == {
        "ok": True,
        "detail": "not applicable: SQLite has no roles",
    }
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("grant_runtime_role", "casefiles_app")


# --- the owner: TRUNCATE refused by the triggers --------------------------------------


@postgres_only
@pytest.mark.parametrize("table", dbroles.APPEND_ONLY_TABLES)
def test_the_owner_cannot_truncate_an_append_only_table(table, actors):
    open_case(actors["documenter"])
    assert sql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = %s", [table]) == [
        (connection.settings_dict["USER"],)
    ]
    for statement in (f"TRUNCATE {table}", f"TRUNCATE {table} CASCADE"):
        refused(statement, REFUSED_BY_TRIGGER, f"{table} is append-only: TRUNCATE refused")
    assert Event.objects.count() == 1


# --- the runtime role: every attack refused, the write path works ---------------------


@pytest.fixture
def signing_key(settings, tmp_path):
    settings.CASEFILES_SIGNING_KEY = tmp_path / "signing" / "ed25519.key"


@postgres_only
def test_runtime_role_writes_through_the_commands(runtime_role, actors, signing_key):
    with session_as(runtime_role):
        case_id = open_case(actors["documenter"])
        commands.note_add(actor=actors["documenter"], case_id=case_id, text="second witness")
        assert eventstore.verify_case(case_id).ok
        assert integrity.nightly().broken is None  # appends checkpoints
        assert transparency.publish().size == 2  # appends leaves, a node, a tree head
    assert list(Event.objects.filter(case_id=case_id).values_list("type", flat=True)) == [
        "CaseOpened",
        "NoteAdded",
    ]
    assert Checkpoint.objects.get().version == 2


@postgres_only
@pytest.mark.parametrize("table", dbroles.APPEND_ONLY_TABLES)
def test_runtime_role_cannot_update_delete_or_truncate(table, runtime_role, actors, signing_key):
    case_id = open_case(actors["documenter"])
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="second witness")
    integrity.nightly()
    transparency.publish()
    before = sql(f"SELECT count(*) FROM {table}")  # noqa: S608
    with session_as(runtime_role):
        for statement in (
            f"UPDATE {table} SET {_column(table)}",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
            f"TRUNCATE {table} CASCADE",
        ):
            refused(statement, PERMISSION_DENIED, f"permission denied for table {table}")
        # What the write path needs: reading and appending.
        assert sql(f"SELECT count(*) FROM {table}") == before  # noqa: S608
    assert sql(f"SELECT count(*) FROM {table}") == before  # noqa: S608


def _column(table: str) -> str:
    """A harmless assignment to one column of `table`."""
    column = {
        "casefiles_event": "type",
        "casefiles_checkpoint": "head_hash",
        "casefiles_logleaf": "hash",
        "casefiles_lognode": "hash",
        "casefiles_treehead": "note",
        "casefiles_cosignature": "line",
        "casefiles_treeheadtimestamp": "token",
        "casefiles_securitylogentry": "reason",
    }[table]
    return f"{column} = {column}"


@postgres_only
def test_runtime_role_cannot_switch_the_triggers_off(runtime_role):
    with session_as(runtime_role):
        for statement in (
            "ALTER TABLE casefiles_event DISABLE TRIGGER USER",
            "ALTER TABLE casefiles_event DISABLE TRIGGER casefiles_event_no_update",
            "DROP TRIGGER casefiles_event_no_update ON casefiles_event",
            "DROP TABLE casefiles_event CASCADE",
            "ALTER TABLE casefiles_event OWNER TO CURRENT_USER",
        ):
            refused(
                statement, PERMISSION_DENIED, "must be owner of (table|relation) casefiles_event"
            )
        # The function every TRUNCATE trigger calls, replaced by one that refuses nothing.
        refused(
            "CREATE OR REPLACE FUNCTION casefiles_append_only_refuse() RETURNS trigger "
            "AS $$ BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql",
            PERMISSION_DENIED,
            "permission denied for schema|must be owner of function",
        )
        for statement in (
            "SET session_replication_role = replica",
            "SET LOCAL session_replication_role = replica",
        ):
            refused(
                statement,
                PERMISSION_DENIED,
                'permission denied to set parameter "session_replication_role"',
            )
        # setval() on the event sequence would make every later append collide.
        refused(
            "SELECT setval(pg_get_serial_sequence('casefiles_event', 'position'), 1)",
            PERMISSION_DENIED,
            "permission denied for sequence",
        )
        assert sql("SHOW session_replication_role") == [("origin",)]


# --- dbroles: what it reports ---------------------------------------------------------


@postgres_only
def test_dbroles_reports_the_superuser():
    report = dbroles.inspect_role()
    user = connection.settings_dict["USER"]
    assert report.applicable and not report.ok
    assert {"E101", "E102", "E103", "E104"} <= set(ids(report)), report
    assert not {"E105", "E106"} & set(ids(report)), report  # the triggers are all there
    superuser = next(p for p in report.problems if p.id == "E101")
    assert superuser.message.startswith(f"role {user} is a superuser")


@postgres_only
def test_dbroles_reports_nothing_for_the_runtime_role(runtime_role):
    with session_as(runtime_role):
        report = dbroles.inspect_role()
    assert report.ok, report.problems
    assert report.detail == f"{runtime_role}: least privilege holds"


@postgres_only
def test_dbroles_sees_the_login_role_behind_set_role(runtime_role):
    sql(f'SET ROLE "{runtime_role}"')
    try:
        report = dbroles.inspect_role()
    finally:
        sql("RESET ROLE")
    user = connection.settings_dict["USER"]
    assert "E101" in ids(report)
    assert all(
        p.message.startswith(f"login role {user} (the session SET ROLE to {runtime_role}")
        for p in report.problems
    ), report


@postgres_only
def test_dbroles_reports_a_dropped_or_disabled_trigger(runtime_role):
    sql("DROP TRIGGER casefiles_event_no_update ON casefiles_event")
    sql("ALTER TABLE casefiles_checkpoint DISABLE TRIGGER casefiles_checkpoint_no_truncate")
    sql("ALTER TABLE casefiles_logleaf ENABLE REPLICA TRIGGER casefiles_logleaf_no_delete")
    with session_as(runtime_role):
        report = dbroles.inspect_role()
    assert [(p.id, p.message.split(":")[0]) for p in report.problems] == [
        ("E105", "casefiles_event has no BEFORE UPDATE trigger"),
        ("E106", "trigger casefiles_checkpoint_no_truncate on casefiles_checkpoint is disabled"),
        (
            "E106",
            "trigger casefiles_logleaf_no_delete on casefiles_logleaf is set to fire "
            "only in replica mode",
        ),
    ]


@postgres_only
def test_dbroles_reports_privileges_granted_around_grant_runtime_role(runtime_role):
    who = f'"{runtime_role}"'
    user = connection.settings_dict["USER"]
    for grant, problem in (
        (f"GRANT UPDATE ON casefiles_event TO {who}", "E104"),
        (f"GRANT UPDATE (hash) ON casefiles_lognode TO {who}", "E104"),
        ("GRANT TRUNCATE ON casefiles_treehead TO PUBLIC", "E104"),
        (f"GRANT pg_write_all_data TO {who}", "E104"),
        (f'GRANT "{user}" TO {who}', "E101"),  # a member of the superuser (and owner)
        (f"GRANT SET ON PARAMETER session_replication_role TO {who}", "E102"),
    ):
        if "PARAMETER" in grant and connection.pg_version < 150000:
            continue  # GRANT SET ON PARAMETER is new in PostgreSQL 15
        with transaction.atomic():
            sql(grant)
            with session_as(runtime_role):
                found = ids(dbroles.inspect_role())
            assert problem in found, (grant, found)
            transaction.set_rollback(True)
    # A stray table-level or column-level grant is gone after the next run.
    sql(f"GRANT UPDATE, DELETE ON casefiles_event TO {who}")
    sql(f"GRANT UPDATE (hash) ON casefiles_lognode TO {who}")
    call_command("grant_runtime_role", runtime_role, stdout=StringIO())
    with session_as(runtime_role):
        assert dbroles.inspect_role().ok


@postgres_only
def test_dbroles_reports_an_owner_that_is_not_a_superuser(runtime_role):
    sql(f'ALTER TABLE casefiles_cosignature OWNER TO "{runtime_role}"')
    with session_as(runtime_role):
        report = dbroles.inspect_role()
    owns = next(p for p in report.problems if p.id == "E103")
    assert "casefiles_cosignature" in owns.message
    assert "E104" in ids(report)  # an owner has every privilege on its table


# --- grant_runtime_role ---------------------------------------------------------------


@postgres_only
def test_grant_runtime_role_is_idempotent_and_exact(runtime_role):
    def privileges():
        return sql(
            "SELECT c.relname, array_agg(p.privilege_type ORDER BY p.privilege_type) "
            "FROM pg_class c, aclexplode(c.relacl) p "
            "WHERE p.grantee = to_regrole(%s) AND c.relkind IN ('r', 'S') "
            "GROUP BY c.relname ORDER BY c.relname",
            [runtime_role],
        )

    first = dict(privileges())
    out = StringIO()
    call_command("grant_runtime_role", runtime_role, stdout=out)
    assert dict(privileges()) == first
    assert f"OK {runtime_role}: least privilege holds" in out.getvalue()
    for table in dbroles.APPEND_ONLY_TABLES:
        assert first[table] == ["INSERT", "SELECT"], table
    assert first["django_migrations"] == ["SELECT"]
    assert first["casefiles_casefile"] == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    assert first["auth_user"] == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    assert first["casefiles_event_position_seq"] == ["SELECT", "USAGE"]
    assert first["auth_user_id_seq"] == ["SELECT", "UPDATE", "USAGE"]
    # Every table of the schema is covered, the ones the models do not know included.
    tables = {
        name
        for (name,) in sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    }
    assert tables <= set(first)


@postgres_only
def test_grant_runtime_role_refuses_a_role_that_would_restrict_nothing(runtime_role):
    user = connection.settings_dict["USER"]
    with pytest.raises(CommandError, match="is a superuser"):
        call_command("grant_runtime_role", user)
    sql(f'GRANT "{user}" TO "{runtime_role}"')
    with pytest.raises(CommandError, match=f"is a member of {user}"):
        call_command("grant_runtime_role", runtime_role)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_runtime_role", f"{runtime_role}_missing")


# --- /health/ready/ and check --deploy ------------------------------------------------


@postgres_only
def test_ready_refuses_a_superuser_and_accepts_the_runtime_role(client, settings, runtime_role):
    settings.CASEFILES_REQUIRE_LEAST_PRIVILEGE = True
    response = client.get("/health/ready/")
    assert response.status_code == 503
    role_check = response.json()["checks"]["database_role"]
    assert not role_check["ok"] and "E101: role" in role_check["detail"]
    with session_as(runtime_role):
        response = client.get("/health/ready/")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["database_role"] == {
        "ok": True,
        "detail": f"{runtime_role}: least privilege holds",
    }


def test_ready_does_not_inspect_the_role_unless_required(client, settings):
    settings.CASEFILES_REQUIRE_LEAST_PRIVILEGE = False
    assert "database_role" not in client.get("/health/ready/").json()["checks"]
    assert database_role() == []


@postgres_only
def test_check_deploy_errs_for_the_superuser_and_passes_for_the_runtime_role(
    settings, runtime_role
):
    settings.CASEFILES_REQUIRE_LEAST_PRIVILEGE = True
    found = [
        m
        for m in checks.run_checks(include_deployment_checks=True)
        if m.id.startswith("casefiles.")
    ]
    assert {"casefiles.E101", "casefiles.E102"} <= {m.id for m in found}
    assert all(m.level == checks.ERROR for m in found)
    with pytest.raises(SystemCheckError, match="casefiles.E101"):
        call_command("check", deploy=True, tags=["database"])
    with session_as(runtime_role):
        assert database_role() == []
        call_command("check", deploy=True, tags=["database"], stdout=StringIO())


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-" + "y" * 30,
    "ALLOWED_HOSTS": "testserver",
    "DEBUG": "0",
    "LOG_LEVEL": "CRITICAL",
}
READY = (
    "from django.test import Client\n"
    "r = Client().get('/health/ready/', secure=True)\n"
    "print(r.status_code, r.json()['checks']['database_role']['detail'])"
)


def _production(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **PRODUCTION_ENV, "DATABASE_URL": url},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_production_logged_in_as_the_runtime_role_is_ready_and_passes_check_deploy():
    """A real login, as web, worker and beat have (committed: another process connects),
    under production settings, where the requirement is on by default."""
    db = connection.settings_dict
    role, password = f"casefiles_test_login_{uuid.uuid4().hex[:10]}", secrets.token_hex(16)
    superuser_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    runtime_url = f"postgres://{role}:{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    try:
        call_command("grant_runtime_role", role, stdout=StringIO())
        check = _production(
            runtime_url, "manage.py", "check", "--deploy", "--fail-level", "WARNING"
        )
        assert check.returncode == 0, check.stdout + check.stderr
        ready = _production(runtime_url, "manage.py", "shell", "-c", READY)
        assert ready.stdout.strip().splitlines()[-1] == (f"200 {role}: least privilege holds"), (
            ready.stdout + ready.stderr
        )
        check = _production(superuser_url, "manage.py", "check", "--deploy")
        assert check.returncode != 0 and "(casefiles.E101)" in check.stderr, check.stderr
        ready = _production(superuser_url, "manage.py", "shell", "-c", READY)
        assert (
            ready.stdout.strip()
            .splitlines()[-1]
            .startswith(f"503 E101: role {db['USER']} is a superuser")
        ), ready.stdout + ready.stderr
    finally:
        sql(f'DROP OWNED BY "{role}"')
        sql(f'DROP ROLE "{role}"')


# --- docker-compose: the roles as deployed --------------------------------------------


def test_compose_runs_migrations_as_the_owner_and_the_app_as_the_runtime_role():
    yaml = pytest.importorskip("yaml")
    root = Path(django_settings.BASE_DIR)
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    services = compose["services"]

    def database_user(service: str) -> str:
        # postgres://USER:${PASSWORD:?...}@db:5432/casefiles, before interpolation.
        return re.match(r"postgres://(\w+):", services[service]["environment"]["DATABASE_URL"])[1]

    assert database_user("migrate") == "casefiles_owner"
    assert "grant_runtime_role casefiles_app" in " ".join(services["migrate"]["command"])
    for service in ("web", "worker", "beat"):
        environment = services[service]["environment"]
        assert database_user(service) == "casefiles_app", service
        # Neither the owner's nor the superuser's password reaches the application.
        assert "POSTGRES_PASSWORD" not in str(environment), service
        assert services[service]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    mounts = services["db"]["volumes"]
    assert any(m.endswith(":/docker-entrypoint-initdb.d:ro") for m in mounts), mounts
    init = (root / "deploy" / "postgres").glob("*.sh")
    script = "\n".join(path.read_text() for path in init)
    assert "CREATE ROLE casefiles_owner" in script and "CREATE ROLE casefiles_app" in script
