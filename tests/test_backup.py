"""Backup and restore (docs/operations.md): pg_dump, restore into a fresh database, and
the restored history verifies and rebuilds to the same read models."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from casefiles import commands
from tests.factories import attach, move, open_case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
]


def _url(db: dict, name: str) -> str:
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def test_pg_dump_restore_verifies_and_rebuilds(actors, tmp_path):
    doc, sup = actors["documenter"], actors["supervisor"]
    for index in range(3):
        case_id = open_case(doc, title=f"Case {index}")
        attach(doc, case_id, ["The New York Times"])
        commands.note_add(actor=doc, case_id=case_id, text="Сусіди бачили розстріл")
        move(doc, sup, case_id, "sourcing")
    db = connection.settings_dict
    dump = tmp_path / "casefiles.dump"
    restored = f"restore_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _url(db, db["NAME"])],
        check=True,
        timeout=120,
    )
    subprocess.run(
        ["createdb", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], restored],
        check=True,
        timeout=60,
    )
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={_url(db, restored)}", str(dump)],
            check=True,
            timeout=120,
        )
        env = {**os.environ, "DATABASE_URL": _url(db, restored)}
        for command in (["verify_events"], ["rebuild_projections", "--check"]):
            result = subprocess.run(
                [sys.executable, "manage.py", *command],
                env=env,
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert result.stdout.startswith("OK"), result.stdout
        assert (
            "OK 3 case(s), 15 event(s)"
            in subprocess.run(
                [sys.executable, "manage.py", "verify_events"],
                env=env,
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
        )
        # The restored database still refuses to rewrite history.
        refused = subprocess.run(
            ["psql", _url(db, restored), "-c", "UPDATE casefiles_event SET type = 'Forged'"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "append-only" in refused.stderr
    finally:
        subprocess.run(
            [
                "dropdb",
                "-h",
                db["HOST"],
                "-p",
                str(db["PORT"]),
                "-U",
                db["USER"],
                "--if-exists",
                restored,
            ],
            timeout=60,
        )
