import re

import pytest
from django.core.management import CommandError, call_command

from casefiles.selectors import case_state
from casefiles.verify_export import verify
from tests.export import tampering
from tests.factories import attach, open_case

pytestmark = pytest.mark.django_db


def test_export_case_writes_a_verifiable_bundle(case_id, users, tmp_path, capsys):
    reference = case_state(case_id).reference
    out = tmp_path / "case.zip"
    call_command("export_case", reference, "--out", str(out), "--user", "aud")
    assert capsys.readouterr().out.startswith(f"Wrote {out}: {reference}, ")
    assert tampering.manifest(tampering.members(out))["exported_by"] == "aud"
    assert verify(str(out)).reference == reference
    call_command("export_case", case_id, "--out", str(tmp_path / "by-id.zip"))
    assert tampering.manifest(tampering.members(tmp_path / "by-id.zip"))["exported_by"] == (
        "manage.py export_case")


@pytest.mark.parametrize("args, message", [
    (["CF-1999-000001"], "no case with reference or id 'CF-1999-000001'"),
    (["{ref}", "--user", "dora"], "dora (documenter) may not export a case"),
    (["{ref}", "--user", "nobody"], "no user 'nobody'"),
])
def test_export_case_refuses_clearly(case_id, users, tmp_path, args, message):
    reference = case_state(case_id).reference
    out = tmp_path / "case.zip"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export_case", *[a.format(ref=reference) for a in args], "--out", str(out))
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*partial")) == []


def test_a_failed_export_leaves_no_file(actors, tmp_path):
    case_id = open_case(actors["documenter"])
    attach(actors["documenter"], case_id, ["AP"], content_sha256="d" * 64)
    with pytest.raises(CommandError, match="is missing from the blob store"):
        call_command("export_case", case_id, "--out", str(tmp_path / "case.zip"))
    assert [p.name for p in tmp_path.iterdir() if p.suffix in (".zip", ".partial")] == []
