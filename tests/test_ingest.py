"""Ingestion end to end on the seeds, through the management commands and the task."""

import hashlib
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from casefiles import blobs, projections
from casefiles.commands.ingestion import source_stream_id
from casefiles.commands.links import cases_merge, link_dismiss
from casefiles.errors import InvalidCommand
from casefiles.models import CaseFile, CaseLink, Event, Ingestion, Source
from casefiles.selectors import case_state
from tests.factories import SUBMITTER

pytestmark = pytest.mark.django_db
SEEDS = Path(settings.BASE_DIR) / "seeds"


@pytest.fixture
def ingest(monkeypatch):
    """Inside a test's transaction nothing commits, so run each on_commit callback at the
    point its transaction would commit. The real commit path, with a real worker on
    Redis and PostgreSQL, is tests/test_worker.py."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())

    def run(*args):
        out = StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    return run


def seed_source(prefix: str) -> Source:
    return Source.objects.get(filename__startswith=prefix)


def cases_of(prefix: str) -> list[CaseFile]:
    sha = seed_source(prefix).content_sha256
    return [
        c
        for c in CaseFile.objects.filter(extraction__isnull=False)
        if c.extraction["content_sha256"] == sha
    ]


def test_seeds_are_ingested_with_custody_metadata_and_candidate_cases(ingest):
    out = ingest("ingest_seeds")
    assert out.strip().splitlines()[-1] == (
        "5 ingested, 0 duplicate(s), 0 near-duplicate(s), 0 failed"
    )
    for path in sorted(SEEDS.iterdir()):
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        source = Source.objects.get(content_sha256=sha)
        assert blobs.read(sha) == data  # the original, byte for byte
        event = Event.objects.get(case_id=source_stream_id(sha), version=1)
        assert event.type == "SourceIngested" and event.actor["username"] == "ingest"
        assert (event.payload["bytes"], event.payload["filename"]) == (len(data), path.name)
        assert event.payload["extractor_version"]

    expected = {
        "000": (None, "The New York Times"),
        "001": ("2023-02-23", "Dossier Centre"),
        "002": ("2022-03-01", "Security Service of Ukraine"),
        "003": ("2025-04-04", "Centre for Information Resilience"),
        "004": ("2025-02-04", "UN Human Rights Monitoring Mission in Ukraine"),
    }
    for prefix, (published, origin) in expected.items():
        source = seed_source(prefix)
        assert (source.published_on.isoformat() if source.published_on else None) == published
        assert origin in [o["name"] for o in source.origins]
    assert seed_source("000").published_reason  # null with a reason

    # An incident's categories: its primary one and those of the further mentions
    # grouped into it (allegation "also").
    categories = {
        prefix: {
            code
            for c in cases_of(prefix)
            for code in (c.extraction_category, *c.extraction["allegation"].get("also", ()))
        }
        for prefix in expected
    }
    assert "wilful_killing" in categories["000"] or "attack_on_civilians" in categories["000"]
    assert {"pillage", "torture"} <= categories["001"]
    assert "attack_on_protected_objects" in categories["002"]
    assert "killing_hors_de_combat" in categories["003"]
    assert {"killing_hors_de_combat", "no_quarter"} <= categories["004"]
    assert CaseFile.objects.count() >= 9  # 22 incidents in an analyst's reading
    for case in CaseFile.objects.all():
        state = case_state(case.pk)
        assert state.state == "intake" and state.opened_by == "ingest"
        # The candidate case carries every category of its incident, not only the first.
        allegation = case.extraction["allegation"]
        assert list(state.categories) == [allegation["category"], *allegation.get("also", ())]
        assert state.sources[0].content_sha256 == state.extraction["content_sha256"]

    call_command("verify_events", stdout=StringIO())
    call_command("rebuild_projections", "--check", stdout=StringIO())


def _linked(prefix_a: str, prefix_b: str) -> bool:
    ids_b = {str(c.pk) for c in cases_of(prefix_b)}
    return CaseLink.objects.filter(
        case__in=cases_of(prefix_a), other_case_id__in=ids_b, status="suggested"
    ).exists()


def test_cross_source_links_are_suggested_not_merged(ingest):
    ingest("ingest_seeds")
    # The gold annotation's same incident: the Bucha killings of March 2022 (000, 001).
    assert _linked("000", "001") and _linked("001", "000")
    assert not CaseFile.objects.filter(merged_into__isnull=False).exists()
    link = CaseLink.objects.filter(case__in=cases_of("000")).first()
    assert link.relation == "same_incident"
    assert link.reasons[0] == "both: wilful killing in Bucha, Kyiv, March 2022"


@pytest.mark.parametrize("cache_size", [2, 20_000])
def test_link_suggestions_do_not_depend_on_the_allegation_cache(ingest, monkeypatch, cache_size):
    """The parsed allegations each process keeps give the same suggestions as reading
    every extraction afresh, whether the cache is warm or too small and starts again."""
    from django.db import transaction

    from casefiles.commands import ingestion

    def links(cache_max: int) -> list:
        monkeypatch.setattr(ingestion, "_ALLEGATIONS_MAX", cache_max)
        savepoint = transaction.savepoint()
        ingest("ingest_seeds")
        found = sorted(CaseLink.objects.values_list("case_id", "other_case_id", "reasons"))
        transaction.savepoint_rollback(savepoint)
        return found

    uncached = links(0)  # every call starts afresh: every extraction read and parsed
    assert uncached
    assert links(cache_size) == uncached  # warm from the first run: its case ids recur


def test_rerunning_ingest_seeds_changes_nothing(ingest):
    ingest("ingest_seeds")
    events, live = Event.objects.count(), projections.snapshot()
    out = ingest("ingest_seeds")
    assert out.strip().splitlines()[-1] == (
        "0 ingested, 5 duplicate(s), 0 near-duplicate(s), 0 failed"
    )
    assert Event.objects.count() == events
    assert projections.diff(live, projections.snapshot()) == []


def test_near_duplicate_is_recognised_as_the_same_source(ingest, tmp_path):
    ingest("ingest_seeds")
    original = (SEEDS / "003_9a8aa9b593a37ea8.txt").read_bytes()
    variant = tmp_path / "nyt-copy.txt"
    variant.write_bytes(original.replace(b"\n", b"   \r\n") + b"\r\n\r\n")
    cases = CaseFile.objects.count()
    out = ingest("ingest", str(variant))
    assert "near_duplicate" in out and "line endings or trailing white space" in out
    assert CaseFile.objects.count() == cases and Source.objects.count() == 5
    source = seed_source("003")
    assert source.variants[0]["content_sha256"] == hashlib.sha256(variant.read_bytes()).hexdigest()
    assert blobs.read(source.variants[0]["content_sha256"]) == variant.read_bytes()
    out = ingest("ingest", str(variant))
    assert "duplicate" in out and Event.objects.filter(type="SourceVariantReceived").count() == 1


def _bad_files(folder: Path) -> dict[str, bytes]:
    html = b"<html><head><title>t</title></head><body><script>var a=1;</script></body></html>"
    files = {
        "empty.txt": b"",
        "spaces.txt": b"   \n\t  \n",
        "nul.txt": b"hello\x00world\x00" * 20,
        "image.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "random.bin": hashlib.sha512(b"seed").digest() * 40,
        "archive.zip": b"PK\x03\x04" + bytes(range(200)) * 3,
        "truncated.html": b"<html><body><p>Hel",
        "script-only.html": html,
        "bad-utf8.txt": b"Hello \xff\xfe\xfd\x80\x81 world " * 20,
        "pdf.txt": b"%PDF-1.7\n" + bytes(range(256)) * 3,
        "controls.txt": bytes(range(1, 32)) * 20,
        "gzip.gz": b"\x1f\x8b\x08" + bytes(range(100)) * 3,
        "elf.bin": b"\x7fELF" + bytes(range(256)),
        "jpeg.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2,
        "newlines.md": b"\n\n\n\n",
        "empty-html.html": b"<html><body></body></html>",
        "only-tags.html": b"<div><span></span></div>",
        "bom-only.txt": b"\xef\xbb\xbf",
        "utf16-odd.txt": b"\xff\xfe" + b"\x00\xd8" * 3 + b"a",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with open(folder / "huge.txt", "wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    return files


def test_twenty_bad_files_give_twenty_clear_failures_and_the_rest_goes_on(ingest, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    _bad_files(folder)
    shutil.copy(SEEDS / "004_06b981fa41532c02.txt", folder / "zz-good.txt")
    out = ingest("ingest", str(folder))
    assert out.strip().splitlines()[-1] == (
        "1 ingested, 0 duplicate(s), 0 near-duplicate(s), 20 failed"
    )
    failures = Ingestion.objects.filter(status="failed")
    assert failures.count() == 20
    expected = {
        "empty.txt": "empty file",
        "spaces.txt": "only whitespace",
        "nul.txt": "NUL bytes",
        "image.png": "PNG image",
        "random.bin": "binary content",
        "archive.zip": "ZIP",
        "truncated.html": "no extractable main text",
        "script-only.html": "no extractable",
        "bad-utf8.txt": "could not decode text",
        "pdf.txt": "PDF",
        "controls.txt": "control",
        "gzip.gz": "gzip",
        "elf.bin": "executable",
        "jpeg.jpg": "JPEG",
        "newlines.md": "only whitespace",
        "empty-html.html": "no extractable",
        "only-tags.html": "no extractable",
        "bom-only.txt": "only whitespace",
        "utf16-odd.txt": "utf-16",
        "huge.txt": "the limit is 20 MB",
    }
    assert {job.filename: job.reason for job in failures}.keys() == expected.keys()
    for job in failures:
        assert expected[job.filename] in job.reason, (job.filename, job.reason)
    assert Source.objects.count() == 1


def test_merge_and_dismiss_suggested_links(ingest, actors):
    ingest("ingest_seeds")
    links = list(CaseLink.objects.filter(status="suggested").order_by("case__reference"))
    first = links[0]
    link_dismiss(
        actor=actors["documenter"],
        case_id=first.case_id,
        link_id=first.link_id,
        reason="different incidents",
    )
    assert set(CaseLink.objects.filter(link_id=first.link_id).values_list("status", flat=True)) == {
        "dismissed"
    }
    with pytest.raises(InvalidCommand, match="already dismissed"):
        link_dismiss(
            actor=actors["documenter"], case_id=first.case_id, link_id=first.link_id, reason="again"
        )

    link = CaseLink.objects.filter(status="suggested").first()
    survivor, absorbed = link.case_id, link.other_case_id
    sources_before = case_state(survivor).sources
    cases_merge(
        actor=actors["documenter"], case_id=survivor, link_id=link.link_id, reason="same execution"
    )
    merged = case_state(absorbed)
    assert merged.merged_into == str(survivor)
    kept = case_state(survivor)
    assert len(kept.sources) == len(sources_before) + 1
    assert [e.type for e in Event.objects.filter(case_id=absorbed).order_by("-version")][
        0
    ] == "CaseMergedInto"
    with pytest.raises(InvalidCommand, match="merged into another case"):
        from casefiles.commands import case_edit

        case_edit(actor=actors["documenter"], case_id=absorbed, title="x")
    call_command("rebuild_projections", "--check", stdout=StringIO())


def test_a_task_that_gives_up_marks_its_job_failed_with_the_reason(tmp_path):
    from django.db import OperationalError

    from casefiles.commands.ingestion import ingestion_submit
    from casefiles.tasks import ingest_document

    job = ingestion_submit(data=b"Looting reported in Bucha.", filename="a.txt", actor=SUBMITTER)
    ingest_document.on_failure(
        OperationalError("database is down"), "task-1", (str(job.id),), {}, None
    )
    job.refresh_from_db()
    assert job.status == "failed"
    assert "ingestion failed after 0 retries: OperationalError: database is down" == job.reason


def test_the_command_itself_refuses_a_submitter_without_the_role(actors):
    """The role check is the command's, not only its entry points' (API, admin)."""
    from casefiles.commands.ingestion import ingestion_submit
    from casefiles.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="auditor"):
        ingestion_submit(actor=actors["auditor"], data=b"Looting in Bucha.", filename="a.txt")
    assert not Ingestion.objects.exists()
    job = ingestion_submit(actor=actors["documenter"], data=b"Looting in Bucha.", filename="a.txt")
    assert job.submitted_by == actors["documenter"].username
