"""The write path's plain SQL (casefiles/statements.py) stores and reads exactly what
the ORM would, on SQLite and on PostgreSQL (the suite runs on both)."""

import uuid
from datetime import date

import pytest

from casefiles import projections, statements
from casefiles.errors import NotFound
from casefiles.models import CaseFile, CaseNote, Event, ReadModelWriteError, projecting
from casefiles.selectors import case_head
from tests.factories import open_case

pytestmark = pytest.mark.django_db


def test_insert_stores_what_the_orm_reads_back_and_sets_the_keys():
    rows = [
        Event(
            case_id=uuid.uuid4(),
            version=1,
            type="NoteAdded",
            schema=1,
            payload={"note_id": str(uuid.uuid4()), "text": "«Вбивайте всіх» — 'quoted'"},
            actor={"id": 7, "username": "dora", "role": "documenter"},
            occurred_at="2026-11-23T10:00:00.000001Z",
            prev_hash="0" * 64,
            hash="a" * 64,
        ),
        Event(
            case_id=uuid.uuid4(),
            version=1,
            type="NoteAdded",
            schema=1,
            payload={"nested": {"list": [1, None, True]}},
            actor={"id": None},
            occurred_at="2026-11-23T10:00:00.000002Z",
            prev_hash="0" * 64,
            hash="b" * 64,
        ),
    ]
    statements.insert(rows)
    assert all(row.pk is not None for row in rows)
    for row in rows:
        stored = Event.objects.get(pk=row.pk)
        assert stored.as_record() == row.as_record()
        assert stored.case_id == row.case_id


def test_select_one_converts_like_the_orm_and_update_changes_only_the_key(actors):
    case_id = open_case(actors["documenter"], incident_from="2022-03-01")
    other_id = open_case(actors["documenter"], title="Looting in Irpin")
    columns = ("id", "reference", "categories", "incident_from", "merged_into", "version")
    expected = CaseFile.objects.values_list(*columns).get(pk=case_id)
    assert statements.select_one(CaseFile, columns, {"pk": case_id}) == expected
    assert statements.select_one(CaseFile, columns, {"pk": case_id}, lock=True) == expected
    assert isinstance(expected[0], uuid.UUID) and expected[3] == date(2022, 3, 1)
    assert statements.select_one(CaseFile, columns, {"pk": uuid.uuid4()}) is None

    with projecting():
        changed = statements.update(
            CaseFile, {"pk": case_id}, {"summary": "Changed", "places": ["Bucha", "Irpin"]}
        )
    assert changed == 1
    assert CaseFile.objects.values_list("summary", "places").get(pk=case_id) == (
        "Changed",
        ["Bucha", "Irpin"],
    )
    assert CaseFile.objects.get(pk=other_id).summary != "Changed"


def test_case_head_of_a_malformed_or_unknown_id_is_not_found():
    for bad in ("not-a-uuid", str(uuid.uuid4()), None):
        with pytest.raises(NotFound):
            case_head(bad, lock=True)


def test_the_live_projection_store_still_refuses_writes_outside_a_projection(actors):
    case_id = open_case(actors["documenter"])
    with pytest.raises(ReadModelWriteError):
        projections.LIVE.create(
            CaseNote,
            note_id=uuid.uuid4(),
            case_id=case_id,
            text="x",
            author="dora",
            added_at="2026-11-23T10:00:00Z",
            added_version=9,
        )
    with pytest.raises(ReadModelWriteError):
        projections.LIVE.update(CaseFile, {"pk": case_id}, summary="sneaked in")
    assert not CaseNote.objects.filter(case_id=case_id, added_version=9).exists()
