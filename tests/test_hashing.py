"""The hash rule is a public contract: a fixed vector pins it."""

import hashlib

import pytest

from casefiles.domain.events import validate_payload
from casefiles.domain.hashing import GENESIS_HASH, NotCanonical, canonical_json, event_hash

EVENT = {
    "case_id": "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
    "version": 1,
    "type": "CaseOpened",
    "schema": 1,
    "payload": {
        "reference": "CF-2026-000001",
        "title": "Order to kill civilians",
        "summary": "«kill everyone we see»",
        "categories": ["wilful_killing"],
        "places": ["Буча"],
        "incident_from": "2022-03-01",
        "incident_to": None,
    },
    "actor": {"id": 7, "username": "olena", "role": "documenter"},
    "occurred_at": "2026-11-23T08:15:00.000000Z",
    "prev_hash": GENESIS_HASH,
}
# Written out by hand: keys sorted, no spaces, UTF-8 with non-ASCII as is.
CANONICAL = (
    '{"actor":{"id":7,"role":"documenter","username":"olena"},'
    '"case_id":"1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",'
    '"occurred_at":"2026-11-23T08:15:00.000000Z",'
    '"payload":{"categories":["wilful_killing"],"incident_from":"2022-03-01",'
    '"incident_to":null,"places":["Буча"],"reference":"CF-2026-000001",'
    '"summary":"«kill everyone we see»","title":"Order to kill civilians"},'
    '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    '"schema":1,"type":"CaseOpened","version":1}'
)
EXPECTED_HASH = "12b0f4691b9c4bb1fc7be4db91a3d6f3a67f14e27dd190cac19758075598f981"


def test_canonical_json_is_exactly_the_documented_form():
    assert canonical_json(EVENT) == CANONICAL


def test_fixed_vector():
    assert hashlib.sha256(CANONICAL.encode("utf-8")).hexdigest() == EXPECTED_HASH
    assert event_hash(EVENT) == EXPECTED_HASH


def test_hash_ignores_the_hash_field_and_nothing_else():
    assert event_hash({**EVENT, "hash": "anything"}) == EXPECTED_HASH
    assert event_hash({**EVENT, "position": 99}) == EXPECTED_HASH  # not a hashed field
    assert event_hash({**EVENT, "version": 2}) != EXPECTED_HASH
    assert event_hash({**EVENT, "actor": {**EVENT["actor"], "role": "supervisor"}}) != (
        EXPECTED_HASH
    )


def test_missing_field_is_refused():
    broken = dict(EVENT)
    del broken["prev_hash"]
    with pytest.raises(NotCanonical, match="prev_hash"):
        event_hash(broken)


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"note_id": "n", "text": 1.5}, r"payload.text is a float"),
        ({"note_id": "n", "text": ["a", {"b": 0.1}]}, r"payload.text\[1\].b is a float"),
        ({"note_id": "n"}, "missing text"),
        ({"note_id": "n", "text": b"bytes"}, "type bytes"),
    ],
)
def test_payload_validation(payload, message):
    with pytest.raises(NotCanonical, match=message):
        validate_payload("NoteAdded", payload)


def test_unknown_type_is_refused():
    with pytest.raises(NotCanonical, match="unknown event type"):
        validate_payload("CaseDeleted", {})
