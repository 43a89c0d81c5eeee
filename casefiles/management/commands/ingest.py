import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casefiles.commands.ingestion import ingestion_submit
from casefiles.domain.actors import Actor
from casefiles.ingestion.decode import MAX_BYTES
from casefiles.models import Ingestion
from config.celery import app as celery_app

# Whoever runs manage.py on the server: recorded as the submitter of what it ingests.
OPERATOR = Actor.system("manage.py ingest")


def collect(paths: list[str]) -> list[Path]:
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            )
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{name}: no such file or folder")
    return files


class Command(BaseCommand):
    help = "Ingest documents (files or folders): one Celery task per document, then a summary."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")
        parser.add_argument(
            "--wait",
            type=int,
            default=600,
            help="seconds to wait for a worker to finish (default 600)",
        )

    def handle(self, *args, **options):
        self.ingest(collect(options["paths"]), options["wait"])

    def ingest(self, files: list[Path], wait: int) -> None:
        jobs = []
        for path in files:
            size = path.stat().st_size
            data = path.read_bytes() if size <= MAX_BYTES else None
            jobs.append(ingestion_submit(actor=OPERATOR, data=data, size=size, filename=path.name))
        jobs = self.wait_for(jobs, wait)
        counts = dict.fromkeys(Ingestion.FINISHED + (Ingestion.QUEUED,), 0)
        for job in jobs:
            counts[job.status] += 1
            line = f"{job.status:<14} {job.filename}"
            if job.case_references:
                line += f" → {len(job.case_references)} candidate case(s): " + ", ".join(
                    job.case_references
                )
            if job.reason:
                line += f": {job.reason}"
            self.stdout.write(line)
        self.stdout.write(
            f"{counts['ingested']} ingested, {counts['duplicate']} duplicate(s), "
            f"{counts['near_duplicate']} near-duplicate(s), {counts['failed']} failed"
            + (f", {counts['queued']} still queued" if counts["queued"] else "")
        )

    def wait_for(self, jobs: list[Ingestion], wait: int) -> list[Ingestion]:
        ids = [job.id for job in jobs]
        deadline = time.monotonic() + (0 if celery_app.conf.task_always_eager else wait)
        while True:
            current = {job.id: job for job in Ingestion.objects.filter(id__in=ids)}
            pending = [i for i in ids if current[i].status == Ingestion.QUEUED]
            if not pending or time.monotonic() >= deadline:
                return [current[i] for i in ids]
            time.sleep(0.5)
