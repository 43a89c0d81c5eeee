from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casefiles import integrity, tlog, transparency


class Command(BaseCommand):
    help = (
        "Recompute every chain and the transparency log from the events alone, and "
        "check them against every signed tree head: the files in "
        "CASEFILES_CHECKPOINT_DIR, the database's cache and any --tree-head you kept. "
        "Exit 1 naming what is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tree-head",
            action="append",
            default=[],
            type=Path,
            help="a signed tree head kept elsewhere (repeatable)",
        )
        parser.add_argument(
            "--log-key",
            action="append",
            default=[],
            help="the log's verifier key (vkey) to check tree heads with, "
            "instead of this server's own (repeatable: old keys)",
        )

    def handle(self, *args, **options):
        for path in options["tree_head"]:
            if not path.is_file():
                raise CommandError(f"cannot read the tree head {path}")
        try:
            verifiers = [tlog.parse_vkey(text) for text in options["log_key"]] or None
        except tlog.LogError as exc:
            raise CommandError(str(exc)) from None
        report = transparency.verify_log(
            options["tree_head"], verifiers, case_versions=integrity.case_versions()
        )
        if not report.ok:
            raise CommandError(str(report))
        self.stdout.write(str(report))
