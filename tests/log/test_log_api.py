"""The transparency log over HTTP: signed tree heads, proofs that verify with tlog
against them, cosignatures (and forged ones refused), every 4xx, on both databases."""

import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from casefiles import commands, tlog, transparency
from casefiles.models import Cosignature, Event
from tests.factories import histories

pytestmark = pytest.mark.django_db
WITNESS = "witness.test/w1"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def member(users):
    """Inclusion proofs name a case: they need a role, unlike the rest of the log."""
    client = APIClient()
    client.force_authenticate(users["auditor"])
    return client


@pytest.fixture
def witness_key(settings):
    key = Ed25519PrivateKey.generate()
    settings.CASEFILES_WITNESSES = [tlog.verifier_for(key, WITNESS, tlog.COSIGNATURE_V1).vkey]
    return key


def history(actors, cases=2, notes=3):
    return histories(actors["documenter"], cases, notes)


def problem(response, status):
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == status and body["detail"]
    return body


def opened(text):
    return tlog.open_checkpoint(text, transparency.log_verifier())


def cosignature(key, head, timestamp=1_750_000_000, name=WITNESS):
    return tlog.cosign(tlog.parse_note(head.note).text, key, name, timestamp).line()


# --- Tree heads -----------------------------------------------------------------------


def test_no_tree_head_yet_is_404(anon):
    body = problem(anon.get("/api/log/checkpoint"), 404)
    assert body["detail"] == "the log has published no tree head yet"
    problem(anon.get("/api/log/tree-heads/0"), 404)


def test_checkpoint_is_the_latest_signed_tree_head_as_text(anon, actors):
    ids = history(actors)
    first = transparency.publish()
    commands.note_add(actor=actors["documenter"], case_id=ids[0], text="later")
    latest = transparency.publish()
    response = anon.get("/api/log/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == latest.note
    checkpoint, _ = opened(response.content)
    assert (checkpoint.origin, checkpoint.size) == ("casefiles.test/log", latest.size)
    # Whatever the client accepts: the format is fixed.
    assert (
        anon.get("/api/log/checkpoint", HTTP_ACCEPT="application/json").content == response.content
    )
    # Every published size stays available; others are 404.
    for head in (first, latest):
        older = anon.get(f"/api/log/tree-heads/{head.size}")
        assert older.status_code == 200 and older.content.decode() == head.note
    problem(anon.get(f"/api/log/tree-heads/{latest.size + 1}"), 404)
    problem(anon.get("/api/log/tree-heads/99999999999999999999999"), 404)
    problem(anon.get("/api/log/tree-heads/-1"), 404)
    problem(anon.get("/api/log/tree-heads/x"), 404)


def test_inclusion_proofs_need_a_role(anon, actors):
    [case_id] = history(actors, cases=1, notes=0)
    transparency.publish()
    query = f"/api/log/inclusion?case={case_id}&version=1&size=1"
    assert anon.get(query).status_code == 401
    from tests.conftest import make_user

    anon.force_authenticate(make_user("norole"))
    assert anon.get(query).status_code == 403


def test_the_log_endpoints_are_public_and_ignore_credentials(anon, actors):
    history(actors, cases=1, notes=0)
    transparency.publish()
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert anon.get("/api/log/checkpoint").status_code == 200
    assert anon.get("/api/log/proof?from=0&to=1").status_code == 200


def test_the_log_endpoints_are_throttled_like_other_anonymous_requests(anon, actors, monkeypatch):
    history(actors, cases=1, notes=0)
    transparency.publish()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    statuses = [anon.get("/api/log/checkpoint").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    throttled = anon.get("/api/log/proof?from=0&to=1")
    problem(throttled, 429)
    assert int(throttled["Retry-After"]) > 0


# --- Consistency proofs ---------------------------------------------------------------


def test_consistency_proofs_verify_against_the_signed_tree_heads(anon, actors):
    ids = history(actors, cases=3, notes=2)
    heads = [transparency.publish()]
    for i in range(6):
        commands.note_add(actor=actors["documenter"], case_id=ids[i % 3], text=f"more {i}")
        if i % 2:
            heads.append(transparency.publish())
    roots = {head.size: opened(head.note)[0].root for head in heads}
    for old in [0, *roots]:
        for new in roots:
            if old > new:
                continue
            response = anon.get(f"/api/log/proof?from={old}&to={new}")
            assert response.status_code == 200, response.content
            body = response.json()
            assert (body["origin"], body["from"], body["to"]) == ("casefiles.test/log", old, new)
            proof = tlog.hashes_from_b64(body["proof"], "proof")
            assert len(proof) <= 2 * new.bit_length()
            tlog.verify_consistency(old, new, roots.get(old, tlog.EMPTY_ROOT), roots[new], proof)
    # A proof to a size the log has but never signed is served too (a client can check
    # it only against a tree head it holds).
    assert anon.get(f"/api/log/proof?from=1&to={heads[-1].size}").status_code == 200


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("", "from", "required"),
        ("from=1", "to", "required"),
        ("to=2", "from", "required"),
        ("from=a&to=2", "from", "'a' is not a tree size"),
        ("from=-1&to=2", "from", "'-1' is not a tree size"),
        ("from=1.5&to=2", "from", "'1.5' is not a tree size"),
        ("from=1&to=%202", "to", "' 2' is not a tree size"),
        ("from=1&to=", "to", "'' is not a tree size"),
        ("from=1&to=99999999999999999999", "to", "is not a tree size"),
        ("from=1&to=9223372036854775808", "to", "is not a tree size"),
        ("from=3&to=2", "from", "from (3) is larger than to (2): a log only grows"),
        ("from=1&to=8", "to", "the log has 7 leaves; there is no tree of size 8"),
        ("from=1&to=2&size=3", "size", "unknown query parameter; allowed: from, to"),
        ("from=1&to=2&to=3", "to", "given more than once"),
    ],
)
def test_bad_proof_queries_are_422_with_the_reason(anon, actors, query, field, message):
    history(actors, cases=1, notes=6)
    transparency.publish()
    body = problem(anon.get(f"/api/log/proof?{query}"), 422)
    assert body["type"] == "urn:casefiles:problem:invalid-request"
    assert message in body["errors"][field][0], body


