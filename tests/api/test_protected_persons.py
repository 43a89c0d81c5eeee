"""A protected person's real name never leaves the API except through the audited reveal:
every GET, for every role (a cleared user included, after looking), shows the pseudonym."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from casefiles import commands
from casefiles.commands.facts import fact_record
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from casefiles.commands.persons import person_add
from casefiles.models import CaseFile, Event, ProtectedIdentity
from tests.api.test_evaluation import clear
from tests.conftest import make_user
from tests.factories import SUBMITTER, attach, open_case

pytestmark = pytest.mark.django_db
NAME = "Olena Kovalenko"
PSEUDONYM = "Witness Kestrel"
ROLES = ("documenter", "supervisor", "legal", "auditor", "cleared")
SEED = Path(settings.BASE_DIR) / "seeds" / "004_06b981fa41532c02.txt"


@pytest.fixture
def protected(users, actors) -> SimpleNamespace:
    """A case with a protected witness, an ingested source, a fact and a pending request;
    a cleared legal reviewer (cleo) has looked at the name once, through the API."""
    doc = actors["documenter"]
    job = ingestion_submit(data=SEED.read_bytes(), filename=SEED.name, actor=SUBMITTER)
    job = document_ingest(ingestion_id=str(job.id))
    case_id = open_case(doc, title="Executions of prisoners near Robotyne")
    attach(doc, case_id, ["UN HRMMU"], title="HRMMU report", source_id=job.source_id)
    person = person_add(
        actor=doc, case_id=case_id, role="witness", name=NAME, pseudonym=PSEUDONYM, protected=True
    )
    person_add(actor=doc, case_id=case_id, role="unit", name="Brigade 155")
    fact_record(actor=doc, case_id=case_id, text="Prisoners were shot after surrendering")
    commands.transition_request(actor=doc, case_id=case_id, to_state="sourcing", reason="ready")
    users["cleared"] = make_user("cleo", "legal_reviewer")
    clear(users["cleared"])
    return SimpleNamespace(
        case_id=case_id,
        person_id=person.events[0].payload["person_id"],
        source_id=str(job.source_id),
        ingestion_id=str(job.id),
    )


def reads(case: SimpleNamespace) -> list[str]:
    """Every GET of the API that shows something of the case."""
    base = f"/api/cases/{case.case_id}/"
    first_event = Event.objects.get(case_id=case.case_id, version=1).occurred_at
    versions = range(1, CaseFile.objects.get(pk=case.case_id).version + 1)
    return [
        base,
        f"{base}events/",
        f"{base}corroboration/",
        *(f"{base}?as_of={version}" for version in versions),
        f"{base}?as_of={first_event.replace('+', '%2B')}",
        "/api/cases/",
        "/api/cases/?q=Robotyne",
        "/api/approvals/",
        "/api/sources/",
        f"/api/sources/{case.source_id}/",
        f"/api/ingestions/{case.ingestion_id}/",
    ]


def _reveal_through_the_api(api, case) -> None:
    response = api["cleared"].post(
        f"/api/cases/{case.case_id}/persons/{case.person_id}/reveal/",
        {"reason": "prepare the witness interview"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == NAME and response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ROLES)
def test_no_get_carries_the_real_name(api, protected, role):
    _reveal_through_the_api(api, protected)
    assert ProtectedIdentity.objects.get(person_id=protected.person_id).name == NAME
    client = api[role]
    for path in reads(protected):
        for accept in ("application/json", "text/html"):
            response = client.get(path, HTTP_ACCEPT=accept)
            assert response.status_code == 200, (path, response.content)
            text = response.content.decode()
            assert "kovalenko" not in text.lower(), (role, path, accept)
    case = client.get(f"/api/cases/{protected.case_id}/").json()
    assert [(p["pseudonym"], p["name"]) for p in case["persons"]] == [
        (PSEUDONYM, None),
        ("Unit 1", "Brigade 155"),
    ]
    assert PSEUDONYM in client.get(f"/api/cases/{protected.case_id}/events/").content.decode()
    assert client.get("/api/cases/?q=Robotyne").json()["count"] == 1
    assert client.get("/api/approvals/").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_searching_for_the_real_name_finds_nothing(api, protected, role):
    for query in (NAME, "Kovalenko", "olena"):
        response = api[role].get("/api/cases/", {"q": query})
        assert response.status_code == 200
        assert response.json()["count"] == 0, (role, query)
    assert api[role].get("/api/cases/", {"q": "robotyne"}).json()["count"] == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_the_cleared_user_gets_the_name_and_each_look_is_an_event(api, protected, role):
    before = Event.objects.filter(case_id=protected.case_id).count()
    response = api[role].post(
        f"/api/cases/{protected.case_id}/persons/{protected.person_id}/reveal/",
        {"reason": "checking"},
        format="json",
    )
    looked = Event.objects.filter(case_id=protected.case_id, type="IdentityRevealed")
    if role == "cleared":
        assert response.status_code == 200 and response.json()["name"] == NAME
        assert [e.actor["username"] for e in looked] == ["cleo"]
    else:
        assert response.status_code == 403, response.content
        assert "kovalenko" not in response.content.decode().lower()
        assert not looked.exists()
        assert Event.objects.filter(case_id=protected.case_id).count() == before
