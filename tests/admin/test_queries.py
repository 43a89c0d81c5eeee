"""The case list and the case page cost the same number of SQL queries whatever the
number of cases, sources, events, grades, verifications, facts, qualifications or
persons; so do every admin changelist and the supervisors' pending page, whatever the
number of rows."""

from datetime import UTC, datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from casefiles import blobs, commands
from casefiles.commands.clearance import clearance_grant
from casefiles.commands.compartments import restriction_request
from casefiles.commands.facts import fact_record, fact_support
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from casefiles.commands.legal import element_assess, qualification_add
from casefiles.commands.links import cases_merge
from casefiles.commands.persons import person_add
from casefiles.commands.sources import provenance_record, source_grade, verification_record
from casefiles.commands.tokens import token_issue
from casefiles.domain import qualifications
from casefiles.models import CaseFile
from casefiles.selectors import case_state, case_states
from tests.conftest import make_user
from tests.factories import SUBMITTER, attach, exhibit, ingest_seed, move, open_case, suggest_link

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
    cited = exhibit(writer, case_id, "003", ["The New York Times"], title="Exhibit")
    text = blobs.read(ingest_seed("003").text_sha256).decode()
    for n, source in enumerate(case_state(case_id).sources):
        ids = {"case_id": case_id, "source_id": source.source_id}
        source_grade(actor=writer, **ids, reliability="B", credibility="2", reason=f"grade {n}")
        provenance_record(
            actor=writer,
            **ids,
            chain=[
                {"role": "captured", "organisation": f"Org {n}"},
                {"role": "relayed", "organisation": "Wire"},
            ],
        )
        for method in ("geolocation", "chronolocation"):
            verification_record(actor=writer, **ids, method=method, result="confirmed")
        fact = fact_record(actor=writer, case_id=case_id, text=f"fact {n}")
        fact_support(
            actor=writer,
            case_id=case_id,
            source_id=cited,
            fact_id=fact.events[0].payload["fact_id"],
            quote=text[n * 20 : n * 20 + 10],
            start=n * 20,
            end=n * 20 + 10,
        )
        person_add(
            actor=writer, case_id=case_id, role="witness", name=f"Person {n}", protected=True
        )
        if n < len(codes):
            added = qualification_add(actor=legal, case_id=case_id, code=codes[n])
            element = qualifications.provisions()[codes[n]]["elements"][0]["id"]
            element_assess(
                actor=legal,
                case_id=case_id,
                element=element,
                finding="met",
                qualification_id=added.events[0].payload["qualification_id"],
                fact_ids=[fact.events[0].payload["fact_id"]],
            )


def test_case_page_queries_do_not_grow_with_sources_and_events(client, users, actors):
    small, large = open_case(actors["documenter"]), open_case(actors["documenter"])
    grow_case(actors, small, 1)
    grow_case(actors, large, 15)
    for case_id in (small, large):
        grow_evaluation(actors, case_id)
    move(actors["documenter"], actors["supervisor"], large, "sourcing")
    commands.case_assign(actor=actors["supervisor"], case_id=large, assignee=users["documenter"])
    users["documenter2"].user_permissions.add(
        Permission.objects.get(codename="reveal_identity")
    )  # cleared: "Show identity…"
    for name in ("documenter", "legal", "auditor", "documenter2"):
        client.force_login(users[name])
        url = "admin:casefiles_casefile_change"
        queries(client, reverse(url, args=[small]))  # warms per-process caches
        counts = [queries(client, reverse(url, args=[case_id])) for case_id in (small, large)]
        assert counts[0] == counts[1], (name, counts)


def test_case_list_queries_do_not_grow_with_cases(client, users, actors):
    client.force_login(users["documenter"])
    url = reverse("admin:casefiles_casefile_changelist")
    filtered = {
        "q": "civilians",
        "category": "wilful_killing",
        "sources": "2",
        "place": "Bucha",
        "incident_year": "2022",
    }

    def make(n):
        for i in range(n):
            case_id = open_case(
                actors["documenter"],
                title=f"Case {i}",
                incident_from=f"20{20 + i % 4}-01-01",
                incident_to=None,
            )
            grow_case(actors, case_id, i % 3)
            commands.case_assign(
                actor=actors["documenter"],
                case_id=case_id,
                assignee=users["documenter" if i % 2 else "documenter2"],
            )

    make(2)
    queries(client, url)  # warms per-process caches
    few = (queries(client, url), queries(client, url, filtered))
    make(60)  # more than one page of 50
    many = (queries(client, url), queries(client, url, filtered))
    assert few == many


# --- every changelist and the pending page ---------------------------------------------


