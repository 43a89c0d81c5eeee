"""Benchmark the auditor export (issue 6): build a case with N events, export it, verify it.

    .venv/bin/python bench/export_bench.py [--events 10000]

Runs on a throwaway SQLite database, blob store and signing key in a temporary
directory (DATABASE_URL is ignored). The export (`manage.py export_case`), the
verification (`python -m casefiles.verify_export`), a signed checkpoint taken before the
export (`manage.py checkpoint`) and the verification against it each run in their own
process, so their peak RSS is their own; a bare `manage.py check` gives the baseline of
a Django process. Results go in docs/benchmarks.md.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 500


def environment(workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        CASEFILES_VAR_DIR=str(workdir / "var"),
        CASEFILES_SIGNING_KEY=str(workdir / "signing" / "ed25519.key"),
        PYTHONPATH=str(ROOT),
    )
    return env


def build(events: int) -> tuple[str, str]:
    """A case with `events` events: opened and sourced through commands, then notes
    appended in batches (store + projections in one transaction, as a command does)."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import transaction

    from casefiles import blobs, commands, eventstore, projections
    from casefiles.domain.actors import Actor
    from casefiles.eventstore import NewEvent

    call_command("migrate", verbosity=0)
    documenter = User.objects.create_user("dora", is_staff=True)
    documenter.groups.add(Group.objects.get(name="documenter"))
    auditor = User.objects.create_user("aud", is_staff=True)
    auditor.groups.add(Group.objects.get(name="auditor"))
    actor = Actor.for_user(documenter)
    case_id = commands.case_open(
        actor=actor,
        title="Benchmark case",
        summary="Shelling of a residential block.",
        categories=["wilful_killing"],
        places=["Irpin"],
    ).case_id
    for number, origin in enumerate(("Kyiv Independent", "Human Rights Watch")):
        commands.source_attach(
            actor=actor,
            case_id=case_id,
            title=f"Report {number}",
            origins=[origin],
            content_sha256=blobs.put(f"original document {number}\n".encode() * 2000),
        )
    version = 3
    while version < events:
        size = min(BATCH, events - version)
        notes = [
            NewEvent(
                "NoteAdded",
                {
                    "note_id": str(uuid.uuid4()),
                    "text": f"Note {version + i + 1}: witness interview transcript reviewed; "
                    "times and places cross-checked against the satellite imagery.",
                },
            )
            for i in range(size)
        ]
        with transaction.atomic():
            stored, _ = eventstore.append(
                case_id,
                expected_version=version,
                actor=actor.as_event_actor("documenter"),
                events=notes,
            )
            projections.project(event.as_record() for event in stored)
        version += size
    return case_id, auditor.username


def child(command: list[str], env: dict) -> tuple[float, int, str]:
    """Seconds, peak RSS (KiB) and stdout of one child process (its own rusage, by wait4)."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=stdout,  # noqa: S603
            stderr=stderr,
            text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        text, errors = stdout.read().strip(), stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{text}\n{errors}")
    return seconds, usage.ru_maxrss, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        import django

        django.setup()
        print(*build(args.events))
        return
    # This process stays small and Django-free: a child's peak RSS on Linux includes
    # what it inherited at fork, so every measured step runs in a child of this one.
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        workdir = Path(tmp)
        env = environment(workdir)
        python = sys.executable
        seconds, rss, out = child(
            [python, __file__, "--build-only", "--events", str(args.events)], env
        )
        case_id, auditor = out.splitlines()[-1].split()
        print(f"build: {args.events} events in {seconds:.1f} s (peak RSS {rss // 1024} MiB)")
        _, baseline, _ = child([python, "manage.py", "check"], env)
        print(f"baseline: manage.py check, peak RSS {baseline // 1024} MiB")
        # Taken before the export: the export's own CaseExported event comes after the
        # bundle's last version, so a checkpoint taken after it would be ahead of it.
        checkpoint = workdir / "checkpoint.json"
        seconds, rss, out = child(
            [python, "manage.py", "checkpoint", "--out", str(checkpoint)], env
        )
        print(f"checkpoint: {seconds:.1f} s, peak RSS {rss // 1024} MiB: {out}")
        bundle = workdir / "bundle.zip"
        seconds, rss, out = child(
            [python, "manage.py", "export_case", case_id, "--out", str(bundle), "--user", auditor],
            env,
        )
        print(
            f"export: {seconds:.1f} s, peak RSS {rss // 1024} MiB, "
            f"{bundle.stat().st_size / 1_048_576:.1f} MiB ZIP: {out}"
        )
        with zipfile.ZipFile(bundle) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
        print(
            "  "
            + ", ".join(
                f"{name} {size / 1_048_576:.2f} MiB"
                for name, size in sizes.items()
                if not name.startswith("sources/")
            )
        )
        verify_env = {k: v for k, v in env.items() if not k.startswith("DJANGO")}
        seconds, rss, out = child(
            [python, "-m", "casefiles.verify_export", str(bundle)], verify_env
        )
        print(f"verify: {seconds:.1f} s, peak RSS {rss // 1024} MiB: {out}")
        seconds, rss, out = child(
            [python, "-m", "casefiles.verify_export", str(bundle), "--checkpoint", str(checkpoint)],
            verify_env,
        )
        print(f"verify --checkpoint: {seconds:.1f} s, peak RSS {rss // 1024} MiB: {out}")


if __name__ == "__main__":
    main()
