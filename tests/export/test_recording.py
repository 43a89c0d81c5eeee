"""Every export is recorded on the case as a CaseExported event: the bundle covers
versions 1..N and the event, at N+1, names N and the bundle's head hash."""

import io
import uuid

import pytest

from casefiles.commands.exports import case_export_record, export_recorded
from casefiles.domain.actors import Actor
from casefiles.errors import InvalidCommand, PermissionDenied
from casefiles.models import Event
from casefiles.selectors import case_state
from tests.export import tampering

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who, role", [("auditor", "auditor"), ("supervisor", "supervisor")])
def test_the_export_is_recorded_with_the_bundles_version_and_hash(
    case_id, actors, tmp_path, who, role
):
    before = case_state(case_id)
    path = tmp_path / "b.zip"
    with open(path, "wb") as out:
        manifest = export_recorded(actors[who], case_id, out=out)
    after = case_state(case_id)
    assert after.version == before.version + 1
    event = Event.objects.get(case_id=case_id, version=after.version)
    assert event.type == "CaseExported"
    assert event.actor == {
        "id": actors[who].user_id,
        "username": actors[who].username,
        "role": role,
    }
    assert event.payload == {
        "export_id": manifest["export_id"],
        "kind": "redacted",
        "exported_version": before.version,
        "head_hash": before.head_hash,
        "format": "casefile-export/2",
    }
    result = tampering.verified(path)
    assert (result.count, result.head_hash) == (before.version, before.head_hash)
    assert after.state == before.state  # reading changes nothing else


def test_the_next_bundle_holds_the_earlier_export_in_its_history(case_id, actors, tmp_path):
    with open(tmp_path / "first.zip", "wb") as out:
        first = export_recorded(actors["auditor"], case_id, out=out)
    with open(tmp_path / "second.zip", "wb") as out:
        second = export_recorded(actors["supervisor"], case_id, out=out)
    files = tampering.members(tmp_path / "second.zip")
    last = tampering.event_lines(files)[-1].decode()
    assert '"type":"CaseExported"' in last and first["export_id"] in last
    assert second["case"]["version"] == first["case"]["version"] + 1
    assert (
        f"Exported the history up to version {first['case']['version']}"
        in files["report.html"].decode()
    )
    assert tampering.verified(tmp_path / "second.zip").count == second["case"]["version"]


@pytest.mark.parametrize("who", ["documenter", "legal"])
def test_others_may_not_export_and_nothing_is_recorded(case_id, actors, who):
    version = case_state(case_id).version
    with pytest.raises(
        PermissionDenied, match="may not export a case: needs the role auditor or supervisor"
    ):
        export_recorded(actors[who], case_id, out=io.BytesIO())
    head = case_state(case_id)
    with pytest.raises(PermissionDenied):
        case_export_record(
            actor=actors[who],
            case_id=case_id,
            export_id=uuid.uuid4(),
            kind="redacted",
            exported_version=head.version,
            head_hash=head.head_hash,
        )
    assert case_state(case_id).version == version


def _record(actor: Actor, case_id, **changes):
    head = case_state(case_id)
    arguments = {
        "export_id": str(uuid.uuid4()),
        "kind": "redacted",
        "exported_version": head.version,
        "head_hash": head.head_hash,
        **changes,
    }
    return case_export_record(actor=actor, case_id=case_id, **arguments)


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"head_hash": "0" * 64}, InvalidCommand, "is not the hash of version"),
        ({"exported_version": 0}, InvalidCommand, "exported_version must be a version of"),
        ({"exported_version": 999}, InvalidCommand, "(1 to "),
        ({"kind": "complete"}, PermissionDenied, "aud has no clearance"),
        ({"kind": "partial"}, InvalidCommand, "kind must be one of redacted, complete"),
    ],
)
def test_the_record_must_describe_a_real_bundle(case_id, actors, changes, error, message):
    version = case_state(case_id).version
    with pytest.raises(error, match=message.replace("(", r"\(")):
        _record(actors["auditor"], case_id, **changes)
    assert case_state(case_id).version == version


def test_an_earlier_version_may_be_recorded_and_recording_is_idempotent(case_id, actors):
    head = case_state(case_id)
    earlier = Event.objects.get(case_id=case_id, version=3)
    export_id = str(uuid.uuid4())
    first = _record(
        actors["auditor"], case_id, export_id=export_id, exported_version=3, head_hash=earlier.hash
    )
    again = _record(
        actors["auditor"], case_id, export_id=export_id, exported_version=3, head_hash=earlier.hash
    )
    assert again.replayed and again.events[0].pk == first.events[0].pk
    assert case_state(case_id).version == head.version + 1
