"""What an operator with the database's owner (or superuser) rights can do: switch the
append-only triggers off, rewrite rows, recompute every hash. Used by the attack tests;
each step is plain SQL, as such an operator would type it."""

from contextlib import contextmanager

from django.db import connection

from casefiles import transparency
from casefiles.domain.hashing import GENESIS_HASH, HASHED_FIELDS, event_hash
from casefiles.models import Event

GUARDED = [
    "casefiles_event",
    "casefiles_logleaf",
    "casefiles_lognode",
    "casefiles_treehead",
    "casefiles_cosignature",
    "casefiles_checkpoint",
]


@contextmanager
def triggers_off():
    """PostgreSQL: the table owner's ALTER TABLE … DISABLE TRIGGER USER. SQLite: drop the
    triggers and put them back afterwards."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in GUARDED:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            try:
                yield cursor
            finally:
                for table in GUARDED:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
            f"tbl_name IN ({', '.join(['%s'] * len(GUARDED))})",
            GUARDED,
        )
        saved = cursor.fetchall()
        for name, _ in saved:
            cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            yield cursor
        finally:
            for _, sql in saved:
                cursor.execute(sql)


def _prep(name, value):
    return Event._meta.get_field(name).get_db_prep_save(value, connection)


def rewrite(case_id, version, change):
    """Change one event's payload and recompute its hash and every later hash of the
    case, so that the chain is intact again (what `verify_events` checks)."""
    events = list(Event.objects.filter(case_id=case_id).order_by("version"))
    prev = GENESIS_HASH
    with triggers_off() as cursor:
        for event in events:
            record = event.as_record()
            if event.version == version:
                change(record["payload"])
            if event.version >= version:
                record["prev_hash"] = prev
                record["hash"] = event_hash({name: record[name] for name in HASHED_FIELDS})
                cursor.execute(
                    "UPDATE casefiles_event SET payload = %s, prev_hash = %s, hash = %s "
                    "WHERE position = %s",
                    [
                        _prep("payload", record["payload"]),
                        record["prev_hash"],
                        record["hash"],
                        event.position,
                    ],
                )
            prev = record["hash"]
        # And the per-case checkpoints the integrity check keeps in the same database.
        cursor.execute(
            "UPDATE casefiles_checkpoint SET head_hash = %s WHERE case_id = %s",
            [prev, _prep("case_id", case_id)],
        )


def relog():
    """Throw the log's tables away and integrate the (rewritten) events again, so that
    leaves, nodes and the cached tree head agree with them."""
    with triggers_off() as cursor:
        for table in (
            "casefiles_logleaf",
            "casefiles_lognode",
            "casefiles_treehead",
            "casefiles_cosignature",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    transparency.sequence()


def delete_events(where, params):
    with triggers_off() as cursor:
        cursor.execute(f"DELETE FROM casefiles_event WHERE {where}", params)  # noqa: S608
        return cursor.rowcount
