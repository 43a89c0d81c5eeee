"""The case list and the case page cost the same number of SQL queries whatever the
number of cases, sources or events."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casefiles import commands
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


def test_case_page_queries_do_not_grow_with_sources_and_events(client, users, actors):
    small, large = open_case(actors["documenter"]), open_case(actors["documenter"])
    grow_case(actors, small, 1)
    grow_case(actors, large, 15)
    move(actors["documenter"], actors["supervisor"], large, "sourcing")
    commands.case_assign(actor=actors["supervisor"], case_id=large,
                         assignee=users["documenter"])
    for name in ("documenter", "auditor"):
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
