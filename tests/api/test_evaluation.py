"""Sourcing, corroboration and legal review over HTTP: grades, provenance, verification
steps, facts and the corroboration panel, legal qualifications and elements, persons and
the audited reveal, split, and merging or dismissing a suggested link."""

import hashlib
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from casefiles import blobs
from casefiles.commands.facts import fact_record
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from casefiles.commands.legal import qualification_add
from casefiles.commands.persons import person_add
from casefiles.domain.describe import describe
from casefiles.models import CaseFile, Event, Source
from tests.api.test_cases import problem
from tests.factories import SUBMITTER, attach, exhibit, ingest_seed, open_case, suggest_link

pytestmark = pytest.mark.django_db
PROTECTED_NAME = "Olena Kovalenko"


def post(client, path: str, body: dict, version: int | None = None, **headers):
    if version is not None:
        headers["HTTP_IF_MATCH"] = f'"{version}"'
    return client.post(path, body, format="json", **headers)


def version_of(case_id) -> int:
    return CaseFile.objects.get(pk=case_id).version


def detail(client, case_id) -> dict:
    response = client.get(f"/api/cases/{case_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def clear(user) -> None:
    """Grant the individual clearance to see protected identities."""
    user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))


@pytest.fixture
def worked(actors) -> SimpleNamespace:
    """A case with two sources of independent origins, a fact, a qualification and a
    protected person, all made through the commands."""
    doc = actors["documenter"]
    case_id = open_case(doc, categories=["killing_hors_de_combat"])
    # Exhibits with stored texts (seeds 003 and 004), so that spans can be cited.
    sources = [
        exhibit(doc, case_id, prefix, [origin], title=title)
        for prefix, origin, title in (
            ("003", "The New York Times", "NYT: executions"),
            ("004", "UN HRMMU", "HRMMU: executions"),
        )
    ]
    fact = fact_record(actor=doc, case_id=case_id, text="Surrendered soldiers were shot")
    qualification = qualification_add(
        actor=actors["legal"], case_id=case_id, code="killing_hors_de_combat"
    )
    person = person_add(
        actor=doc, case_id=case_id, role="witness", name=PROTECTED_NAME, protected=True
    )
    return SimpleNamespace(
        case_id=case_id,
        base=f"/api/cases/{case_id}",
        source=sources[0],
        other=sources[1],
        fact=fact.events[0].payload["fact_id"],
        qualification=qualification.events[0].payload["qualification_id"],
        person=person.events[0].payload["person_id"],
    )


def _fill(value, ids: SimpleNamespace):
    if isinstance(value, str):
        return value.format(**vars(ids))
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


# name: (role allowed to do it, path under the case, a valid body, success status)
WRITES = {
    "grade": (
        "documenter",
        "sources/{source}/grade/",
        {"reliability": "B", "credibility": "2", "reason": "track record"},
        200,
    ),
    "provenance": (
        "documenter",
        "sources/{source}/provenance/",
        {"chain": [{"role": "obtained", "organisation": "The New York Times"}]},
        200,
    ),
    "verification": (
        "documenter",
        "sources/{source}/verifications/",
        {"method": "geolocation", "result": "confirmed"},
        201,
    ),
    "fact": ("documenter", "facts/", {"text": "The column was shelled"}, 201),
    "support": (
        "documenter",
        "facts/{fact}/support/",
        {"source_id": "{source}", "quote": "showed the Ukrainian prisoners executed"},
        201,
    ),
    "qualification": ("legal", "qualifications/", {"code": "wilful_killing"}, 201),
    "element": (
        "legal",
        "qualifications/{qualification}/elements/",
        {"element": "killed_or_injured", "finding": "met", "fact_ids": ["{fact}"]},
        200,
    ),
    "person": ("documenter", "persons/", {"role": "victim", "name": "Ivan P."}, 201),
    "split": (
        "documenter",
        "split/",
        {"source_ids": ["{other}"], "title": "A second incident", "reason": "distinct"},
        201,
    ),
}


