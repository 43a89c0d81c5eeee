"""List and detail endpoints make the same number of SQL queries at two sizes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casefiles import commands
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from tests.factories import SUBMITTER, attach, open_case

pytestmark = pytest.mark.django_db


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def ingest_documents(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        # Words of their own: documents differing by a number are reprints of one another
        # (near-duplicates, casefiles/ingestion/neardup.py), not new sources.
        words = " ".join(f"entry{n}note{i}" for i in range(12))
        text = f"Field report {n}\n\nA quiet day in the archive: {words}.\n"
        job = ingestion_submit(data=text.encode(), filename=f"report-{n}.txt", actor=SUBMITTER)
        document_ingest(ingestion_id=str(job.id))


def test_case_list(api, actors, django_assert_num_queries):
    client, doc = api["auditor"], actors["documenter"]
    for n in range(3):
        attach(doc, open_case(doc, title=f"Shelling {n}"), ["NYT"])
    small = queries(client, "/api/cases/?page_size=100&q=shelling")
    for n in range(3, 30):
        attach(doc, open_case(doc, title=f"Shelling {n}"), ["NYT"])
    with django_assert_num_queries(small):
        response = client.get("/api/cases/?page_size=100&q=shelling")
    assert len(response.json()["results"]) == 30


def test_case_detail_and_events(api, actors, django_assert_num_queries):
    client = api["auditor"]
    doc = actors["documenter"]
    case_id = open_case(doc)
    for n in range(2):
        attach(doc, case_id, [f"Org {n}"], title=f"S{n}")
        commands.note_add(actor=doc, case_id=case_id, text=f"note {n}")
    detail, events = (
        queries(client, f"/api/cases/{case_id}/"),
        queries(client, f"/api/cases/{case_id}/events/"),
    )
    as_of = queries(client, f"/api/cases/{case_id}/?as_of=3")
    panel = queries(client, f"/api/cases/{case_id}/corroboration/")
    for n in range(2, 20):
        attach(doc, case_id, [f"Org {n}"], title=f"S{n}")
        commands.note_add(actor=doc, case_id=case_id, text=f"note {n}")
    with django_assert_num_queries(detail):
        assert len(client.get(f"/api/cases/{case_id}/").json()["sources"]) == 20
    with django_assert_num_queries(events):
        assert len(client.get(f"/api/cases/{case_id}/events/").json()) == 41
    with django_assert_num_queries(as_of):
        client.get(f"/api/cases/{case_id}/?as_of=40")
    with django_assert_num_queries(panel):
        assert len(client.get(f"/api/cases/{case_id}/corroboration/").json()) == 20


def test_approval_queue(api, actors, django_assert_num_queries):
    def request_on_new_case():
        case_id = open_case(actors["documenter"])
        commands.transition_request(
            actor=actors["documenter"], case_id=case_id, to_state="sourcing", reason="ready"
        )

    request_on_new_case()
    small = queries(api["supervisor"], "/api/approvals/")
    for _ in range(10):
        request_on_new_case()
    with django_assert_num_queries(small):
        assert api["supervisor"].get("/api/approvals/").json()["count"] == 11


def test_source_list_and_detail(api, actors, django_assert_num_queries):
    client = api["auditor"]
    ingest_documents(2)
    small = queries(client, "/api/sources/?page_size=100")
    ingest_documents(18, start=2)
    with django_assert_num_queries(small):
        assert client.get("/api/sources/?page_size=100").json()["count"] == 20

    from casefiles.models import Source

    source = Source.objects.first()
    doc = actors["documenter"]
    attach(doc, open_case(doc), ["X"], source_id=source.pk)
    detail = queries(client, f"/api/sources/{source.pk}/")
    for n in range(5):
        attach(doc, open_case(doc, title=f"T{n}"), ["X"], source_id=source.pk)
    with django_assert_num_queries(detail):
        assert len(client.get(f"/api/sources/{source.pk}/").json()["cases"]) == 6
