"""Cited spans travel in the bundle with the stored texts they count in, and the
independent verifier finds each at its offsets (docs/export.md, "Cited spans")."""

import hashlib
import json
from pathlib import Path

import pytest

from casefiles import blobs
from casefiles.domain.hashing import canonical_json, event_hash
from casefiles.export.bundle import export_case
from casefiles.models import CaseFile, Source
from casefiles.selectors import case_state
from casefiles.verify_export import Failed
from tests.api.conftest import api  # noqa: F401 (the fixture)
from tests.api.test_evaluation import post, version_of
from tests.export import tampering
from tests.factories import ingest_seed

pytestmark = pytest.mark.django_db

EXECUTED = "showed the Ukrainian prisoners executed near the village of Novoivanovka"
PILOT = "A pilot who witnessed the killing on the feed and provided the video"


@pytest.fixture
def novoivanovka(api) -> str:  # noqa: F811 (the imported fixture)
    """Seed 003's candidate case for the Novoivanovka execution (2 victims), with a fact
    that cites a span of the NYT article whose origin chain quotes the same text."""
    source = ingest_seed("003")
    case = next(
        c
        for c in CaseFile.objects.filter(extraction_category="killing_hors_de_combat")
        if c.extraction["source_id"] == str(source.pk)
    )
    base = f"/api/cases/{case.pk}"
    client = api["documenter"]
    fact = post(
        client,
        f"{base}/facts/",
        {"text": "Two surrendered Ukrainian soldiers were executed near Novoivanovka"},
        version_of(case.pk),
    )
    assert fact.status_code == 201, fact.content
    fact_id = fact.json()["events"][0]["payload"]["fact_id"]
    source_id = str(case.extraction["source_id"])
    cited = post(
        client,
        f"{base}/facts/{fact_id}/support/",
        {
            "source_id": source_id,
            "quote": EXECUTED,
            "chain": [
                {"role": "captured", "organisation": "Ukrainian drone unit", "quote": PILOT},
                {"role": "verified", "organisation": "The New York Times"},
            ],
        },
        version_of(case.pk),
    )
    assert cited.status_code == 201, cited.content
    return str(case.pk)


@pytest.fixture
def bundle(novoivanovka, tmp_path) -> Path:
    path = tmp_path / "bundle.zip"
    with path.open("wb") as out:
        export_case(novoivanovka, exported_by="aud", out=out)
    return path


def test_the_bundle_carries_the_stored_text_and_the_verifier_finds_every_span(bundle):
    files = tampering.members(bundle)
    stored = Source.objects.get(content_sha256=ingest_seed("003").content_sha256)
    text = files[f"texts/{stored.text_sha256}.txt"]
    assert text == blobs.read(stored.text_sha256)
    (line,) = [json.loads(x) for x in tampering.event_lines(files) if b'"FactSupported"' in x]
    payload = line["payload"]
    assert text.decode()[payload["start"] : payload["end"]] == EXECUTED
    result = tampering.verified(bundle)
    assert (result.spans, result.texts, result.texts_derived) == (2, 1, 1)
    assert "2 cited span(s) found at their offsets in 1 stored text(s)" in str(result)


def _rechained(files: dict[str, bytes], change) -> dict[str, bytes]:
    """The forger who holds the key: change the FactSupported event, hash the chain
    again from there, strip the log (casefile-export/1) and sign the manifest again."""
    records = [json.loads(line) for line in tampering.event_lines(files)]
    prev = records[0]["prev_hash"]
    for record in records:
        if record["type"] == "FactSupported":
            change(record["payload"])
        record["prev_hash"] = prev
        record["hash"] = prev = event_hash({k: v for k, v in record.items() if k != "hash"})
    lines = [canonical_json(record).encode() + b"\n" for record in records]
    files = tampering.with_events(files, lines)
    document = tampering.manifest(files)
    events = {**document["events"], "head_hash": prev}
    return tampering.as_v1(tampering.resign(files, {"events": events}))


def _moved(payload: dict) -> None:
    payload["start"] += 1
    payload["end"] += 1


def _other_quote(payload: dict) -> None:
    payload["quote"] = "The UN confirmed the Novoivanovka killings."
    payload["text_sha256"] = hashlib.sha256(payload["quote"].encode()).hexdigest()


