import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casefiles.ingestion.candidates import document_candidates
from casefiles.ingestion.decode import MAX_BYTES, UnreadableDocument
from casefiles.ingestion.extract import EXTRACTOR_VERSION, extract_document


class Command(BaseCommand):
    help = (
        "Run the extractor on files, offline (no database), and print the candidate "
        "allegations; --json prints the scorer's CANDIDATES.json format."
    )
    # No system checks: they may consult the database, and this command must run on a
    # machine that has none (an auditor scoring the extractor, CI without PostgreSQL).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print CANDIDATES.json (see ../shared/extraction/README.md)",
        )

    def handle(self, *args, **options):
        documents, problems = [], []
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            if path.stat().st_size > MAX_BYTES:
                problems.append(f"{path.name}: larger than {MAX_BYTES} bytes, not read")
                documents.append({"file": path.name, "error": "too large", "candidates": []})
                continue
            try:
                document = extract_document(path.read_bytes(), path.name)
            except UnreadableDocument as exc:
                problems.append(f"{path.name}: {exc}")
                documents.append({"file": path.name, "error": str(exc), "candidates": []})
                continue
            documents.append(document_candidates(document, path.name))
        for problem in problems:
            self.stderr.write(problem)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"extractor_version": EXTRACTOR_VERSION, "documents": documents},
                    ensure_ascii=False,
                    indent=1,
                )
            )
            return
        for entry in documents:
            self.stdout.write(
                f"{entry['file']}: {entry['not_analysed']}"
                if entry.get("not_analysed")
                else f"{entry['file']}: {len(entry['candidates'])} candidate(s)"
            )
            for c in entry["candidates"]:
                where = ", ".join(c["places"])
                when = c["date_from"] and f"{c['date_from']}..{c['date_to']}"
                self.stdout.write(
                    f"  - {c['title']} [{', '.join(c['categories'])}]"
                    + (f" ({where})" if where else "")
                    + (f" {when}" if when else "")
                )