def grow_everything(actors, admin_user, start: int, n: int) -> None:
    """n more rows in every table an admin changelist shows: cases with a source, a note,
    a pending transition request and (every other one) a pending restriction request,
    hence events; ingested documents and ingestion records; accounts with a token, a
    clearance grant (a security log entry), an authenticator app and a passkey; teams;
    the lockout's records."""
    now = datetime.now(UTC)
    for i in range(start, start + n):
        case_id = open_case(actors["documenter"], title=f"Case {i}")
        attach(actors["documenter"], case_id, [f"Org {i}"], title=f"Report {i}")
        commands.note_add(actor=actors["documenter"], case_id=case_id, text=f"note {i}")
        commands.transition_request(
            actor=actors["documenter"], case_id=case_id, to_state="sourcing", reason=f"ready {i}"
        )
        team = Group.objects.create(name=f"team-{i}")
        if i % 2:
            restriction_request(
                actor=actors["documenter"], case_id=case_id, team=team.name, reason=f"testimony {i}"
            )
        text = f"Field report {i}\n\nA quiet day in the archive, nothing to record ({i}).\n"
        job = ingestion_submit(data=text.encode(), filename=f"report-{i}.txt", actor=SUBMITTER)
        document_ingest(ingestion_id=str(job.id))
        person = make_user(f"person{i}", "documenter")
        person.groups.add(team)
        token_issue(user=person, issued_with="password")
        clearance_grant(user=person, by=admin_user, reason=f"grant {i}")
        TOTPDevice.objects.create(user=person, name=f"phone {i}", confirmed=True)
        WebAuthnCredential.objects.create(
            user=person,
            name=f"key {i}",
            credential_id=i.to_bytes(16, "big"),
            public_key=b"\x02" * 77,
            sign_count=0,
            confirmed=True,
        )
        AccessAttempt.objects.create(
            username=f"person{i}",
            ip_address="192.0.2.1",
            user_agent="test",
            path_info="/admin/login/",
            failures_since_start=1,
            attempt_time=now,
        )
        AccessLog.objects.create(
            username=f"person{i}",
            ip_address="192.0.2.1",
            user_agent="test",
            path_info="/admin/login/",
            attempt_time=now,
        )
        AccessFailureLog.objects.create(
            username=f"person{i}",
            ip_address="192.0.2.1",
            user_agent="test",
            path_info="/admin/login/",
            attempt_time=now,
        )


def test_every_changelist_costs_the_same_queries_for_few_and_many_rows(client, actors):
    """Walked from the admin's registry, so a new list is measured without being named
    here; each list must have grown (a list that stays empty proves nothing)."""
    # Every list is open to an administrator who also audits (the case-file lists need a
    # role, the security log an auditor or an administrator, the account lists a superuser).
    boss = make_user("boss", "auditor")
    boss.is_superuser = True
    boss.save()
    client.force_login(boss)
    lists = {
        model._meta.label: reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        for model in admin.site._registry
    }

    def measure() -> dict[str, tuple[int, int]]:
        measured = {}
        for label, url in lists.items():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, label
            measured[label] = (len(captured), response.context["cl"].result_count)
        return measured

    grow_everything(actors, boss, 0, 2)
    measure()  # warms per-process caches
    few = measure()
    grow_everything(actors, boss, 2, 8)
    many = measure()
    for label in lists:
        assert many[label][1] > few[label][1], (label, "the list did not grow")
    assert {label: n for label, (n, _) in few.items()} == {
        label: n for label, (n, _) in many.items()
    }


def test_pending_page_costs_the_same_queries_for_3_and_9_requests(client, users, actors):
    """Transition requests and restriction requests, as the deciding supervisor sees them
    (with the entry criteria of each request) and as the requester sees them."""
    team = Group.objects.create(name="team-kharkiv")
    url = reverse("admin:casefiles_transitionrequest_pending")

    def grow(n):
        for i in range(n):
            case_id = open_case(actors["documenter"], title=f"Case {i}")
            attach(actors["documenter"], case_id, [f"Org {i}"])
            commands.note_add(actor=actors["documenter"], case_id=case_id, text="note")
            commands.transition_request(
                actor=actors["documenter"], case_id=case_id, to_state="sourcing", reason="ready"
            )
            restriction_request(
                actor=actors["documenter"], case_id=case_id, team=team.name, reason="testimony"
            )
            # A merge request: the linked case is past intake.
            other = open_case(actors["documenter"], title=f"Other {i}")
            move(actors["documenter2"], actors["supervisor2"], other, "sourcing")
            cases_merge(
                actor=actors["documenter"],
                case_id=case_id,
                link_id=suggest_link(case_id, other),
                reason="same",
            )

    counts = {}
    for size in (3, 6):
        grow(size)
        for name in ("supervisor", "documenter"):
            client.force_login(users[name])
            queries(client, url)  # warms per-process caches
            response = client.get(url)
            assert len(response.context["rows"]) == len(response.context["restrictions"])
            assert len(response.context["rows"]) == len(response.context["merges"])
            counts.setdefault(name, []).append(queries(client, url))
    assert counts["supervisor"][0] == counts["supervisor"][1], counts
    assert counts["documenter"][0] == counts["documenter"][1], counts
    # The batch read the page uses gives each case's state exactly as read alone.
    ids = [str(pk) for pk in CaseFile.objects.values_list("pk", flat=True)]
    assert case_states(ids) == {case_id: case_state(case_id) for case_id in ids}
