import uuid
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from casefiles import commands, eventstore
from casefiles.domain.hashing import GENESIS_HASH, event_hash
from casefiles.errors import (
    ConcurrencyError,
    IdempotencyKeyReused,
    InvalidCommand,
    StaleVersion,
)
from casefiles.eventstore import NewEvent
from casefiles.models import Event
from tests.factories import open_case

ACTOR = {"id": 1, "username": "dora", "role": "documenter"}


def note(text="n"):
    return NewEvent("NoteAdded", {"note_id": str(uuid.uuid4()), "text": text})


@pytest.mark.django_db
def test_append_chains_versions_and_hashes():
    case_id = str(uuid.uuid4())
    with transaction.atomic():
        first, _ = eventstore.append(case_id, expected_version=0, actor=ACTOR, events=[note("a")])
        second, _ = eventstore.append(
            case_id, expected_version=1, actor=ACTOR, events=[note("b"), note("c")]
        )
    events = list(Event.objects.filter(case_id=case_id).order_by("version"))
    assert [e.version for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    for event in events:
        assert event.hash == event_hash(event.as_record())
    assert first[0].position < second[0].position < second[1].position


@pytest.mark.django_db
def test_stale_expected_version_writes_nothing():
    case_id = str(uuid.uuid4())
    with transaction.atomic():
        eventstore.append(case_id, expected_version=0, actor=ACTOR, events=[note()])
    with pytest.raises(StaleVersion, match="you had version 0, it is now at version 1"):
        with transaction.atomic():
            eventstore.append(case_id, expected_version=0, actor=ACTOR, events=[note()])
    assert Event.objects.filter(case_id=case_id).count() == 1


@pytest.mark.django_db
def test_idempotent_append_returns_the_first_result():
    case_id = str(uuid.uuid4())
    with transaction.atomic():
        first, replayed = eventstore.append(
            case_id,
            expected_version=0,
            actor=ACTOR,
            events=[note("x")],
            idempotency_key="k1",
            request_fingerprint="f",
        )
    assert not replayed
    with transaction.atomic():
        again, replayed = eventstore.append(
            case_id,
            expected_version=0,
            actor=ACTOR,
            events=[note("x")],
            idempotency_key="k1",
            request_fingerprint="f",
        )
    assert replayed and [e.hash for e in again] == [e.hash for e in first]
    assert Event.objects.filter(case_id=case_id).count() == 1
    with pytest.raises(IdempotencyKeyReused):
        with transaction.atomic():
            eventstore.append(
                case_id,
                expected_version=1,
                actor=ACTOR,
                events=[note("y")],
                idempotency_key="k1",
                request_fingerprint="other",
            )


@pytest.mark.django_db
def test_idempotent_command_retry_after_the_case_moved_on(actors):
    case_id = open_case(actors["documenter"])
    first = commands.note_add(
        actor=actors["documenter"], case_id=case_id, text="seen", idempotency_key="note-1"
    )
    commands.note_add(actor=actors["documenter2"], case_id=case_id, text="other")
    retry = commands.note_add(
        actor=actors["documenter"], case_id=case_id, text="seen", idempotency_key="note-1"
    )
    assert retry.replayed and retry.events[0].hash == first.events[0].hash
    assert Event.objects.filter(case_id=case_id, type="NoteAdded").count() == 2


@pytest.mark.django_db
def test_float_and_nul_payloads_are_refused():
    with pytest.raises(InvalidCommand, match="float"):
        with transaction.atomic():
            eventstore.append(
                uuid.uuid4(),
                expected_version=0,
                actor=ACTOR,
                events=[NewEvent("NoteAdded", {"note_id": "n", "text": 0.5})],
            )
    with pytest.raises(InvalidCommand, match="NUL"):
        with transaction.atomic():
            eventstore.append(
                uuid.uuid4(), expected_version=0, actor=ACTOR, events=[note("a\x00b")]
            )
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_by_raw_sql(actors):
    case_id = open_case(actors["documenter"])
    for sql in (
        "UPDATE casefiles_event SET type = 'Forged'",
        "DELETE FROM casefiles_event",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert Event.objects.get(case_id=case_id).type == "CaseOpened"


def tamper(sql: str, params=()):
    """Bypass the append-only trigger deliberately (only tests do this): the test's
    transaction is rolled back afterwards, which restores the trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE casefiles_event DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE casefiles_event ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS casefiles_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS casefiles_event_no_delete")
            cursor.execute(sql, params)


def verify(*args):
    call_command("verify_events", *args)


@pytest.fixture
def worked_case(actors):
    case_id = open_case(actors["documenter"])
    for text in ("one", "two", "three"):
        commands.note_add(actor=actors["documenter"], case_id=case_id, text=text)
    return case_id


@pytest.mark.django_db
def test_verify_events_passes_on_an_intact_store(worked_case, capsys):
    verify()
    assert capsys.readouterr().out.strip() == "OK 1 case(s), 4 event(s): every chain intact"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql, reason",
    [
        ("UPDATE casefiles_event SET payload = %s WHERE version = 2", "version 2: changed content"),
        ("UPDATE casefiles_event SET prev_hash = %s WHERE version = 3", "version 3: broken link"),
        ("DELETE FROM casefiles_event WHERE version = 2", "version 2: gap: version 2 is missing"),
        ("UPDATE casefiles_event SET version = 100 + version WHERE version IN (2, 3)", "gap"),
        ("DELETE FROM casefiles_event WHERE version = 4", "events missing at the end"),
    ],
)
def test_verify_events_names_the_first_break(worked_case, sql, reason):
    params = ()
    if "%s" in sql:
        params = ['{"note_id": "x", "text": "forged"}'] if "payload" in sql else ["f" * 64]
    tamper(sql, params)
    with pytest.raises(CommandError, match=reason):
        verify()
    with pytest.raises(CommandError, match=reason):
        verify("--case", str(worked_case))


@pytest.mark.django_db
def test_verify_events_detects_reordering(worked_case):
    # Swap the stored content of versions 2 and 3: each row still hashes correctly on
    # its own, but version 3 now sits before version 2 in the log.
    rows = {e.version: e for e in Event.objects.filter(case_id=worked_case, version__in=(2, 3))}
    for version, other in ((2, 3), (3, 2)):
        source = rows[other]
        tamper(
            "UPDATE casefiles_event SET version = %s, payload = %s, prev_hash = %s, hash = %s,"
            " occurred_at = %s WHERE position = %s",
            [
                source.version + 1000,
                _json(source.payload),
                source.prev_hash,
                source.hash,
                source.occurred_at,
                rows[version].position,
            ],
        )
    tamper("UPDATE casefiles_event SET version = version - 1000 WHERE version > 1000")
    with pytest.raises(CommandError, match="version 2: reordering: version 2 is stored after"):
        verify()


def _json(value):
    import json

    return json.dumps(value)


@pytest.mark.django_db
def test_concurrent_append_loses_cleanly_through_the_unique_constraint():
    """Two writers that both read version 1: the database's unique (case, version)
    decides; the loser gets a ConcurrencyError and the chain has no fork."""
    case_id = str(uuid.uuid4())
    with transaction.atomic():
        eventstore.append(case_id, expected_version=0, actor=ACTOR, events=[note()])
    # Simulate the race deterministically: write version 2 behind append's back
    # between its head read and its insert.
    read_head = eventstore.head

    def racing_head(stream_id):
        version, head_hash = read_head(stream_id)
        competitor = eventstore.NewEvent(
            "NoteAdded", {"note_id": str(uuid.uuid4()), "text": "competitor"}
        )
        Event.objects.create(
            case_id=stream_id,
            version=version + 1,
            type=competitor.type,
            schema=1,
            payload=competitor.payload,
            actor=ACTOR,
            occurred_at=eventstore.now(),
            prev_hash=head_hash,
            hash="e" * 64,
        )
        return version, head_hash

    with mock.patch.object(eventstore, "head", racing_head):
        with pytest.raises(ConcurrencyError):
            with transaction.atomic():
                eventstore.append(case_id, expected_version=1, actor=ACTOR, events=[note()])
    assert Event.objects.filter(case_id=case_id).count() == 1


@pytest.mark.django_db
def test_case_open_retry_with_the_same_key_returns_the_first_case(actors):
    first = commands.case_open(
        actor=actors["documenter"], title="Looting in Bucha", idempotency_key="open-1"
    )
    again = commands.case_open(
        actor=actors["documenter"], title="Looting in Bucha", idempotency_key="open-1"
    )
    assert again.replayed and again.case_id == first.case_id
    assert Event.objects.filter(type="CaseOpened").count() == 1
