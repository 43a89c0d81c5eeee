from django.core.management.base import BaseCommand

from casefiles.commands.sources import exhibit_complete
from casefiles.domain.actors import Actor
from casefiles.errors import CaseFileError
from casefiles.models import CaseSource, Source


class Command(BaseCommand):
    help = (
        "Bind every attached source recorded without its original, whose id names an "
        "ingested source, to that original: one ExhibitCompleted event each (as the "
        "system actor `ingest`); the earlier events stay as they are. Re-running "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be completed, write nothing"
        )

    def handle(self, *args, **options):
        ingested = Source.objects.values("pk")
        empty = (
            CaseSource.objects.filter(content_sha256__isnull=True, source_id__in=ingested)
            | CaseSource.objects.filter(content_sha256="", source_id__in=ingested)
        ).select_related("case")
        actor = Actor.system("ingest")
        done = skipped = 0
        for row in empty.order_by("case__reference", "attached_version"):
            label = f"{row.case.reference} source {row.source_id} ({row.title})"
            if options["dry_run"]:
                self.stdout.write(f"would complete {label}")
                continue
            try:
                exhibit_complete(actor=actor, case_id=row.case_id, source_id=row.source_id)
            except CaseFileError as exc:
                skipped += 1
                self.stderr.write(f"skipped {label}: {exc}")
            else:
                done += 1
                self.stdout.write(f"completed {label}")
        if not options["dry_run"]:
            self.stdout.write(f"{done} completed, {skipped} skipped")
