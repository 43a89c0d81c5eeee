from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casefiles import projections


class Command(BaseCommand):
    help = (
        "Rebuild every read model from the events alone. With --check, rebuild inside a "
        "transaction that is rolled back and exit 1 if the result differs from the live "
        "read models."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, **options):
        if not options["check"]:
            count = projections.rebuild()
            self.stdout.write(f"rebuilt read models from {count} event(s)")
            return
        with transaction.atomic():
            live = projections.snapshot()
            count = projections.rebuild()
            problems = projections.diff(live, projections.snapshot())
            transaction.set_rollback(True)
        if problems:
            shown = "\n".join(problems[:50])
            more = f"\n… and {len(problems) - 50} more" if len(problems) > 50 else ""
            raise CommandError(
                f"read models differ from a rebuild of {count} event(s):\n{shown}{more}"
            )
        self.stdout.write(f"OK read models equal a rebuild from {count} event(s)")
