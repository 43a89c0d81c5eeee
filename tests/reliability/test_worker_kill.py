"""Kill -9 a Celery worker in the middle of ingesting 200 documents, restart it: every
document is ingested exactly once (no loss, no duplicate source, no duplicate case) and
the chains and read models check out. Needs PostgreSQL and Redis, like tests/test_worker.py.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from casefiles.commands.ingestion import ingestion_submit
from casefiles.models import CaseFile, Event, Ingestion, Source
from tests.factories import SUBMITTER

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL",
    ),
]

DOCUMENTS = 200
# Messages a killed worker had taken but not acknowledged go back to the queue once
# they are older than this (Redis transport); short here so the test need not wait.
VISIBILITY_TIMEOUT = 10
# A message can also be lost outright (taken, then the worker killed before it filed it as
# unacknowledged): the worker runs beat too (-B), whose sweep queues again any job still
# queued this long (casefiles/commands/jobs.py). Without it, some runs left a document
# queued for good (docs/benchmarks.md, "Reliability").
REQUEUE_AFTER = 20


def documents(count: int) -> list[tuple[str, bytes]]:
    """Unique documents: every 40th a numbered copy of a seed article, each seed once
    (candidate cases; two copies of one seed would be a reprint, recorded as a
    near-duplicate of the first), the others short field logs naming no allegation."""
    seeds = sorted((Path(settings.BASE_DIR) / "seeds").glob("*.txt"))
    result = []
    for n in range(count):
        if n % 40 == 0:
            seed = seeds[(n // 40) % len(seeds)]
            result.append(
                (
                    f"{n:04d}_{seed.name}",
                    f"Monitoring report {n:04d}\n\n".encode() + seed.read_bytes(),
                )
            )
        else:
            result.append(
                (
                    f"{n:04d}_field_log.txt",
                    (
                        f"Field log {n:04d}\n\nThe team visited district {n} and spoke with the "
                        f"market traders about deliveries on day {n}. Nothing further to report.\n"
                    ).encode(),
                )
            )
    return result


class Worker:
    """A real `celery worker` in its own process group, so kill -9 takes the pool too."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                self.env["CELERY_QUEUE"],
                "--concurrency=2",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--beat",
                f"--schedule={self.env['BEAT_SCHEDULE']}",
            ],
            env=self.env,
            cwd=settings.BASE_DIR,
            start_new_session=True,
        )

    def kill9(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def worker(settings, tmp_path):
    from config.celery import app

    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    worker = Worker(
        {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CASEFILES_BLOB_DIR": str(settings.CASEFILES_BLOB_DIR),
            "CELERY_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CASEFILES_REQUEUE_AFTER": str(REQUEUE_AFTER),
            "BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
            # Beat's other tasks (tree heads, nightly checks) are not under test here.
            "CASEFILES_TREE_HEAD_INTERVAL": "86400",
            "LOG_LEVEL": "WARNING",
        }
    )
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield worker
    finally:
        app.conf.task_default_queue = "casefiles"
        worker.stop()


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def finished() -> int:
    return Ingestion.objects.exclude(status=Ingestion.QUEUED).count()


def test_kill9_mid_ingestion_loses_and_duplicates_nothing(worker):
    worker.start()
    jobs = [
        ingestion_submit(data=data, filename=name, actor=SUBMITTER)
        for name, data in documents(DOCUMENTS)
    ]
    assert wait_until(lambda: finished() >= 20, 120), "the worker never got going"
    worker.kill9()
    at_kill = finished()
    assert at_kill < DOCUMENTS, "the worker finished before it could be killed"

    # A supervisor restarts the worker; messages the dead worker held are redelivered
    # once older than the visibility timeout.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    worker.start()
    done = wait_until(lambda: finished() == DOCUMENTS, 150)

    stuck = list(
        Ingestion.objects.filter(status=Ingestion.QUEUED).values_list("filename", flat=True)
    )
    assert done, f"{len(stuck)} document(s) still queued after the restart: {stuck[:5]}"
    statuses = Counter(Ingestion.objects.values_list("status", flat=True))
    assert statuses == {Ingestion.INGESTED: DOCUMENTS}, statuses
    # Exactly once: one source per document, each job pointing at its own source.
    assert Source.objects.count() == DOCUMENTS
    source_ids = [job.source_id for job in Ingestion.objects.filter(pk__in=[j.pk for j in jobs])]
    assert len(set(source_ids)) == DOCUMENTS
    assert Event.objects.filter(type="SourceIngested").count() == DOCUMENTS
    # No duplicate case: every candidate case is opened once, by one job.
    references = [
        ref for refs in Ingestion.objects.values_list("case_references", flat=True) for ref in refs
    ]
    assert references and len(references) == len(set(references))
    assert CaseFile.objects.count() == len(references)
    assert Event.objects.filter(type="CaseOpened").count() == len(references)

    out = StringIO()
    call_command("verify_events", stdout=out)
    call_command("rebuild_projections", "--check", stdout=out)
    assert out.getvalue().count("OK") == 2, out.getvalue()
