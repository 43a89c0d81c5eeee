"""Cases over HTTP: list and filters, open, read, edit, events, as_of, commands on a case,
ETag / If-Match, idempotency and problem details."""

import hashlib
import json
import uuid

import pytest

from casefiles import blobs
from casefiles.commands import case_assign, case_edit, source_attach
from casefiles.domain.hashing import canonical_json
from casefiles.models import CaseFile, Event
from tests.factories import attach, move, open_case

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def problem(response, status: int, kind: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    if kind is not None:
        assert body["type"] == f"urn:casefiles:problem:{kind}"
    return body


def etag_of(client, case_id) -> str:
    return client.get(f"/api/cases/{case_id}/")["ETag"]


# --- list -------------------------------------------------------------------------------


def test_list_filters_by_state_category_place_assignee_corroboration_and_dates(api, actors, users):
    doc, sup = actors["documenter"], actors["supervisor"]
    bucha = open_case(doc)
    kyiv = open_case(
        doc,
        title="Shelling of a school",
        categories=["attack_on_civilians"],
        places=["Київ"],
        incident_from="2023-05-01",
        incident_to="2023-05-02",
    )
    undated = open_case(
        doc,
        title="Pillage",
        categories=["pillage"],
        places=["Irpin"],
        incident_from=None,
        incident_to=None,
    )
    move(doc, sup, bucha, "sourcing")
    attach(doc, bucha, ["NYT"])
    attach(doc, bucha, ["Reuters"])
    case_assign(actor=sup, case_id=kyiv, assignee=users["documenter2"])

    def ids(query: str) -> set[str]:
        response = api["auditor"].get(f"/api/cases/?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("") == {bucha, kyiv, undated}
    assert ids("state=sourcing") == {bucha}
    assert ids("state=sourcing&state=intake") == {bucha, kyiv, undated}
    assert ids("category=attack_on_civilians") == {kyiv}
    assert ids("place=Київ") == {kyiv}
    assert ids("place=Buch") == set()  # a place name, not a substring
    assert ids(f"assignee={users['documenter2'].pk}") == {kyiv}
    assert ids("unassigned=true") == {bucha, undated}
    assert ids("corroboration=corroborated") == {bucha}
    assert ids("corroboration=uncorroborated") == {kyiv, undated}
    # Overlap with the period: Bucha is March 2022, Kyiv May 2023, Irpin has no dates.
    assert ids("incident_after=2022-03-15") == {bucha, kyiv}
    assert ids("incident_after=2022-04-01") == {kyiv}
    assert ids("incident_before=2022-12-31") == {bucha}
    assert ids("incident_after=2022-03-15&incident_before=2022-03-20") == {bucha}


def test_full_text_search_covers_title_summary_and_source_excerpts(api, actors):
    doc = actors["documenter"]
    titled = open_case(doc, title="Filtration camp in Olenivka")
    summarised = open_case(doc, title="Other", summary="Detainees moved to olenivka colony")
    excerpted = open_case(doc, title="Third", summary="No match here")
    source_attach(
        actor=doc,
        case_id=excerpted,
        title="Report",
        origins=["OHCHR"],
        excerpt="witnesses describe Olenivka barracks",
    )
    open_case(doc, title="Unrelated")

    response = api["documenter"].get("/api/cases/?q=OLENIVKA")
    assert {row["id"] for row in response.json()["results"]} == {titled, summarised, excerpted}


def test_list_is_paginated_and_ordered_stably(api, actors):
    opened = [open_case(actors["documenter"], title=f"Case {n}") for n in range(5)]
    first = api["documenter"].get("/api/cases/?page_size=2&ordering=reference").json()
    second = api["documenter"].get("/api/cases/?page_size=2&ordering=reference&page=2").json()
    assert first["count"] == 5 and first["next"] and first["previous"] is None
    references = [r["reference"] for r in first["results"] + second["results"]]
    assert references == sorted(references) and len(set(references)) == 4
    assert {r["id"] for r in first["results"] + second["results"]} < set(opened)


def test_bad_filter_values_are_422_problems(api):
    body = problem(api["documenter"].get("/api/cases/?state=nowhere"), 422, "invalid-request")
    assert "state" in body["errors"]
    problem(api["documenter"].get("/api/cases/?incident_after=yesterday"), 422)
    problem(api["documenter"].get("/api/cases/?page=99"), 404)


def test_an_unknown_query_parameter_is_refused_not_ignored(api, actors):
    """A misspelt filter used to return every case as if it had matched (issue 18)."""
    open_case(actors["documenter"], title="Shelling of Irpin")
    body = problem(api["documenter"].get("/api/cases/?stat=intake&q=Irpin"), 422, "invalid-request")
    assert list(body["errors"]) == ["stat"]
    assert "known: " in body["errors"]["stat"][0] and "state" in body["errors"]["stat"][0]
    problem(api["documenter"].get("/api/sources/?titel=x"), 422, "invalid-request")
    ok = api["documenter"].get("/api/cases/?state=intake&page=1&page_size=5&ordering=reference")
    assert ok.status_code == 200


def test_a_case_is_found_by_its_reference(api, actors):
    wanted = open_case(actors["documenter"], title="Filtration camp in Olenivka")
    open_case(actors["documenter"], title="Shelling of Irpin")
    reference = api["documenter"].get(f"/api/cases/{wanted}/").json()["reference"]
    for query in (f"reference={reference}", f"reference={reference.lower()}", f"q={reference}"):
        found = api["documenter"].get(f"/api/cases/?{query}").json()["results"]
        assert [row["id"] for row in found] == [wanted], query
    assert api["documenter"].get("/api/cases/?reference=CF-1999-000001").json()["count"] == 0


# --- open, read ---------------------------------------------------------------------------


def test_open_case_returns_201_with_event_location_and_etag(api):
    response = api["documenter"].post(
        "/api/cases/",
        {
            "title": "Order to kill civilians",
            "summary": "Intercepted call",
            "categories": ["wilful_killing"],
            "places": ["Bucha"],
            "incident_from": "2022-03-01",
            "incident_to": "2022-03-31",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/cases/{body['case_id']}/"
    assert response["ETag"] == '"1"'
    assert body["version"] == 1 and body["replayed"] is False
    (event,) = body["events"]
    assert event["type"] == "CaseOpened" and event["actor"]["role"] == "documenter"
    case = api["documenter"].get(response["Location"])
    assert case.status_code == 200 and case["ETag"] == '"1"'
    assert case.json()["title"] == "Order to kill civilians"
    assert case.json()["transitions"] == [{"to_state": "sourcing", "unmet": []}]


@pytest.mark.parametrize("role", ["documenter", "legal", "supervisor"])
def test_case_writers_may_open(api, role):
    response = api[role].post("/api/cases/", {"title": "A case"}, format="json")
    assert response.status_code == 201, response.content


def test_invalid_input_gets_specific_problems(api):
    client = api["documenter"]
    body = problem(
        client.post("/api/cases/", {"title": "x", "categories": ["nonsense"]}, format="json"),
        422,
        "invalid-request",
    )
    assert "categories" in body["errors"]
    body = problem(
        client.post("/api/cases/", {"title": "x", "titel": "y"}, format="json"),
        422,
        "invalid-request",
    )
    assert "unknown field" in body["errors"]["titel"][0]
    body = problem(
        client.post("/api/cases/", {"title": "   "}, format="json"), 422, "invalid-command"
    )
    assert body["detail"] == "title is required"
    body = problem(
        client.post(
            "/api/cases/",
            {"title": "x", "incident_from": "2022-05-01", "incident_to": "2022-04-01"},
            format="json",
        ),
        422,
        "invalid-command",
    )
    assert "before its start" in body["detail"]
    problem(client.post("/api/cases/", b"{not json", content_type="application/json"), 400)
    problem(client.post("/api/cases/", "title=x", content_type="text/plain"), 415)


def test_unknown_case_is_404_problem(api):
    missing = uuid.uuid4()
    body = problem(api["auditor"].get(f"/api/cases/{missing}/"), 404, "not-found")
    assert str(missing) in body["detail"]
    problem(api["auditor"].get(f"/api/cases/{missing}/events/"), 404, "not-found")
    problem(
        api["documenter"].patch(
            f"/api/cases/{missing}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"1"'
        ),
        404,
        "not-found",
    )


# --- edit, ETag / If-Match --------------------------------------------------------------------


def test_patch_requires_if_match_and_answers_412_when_stale(api, actors):
    case_id = open_case(actors["documenter"])
    client = api["documenter"]
    url = f"/api/cases/{case_id}/"

    problem(client.patch(url, {"title": "New"}, format="json"), 428)
    problem(client.patch(url, {"title": "New"}, format="json", HTTP_IF_MATCH="*"), 400)

    edited = client.patch(url, {"title": "New"}, format="json", HTTP_IF_MATCH='"1"')
    assert edited.status_code == 200, edited.content
    assert edited["ETag"] == '"2"'
    assert edited.json()["events"][0]["payload"]["changes"]["title"]["new"] == "New"

    body = problem(
        client.patch(url, {"summary": "lost update"}, format="json", HTTP_IF_MATCH='"1"'),
        412,
        "stale-version",
    )
    assert (body["expected_version"], body["current_version"]) == (1, 2)
    assert CaseFile.objects.get(pk=case_id).summary != "lost update"
    assert etag_of(client, case_id) == '"2"'


def test_patch_legal_fields_is_for_legal_reviewers_and_supervisors(api, actors):
    case_id = open_case(actors["documenter"])
    url = f"/api/cases/{case_id}/"
    problem(
        api["documenter"].patch(url, {"outcome": "referred"}, format="json", HTTP_IF_MATCH='"1"'),
        403,
        "permission-denied",
    )
    response = api["legal"].patch(
        url,
        {"outcome": "referred", "legal_qualification": "art 8"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert api["legal"].get(url).json()["outcome"] == "referred"


def test_patch_without_changes_appends_nothing(api, actors):
    case_id = open_case(actors["documenter"], title="Same")
    response = api["documenter"].patch(
        f"/api/cases/{case_id}/", {"title": "Same"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert response.json()["events"] == [] and response["ETag"] == '"1"'


# --- events and time travel -----------------------------------------------------------------


def test_events_are_the_records_exactly_as_hashed(api, actors):
    case_id = open_case(actors["documenter"], places=["Київ"])
    attach(actors["documenter"], case_id, ["NYT"])
    response = api["auditor"].get(f"/api/cases/{case_id}/events/")
    assert response.status_code == 200 and response["ETag"] == '"2"'
    records = response.json()
    assert records == [e.as_record() for e in Event.objects.filter(case_id=case_id)]
    previous = "0" * 64
    for record in records:
        hashed = {k: v for k, v in record.items() if k != "hash"}
        assert hashlib.sha256(canonical_json(hashed).encode()).hexdigest() == record["hash"]
        assert record["prev_hash"] == previous
        previous = record["hash"]


def test_as_of_version_and_time_show_the_case_as_it_was(api, actors):
    doc = actors["documenter"]
    case_id = open_case(doc, title="First title")
    case_edit(actor=doc, case_id=case_id, title="Second title")
    first_time = Event.objects.get(case_id=case_id, version=1).occurred_at
    url = f"/api/cases/{case_id}/"
    client = api["auditor"]

    old = client.get(url, {"as_of": "1"})
    assert old.status_code == 200 and "ETag" not in old
    assert (old.json()["title"], old.json()["version"]) == ("First title", 1)
    assert client.get(url, {"as_of": first_time}).json()["title"] == "First title"
    assert client.get(url, {"as_of": "2"}).json()["title"] == "Second title"

    assert "no version 3" in problem(client.get(url, {"as_of": "3"}), 404)["detail"]
    problem(client.get(url, {"as_of": "2000-01-01T00:00:00Z"}), 404, "not-found")
    problem(client.get(url, {"as_of": "yesterday"}), 422, "invalid-command")
    problem(client.get(url, {"as_of": "2024-01-01T00:00:00"}), 422)  # no offset
    problem(client.get(url, {"as_of": "0001-01-01T00:00:00+05:00"}), 422)


# --- commands on a case ------------------------------------------------------------------------


def test_sources_notes_and_transitions_with_if_match(api, actors):
    case_id = open_case(actors["documenter"])
    client = api["documenter"]
    base = f"/api/cases/{case_id}"

    note = client.post(
        f"{base}/notes/", {"text": "Called the witness"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert note.status_code == 201 and note["ETag"] == '"2"'
    assert note.json()["events"][0]["payload"]["text"] == "Called the witness"

    source = client.post(
        f"{base}/sources/",
        {
            "title": "Intercept",
            "origins": ["SBU"],
            "excerpt": "kill everyone",
            "published_on": "2022-04-01",
            "content_sha256": blobs.put(b"intercept: kill everyone"),
        },
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert source.status_code == 201, source.content
    detail = client.get(f"{base}/").json()
    assert detail["sources"][0]["origins"] == ["SBU"]
    assert detail["notes"][0]["author"] == "dora"

    stale = problem(
        client.post(f"{base}/notes/", {"text": "x"}, format="json", HTTP_IF_MATCH='"2"'),
        412,
        "stale-version",
    )
    assert stale["current_version"] == 3

    request = client.post(
        f"{base}/transitions/",
        {"to_state": "sourcing", "reason": "ready"},
        format="json",
        HTTP_IF_MATCH='"3"',
    )
    assert request.status_code == 201, request.content
    assert client.get(f"{base}/").json()["pending"]["to_state"] == "sourcing"
    body = problem(
        client.post(
            f"{base}/transitions/",
            {"to_state": "sourcing", "reason": "x"},
            format="json",
            HTTP_IF_MATCH='"4"',
        ),
        409,
        "decision-conflict",
    )
    assert "pending request" in body["detail"]


def test_unmet_criteria_are_listed(api, actors):
    case_id = open_case(actors["documenter"], summary="", categories=[])
    body = problem(
        api["documenter"].post(
            f"/api/cases/{case_id}/transitions/",
            {"to_state": "sourcing", "reason": "go"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        422,
        "criteria-not-met",
    )
    assert body["unmet"] == ["the case has no summary", "the case has no violation category"]


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("post", "/api/cases/", {"title": "x"}),
        ("patch", "/api/cases/{id}/", {"title": "x"}),
        ("post", "/api/cases/{id}/sources/", {"title": "x"}),
        ("post", "/api/cases/{id}/notes/", {"text": "x"}),
        ("post", "/api/cases/{id}/transitions/", {"to_state": "sourcing", "reason": "x"}),
    ],
)
def test_auditors_get_403_on_every_case_write(api, actors, method, path, body):
    case_id = open_case(actors["documenter"])
    response = getattr(api["auditor"], method)(
        path.format(id=case_id), body, format="json", HTTP_IF_MATCH='"1"'
    )
    body = problem(response, 403, "permission-denied")
    assert "auditor" in body["detail"]
    assert Event.objects.filter(case_id=case_id).count() == 1


def test_supervisor_may_not_request_a_transition(api, actors):
    case_id = open_case(actors["documenter"])
    body = problem(
        api["supervisor"].post(
            f"/api/cases/{case_id}/transitions/",
            {"to_state": "sourcing", "reason": "x"},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        403,
        "permission-denied",
    )
    assert "documenter or legal reviewer" in body["detail"]


# --- idempotency -------------------------------------------------------------------------------


def test_a_retried_note_returns_the_first_result(api, actors):
    case_id = open_case(actors["documenter"])
    client = api["documenter"]
    url = f"/api/cases/{case_id}/notes/"
    first = client.post(
        url, {"text": "once"}, format="json", HTTP_IF_MATCH='"1"', HTTP_IDEMPOTENCY_KEY="note-1"
    )
    # The retry carries the same (now stale) If-Match: it still gets the first answer.
    retry = client.post(
        url, {"text": "once"}, format="json", HTTP_IF_MATCH='"1"', HTTP_IDEMPOTENCY_KEY="note-1"
    )
    assert first.status_code == retry.status_code == 201
    assert retry.json()["replayed"] is True and retry["Idempotent-Replayed"] == "true"
    assert retry.json()["events"] == first.json()["events"]
    assert Event.objects.filter(case_id=case_id, type="NoteAdded").count() == 1

    reused = problem(
        client.post(
            url,
            {"text": "something else"},
            format="json",
            HTTP_IF_MATCH='"2"',
            HTTP_IDEMPOTENCY_KEY="note-1",
        ),
        422,
        "idempotency-key-reused",
    )
    assert "different request" in reused["detail"]


def test_a_retried_case_opening_opens_one_case(api):
    client = api["documenter"]
    payload = {"title": "Only once"}
    first = client.post("/api/cases/", payload, format="json", HTTP_IDEMPOTENCY_KEY="open-7")
    retry = client.post("/api/cases/", payload, format="json", HTTP_IDEMPOTENCY_KEY="open-7")
    assert first.status_code == retry.status_code == 201
    assert retry.json()["case_id"] == first.json()["case_id"]
    assert retry.json()["replayed"] is True
    assert CaseFile.objects.filter(title="Only once").count() == 1


def test_idempotency_keys_are_per_user(api):
    one = api["documenter"].post(
        "/api/cases/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    two = api["documenter2"].post(
        "/api/cases/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert one.status_code == two.status_code == 201
    assert one.json()["case_id"] != two.json()["case_id"]
    problem(
        api["documenter"].post(
            "/api/cases/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="bad key with spaces"
        ),
        400,
    )


def test_problem_bodies_are_json_with_the_rfc_9457_members(api, actors):
    case_id = open_case(actors["documenter"])
    response = api["documenter"].post(f"/api/cases/{case_id}/notes/", {"text": "x"}, format="json")
    body = json.loads(response.content)
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    assert body["instance"] == f"/api/cases/{case_id}/notes/"


# --- assignment and waivers (commands that were reachable only in the admin) -------------------


def test_a_case_is_assigned_and_unassigned_over_the_api(api, actors, users):
    case_id = open_case(actors["documenter"])
    client = api["supervisor"]
    response = client.post(
        f"/api/cases/{case_id}/assignment/",
        {"assignee": users["legal"].pk},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["events"][0]["type"] == "CaseAssigned"
    assert CaseFile.objects.get(pk=case_id).assignee_id == users["legal"].pk
    # The stale version is refused; unassigning with the current one works.
    problem(
        client.post(
            f"/api/cases/{case_id}/assignment/",
            {"assignee": None},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        412,
        "stale-version",
    )
    response = client.post(
        f"/api/cases/{case_id}/assignment/", {"assignee": None}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 200 and CaseFile.objects.get(pk=case_id).assignee_id is None
    # An auditor changes nothing; an assignee who does not work cases is refused.
    problem(
        api["auditor"].post(
            f"/api/cases/{case_id}/assignment/",
            {"assignee": users["legal"].pk},
            format="json",
            HTTP_IF_MATCH='"3"',
        ),
        403,
    )
    problem(
        client.post(
            f"/api/cases/{case_id}/assignment/",
            {"assignee": users["auditor"].pk},
            format="json",
            HTTP_IF_MATCH='"3"',
        ),
        422,
    )
    assert Event.objects.filter(case_id=case_id).count() == 3


def test_a_supervisor_waives_the_criterion_over_the_api_and_nobody_else(api, actors):
    case_id = open_case(actors["documenter"])
    body = {"reason": "the only surviving witness; a second source cannot exist"}
    problem(
        api["documenter"].post(
            f"/api/cases/{case_id}/waivers/", body, format="json", HTTP_IF_MATCH='"1"'
        ),
        403,
    )
    problem(
        api["supervisor"].post(
            f"/api/cases/{case_id}/waivers/", {}, format="json", HTTP_IF_MATCH='"1"'
        ),
        422,
        "invalid-request",
    )
    response = api["supervisor"].post(
        f"/api/cases/{case_id}/waivers/", body, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 201, response.content
    assert response.json()["events"][0]["type"] == "CriteriaWaived"
    assert response.json()["events"][0]["payload"]["reason"] == body["reason"]
