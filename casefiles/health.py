"""/health/ (database, Redis, a worker answering) and /health/ready/ (can serve requests;
in production also: the database role cannot get past the append-only guards)."""

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from casefiles import dbroles


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", said plainly
        return False, f"database unreachable: {type(exc).__name__}"


def _database_role() -> tuple[bool, str]:
    try:
        report = dbroles.inspect_role()
    except Exception as exc:  # noqa: BLE001
        return False, f"cannot inspect the database role: {type(exc).__name__}"
    if report.ok:
        # Not applicable (SQLite) is no reason to refuse traffic: `check --deploy` warns.
        return True, report.detail
    return False, "; ".join(f"{p.id}: {p.message}" for p in report.problems)


def _redis() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if not url:
        return True, "not configured (tasks run in-process)"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, f"redis unreachable: {type(exc).__name__}"


def _worker() -> tuple[bool, str]:
    from config.celery import app

    if app.conf.task_always_eager:
        return True, "not needed (tasks run in-process)"
    try:
        replies = app.control.ping(timeout=settings.HEALTH_WORKER_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return False, f"cannot reach workers: {type(exc).__name__}"
    if not replies:
        return False, "no worker answered"
    return True, f"{len(replies)} worker(s) answered"


def _respond(checks: dict[str, tuple[bool, str]]) -> JsonResponse:
    healthy = all(ok for ok, _ in checks.values())
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
def health(request):
    return _respond({"database": _database(), "redis": _redis(), "worker": _worker()})


@never_cache
def ready(request):
    ok, detail = _database()
    checks = {"database": (ok, detail)}
    if ok:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        checks["migrations"] = (
            not pending,
            "applied" if not pending else f"{len(pending)} migration(s) not applied",
        )
        if settings.CASEFILES_REQUIRE_LEAST_PRIVILEGE:
            checks["database_role"] = _database_role()
    return _respond(checks)
