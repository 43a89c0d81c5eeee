"""Production settings, security headers, login lockout, health, logs, nightly verification."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from casefiles import commands, integrity
from casefiles.domain.hashing import event_hash
from casefiles.models import Event, IntegrityAlert
from casefiles.observability import ContextFilter, JsonFormatter
from tests.factories import open_case

pytestmark = pytest.mark.django_db
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-secret-" + "y" * 30,
    "ALLOWED_HOSTS": "casefiles.example.org",
    "DEBUG": "0",
}


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    # Without the database role's check: this test's database is SQLite or the CI's
    # superuser, which that check rightly refuses (tests/test_dbroles.py).
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**os.environ, **PRODUCTION_ENV, "CASEFILES_REQUIRE_LEAST_PRIVILEGE": "0"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_missing_secret_or_debug():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_django("", **env, SECRET_KEY="")
    assert result.returncode != 0 and "SECRET_KEY must be set in production" in result.stderr
    result = run_django("", **{**PRODUCTION_ENV, "DEBUG": "1"})
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


def test_security_headers(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/admin/login/", secure=True)
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert len(response["X-Request-ID"]) == 32
    assert client.get("/admin/login/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"


def test_lockout_after_repeated_failures(client, settings, users):
    settings.AXES_ENABLED = True
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(
            "/admin/login/?next=/admin/", {"username": "dora", "password": "wrong"}
        )
        # The form again with an error, until the limit locks the account out.
        assert response.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 200)
    response = client.post("/admin/login/?next=/admin/", {"username": "dora", "password": "x-dora"})
    assert response.status_code == 429
    assert not client.get("/admin/").wsgi_request.user.is_authenticated


def test_health_when_everything_is_up(client):
    response = client.get("/health/")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["database"]["ok"]
    assert client.get("/health/ready/").json() == {
        "status": "ok",
        "checks": {
            "database": {"ok": True, "detail": "ok"},
            "migrations": {"ok": True, "detail": "applied"},
        },
    }


def test_health_reports_redis_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "ok": False,
        "detail": "redis unreachable: ConnectionError",
    }


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis")
def test_health_reports_no_worker(client, settings):
    from config.celery import app

    app.conf.task_always_eager = False
    settings.HEALTH_WORKER_TIMEOUT = 0.5
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["detail"] in (
        "no worker answered",
        "cannot reach workers: OperationalError",
    )


def test_health_reports_database_down():
    code = (
        "from django.test import Client\n"
        "r = Client().get('/health/ready/')\nprint(r.status_code, r.content.decode())"
    )
    result = run_django(
        code,
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        LOG_LEVEL="CRITICAL",
        ALLOWED_HOSTS="testserver",
    )
    status, body = result.stdout.split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body)["checks"]["database"] == {
        "ok": False,
        "detail": "database unreachable: OperationalError",
    }


def test_json_log_lines_carry_request_id_and_user():
    record = logging.LogRecord("casefiles", logging.ERROR, __file__, 1, "broken %s", ("x",), None)
    record.case = "CF-2026-000001"
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "broken x" and line["case"] == "CF-2026-000001"
    assert {"time", "level", "request_id", "user"} <= line.keys()


def _rewrite_history(case_id):
    """An intruder with database access changes version 2 and re-hashes the rest of the
    chain so that it is self-consistent again (bypassing the trigger, as a test only)."""
    events = list(Event.objects.filter(case_id=case_id).order_by("version"))
    prev = events[0].hash
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE casefiles_event DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS casefiles_event_no_update")
        for event in events[1:]:
            record = event.as_record()
            if event.version == 2:
                record["payload"] = {**record["payload"], "text": "nothing happened"}
            record["prev_hash"] = prev
            record["hash"] = prev = event_hash(record)
            cursor.execute(
                "UPDATE casefiles_event SET payload = %s, prev_hash = %s, hash = %s "
                "WHERE position = %s",
                [
                    json.dumps(record["payload"]),
                    record["prev_hash"],
                    record["hash"],
                    event.position,
                ],
            )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE casefiles_event ENABLE TRIGGER USER")


def test_nightly_verification_checkpoints_then_catches_a_rehashed_rewrite(actors, caplog):
    case_id = open_case(actors["documenter"])
    for text in ("shot near the forest", "second witness"):
        commands.note_add(actor=actors["documenter"], case_id=case_id, text=text)
    summary = integrity.nightly()
    assert summary.broken is None and summary.events == 3
    _rewrite_history(case_id)
    # The chain alone is consistent again; the checkpoint is what catches it.
    from casefiles import eventstore

    assert eventstore.verify_case(case_id).ok
    with caplog.at_level(logging.ERROR, logger="casefiles.integrity"):
        summary = integrity.nightly()
    assert "rewritten since the checkpoint" in summary.broken.reason
    alert = IntegrityAlert.objects.get()
    assert (str(alert.case_id), alert.version) == (case_id, 3)
    assert any("event chain broken" in r.getMessage() for r in caplog.records)
    assert Event.objects.get(case_id=case_id, version=2).payload["text"] == "nothing happened"


def test_totp_second_factor_for_users_who_set_one_up(client, users):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=users["supervisor"], name="phone", confirmed=True)
    login = {"username": "sam", "password": "x-sam"}
    refused = client.post("/admin/login/?next=/admin/", login)
    assert refused.status_code == 200 and not refused.wsgi_request.user.is_authenticated
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    accepted = client.post(
        "/admin/login/?next=/admin/",
        {**login, "otp_device": device.persistent_id, "otp_token": token},
    )
    assert accepted.status_code == 302 and client.get("/admin/").status_code == 200
    client.logout()
    # A user without a device signs in with the password alone.
    response = client.post("/admin/login/?next=/admin/", {"username": "aud", "password": "x-aud"})
    assert response.status_code == 302
    # A session authenticated without the device is not enough for a device owner.
    client.logout()
    client.force_login(users["supervisor"])
    assert client.get("/admin/").status_code == 302
