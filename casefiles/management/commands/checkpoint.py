from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casefiles import transparency
from casefiles.signing import SigningKeyError


class Command(BaseCommand):
    help = (
        "Sequence new events into the transparency log and publish a signed tree head "
        "(a C2SP checkpoint) in CASEFILES_CHECKPOINT_DIR; print it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="also copy the signed tree head to this file")

    def handle(self, *args, **options):
        out = Path(options["out"]) if options["out"] else None
        if out is not None and not out.parent.is_dir():
            raise CommandError(f"cannot write {out}: {out.parent} is not a directory")
        try:
            head = transparency.publish()
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from None
        except transparency.LogInconsistent as exc:
            transparency.alert(transparency.LogReport(problems=[str(exc)]))
            raise CommandError(f"REFUSED to sign: {exc}") from None
        note = transparency.cosigned_note(head)
        if out is not None:
            out.write_text(note, encoding="utf-8")
        self.stdout.write(note, ending="")
        path = transparency.head_dir() / transparency.HEAD_FILE.format(size=head.size)
        self.stderr.write(f"tree head {head.size} published in {path}")
