import uuid

from django.core.management.base import BaseCommand, CommandError

from casefiles import eventstore
from casefiles.errors import NotFound
from casefiles.models import CaseFile
from casefiles.selectors import get_case_by_reference


class Command(BaseCommand):
    help = "Recompute every hash chain (or one case's); exit 1 naming the first break."

    def add_arguments(self, parser):
        parser.add_argument("--case", help="a case reference (e.g. CF-2026-000001) or id")

    def handle(self, *args, **options):
        ids = eventstore.case_ids()
        if options["case"]:
            ids = [self._case_id(options["case"])]
        heads = {
            pk: (reference, version)
            for pk, reference, version in CaseFile.objects.values_list(
                "pk", "reference", "version"
            )
        }
        cases = events = 0
        for case_id in ids:
            reference, recorded = heads.get(case_id, (str(case_id), None))
            report = eventstore.verify_case(case_id)
            if not report.ok:
                failure = report.failure
                raise CommandError(
                    f"BROKEN {reference} version {failure.version}: {failure.reason}"
                )
            if recorded is not None and recorded != report.count:
                raise CommandError(
                    f"BROKEN {reference} version {report.count + 1}: the chain ends at version "
                    f"{report.count} but the case file records version {recorded} "
                    "(events missing at the end)"
                )
            cases += 1
            events += report.count
        self.stdout.write(f"OK {cases} case(s), {events} event(s): every chain intact")

    def _case_id(self, value: str) -> uuid.UUID:
        try:
            return get_case_by_reference(value).pk
        except NotFound:
            pass
        try:
            return uuid.UUID(value)
        except ValueError:
            raise CommandError(f"no case with reference or id {value!r}") from None