def refused_then_done(api, role: str, case_id: str, path: str, body: dict, status: int) -> dict:
    """Every precondition and permission path refuses without writing; then the valid
    request succeeds. Returns the success body."""
    client, version = api[role], version_of(case_id)
    problem(post(client, path, body), 428)
    assert (
        "Idempotency-Key"
        in problem(post(client, path, body, version, HTTP_IDEMPOTENCY_KEY="retry-1"), 400)["detail"]
    )
    stale = problem(post(client, path, body, version - 1), 412, "stale-version")
    assert (stale["expected_version"], stale["current_version"]) == (version - 1, version)
    assert (
        "auditor"
        in problem(post(api["auditor"], path, body, version), 403, "permission-denied")["detail"]
    )
    problem(post(client, path.replace(case_id, str(uuid.uuid4())), body, version), 404, "not-found")
    invalid = problem(
        post(client, path, {**body, "colour": "red"}, version), 422, "invalid-request"
    )
    assert "unknown field" in invalid["errors"]["colour"][0]
    assert version_of(case_id) == version  # nothing was written

    done = post(client, path, body, version)
    assert done.status_code == status, done.content
    assert done["ETag"] == f'"{version_of(case_id)}"' != f'"{version}"'
    assert done.json()["replayed"] is False and done.json()["events"]
    return done.json()


@pytest.mark.parametrize("name", WRITES)
def test_each_write_refuses_bad_requests_then_succeeds(api, worked, name):
    role, path, body, status = WRITES[name]
    refused_then_done(
        api,
        role,
        worked.case_id,
        f"{worked.base}/{_fill(path, worked)}",
        _fill(body, worked),
        status,
    )


# --- sources: grade, provenance, verification ----------------------------------------------


def test_grading_shows_the_latest_grade_and_keeps_the_history(api, worked):
    url = f"{worked.base}/sources/{worked.source}/grade/"
    first = post(
        api["documenter"],
        url,
        {"reliability": "C", "credibility": 3, "reason": "first look"},
        version_of(worked.case_id),
    )
    assert first.status_code == 200, first.content
    second = post(
        api["legal"],
        url,
        {"reliability": "B", "credibility": "2", "reason": "geolocated"},
        version_of(worked.case_id),
    )
    assert second.status_code == 200, second.content
    grade = detail(api["auditor"], worked.case_id)["sources"][0]["grade"]
    assert (grade["reliability"], grade["credibility"], grade["graded_by"]) == ("B", "2", "lena")
    assert [
        e.payload["reliability"]
        for e in Event.objects.filter(case_id=worked.case_id, type="SourceGraded").order_by(
            "version"
        )
    ] == ["C", "B"]
    body = problem(
        post(
            api["documenter"],
            url,
            {"reliability": "G", "credibility": "7", "reason": "x"},
            version_of(worked.case_id),
        ),
        422,
        "invalid-request",
    )
    assert set(body["errors"]) == {"reliability", "credibility"}


def test_unknown_source_is_404(api, worked):
    missing = uuid.uuid4()
    for action, body in (
        ("grade", WRITES["grade"][2]),
        ("verifications", WRITES["verification"][2]),
    ):
        body = problem(
            post(
                api["documenter"],
                f"{worked.base}/sources/{missing}/{action}/",
                body,
                version_of(worked.case_id),
            ),
            404,
            "not-found",
        )
        assert str(missing) in body["detail"]


def test_provenance_decides_the_origins_a_source_counts_for(api, worked):
    url = f"{worked.base}/sources/{worked.other}/provenance/"
    relay = {
        "chain": [
            {"role": "obtained", "organisation": "The New York Times"},
            {"role": "relayed", "organisation": "Daily Mail"},
        ]
    }
    assert detail(api["auditor"], worked.case_id)["independent_origins"] == 2
    response = post(api["documenter"], url, relay, version_of(worked.case_id))
    assert response.status_code == 200, response.content
    case = detail(api["auditor"], worked.case_id)
    assert case["sources"][1]["provenance"] == relay["chain"]
    assert (case["independent_origins"], case["corroboration"]) == (1, "single_origin")

    no_origin = {"chain": [{"role": "relayed", "organisation": "Daily Mail"}]}
    assert (
        "names no origin"
        in problem(
            post(api["documenter"], url, no_origin, version_of(worked.case_id)),
            422,
            "invalid-command",
        )["detail"]
    )
    misspelt = {"chain": [{"role": "obtained", "organisation": "NYT", "organization": "x"}]}
    body = problem(
        post(api["documenter"], url, misspelt, version_of(worked.case_id)), 422, "invalid-request"
    )
    assert "unknown field" in str(body["errors"]["chain"])


