"""The case list and the case page cost the same number of SQL queries whatever the
number of cases, sources, events, grades, verifications, facts, qualifications or
persons."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casefiles import commands
from casefiles.commands.facts import fact_record, fact_support
from casefiles.commands.legal import element_assess, qualification_add
from casefiles.commands.persons import person_add
from casefiles.commands.sources import provenance_record, source_grade, verification_record
from casefiles.domain import qualifications
from casefiles.selectors import case_state
from tests.factories import attach, move, open_case

pytestmark = pytest.mark.django_db


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


def grow_case(actors, case_id, sources: int) -> None:
    for n in range(sources):
        attach(actors["documenter"], case_id, [f"Org {n}"], title=f"Report {n}")
        commands.note_add(actor=actors["documenter"], case_id=case_id, text=f"note {n}")


def grow_evaluation(actors, case_id) -> None:
    """Per source a grade, a provenance chain, verification steps, a fact it supports and
    a protected person; per source (up to the provisions known) a qualification with an
    assessed element: every section of the case page gets longer."""
    writer, legal = actors["documenter"], actors["legal"]
    codes = list(qualifications.provisions())
    for n, source in enumerate(case_state(case_id).sources):
        ids = {"case_id": case_id, "source_id": source.source_id}
        source_grade(actor=writer, **ids, reliability="B", credibility="2",
                     reason=f"grade {n}")
        provenance_record(actor=writer, **ids, chain=[
 {"role": "captured", "organisation": f"Org {n}"},
 {"role": "relayed", "organisation": "Wire"}])
        for method in ("geolocation", "chronolocation"):
            verification_record(actor=writer, **ids, method=method,
                                result="confirmed")
        fact = fact_record(actor=writer, case_id=case_id, text=f"fact {n}")
        fact_support(actor=writer, **ids, excerpt="…",
                     fact_id=fact.events[0].payload["fact_id"])
        person_add(actor=writer, case_id=case_id, role="witness",
                   name=f"Person {n}", protected=True)
        if n < len(codes):
            added = qualification_add(actor=legal, case_id=case_id, code=codes[n])
            element = qualifications.provisions()[codes[n]]["elements"][0]["id"]
            element_assess(
     actor=legal, case_id=case_id, element=element, finding="met",
     qualification_id=added.events[0].payload["qualification_id"],
     source_ids=[source.source_id])


def test_case_page_queries_do_not_grow_with_sources_and_events(client, users, actors):
    small, large = open_case(actors["documenter"]), open_case(actors["documenter"])
    grow_case(actors, small, 1)
    grow_case(actors, large, 15)
    for case_id in (small, large):
        grow_evaluation(actors, case_id)
    move(actors["documenter"], actors["supervisor"], large, "sourcing")
    commands.case_assign(actor=actors["supervisor"], case_id=large,
                         assignee=users["documenter"])
    users["documenter2"].user_permissions.add(
        Permission.objects.get(codename="reveal_identity"))  # cleared: "Show identity…"
    for name in ("documenter", "legal", "auditor", "documenter2"):
        client.force_login(users[name])
        url = "admin:casefiles_casefile_change"
        queries(client, reverse(url, args=[small]))  # warms per-process caches
        counts = [queries(client, reverse(url, args=[case_id])) for case_id in (small, large)]
        assert counts[0] == counts[1], (name, counts)


def test_case_list_queries_do_not_grow_with_cases(client, users, actors):
    client.force_login(users["documenter"])
    url = reverse("admin:casefiles_casefile_changelist")
    filtered = {"q": "civilians", "category": "wilful_killing", "sources": "2",
                "place": "Bucha", "incident_year": "2022"}

    def make(n):
        for i in range(n):
            case_id = open_case(actors["documenter"], title=f"Case {i}",
                                incident_from=f"20{20 + i % 4}-01-01", incident_to=None)
            grow_case(actors, case_id, i % 3)
            commands.case_assign(actor=actors["documenter"], case_id=case_id,
                                 assignee=users["documenter" if i % 2 else "documenter2"])

    make(2)
    queries(client, url)  # warms per-process caches
    few = (queries(client, url), queries(client, url, filtered))
    make(60)  # more than one page of 50
    many = (queries(client, url), queries(client, url, filtered))
    assert few == many
