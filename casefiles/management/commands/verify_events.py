import uuid

from django.core.management.base import BaseCommand, CommandError

from casefiles import integrity
from casefiles.errors import NotFound
from casefiles.selectors import get_case_by_reference


class Command(BaseCommand):
    help = "Recompute every hash chain (or one case's); exit 1 naming the first break."

    def add_arguments(self, parser):
        parser.add_argument("--case", help="a case reference (e.g. CF-2026-000001) or id")

    def handle(self, *args, **options):
        case_ids = [self._case_id(options["case"])] if options["case"] else None
        summary = integrity.verify(case_ids)
        if summary.broken is not None:
            raise CommandError(str(summary.broken))
        self.stdout.write(
            f"OK {summary.cases} case(s), {summary.events} event(s): every chain intact"
        )

    def _case_id(self, value: str) -> uuid.UUID:
        try:
            return get_case_by_reference(value).pk
        except NotFound:
            pass
        try:
            return uuid.UUID(value)
        except ValueError:
            raise CommandError(f"no case with reference or id {value!r}") from None
