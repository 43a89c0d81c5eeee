from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casefiles.export import checkpoint
from casefiles.export.signing import SigningKeyError


class Command(BaseCommand):
    help = ("Write a signed checkpoint (casefile-checkpoint/1): every stream's head and the "
            "global position, for auditors to keep outside the system.")

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the JSON file to write")

    def handle(self, *args, **options):
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"cannot write {out}: {out.parent} is not a directory")
        try:
            document = checkpoint.take()
            checkpoint.write(out, document)
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Wrote {out}: {len(document['cases'])} stream(s) at global position "
            f"{document['global_position']}, signed by key {document['signing']['key_id']}"
        )