# --- Inclusion proofs -----------------------------------------------------------------


def test_inclusion_proofs_verify_against_the_signed_tree_head(member, actors):
    ids = history(actors, cases=2, notes=3)
    head = transparency.publish()
    root = opened(head.note)[0].root
    seen = set()
    for case_id in ids:
        for event in Event.objects.filter(case_id=case_id):
            response = member.get(
                f"/api/log/inclusion?case={case_id}&version={event.version}&size={head.size}"
            )
            assert response.status_code == 200, response.content
            body = response.json()
            assert body["tree_size"] == head.size and body["event_hash"] == event.hash
            tlog.verify_inclusion(
                tlog.event_leaf(event.hash),
                body["leaf_index"],
                head.size,
                tlog.hashes_from_b64(body["proof"], "proof"),
                root,
            )
            seen.add(body["leaf_index"])
    assert seen == set(range(head.size))


def test_an_event_not_in_the_tree_is_404(member, actors):
    ids = history(actors, cases=1, notes=1)
    head = transparency.publish()
    commands.note_add(actor=actors["documenter"], case_id=ids[0], text="not logged yet")
    later = f"/api/log/inclusion?case={ids[0]}&version=3"
    body = problem(member.get(f"{later}&size={head.size}"), 404)
    assert "is not in the log's tree of size 2" in body["detail"]
    transparency.publish()  # now logged, but not in the older tree
    problem(member.get(f"{later}&size={head.size}"), 404)
    assert member.get(f"{later}&size=3").status_code == 200
    problem(member.get(f"/api/log/inclusion?case={uuid.uuid4()}&version=1&size=3"), 404)
    problem(member.get(f"/api/log/inclusion?case={ids[0]}&version=9&size=3"), 404)
    problem(member.get(f"/api/log/inclusion?case={ids[0]}&version=1&size=0"), 404)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("version=1&size=1", "case", "required"),
        ("case={case}&size=1", "version", "required"),
        ("case={case}&version=1", "size", "required"),
        ("case=CF-2026-000001&version=1&size=1", "case", "is not a case id"),
        ("case={case}&version=0&size=1", "version", "'0' is not an event version"),
        ("case={case}&version=x&size=1", "version", "is not an event version"),
        ("case={case}&version=2147483648&size=1", "version", "is not an event version"),
        ("case={case}&version=1&size=-2", "size", "is not a tree size"),
        (
            "case={case}&version=1&size=3",
            "size",
            "the log has 2 leaves; there is no tree of size 3",
        ),
        ("case={case}&version=1&size=1&from=0", "from", "unknown query parameter"),
        ("case={case}&case={case}&version=1&size=1", "case", "given more than once"),
    ],
)
def test_bad_inclusion_queries_are_422_with_the_reason(member, actors, query, field, message):
    ids = history(actors, cases=1, notes=1)
    transparency.publish()
    body = problem(member.get("/api/log/inclusion?" + query.format(case=ids[0])), 422)
    assert message in body["errors"][field][0], body


# --- Cosignatures ---------------------------------------------------------------------


