import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from casefiles.domain.actors import Actor


def make_user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="x-" + username, is_staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def users(db):
    return {
        "documenter": make_user("dora", "documenter"),
        "documenter2": make_user("dmitri", "documenter"),
        "legal": make_user("lena", "legal_reviewer"),
        "supervisor": make_user("sam", "supervisor"),
        "supervisor2": make_user("sofia", "supervisor"),
        "auditor": make_user("aud", "auditor"),
        "both": make_user("bo", "documenter", "supervisor"),
    }


@pytest.fixture
def actors(users):
    return {name: Actor.for_user(user) for name, user in users.items()}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(scope="session", autouse=True)
def _flush_past_truncate_triggers():
    """Transactional tests end with a flush, which PostgreSQL runs as one TRUNCATE of
    every table, and the append-only tables refuse TRUNCATE (migration 0009). The tests
    connect as a superuser, so the flush's own transaction may run in replica mode, where
    triggers do not fire: what the application's runtime role cannot do
    (tests/test_dbroles.py)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **options):
        statements = original(self, style, tables, **options)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else []

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Lockout is on in every deployment; tests that exercise it turn it back on
    # (tests/test_deploy.py). Elsewhere client.login() has no request for axes to inspect.
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _isolated_blobs_and_eager_tasks(settings, tmp_path):
    """Each test gets its own blob store, and tasks run in-process unless a test starts
    a real worker (tests/test_worker.py)."""
    from casefiles.commands import ingestion
    from config.celery import app

    settings.CASEFILES_BLOB_DIR = tmp_path / "blobs"
    # Signed tree heads are never overwritten: each test publishes into its own folder.
    settings.CASEFILES_CHECKPOINT_DIR = tmp_path / "tree-heads"
    # Each test's database starts empty; so does the allegation cache ingestion keeps.
    ingestion._ALLEGATIONS.clear()
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(scope="session", autouse=True)
def _no_counters_from_earlier_runs():
    """With REDIS_URL the cache (throttle counters) is Redis, which outlives a run: start
    each run from none, as a fresh process's memory cache would."""
    from django.core.cache import cache

    cache.clear()


def pytest_unconfigure(config):
    """The very last line: what was skipped and why, grouped by reason, so a run that
    lacked Chromium, poppler or PostgreSQL says so where people look."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    parts = sorted(reasons.items(), key=lambda item: -item[1])
    reporter.write_line(
        f"skipped {len(skipped)}: " + "; ".join(f"{count} {reason}" for reason, count in parts)
    )
