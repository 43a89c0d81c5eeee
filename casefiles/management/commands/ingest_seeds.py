from django.conf import settings

from casefiles.management.commands.ingest import Command as IngestCommand
from casefiles.management.commands.ingest import collect


class Command(IngestCommand):
    help = "Ingest the seed articles in seeds/ (re-running changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=int, default=600)

    def handle(self, *args, **options):
        self.ingest(collect([str(settings.BASE_DIR / "seeds")]), options["wait"])