def test_a_witness_cosignature_is_stored_once_and_served_with_the_tree_head(
    anon, actors, witness_key, settings
):
    history(actors)
    head = transparency.publish()
    line = cosignature(witness_key, head)
    created = anon.post(
        "/api/log/cosignatures", {"size": head.size, "cosignature": line}, format="json"
    )
    assert created.status_code == 201, created.content
    witness = tlog.parse_vkey(settings.CASEFILES_WITNESSES[0])
    assert created.json() == {
        "size": head.size,
        "witness": witness.vkey,
        "cosignature": line,
        "timestamp": 1_750_000_000,
    }
    # The same again, or a later cosignature of the same head: the first one is kept.
    for again in (line.rstrip("\n"), cosignature(witness_key, head, timestamp=1_760_000_000)):
        repeated = anon.post(
            "/api/log/cosignatures", {"size": head.size, "cosignature": again}, format="json"
        )
        assert repeated.status_code == 200 and repeated.json()["cosignature"] == line
    assert Cosignature.objects.count() == 1
    for path in ("/api/log/checkpoint", f"/api/log/tree-heads/{head.size}"):
        text = anon.get(path).content.decode()
        assert text == head.note + line
        checkpoint, note = opened(text)
        assert tlog.cosigned_by(note, [witness]) == {witness.vkey: 1_750_000_000}
    kept = list(settings.CASEFILES_CHECKPOINT_DIR.glob("*.cosignature"))
    assert [path.read_text() for path in kept] == [line]


def test_forged_cosignatures_are_refused(anon, actors, witness_key, settings):
    history(actors)
    first = transparency.publish()
    commands.note_add(
        actor=actors["documenter"], case_id=Event.objects.first().case_id, text="later"
    )
    head = transparency.publish()

    def post(line, size=head.size):
        return anon.post(
            "/api/log/cosignatures", {"size": size, "cosignature": line}, format="json"
        )

    # Signed by a key the log does not know, under any name: 403.
    stranger = Ed25519PrivateKey.generate()
    for name in (WITNESS, "stranger.test/w"):
        body = problem(post(cosignature(stranger, head, name=name)), 403)
        assert "is not a witness this log knows" in body["detail"]
    # The configured witness's name and key id, but not its signature: 422.
    line = cosignature(witness_key, head)
    name, encoded = line[2:].split()
    material = bytearray(tlog.unb64(encoded, "line"))
    material[-1] ^= 1
    body = problem(post(f"— {name} {tlog.b64(bytes(material))}"), 422)
    assert "does not match the checkpoint" in body["detail"]
    # A genuine cosignature, but of another tree head: 422.
    body = problem(post(cosignature(witness_key, first)), 422)
    assert "does not match the checkpoint" in body["detail"]
    # The log's own signature line is not a cosignature (wrong key type, unknown witness).
    problem(post(tlog.parse_note(head.note).signatures[0].line()), 403)
    # Lines that do not parse.
    for bad in (
        "",
        "not a signature",
        f"— {WITNESS} !!!",
        f"— {WITNESS} AAAA",
        f"{line}{line}",
        f"— {WITNESS}\x07 {encoded}",
    ):
        problem(post(bad), 422)
    # A signature that was valid in the body of another request is still checked.
    assert post(line).status_code == 201
    problem(post(f"— {name} {tlog.b64(bytes(material))}"), 422)
    assert Cosignature.objects.count() == 1
    assert anon.get("/api/log/checkpoint").content.decode() == head.note + line


def test_bad_cosignature_requests(anon, actors, witness_key):
    history(actors, cases=1, notes=0)
    head = transparency.publish()
    line = cosignature(witness_key, head)

    def post(data, **kwargs):
        return anon.post("/api/log/cosignatures", data, **kwargs)

    problem(post({"size": head.size + 1, "cosignature": line}, format="json"), 404)
    for body, field in [
        ({"cosignature": line}, "size"),
        ({"size": 1}, "cosignature"),
        ({"size": "one", "cosignature": line}, "size"),
        ({"size": -1, "cosignature": line}, "size"),
        ({"size": 1 << 63, "cosignature": line}, "size"),
        ({"size": 1, "cosignature": ["x"]}, "cosignature"),
        ({"size": 1, "cosignature": "x" * 1001}, "cosignature"),
        ({"size": 1, "cosignature": line, "note": "x"}, "note"),
    ]:
        assert field in problem(post(body, format="json"), 422)["errors"], body
    problem(post(["not", "an", "object"], format="json"), 422)
    problem(post("{", content_type="application/json"), 400)
    problem(post({"size": 1, "cosignature": line}), 415)  # multipart
    problem(post({"size": 1, "cosignature": line, "pad": "x" * 5000}, format="json"), 413)
    problem(anon.get("/api/log/cosignatures"), 405)
    assert not Cosignature.objects.exists()
