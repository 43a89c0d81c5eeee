"""`manage.py extract --json`: the extractor offline, in the scorer's format."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casefiles.ingestion.candidates import document_candidates
from casefiles.ingestion.extract import EXTRACTOR_VERSION, extract_document

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = (
    "Shelling in Kharkiv\n\n"
    "Russian troops shot dead three civilians in Bucha in March 2022, witnesses said. "
    "The bodies were found after the withdrawal.\n"
)
KEYS = {"title", "categories", "places", "date_from", "date_to", "excerpt", "spans", "perpetrator"}


def run(*args: str) -> dict:
    out = StringIO()
    call_command("extract", "--json", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def test_prints_candidates_without_touching_the_database(tmp_path):
    # No `db` fixture: pytest-django blocks every database access in this test, so a
    # single query anywhere in the command fails it.
    path = tmp_path / "report.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = run(str(path))
    assert result["extractor_version"] == EXTRACTOR_VERSION
    (entry,) = result["documents"]
    assert entry["file"] == "report.txt"
    (found,) = entry["candidates"]
    assert KEYS <= set(found)
    assert found["categories"][0] == "wilful_killing"
    assert "Bucha" in found["places"]
    assert (found["date_from"], found["date_to"]) == ("2022-03-01", "2022-03-31")
    assert found["perpetrator"] == "Russian troops"
    assert found["excerpt"] in ARTICLE and found["excerpt"] in found["spans"]


def test_same_function_as_ingestion(tmp_path):
    """The command prints exactly what the ingestion's extract_document found."""
    path = tmp_path / "report.txt"
    path.write_bytes(ARTICLE.encode())
    expected = document_candidates(extract_document(path.read_bytes(), "report.txt"), "report.txt")
    assert run(str(path))["documents"] == [expected]


def test_unreadable_file_is_reported_not_fatal(tmp_path):
    good, bad = tmp_path / "a.txt", tmp_path / "b.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    bad.write_bytes(b"\x00\x01\x02binary\xff" * 50)
    docs = run(str(good), str(bad))["documents"]
    assert docs[0]["candidates"] and docs[1]["candidates"] == []
    assert docs[1]["error"]


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="no such file"):
        call_command("extract", "--json", "/nonexistent/x.txt", stdout=StringIO())


def test_runs_with_an_unreachable_database(tmp_path):
    """A separate process whose DATABASE_URL points at a port nothing listens on: any
    connection attempt would fail the command."""
    path = tmp_path / "report.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nowhere",
        "REDIS_URL": "redis://127.0.0.1:9/0",
    }
    done = subprocess.run(  # noqa: S603 - fixed command line
        [sys.executable, "manage.py", "extract", "--json", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)["documents"]
    assert entry["candidates"][0]["perpetrator"] == "Russian troops"
