"""Attached sources are exhibits: their original is in the blob store, and attaching an
ingested source by its id copies what ingestion recorded of it."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from casefiles import eventstore, projections
from casefiles.commands.base import begin, write
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from casefiles.commands.sources import exhibit_complete, source_attach
from casefiles.domain.events import SOURCE_ATTACHED
from casefiles.domain.sources import origin_names, provenance_chain
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied
from casefiles.eventstore import NewEvent
from casefiles.export.bundle import export_case
from casefiles.models import Event, Source
from casefiles.selectors import case_state
from tests.api.test_cases import problem
from tests.export import tampering
from tests.factories import SUBMITTER, open_case

pytestmark = pytest.mark.django_db
SEED = Path(settings.BASE_DIR) / "seeds" / "004_06b981fa41532c02.txt"
SCHEMA_1 = ("source_id", "title", "url", "origins", "excerpt", "content_sha256", "published_on")


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    settings.CASEFILES_SIGNING_KEY = tmp_path / "signing" / "ed25519.key"


@pytest.fixture
def seed(django_capture_on_commit_callbacks) -> Source:
    """Seed 004 ingested (it also opens its own candidate cases)."""
    with django_capture_on_commit_callbacks(execute=False):
        job = ingestion_submit(data=SEED.read_bytes(), filename=SEED.name, actor=SUBMITTER)
    job = document_ingest(ingestion_id=str(job.id))
    assert job.status == "ingested", job.reason
    return Source.objects.get(pk=job.source_id)


def _events(case_id) -> list[dict]:
    return list(eventstore.stream(case_id))


def test_a_phantom_hash_is_refused_and_nothing_is_stored(api, actors):
    case_id = open_case(actors["documenter"])
    phantom = "ab" * 32
    body = problem(
        api["documenter"].post(
            f"/api/cases/{case_id}/sources/",
            {"title": "Made up", "origins": ["AP"], "content_sha256": phantom},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        422,
        "invalid-command",
    )
    assert f"no original with SHA-256 {phantom} is stored" in body["detail"]
    assert "through ingestion first" in body["detail"]
    assert case_state(case_id).version == 1 and case_state(case_id).sources == ()
    assert Event.objects.filter(case_id=case_id).count() == 1


def test_an_unknown_or_malformed_source_id_is_refused(api, actors, seed):
    case_id = open_case(actors["documenter"])
    client = api["documenter"]
    unknown = "6f1c2b1e-0000-4000-8000-000000000000"
    body = problem(
        client.post(
            f"/api/cases/{case_id}/sources/",
            {"source_id": unknown},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        422,
    )
    assert f"no ingested source has id {unknown}" in body["detail"]
    problem(
        client.post(
            f"/api/cases/{case_id}/sources/",
            {"source_id": "not-a-uuid"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        422,
    )
    # The id of one source with the hash of another.
    body = problem(
        client.post(
            f"/api/cases/{case_id}/sources/",
            {"source_id": str(seed.pk), "content_sha256": "cd" * 32},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        422,
    )
    assert "is not the original of source" in body["detail"]
    assert case_state(case_id).version == 1


def test_attaching_seed_004_by_id_copies_it_and_its_original_travels_in_the_bundle(
    api, actors, seed, tmp_path
):
    case_id = open_case(actors["documenter"])
    response = api["documenter"].post(
        f"/api/cases/{case_id}/sources/",
        {"source_id": str(seed.pk), "excerpt": "executed near Novoivanovka"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 201, response.content
    event = response.json()["events"][0]
    assert event["type"] == "SourceAttached" and event["schema"] == 2
    payload = event["payload"]
    ingested = Event.objects.get(case_id=seed.pk, version=1).payload
    assert payload["source_id"] == str(seed.pk)
    assert payload["content_sha256"] == seed.content_sha256
    assert payload["title"] == seed.title
    assert payload["url"] == seed.url
    assert payload["published_on"] == (seed.published_on and seed.published_on.isoformat())
    # The origins ingestion found, and its provenance chain, as for its candidate cases.
    chain = provenance_chain(seed.origins)
    assert (
        payload["origins"]
        == origin_names(chain)
        == [
            "UN Human Rights Monitoring Mission in Ukraine",
            "Crimean Human Rights Group",
        ]
    )
    provenance = response.json()["events"][1]
    assert provenance["type"] == "ProvenanceRecorded" and provenance["payload"]["chain"] == chain
    assert payload["metadata"] == ingested["metadata"]

    path = tmp_path / "case.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    assert tampering.verified(path).count == 3
    files = tampering.members(path)
    original = f"sources/{seed.content_sha256}.txt"
    assert files[original] == SEED.read_bytes()
    assert hashlib.sha256(files[original]).hexdigest() == seed.content_sha256
    report = files["report.html"].decode()
    assert original in report and "no stored original" not in report


def test_the_same_document_cannot_be_attached_twice(actors, seed):
    case_id = open_case(actors["documenter"])
    source_attach(actor=actors["documenter"], case_id=case_id, source_id=seed.pk)
    with pytest.raises(InvalidCommand, match="already attached"):
        source_attach(
            actor=actors["documenter"], case_id=case_id, content_sha256=seed.content_sha256
        )


def test_a_stranger_and_an_outsider_of_the_team_cannot_attach(api, anon, actors, users, seed):
    from casefiles.commands.compartments import restriction_decide, restriction_request

    team = Group.objects.create(name="team-kharkiv")
    users["documenter"].groups.add(team)
    case_id = open_case(actors["documenter"])
    restriction_request(
        actor=actors["documenter"], case_id=case_id, team=team.name, reason="witness"
    )
    restriction_decide(actor=actors["supervisor"], case_id=case_id, approve=True, reason="ok")
    version = case_state(case_id).version
    url = f"/api/cases/{case_id}/sources/"
    body = {"source_id": str(seed.pk)}
    # A documenter of another team does not even learn that the case exists.
    problem(api["documenter2"].post(url, body, format="json", HTTP_IF_MATCH=f'"{version}"'), 404)
    problem(anon.post(url, body, format="json", HTTP_IF_MATCH=f'"{version}"'), 401)
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token cf_not-a-real-token")
    problem(forged.post(url, body, format="json", HTTP_IF_MATCH=f'"{version}"'), 401)
    assert case_state(case_id).version == version and case_state(case_id).sources == ()
    # An auditor changes nothing, on a case they may see.
    open_id = open_case(actors["documenter"])
    problem(
        api["auditor"].post(
            f"/api/cases/{open_id}/sources/", body, format="json", HTTP_IF_MATCH='"1"'
        ),
        403,
    )
    assert case_state(open_id).version == 1


def _legacy_attachment(actor, case_id, source: Source, monkeypatch) -> None:
    """What attaching by id wrote before exhibits: a schema 1 event without the original."""
    monkeypatch.setattr(SOURCE_ATTACHED, "schema", 1)
    monkeypatch.setattr(SOURCE_ATTACHED, "required", SCHEMA_1)
    change = begin(actor, "source_attach", case_id)
    write(
        case_id,
        actor=actor,
        role=change.role,
        expected_version=change.case.version,
        events=[
            NewEvent(
                SOURCE_ATTACHED.name,
                {
                    "source_id": str(source.pk),
                    "title": "Seed 004",
                    "url": "",
                    "origins": [],
                    "excerpt": "",
                    "content_sha256": None,
                    "published_on": None,
                },
            )
        ],
    )
    monkeypatch.undo()


def test_an_empty_attachment_is_completed_by_a_new_event_and_the_old_one_stays(
    actors, seed, tmp_path, monkeypatch, capsys
):
    case_id = open_case(actors["documenter"])
    _legacy_attachment(actors["documenter"], case_id, seed, monkeypatch)
    old = Event.objects.get(case_id=case_id, version=2)
    assert old.schema == 1 and "metadata" not in old.payload
    assert case_state(case_id).sources[0].content_sha256 is None

    call_command("complete_exhibits")
    assert "1 completed, 0 skipped" in capsys.readouterr().out
    events = _events(case_id)
    assert [e["type"] for e in events] == ["CaseOpened", "SourceAttached", "ExhibitCompleted"]
    assert events[2]["actor"]["username"] == "ingest"
    # The schema 1 event replays as it was stored: same payload, same hash.
    again = Event.objects.get(case_id=case_id, version=2)
    assert (again.payload, again.hash, again.schema) == (old.payload, old.hash, 1)

    source = case_state(case_id).sources[0]
    assert source.content_sha256 == seed.content_sha256
    # It had none: the origins ingestion found.
    assert list(source.origins) == origin_names(provenance_chain(seed.origins))
    assert source.url == seed.url
    assert case_state(case_id).independent_origins >= 1

    # Re-running changes nothing; completing it again is refused.
    call_command("complete_exhibits")
    assert "0 completed, 0 skipped" in capsys.readouterr().out
    with pytest.raises(InvalidCommand, match="already names its original"):
        exhibit_complete(actor=actors["documenter"], case_id=case_id, source_id=source.source_id)

    live = projections.snapshot()
    projections.rebuild()
    assert projections.diff(live, projections.snapshot()) == []

    path = tmp_path / "case.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    files = tampering.members(path)
    assert files[f"sources/{seed.content_sha256}.txt"] == SEED.read_bytes()
    assert tampering.verified(path).count == 3
    report = files["report.html"].decode()
    assert f'<th>Original</th><td class="mono">sources/{seed.content_sha256}.txt' in report


def test_a_reference_without_an_original_cannot_be_completed(actors):
    case_id = open_case(actors["documenter"])
    outcome = source_attach(
        actor=actors["documenter"], case_id=case_id, title="Broadcast", origins=["BBC"]
    )
    source_id = outcome.events[0].payload["source_id"]
    with pytest.raises(NotFound, match="not an ingested source"):
        exhibit_complete(actor=actors["documenter"], case_id=case_id, source_id=source_id)
    with pytest.raises(PermissionDenied, match="is an auditor"):
        exhibit_complete(actor=actors["auditor"], case_id=case_id, source_id=source_id)


def test_the_admin_attaches_an_ingested_source_by_id_and_refuses_an_unknown_one(
    client, users, actors, seed
):
    from django.urls import reverse

    case_id = open_case(actors["documenter"])
    client.force_login(users["documenter"])
    url = reverse("admin:casefiles_casefile_source", args=[case_id])
    unknown = client.post(
        url,
        {"source_id": "6f1c2b1e-0000-4000-8000-000000000000", "expected_version": 1},
    )
    assert unknown.status_code == 200 and "no ingested source has id" in unknown.content.decode()
    assert case_state(case_id).version == 1
    response = client.post(
        url, {"source_id": str(seed.pk), "expected_version": 1, "button": "attach"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = case_state(case_id).sources[0]
    assert (source.source_id, source.content_sha256) == (str(seed.pk), seed.content_sha256)
