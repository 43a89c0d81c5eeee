import os
import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casefiles.commands.exports import export_kind, export_recorded, export_role
from casefiles.domain.actors import Actor
from casefiles.errors import CaseFileError, NotFound
from casefiles.selectors import get_case, get_case_by_reference
from casefiles.signing import SigningKeyError
from casefiles.verify_export import KINDS


class Command(BaseCommand):
    help = (
        "Write a case's signed, self-verifying history bundle (casefile-export/1) and "
        "record the export on the case."
    )

    def add_arguments(self, parser):
        parser.add_argument("case", help="a case reference (e.g. CF-2026-000001) or id")
        parser.add_argument("--out", required=True, help="the ZIP file to write")
        parser.add_argument(
            "--user",
            required=True,
            help="the auditor or supervisor who exports: recorded as exported_by and in the "
            "CaseExported event",
        )
        parser.add_argument(
            "--kind",
            choices=KINDS,
            help="complete (with protected identities; needs clearance) or redacted; "
            "default: complete for cleared users, redacted otherwise",
        )

    def handle(self, *args, **options):
        actor = self._exporter(options["user"], options["kind"])
        case = self._case(options["case"])
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"cannot write {out}: {out.parent} is not a directory")
        # Written beside the target and renamed: a failed export leaves no partial ZIP.
        partial = out.with_name(f".{out.name}.partial")
        try:
            with open(partial, "wb") as stream:
                manifest = export_recorded(actor, case.pk, out=stream, kind=options["kind"])
            os.replace(partial, out)
        except (CaseFileError, SigningKeyError) as exc:
            raise CommandError(str(exc)) from None
        finally:
            partial.unlink(missing_ok=True)
        events = manifest["events"]
        self.stdout.write(
            f"Wrote {out}: {case.reference}, {events['count']} events, head hash "
            f"{events['head_hash']}, {manifest['kind']}, signed by key "
            f"{manifest['signing']['key_id']}; recorded as export {manifest['export_id']}"
        )

    def _exporter(self, username: str, kind: str | None) -> Actor:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        try:
            actor = Actor.for_user(user)
            export_role(actor)
            export_kind(actor, kind)
        except CaseFileError as exc:
            raise CommandError(str(exc)) from None
        return actor

    def _case(self, value: str):
        try:
            return get_case_by_reference(value)
        except NotFound:
            pass
        try:
            return get_case(uuid.UUID(value))
        except (ValueError, NotFound):
            raise CommandError(f"no case with reference or id {value!r}") from None
