"""Real concurrency on PostgreSQL: threads with their own connections and transactions."""

import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection, connections

from casefiles import commands
from casefiles.errors import ConcurrencyError
from casefiles.models import Event
from casefiles.selectors import case_state
from tests.factories import open_case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
]


def run_together(*calls):
    """Start every call at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each got
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_supervisors_approving_at_once_exactly_one_wins(actors):
    doc = actors["documenter"]
    for _ in range(5):
        case_id = open_case(doc)
        request_id = (
            commands.transition_request(
                actor=doc, case_id=case_id, to_state="sourcing", reason="ready"
            )
            .events[0]
            .payload["request_id"]
        )
        results = run_together(
            lambda r=request_id: commands.transition_approve(
                actor=actors["supervisor"], request_id=r, reason="yes"
            ),
            lambda r=request_id: commands.transition_approve(
                actor=actors["supervisor2"], request_id=r, reason="yes too"
            ),
        )
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert isinstance(losses[0], ConcurrencyError)
        assert "already approved by" in str(losses[0])
        versions = list(
            Event.objects.filter(case_id=case_id)
            .order_by("version")
            .values_list("version", flat=True)
        )
        assert versions == [1, 2, 3]  # no fork, no gap
        assert case_state(case_id).state == "sourcing"
    call_command("verify_events")


def test_eight_concurrent_writers_on_one_case_serialise(actors):
    case_id = open_case(actors["documenter"])
    results = run_together(
        *[
            (
                lambda i=i: commands.note_add(
                    actor=actors["documenter"], case_id=case_id, text=f"note {i}"
                )
            )
            for i in range(8)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert case_state(case_id).version == 9
    call_command("verify_events", "--case", case_id)
    call_command("rebuild_projections", "--check")


def test_concurrent_case_openings_get_distinct_references(actors):
    results = run_together(*[(lambda: open_case(actors["documenter"])) for _ in range(6)])
    assert not [r for r in results if isinstance(r, Exception)], results
    references = {case_state(case_id).reference for case_id in results}
    assert len(references) == 6
    assert connection.vendor == "postgresql"


def test_verification_is_not_fooled_by_a_command_committing_mid_check(actors, monkeypatch):
    """The case file's head and its chain are read in one snapshot: a note committed by
    another connection between the two reads must not look like missing events."""
    from casefiles import eventstore, integrity

    case_id = open_case(actors["documenter"])
    real = eventstore.verify_case

    def verify_case_after_a_concurrent_commit(case):
        run_together(
            lambda: commands.note_add(
                actor=actors["documenter"], case_id=case_id, text="written during verification"
            )
        )
        return real(case)

    monkeypatch.setattr(eventstore, "verify_case", verify_case_after_a_concurrent_commit)
    summary = integrity.verify([uuid.UUID(case_id)])
    assert summary.broken is None and summary.events == 1  # the snapshot's view
    monkeypatch.undo()
    assert integrity.verify().events == 2
