"""The sequencer on PostgreSQL, with real concurrent transactions: positions come from a
sequence and commit out of order, yet the log never skips an event, never takes them out
of position order, and never makes a writer wait."""

import threading

import pytest
from django.db import connection, connections, transaction  # noqa: F401 - skipif reads it

from casefiles import commands, transparency
from casefiles.models import Event, LogLeaf
from tests.factories import open_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
]


class HeldOpen(threading.Thread):
    """A writer that appends, then keeps its transaction open until released."""

    def __init__(self, actor, case_id):
        super().__init__()
        self.actor, self.case_id = actor, case_id
        self.appended, self.release = threading.Event(), threading.Event()
        self.error = None

    def run(self):
        try:
            with transaction.atomic():
                commands.note_add(actor=self.actor, case_id=self.case_id, text="slow")
                self.appended.set()
                self.release.wait(30)
        except Exception as exc:  # noqa: BLE001 - the test reads it
            self.error = exc
            self.appended.set()
        finally:
            connections.close_all()


def test_a_later_commit_is_not_logged_before_an_earlier_open_position(actors, settings):
    settings.CASEFILES_SEQUENCER_WAIT = 0.3
    doc = actors["documenter"]
    first, second = open_case(doc), open_case(doc)
    transparency.sequence()
    slow = HeldOpen(doc, first)
    slow.start()
    assert slow.appended.wait(30) and slow.error is None
    # A writer that starts after the slow one, gets a later position and commits first.
    commands.note_add(actor=doc, case_id=second, text="fast")
    fast = Event.objects.filter(case_id=second).order_by("-version").first()
    # The sequencer cannot know the slow writer's position: it integrates nothing.
    assert transparency.sequence() == 0
    assert not LogLeaf.objects.filter(position=fast.position).exists()
    slow.release.set()
    slow.join(30)
    assert slow.error is None
    assert transparency.sequence() == 2
    positions = list(LogLeaf.objects.order_by("index").values_list("position", flat=True))
    assert (
        positions
        == sorted(positions)
        == list(Event.objects.order_by("position").values_list("position", flat=True))
    )
    assert transparency.verify_log().ok


def test_writers_do_not_wait_for_a_sequencer_that_waits(actors, settings):
    """While the sequencer waits for a transaction held open, other commands commit."""
    settings.CASEFILES_SEQUENCER_WAIT = 10
    doc = actors["documenter"]
    first, second = open_case(doc), open_case(doc)
    slow = HeldOpen(doc, first)
    slow.start()
    assert slow.appended.wait(30)
    sequenced = []
    sequencer = threading.Thread(
        target=lambda: (sequenced.append(transparency.sequence()), connections.close_all())
    )
    sequencer.start()
    for n in range(5):  # would block behind an exclusive lock request
        commands.note_add(actor=doc, case_id=second, text=f"meanwhile {n}")
    assert sequencer.is_alive() and not sequenced  # still waiting for the slow writer
    slow.release.set()
    slow.join(30)
    sequencer.join(30)
    assert sequenced and sequenced[0] >= 3
    transparency.sequence()
    assert LogLeaf.objects.count() == Event.objects.count()
    assert transparency.verify_log().ok


def test_many_writers_and_a_busy_sequencer_skip_nothing(actors):
    doc = actors["documenter"]
    cases = [open_case(doc) for _ in range(4)]
    stop = threading.Event()
    errors = []

    def write(case_id):
        try:
            for n in range(15):
                commands.note_add(actor=doc, case_id=case_id, text=f"note {n}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def publish():
        try:
            while not stop.is_set():
                transparency.publish()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    writers = [threading.Thread(target=write, args=(case_id,)) for case_id in cases]
    publisher = threading.Thread(target=publish)
    publisher.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    stop.set()
    publisher.join(60)
    assert not errors, errors
    transparency.publish()
    assert list(LogLeaf.objects.order_by("index").values_list("position", flat=True)) == list(
        Event.objects.order_by("position").values_list("position", flat=True)
    )
    assert transparency.verify_log().ok


def test_writers_of_another_database_are_not_waited_for(actors, settings):
    """pg_locks shows the whole cluster: a writer holding the same advisory lock in another
    database (another deployment on the server) must not hold this log back."""
    import psycopg

    from casefiles.eventstore import WRITERS_LOCK

    settings.CASEFILES_SEQUENCER_WAIT = 0.3
    open_case(actors["documenter"])
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
    ) as other:
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock_shared(%s)", [WRITERS_LOCK])
        assert transparency.sequence() == 1
