"""A real Celery worker on Redis ingests the seeds (runs where REDIS_URL and PostgreSQL
are configured, as in CI's second run)."""

import os
import subprocess
import sys
import uuid
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from casefiles.models import CaseFile, Ingestion, Source

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL",
    ),
]


@pytest.fixture
def worker(settings):
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CASEFILES_BLOB_DIR": str(settings.CASEFILES_BLOB_DIR),
        "CELERY_QUEUE": queue,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--concurrency=2",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        app.conf.task_default_queue = "casefiles"
        process.terminate()
        process.wait(timeout=30)


def test_a_real_worker_ingests_the_seeds(worker):
    out = StringIO()
    call_command("ingest_seeds", "--wait", "120", stdout=out)
    assert worker.poll() is None, "the worker died"
    assert out.getvalue().strip().splitlines()[-1] == (
        "5 ingested, 0 duplicate(s), 0 near-duplicate(s), 0 failed"
    ), out.getvalue()
    assert Source.objects.count() == 5
    assert CaseFile.objects.count() >= 9
    assert not Ingestion.objects.exclude(status="ingested").exists()
    # Running it again through the worker changes nothing.
    call_command("ingest_seeds", "--wait", "60", stdout=out)
    assert out.getvalue().strip().splitlines()[-1].startswith("0 ingested, 5 duplicate(s)")
    assert settings.CELERY_BROKER_URL