def _moved_chain_link(payload: dict) -> None:
    payload["chain"][0]["said"]["start"] += 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_moved, "the cited span is not at"),
        (_other_quote, "the cited span is not at"),
        (_moved_chain_link, "do not match the text_sha256 of link 1 of its origin chain"),
    ],
    ids=["moved span", "invented quote", "moved origin passage"],
)
def test_a_hostile_bundle_whose_span_is_not_in_the_text_fails(bundle, tmp_path, change, message):
    original = tampering.members(bundle)
    forged = tampering.write(tmp_path / "forged.zip", _rechained(original, change))
    # The control: the same forgery without the change verifies (as casefile-export/1).
    honest = tampering.write(tmp_path / "honest.zip", _rechained(original, lambda p: None))
    assert tampering.verified(honest, allow_v1=True).spans == 2
    with pytest.raises(Failed, match=message):
        tampering.verified(forged, allow_v1=True)


def test_a_stored_text_that_is_not_its_plain_text_original_fails(bundle, tmp_path):
    """The forger replaces the stored text (a sentence inserted, so the span is found
    in it) and names it by its new hash: the verifier decodes the UTF-8 original and
    compares."""
    files = tampering.members(bundle)
    (old,) = [name for name in files if name.startswith("texts/")]
    text = files[old].decode()
    forged_text = ("The UN confirmed the Novoivanovka killings. " + text).encode()
    new_sha = hashlib.sha256(forged_text).hexdigest()
    files = {k: v for k, v in files.items() if k != old}
    files[f"texts/{new_sha}.txt"] = forged_text
    document = tampering.manifest(files)
    listed = [
        {"path": f"texts/{new_sha}.txt", "sha256": new_sha, "bytes": len(forged_text)}
        if entry["path"] == old
        else entry
        for entry in document["files"]
    ]
    files = tampering.resign(files, {"files": listed})

    def moved_into_forgery(payload: dict) -> None:
        shift = len("The UN confirmed the Novoivanovka killings. ")
        payload["source_text_sha256"] = new_sha
        payload["start"] += shift
        payload["end"] += shift
        payload["chain"][0]["said"]["start"] += shift
        payload["chain"][0]["said"]["end"] += shift

    forged = tampering.write(tmp_path / "forged.zip", _rechained(files, moved_into_forgery))
    with pytest.raises(Failed, match="is not the text of its plain-text original"):
        tampering.verified(forged, allow_v1=True)


def test_a_text_nobody_cites_or_a_missing_text_fails(bundle, tmp_path):
    files = tampering.members(bundle)
    (name,) = [n for n in files if n.startswith("texts/")]
    document = tampering.manifest(files)
    without = {k: v for k, v in files.items() if k != name}
    listing = [e for e in document["files"] if e["path"] != name]
    forged = tampering.write(
        tmp_path / "missing.zip", tampering.resign(without, {"files": listing})
    )
    with pytest.raises(Failed, match="which a cited span counts in, is missing"):
        tampering.verified(forged)
    extra = b"nobody cites this"
    sha = hashlib.sha256(extra).hexdigest()
    files[f"texts/{sha}.txt"] = extra
    listing = [*document["files"], {"path": f"texts/{sha}.txt", "sha256": sha, "bytes": 17}]
    forged = tampering.write(tmp_path / "extra.zip", tampering.resign(files, {"files": listing}))
    with pytest.raises(Failed, match="is not cited by any span"):
        tampering.verified(forged)


def test_the_report_lists_facts_spans_and_withdrawn_support(novoivanovka, api, tmp_path):  # noqa: F811
    state = case_state(novoivanovka)
    fact = state.facts[0]
    (support,) = fact["support"]
    withdrawn = post(
        api["documenter"],
        f"/api/cases/{novoivanovka}/facts/{fact['fact_id']}/support/"
        f"{support['support_id']}/withdraw/",
        {"reason": "the footage may show another village"},
        version_of(novoivanovka),
    )
    assert withdrawn.status_code == 200, withdrawn.content
    path = tmp_path / "bundle.zip"
    with path.open("wb") as out:
        export_case(novoivanovka, exported_by="aud", out=out)
    report = tampering.members(path)["report.html"].decode()
    span = support["span"]
    assert "Facts and cited spans (1)" in report
    assert f"characters {span['start']}–{span['end']} of texts/" in report
    assert "withdrawn by dora: the footage may show another village" in report
    assert "Withdrew a span&#x27;s support of a fact: the footage may show another village" in (
        report
    )
    # Withdrawn, the span was still cited: the verifier still finds it.
    assert tampering.verified(path).spans == 2