def test_verification_steps_accumulate(api, worked):
    url = f"{worked.base}/sources/{worked.source}/verifications/"
    for method, result in (("geolocation", "confirmed"), ("chronolocation", "inconclusive")):
        response = post(
            api["documenter"],
            url,
            {"method": method, "result": result, "notes": "treeline"},
            version_of(worked.case_id),
        )
        assert response.status_code == 201, response.content
    steps = detail(api["auditor"], worked.case_id)["sources"][0]["verifications"]
    assert [(s["method"], s["result"], s["by"]) for s in steps] == [
        ("geolocation", "confirmed", "dora"),
        ("chronolocation", "inconclusive", "dora"),
    ]
    body = problem(
        post(
            api["documenter"],
            url,
            {"method": "astrology", "result": "confirmed"},
            version_of(worked.case_id),
        ),
        422,
        "invalid-request",
    )
    assert "method" in body["errors"]


# --- facts and the corroboration panel -----------------------------------------------------


def panel(client, case_id, **params) -> list[dict]:
    response = client.get(f"/api/cases/{case_id}/corroboration/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_without_facts_the_panel_has_one_row_per_source(api, actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    attach(doc, case_id, ["AP"], title="AP report")
    attach(doc, case_id, ["Reuters", "AP"], title="Reuters relay")
    response = api["auditor"].get(f"/api/cases/{case_id}/corroboration/")
    assert response["ETag"] == f'"{version_of(case_id)}"'
    # An excerpt is not a cited span: it corroborates nothing until a fact cites it.
    assert [(row["sources"], row["status"], row["label"]) for row in response.json()] == [
        (["AP report"], "uncorroborated", "no fact recorded"),
        (["Reuters relay"], "uncorroborated", "no fact recorded"),
    ]


NOVOIVANOVKA = "showed the Ukrainian prisoners executed near the village of Novoivanovka"
FIGURE_91 = (
    "human rights monitoring mission in Ukraine has documented 29 encounters in which "
    "Russian soldiers killed at least 91 incapacitated Ukrainian soldiers"
)
FIGURE_79 = (
    "has documented 24 separate incidents in which Russian troops have executed 79 "
    "captured Ukrainian soldiers"
)


def cite(client, worked, source, quote, fact=None, status=201, **extra):
    response = post(
        client,
        f"{worked.base}/facts/{fact or worked.fact}/support/",
        {"source_id": source, "quote": quote, **extra},
        version_of(worked.case_id),
    )
    assert response.status_code == status, response.content
    return response.json()


def support_id(body) -> str:
    return body["events"][0]["payload"]["support_id"]


def test_facts_and_their_cited_spans_drive_the_panel(api, worked):
    client = api["documenter"]
    before = version_of(worked.case_id)
    (row,) = panel(api["auditor"], worked.case_id)
    assert (row["text"], row["sources"], row["spans"], row["status"]) == (
        "Surrendered soldiers were shot",
        [],
        [],
        "uncorroborated",
    )
    nyt = cite(client, worked, worked.source, NOVOIVANOVKA)
    (event,) = nyt["events"]
    payload = event["payload"]
    text = ingest_seed("003").text_sha256
    assert (payload["source_text_sha256"], payload["quote"]) == (text, NOVOIVANOVKA)
    assert payload["text_sha256"] == hashlib.sha256(NOVOIVANOVKA.encode()).hexdigest()
    assert payload["end"] - payload["start"] == len(NOVOIVANOVKA)
    assert event["schema"] == 2
    cite(client, worked, worked.other, "shot dead on the spot")
    (row,) = panel(api["auditor"], worked.case_id)
    assert row["label"] == "corroborated by 2 independent origins"
    assert row["sources"] == ["NYT: executions", "HRMMU: executions"]
    assert row["origins"] == [["The New York Times"], ["UN HRMMU"]]
    assert [span["standing"] for span in row["spans"]] == ["counted", "counted"]
    (old,) = panel(api["auditor"], worked.case_id, as_of=str(before))
    assert old["status"] == "uncorroborated"
    assert "ETag" not in api["auditor"].get(f"{worked.base}/corroboration/", {"as_of": str(before)})

    again = cite(client, worked, worked.source, NOVOIVANOVKA, status=422)
    assert "already supports" in again["detail"]
    for fact, source in ((uuid.uuid4(), worked.source), (worked.fact, uuid.uuid4())):
        cite(client, worked, str(source), "x", fact=fact, status=404)
    problem(
        post(client, f"{worked.base}/facts/", {"text": "  "}, version_of(worked.case_id)),
        422,
        "invalid-command",
    )


def test_an_invented_quote_is_refused_with_the_nearest_passage(api, worked):
    client, version = api["documenter"], version_of(worked.case_id)
    body = cite(
        client, worked, worked.other, "The UN confirmed the Novoivanovka killings.", status=422
    )
    assert body["type"].endswith("invalid-command")
    assert "not in the source's stored text" in body["detail"]
    nearest = body["nearest"]
    stored = blobs.read(ingest_seed("004").text_sha256).decode()
    assert stored[nearest["start"] : nearest["end"]] == nearest["text"]
    assert nearest["text"] in body["detail"]
    # A true quote at the wrong offsets, or with another quote's hash, is refused too.
    moved = cite(client, worked, worked.other, FIGURE_79, start=0, end=len(FIGURE_79), status=422)
    assert "is not the quoted text" in moved["detail"]
    assert stored[moved["nearest"]["start"] : moved["nearest"]["end"]] == FIGURE_79
    wrong_hash = cite(client, worked, worked.other, FIGURE_79, text_sha256="0" * 64, status=422)
    assert "text_sha256" in wrong_hash["detail"]
    assert version_of(worked.case_id) == version
    assert not Event.objects.filter(case_id=worked.case_id, type="FactSupported").exists()


def test_an_exhibit_without_a_stored_text_cannot_be_cited(api, worked, actors):
    bare = attach(actors["documenter"], worked.case_id, ["AP"], title="AP by reference")
    body = cite(
        api["documenter"],
        worked,
        bare.events[0].payload["source_id"],
        "…kill everyone we see…",
        status=422,
    )
    assert "no stored text" in body["detail"]


def test_the_91_and_the_79_trace_to_one_origin(api, worked):
    """Seed 003 (the NYT) quotes the UN monitoring mission's 91; seed 004 reports the
    same mission's 79: two documents, one first-hand origin."""
    client = api["documenter"]
    fact = post(
        client,
        f"{worked.base}/facts/",
        {"text": "Russian troops executed captured Ukrainian soldiers in 2024"},
        version_of(worked.case_id),
    ).json()["events"][0]["payload"]["fact_id"]
    hrmmu_via_nyt = [
        {
            "role": "documented",
            "organisation": "UN HRMMU",
            "quote": "human rights monitoring mission in Ukraine has documented",
        },
        {"role": "relayed", "organisation": "The New York Times"},
    ]
    first = cite(client, worked, worked.source, FIGURE_91, fact=fact, chain=hrmmu_via_nyt)
    link = first["events"][0]["payload"]["chain"][0]
    assert set(link) == {"role", "organisation", "said"}
    cite(client, worked, worked.other, FIGURE_79, fact=fact)
    row = next(r for r in panel(api["auditor"], worked.case_id) if r["fact_id"] == fact)
    assert (row["status"], row["label"]) == ("single_origin", "single origin")
    assert row["origins"] == [["UN HRMMU"]]
    assert "both spans trace to UN HRMMU: counted once" in row["reasons"]
    # The case is as corroborated as its weakest fact (the documents reach two origins).
    case = detail(api["auditor"], worked.case_id)
    assert case["fact_corroboration"]["status"] == "uncorroborated"  # the first fact: none
    assert case["independent_origins"] == 2
    assert [s["standing"] for s in row["spans"]] == ["counted", "same_origin"]

    # The origin stated by the analyst is checked like the span: a made-up passage is
    # refused, a chain without a first-hand link too.
    invented = [{"role": "documented", "organisation": "OSCE", "quote": "OSCE documented it"}]
    assert "nearest" in cite(
        client, worked, worked.source, NOVOIVANOVKA, fact=fact, chain=invented, status=422
    )
    relay_only = [{"role": "relayed", "organisation": "Daily Mail"}]
    body = cite(
        client, worked, worked.source, NOVOIVANOVKA, fact=fact, chain=relay_only, status=422
    )
    assert "no first-hand origin" in body["detail"]


def test_an_aggregate_corroborates_an_incident_only_when_linked_with_a_reason(api, worked):
    client = api["documenter"]
    cite(client, worked, worked.source, NOVOIVANOVKA)
    aggregate = support_id(
        cite(
            client,
            worked,
            worked.other,
            FIGURE_79,
            aggregate_incidents=24,
            aggregate_reason="79 executions across 24 incidents",
        )
    )
    (row,) = panel(api["auditor"], worked.case_id)
    assert (row["status"], row["origins"]) == ("single_origin", [["The New York Times"]])
    assert row["spans"][1]["standing"] == "aggregate_unlinked"
    assert "span 2: aggregate figure not linked to this fact: not counted" in row["reasons"]

    link = f"{worked.base}/facts/{worked.fact}/support/{aggregate}/link/"
    problem(post(client, link, {"reason": " "}, version_of(worked.case_id)), 422)
    linked = post(
        client,
        link,
        {"reason": "HRMMU lists the Novoivanovka execution among the 24"},
        version_of(worked.case_id),
    )
    assert linked.status_code == 200, linked.content
    (row,) = panel(api["auditor"], worked.case_id)
    assert row["label"] == "corroborated by 2 independent origins"
    assert row["spans"][1]["aggregate_link"]["reason"].startswith("HRMMU lists")


def test_withdrawn_support_stays_visible_and_stops_counting(api, worked):
    client = api["documenter"]
    cite(client, worked, worked.source, NOVOIVANOVKA)
    other = support_id(cite(client, worked, worked.other, "shot dead on the spot"))
    withdraw = f"{worked.base}/facts/{worked.fact}/support/{other}/withdraw/"
    problem(post(client, withdraw, {}, version_of(worked.case_id)), 422, "invalid-request")
    done = post(
        client, withdraw, {"reason": "quote is about other incidents"}, version_of(worked.case_id)
    )
    assert done.status_code == 200, done.content
    (row,) = panel(api["auditor"], worked.case_id)
    assert row["label"] == "single origin"
    assert row["spans"][1]["standing"] == "withdrawn"
    assert row["spans"][1]["withdrawn"]["reason"] == "quote is about other incidents"
    again = post(client, withdraw, {"reason": "twice"}, version_of(worked.case_id))
    assert "withdrawn" in problem(again, 422)["detail"]
    (event,) = [
        e
        for e in api["auditor"].get(f"{worked.base}/events/").json()
        if e["type"] == "SupportWithdrawn"
    ]
    assert event["payload"]["reason"] == "quote is about other incidents"
    assert describe(event) == (
        "Withdrew a span's support of a fact: quote is about other incidents"
    )


def test_panel_of_an_unknown_case_or_a_bad_as_of(api, worked):
    problem(api["auditor"].get(f"/api/cases/{uuid.uuid4()}/corroboration/"), 404, "not-found")
    problem(
        api["auditor"].get(f"{worked.base}/corroboration/", {"as_of": "soon"}),
        422,
        "invalid-command",
    )
    problem(api["auditor"].get(f"{worked.base}/corroboration/", {"as_of": "999"}), 404)


# --- legal review ----------------------------------------------------------------------------


def test_qualifications_and_elements_are_for_legal_reviewers(api, worked):
    url = f"{worked.base}/qualifications/"
    for role in ("documenter", "supervisor"):
        body = problem(
            post(api[role], url, {"code": "torture"}, version_of(worked.case_id)),
            403,
            "permission-denied",
        )
        assert "legal reviewer" in body["detail"]
    duplicate = post(
        api["legal"], url, {"code": "killing_hors_de_combat"}, version_of(worked.case_id)
    )
    assert "already recorded" in problem(duplicate, 422, "invalid-command")["detail"]
    assert (
        "code"
        in problem(
            post(api["legal"], url, {"code": "genocide"}, version_of(worked.case_id)),
            422,
            "invalid-request",
        )["errors"]
    )

    elements = f"{worked.base}/qualifications/{worked.qualification}/elements/"
    unsupported = post(
        api["legal"],
        elements,
        {"element": "hors_de_combat", "finding": "met"},
        version_of(worked.case_id),
    )
    assert "must cite at least one fact" in problem(unsupported, 422, "invalid-command")["detail"]
    for body, field in (
        ({"source_ids": [worked.source]}, "source_ids"),
        ({"fact_ids": ["not-a-uuid"]}, "fact_ids"),
        ({"fact_ids": worked.fact}, "fact_ids"),
        ({"fact_ids": [worked.fact] * 201}, "fact_ids"),
        ({"standard": "hunch", "fact_ids": [worked.fact]}, "standard"),
    ):
        refused = post(
            api["legal"],
            elements,
            {"element": "hors_de_combat", "finding": "met", **body},
            version_of(worked.case_id),
        )
        assert field in problem(refused, 422, "invalid-request")["errors"], body
    stranger = post(
        api["legal"],
        elements,
        {"element": "hors_de_combat", "finding": "met", "fact_ids": [str(uuid.uuid4())]},
        version_of(worked.case_id),
    )
    assert "has no fact" in problem(stranger, 422, "invalid-command")["detail"]
    unknown = post(
        api["legal"],
        elements,
        {"element": "motive", "finding": "met", "fact_ids": [worked.fact]},
        version_of(worked.case_id),
    )
    assert "'motive' is not an element" in problem(unknown, 422, "invalid-command")["detail"]
    problem(
        post(
            api["legal"],
            f"{worked.base}/qualifications/{uuid.uuid4()}/elements/",
            {"element": "hors_de_combat", "finding": "insufficient"},
            version_of(worked.case_id),
        ),
        404,
        "not-found",
    )
    assessed = post(
        api["legal"],
        elements,
        {
            "element": "hors_de_combat",
            "finding": "met",
            "fact_ids": [worked.fact],
            "standard": "beyond_reasonable_doubt",
            "note": "they had surrendered",
        },
        version_of(worked.case_id),
    )
    assert assessed.status_code == 200, assessed.content
    (qualification,) = detail(api["auditor"], worked.case_id)["qualifications"]
    finding = qualification["elements"]["hors_de_combat"]
    assert (
        finding["finding"],
        finding["standard"],
        finding["fact_ids"],
        finding["assessed_by"],
    ) == ("met", "beyond_reasonable_doubt", [worked.fact], "lena")


# --- persons and the audited reveal -----------------------------------------------------------


def test_adding_a_protected_person_answers_with_the_pseudonym_only(api, worked):
    response = post(
        api["documenter"],
        f"{worked.base}/persons/",
        {
            "role": "witness",
            "name": "Mykola Hrytsenko",
            "protected": True,
            "pseudonym": "Witness B",
        },
        version_of(worked.case_id),
    )
    assert response.status_code == 201, response.content
    assert b"Hrytsenko" not in response.content
    (event,) = response.json()["events"]
    assert (event["payload"]["pseudonym"], event["payload"]["name"]) == ("Witness B", None)
    assert len(event["payload"]["identity_commitment"]) == 64
    persons = detail(api["documenter"], worked.case_id)["persons"]
    assert [(p["pseudonym"], p["name"], p["protected"]) for p in persons] == [
        ("Witness 1", None, True),
        ("Witness B", None, True),
    ]
    unprotected = post(
        api["documenter"],
        f"{worked.base}/persons/",
        {"role": "unit", "name": "Brigade 155"},
        version_of(worked.case_id),
    )
    assert unprotected.status_code == 201
    assert detail(api["auditor"], worked.case_id)["persons"][-1]["name"] == "Brigade 155"
    assert (
        "role"
        in problem(
            post(
                api["documenter"],
                f"{worked.base}/persons/",
                {"role": "bystander", "name": "x"},
                version_of(worked.case_id),
            ),
            422,
            "invalid-request",
        )["errors"]
    )


def reveal(client, worked, reason="prepare the interview", person=None, **headers):
    return post(
        client,
        f"{worked.base}/persons/{person or worked.person}/reveal/",
        {"reason": reason},
        **headers,
    )


@pytest.mark.parametrize("role", ["documenter", "supervisor", "legal", "auditor", "both"])
def test_uncleared_users_get_403_and_nothing_is_recorded(api, worked, role):
    version = version_of(worked.case_id)
    body = problem(reveal(api[role], worked), 403, "permission-denied")
    assert "has no clearance for protected identities" in body["detail"]
    assert PROTECTED_NAME not in str(body)
    assert version_of(worked.case_id) == version


@pytest.mark.parametrize(
    "role,recorded_role", [("legal", "legal_reviewer"), ("auditor", "auditor")]
)
def test_a_cleared_user_sees_the_name_and_the_look_is_recorded(
    api, users, worked, role, recorded_role
):
    clear(users[role])
    version = version_of(worked.case_id)
    response = reveal(api[role], worked, reason="prepare the hearing")
    assert response.status_code == 200, response.content
    assert response.json() == {"person_id": worked.person, "name": PROTECTED_NAME}
    assert response["Cache-Control"] == "no-store"
    look = Event.objects.get(case_id=worked.case_id, type="IdentityRevealed")
    assert look.version == version + 1
    assert (look.actor["role"], look.payload["reason"]) == (recorded_role, "prepare the hearing")
    assert PROTECTED_NAME not in str(look.as_record())


def test_reveal_refuses_bad_requests(api, users, worked):
    clear(users["legal"])
    client = api["legal"]
    version = version_of(worked.case_id)
    assert (
        "reason is required"
        in problem(reveal(client, worked, reason=" "), 422, "invalid-command")["detail"]
    )
    problem(
        post(client, f"{worked.base}/persons/{worked.person}/reveal/", {}), 422, "invalid-request"
    )
    problem(reveal(client, worked, person=uuid.uuid4()), 404, "not-found")
    problem(
        post(client, f"/api/cases/{uuid.uuid4()}/persons/{worked.person}/reveal/", {"reason": "x"}),
        404,
        "not-found",
    )
    problem(reveal(client, worked, HTTP_IDEMPOTENCY_KEY="look-1"), 400)
    assert version_of(worked.case_id) == version


# --- split, merge, dismiss --------------------------------------------------------------------


def test_split_opens_a_new_case_named_by_location(api, worked):
    response = post(
        api["documenter"],
        f"{worked.base}/split/",
        {
            "source_ids": [worked.other],
            "title": "Executions near Vovchansk",
            "reason": "a distinct incident",
        },
        version_of(worked.case_id),
    )
    assert response.status_code == 201, response.content
    new = api["auditor"].get(response["Location"]).json()
    assert new["title"] == "Executions near Vovchansk"
    assert [s["title"] for s in new["sources"]] == ["HRMMU: executions"]
    assert new["related"] == [
        {
            "relation": "split_from",
            "case_id": worked.case_id,
            "reference": detail(api["auditor"], worked.case_id)["reference"],
        }
    ]
    assert detail(api["auditor"], worked.case_id)["related"][0]["case_id"] == new["id"]
    empty = post(
        api["documenter"],
        f"{worked.base}/split/",
        {"source_ids": [], "title": "x", "reason": "y"},
        version_of(worked.case_id),
    )
    assert "at least one source" in problem(empty, 422, "invalid-command")["detail"]


def _ingest(*prefixes: str) -> None:
    for prefix in prefixes:
        path = next((Path(settings.BASE_DIR) / "seeds").glob(f"{prefix}_*.txt"))
        job = ingestion_submit(data=path.read_bytes(), filename=path.name, actor=SUBMITTER)
        document_ingest(ingestion_id=str(job.id))


def _pow_case(prefix: str, victims: int) -> CaseFile:
    """The candidate case the extractor opened for the prisoners' executions in a seed."""
    return next(
        case
        for case in CaseFile.objects.filter(extraction_category="killing_hors_de_combat")
        if case.extraction["allegation"]["victim_count"] == victims
        and Source.objects.get(pk=case.extraction["source_id"]).filename.startswith(prefix)
    )


@pytest.fixture
def pow_link(users) -> SimpleNamespace:
    """Seeds 003 (NYT with the Centre for Information Resilience) and 004 (the UN
    monitoring mission) ingested, their executions cases linked as a shared pattern (the
    gold annotation's relation; ingestion itself does not see the shared origin)."""
    _ingest("003", "004")
    nyt, un = _pow_case("003", 2), _pow_case("004", 79)
    link = suggest_link(nyt.pk, un.pk)
    return SimpleNamespace(
        case_id=str(nyt.pk),
        other_id=str(un.pk),
        link=link,
        base=f"/api/cases/{nyt.pk}",
    )


@pytest.mark.parametrize("action", ["merge", "dismiss"])
def test_link_decisions_refuse_bad_requests_then_succeed(api, pow_link, action):
    path = f"{pow_link.base}/links/{pow_link.link}/{action}/"
    refused_then_done(api, "documenter", pow_link.case_id, path, {"reason": "checked"}, 200)
    again = post(api["documenter"], path, {}, version_of(pow_link.case_id))
    assert "already" in problem(again, 422, "invalid-command")["detail"]
    problem(
        post(
            api["documenter"],
            f"{pow_link.base}/links/{uuid.uuid4()}/{action}/",
            {},
            version_of(pow_link.case_id),
        ),
        404,
        "not-found",
    )


def test_dismissing_marks_the_link_on_both_cases(api, pow_link):
    response = post(
        api["supervisor"],
        f"{pow_link.base}/links/{pow_link.link}/dismiss/",
        {},
        version_of(pow_link.case_id),
    )
    assert response.status_code == 200, response.content
    assert response.json()["events"][0]["payload"]["reason"] == "not the same incident"
    for case_id in (pow_link.case_id, pow_link.other_id):
        links = {
            link["link_id"]: link["status"] for link in detail(api["auditor"], case_id)["links"]
        }
        assert links[pow_link.link] == "dismissed"
    assert detail(api["auditor"], pow_link.other_id)["merged_into"] is None


def test_the_novoivanovka_execution_is_not_corroborated_by_the_un_aggregate(api, pow_link):
    """Merging seed 003's execution of 2 prisoners near Novoivanovka with seed 004's UN
    figure (79 executed across 24 incidents) does not corroborate the execution: the
    aggregate counts only once an analyst links it to the incident with a reason."""
    client = api["documenter"]
    merged = post(
        client,
        f"{pow_link.base}/links/{pow_link.link}/merge/",
        {"reason": "same pattern of executions of surrendered soldiers"},
        version_of(pow_link.case_id),
    )
    assert merged.status_code == 200, merged.content
    assert merged.json()["events"][-1]["type"] == "CaseAbsorbed"
    assert detail(client, pow_link.other_id)["merged_into"] == pow_link.case_id

    fact = post(
        client,
        f"{pow_link.base}/facts/",
        {"text": "Two surrendered Ukrainian soldiers were executed near Novoivanovka"},
        version_of(pow_link.case_id),
    )
    assert fact.status_code == 201, fact.content
    fact_id = fact.json()["events"][0]["payload"]["fact_id"]
    nyt, un = detail(client, pow_link.case_id)["sources"]
    # The footage was verified by the NYT; who captured it is what makes it first-hand.
    captured = [
        {
            "role": "captured",
            "organisation": "Ukrainian drone unit",
            "quote": "A pilot who witnessed the killing on the feed and provided the video",
        },
        {"role": "verified", "organisation": "The New York Times"},
    ]
    for source, extra in (
        (nyt, {"chain": captured}),
        (un, {"aggregate_incidents": 24, "aggregate_reason": "79 executed in 24 incidents"}),
    ):
        supported = post(
            client,
            f"{pow_link.base}/facts/{fact_id}/support/",
            {"source_id": source["source_id"], "quote": source["excerpt"], **extra},
            version_of(pow_link.case_id),
        )
        assert supported.status_code == 201, supported.content
    (row,) = panel(api["auditor"], pow_link.case_id)
    assert (row["status"], row["label"]) == ("single_origin", "single origin")
    assert [span["standing"] for span in row["spans"]] == ["counted", "aggregate_unlinked"]


# --- conflict classification and modes of liability ------------------------------------------


def test_conflict_and_liability_endpoints_refuse_bad_requests_then_succeed(api, worked, actors):
    perpetrator = (
        person_add(
            actor=actors["documenter"],
            case_id=worked.case_id,
            role="alleged_perpetrator",
            name="Col. Hrabar",
        )
        .events[0]
        .payload["person_id"]
    )
    refused_then_done(
        api,
        "legal",
        worked.case_id,
        f"{worked.base}/conflict/",
        {"classification": "international", "reason": "two States"},
        200,
    )
    assert detail(api["auditor"], worked.case_id)["conflict"]["classification"] == "international"
    niac = post(
        api["legal"],
        f"{worked.base}/qualifications/",
        {"code": "murder_niac"},
        version_of(worked.case_id),
    )
    assert "non-international" in problem(niac, 422, "invalid-command")["detail"]
    alleged = refused_then_done(
        api,
        "legal",
        worked.case_id,
        f"{worked.base}/liabilities/",
        {
            "person_id": perpetrator,
            "mode": "military_commander",
            "qualification_id": worked.qualification,
        },
        201,
    )
    liability_id = alleged["events"][0]["payload"]["liability_id"]
    refused_then_done(
        api,
        "legal",
        worked.case_id,
        f"{worked.base}/liabilities/{liability_id}/elements/",
        {
            "element": "effective_control",
            "finding": "met",
            "standard": "substantial_grounds",
            "fact_ids": [worked.fact],
        },
        200,
    )
    (shown,) = detail(api["auditor"], worked.case_id)["liabilities"]
    assert shown["person"] == "Col. Hrabar"
    assert shown["elements"]["effective_control"]["fact_ids"] == [worked.fact]
    for body, status, kind in (
        ({"person_id": worked.person, "mode": "ordering"}, 422, "invalid-command"),
        ({"person_id": perpetrator, "mode": "vibes"}, 422, "invalid-request"),
        ({"person_id": str(uuid.uuid4()), "mode": "ordering"}, 404, "not-found"),
    ):
        problem(
            post(
                api["legal"],
                f"{worked.base}/liabilities/",
                {**body, "qualification_id": worked.qualification},
                version_of(worked.case_id),
            ),
            status,
            kind,
        )
    problem(
        post(
            api["legal"],
            f"{worked.base}/liabilities/{uuid.uuid4()}/elements/",
            {"element": "commander", "finding": "insufficient"},
            version_of(worked.case_id),
        ),
        404,
        "not-found",
    )
