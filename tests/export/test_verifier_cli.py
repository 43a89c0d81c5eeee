"""The verifier as auditors run it: a separate Python process, no Django, no database."""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from casefiles import signing
from casefiles.export.bundle import export_case
from tests.export import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(case_id, tmp_path) -> Path:
    path = tmp_path / "bundle.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    return path


def run(*args: str, importtime: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "casefiles.verify_export", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_verifies_in_a_clean_process_without_importing_django(bundle):
    result = run(str(bundle), "--public-key", signing.signing_key().public.vkey, importtime=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK CF-") and result.stdout.count("\n") == 1
    imported = re.findall(r"^import time:.*\|\s*(\S+)$", result.stderr, re.MULTILINE)
    assert "casefiles.domain.chain" in imported  # importtime did record the imports
    assert not [
        name
        for name in imported
        if name.split(".")[0] in ("django", "rest_framework", "casefiles.models", "reportlab")
    ]


def test_pinned_key_and_exit_codes(bundle):
    key = signing.signing_key().public
    for form in (key.vkey, key.base64):
        ok = run(str(bundle), "--public-key", form)
        assert ok.returncode == 0, ok.stdout
        assert (
            f"signed by the expected key {key.key_id}, redacted bundle; in the "
            "transparency log as leaf " in ok.stdout
        )
    unpinned = run(str(bundle))
    assert unpinned.returncode == 4
    assert unpinned.stdout.startswith("UNPINNED: CF-")
    assert "Pass the log's key with --public-key, or --trust" in unpinned.stdout
    foreign = run(str(bundle), "--public-key", base64.b64encode(bytes(32)).decode())
    assert foreign.returncode == 1 and "which you do not trust" in foreign.stdout
    forged = tampering.write(
        bundle.with_name("forged.zip"), {**tampering.members(bundle), "extra.txt": b"x"}
    )
    failed = run(str(forged), "--public-key", key.base64)
    assert (failed.returncode, failed.stdout) == (
        1,
        "FAILED: extra.txt is in the bundle but not listed in the manifest\n",
    )


def test_bad_arguments_get_a_clear_message(bundle, tmp_path):
    assert run(str(bundle), "--public-key", "not base64!").stdout == (
        "FAILED: --public-key is not valid base64\n"
    )
    missing = run(str(tmp_path / "nowhere.zip"))
    assert missing.returncode == 1 and missing.stdout.startswith(
        f"FAILED: cannot open {tmp_path / 'nowhere.zip'} as a ZIP file"
    )
    assert run().returncode == 2  # usage
