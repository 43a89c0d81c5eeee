import re

import pytest
from django.core.management import CommandError, call_command

from casefiles.models import Event
from casefiles.selectors import case_state
from tests.export import tampering
from tests.factories import attach_lost_original, open_case

pytestmark = pytest.mark.django_db


def test_export_case_writes_a_verifiable_bundle_and_records_it(case_id, users, tmp_path, capsys):
    before = case_state(case_id)
    out = tmp_path / "case.zip"
    call_command("export_case", before.reference, "--out", str(out), "--user", "aud")
    manifest = tampering.manifest(tampering.members(out))
    assert capsys.readouterr().out.startswith(f"Wrote {out}: {before.reference}, ")
    assert (manifest["exported_by"], manifest["kind"]) == ("aud", "redacted")
    assert tampering.verified(out).count == before.version
    recorded = Event.objects.get(case_id=case_id, version=before.version + 1)
    assert (recorded.type, recorded.actor["username"], recorded.actor["role"]) == (
        "CaseExported",
        "aud",
        "auditor",
    )
    assert recorded.payload == {
        "export_id": manifest["export_id"],
        "kind": "redacted",
        "exported_version": before.version,
        "head_hash": before.head_hash,
        "format": "casefile-export/2",
    }
    call_command("export_case", case_id, "--out", str(tmp_path / "by-id.zip"), "--user", "sam")
    again = tampering.manifest(tampering.members(tmp_path / "by-id.zip"))
    assert again["case"]["version"] == before.version + 1  # the first export is in it
    assert case_state(case_id).version == before.version + 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["CF-1999-000001", "--user", "aud"], "no case with reference or id 'CF-1999-000001'"),
        (["{ref}", "--user", "dora"], "dora (documenter) may not export a case"),
        (["{ref}", "--user", "nobody"], "no user 'nobody'"),
        (
            ["{ref}", "--user", "aud", "--kind", "complete"],
            "aud has no clearance for protected identities",
        ),
        (["{ref}"], "the following arguments are required: --user"),
    ],
)
def test_export_case_refuses_clearly(case_id, users, tmp_path, args, message):
    reference = case_state(case_id).reference
    out = tmp_path / "case.zip"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export_case", *[a.format(ref=reference) for a in args], "--out", str(out))
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*partial")) == []
    assert not Event.objects.filter(case_id=case_id, type="CaseExported").exists()


def test_a_failed_export_leaves_no_file_and_no_record(actors, tmp_path):
    case_id = open_case(actors["documenter"])
    attach_lost_original(actors["documenter"], case_id, b"lost original d")
    with pytest.raises(CommandError, match="is missing from the blob store"):
        call_command("export_case", case_id, "--out", str(tmp_path / "case.zip"), "--user", "aud")
    assert [p.name for p in tmp_path.iterdir() if p.suffix in (".zip", ".partial")] == []
    assert case_state(case_id).version == 2
