"""/health/ (database, Redis, a worker answering) and /health/ready/ (can serve requests)."""

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", said plainly
        return False, f"database unreachable: {type(exc).__name__}"


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
    body = {"status": "ok" if healthy else "unhealthy",
            "checks": {name: {"ok": ok, "detail": detail}
                       for name, (ok, detail) in checks.items()}}
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
        checks["migrations"] = (not pending, "applied" if not pending
                                else f"{len(pending)} migration(s) not applied")
    return _respond(checks)
