"""Restricted cases (compartments): four-eyes restriction and lifting, recorded as events;
then an outsider finds nothing of the case anywhere (every API endpoint and admin page,
walked from the URL configuration so a new one cannot be missed), a member and an
auditor holding the grant find everything."""

import re
import uuid
from io import StringIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from casefiles import commands
from casefiles.commands.compartments import restriction_decide, restriction_request
from casefiles.commands.tokens import token_issue
from casefiles.compartments import visible_cases
from casefiles.domain.actors import Actor
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied
from casefiles.models import CaseFile, CaseNote, Event, ExportJob, TransitionRequest
from casefiles.selectors import case_at, case_state
from tests.conftest import make_user
from tests.factories import attach, open_case

pytestmark = pytest.mark.django_db
TEAM = "team-kharkiv"
TITLE = "Quillfeather testimony of the Zorvan witness"
YEAR = 1911


@pytest.fixture
def team(users):
    group = Group.objects.create(name=TEAM)
    users["documenter"].groups.add(group)  # dora: a member
    users["supervisor2"].groups.add(group)  # sofia: a member who supervises
    return group


def restrict(actors, case_id, team=TEAM):
    restriction_request(
        actor=actors["documenter"], case_id=case_id, team=team, reason="witness testimony"
    )
    return restriction_decide(
        actor=actors["supervisor"], case_id=case_id, approve=True, reason="agreed"
    )


def test_restriction_is_four_eyes_and_recorded(actors, team):
    case_id = open_case(actors["documenter"])
    restriction_request(
        actor=actors["both"], case_id=case_id, team=TEAM, reason="witness testimony"
    )
    with pytest.raises(PermissionDenied, match="four-eyes"):
        restriction_decide(actor=actors["both"], case_id=case_id, approve=True, reason="mine")
    with pytest.raises(PermissionDenied, match="needs the role supervisor"):
        restriction_decide(actor=actors["documenter"], case_id=case_id, approve=True, reason="x")
    with pytest.raises(PermissionDenied):
        restriction_decide(actor=actors["auditor"], case_id=case_id, approve=True, reason="x")
    assert case_state(case_id).restricted_to is None  # requested, not yet restricted
    restriction_decide(actor=actors["supervisor"], case_id=case_id, approve=True, reason="agreed")
    assert case_state(case_id).restricted_to == TEAM
    assert CaseFile.objects.get(pk=case_id).restricted_to == TEAM

    # The requester of a lift cannot approve it either, even as a supervisor.
    restriction_request(
        actor=actors["supervisor2"], case_id=case_id, team=None, reason="testimony published"
    )
    with pytest.raises(PermissionDenied, match="four-eyes"):
        restriction_decide(
            actor=actors["supervisor2"], case_id=case_id, approve=True, reason="mine"
        )
    restriction_decide(actor=actors["supervisor"], case_id=case_id, approve=True, reason="ok")
    assert case_state(case_id).restricted_to is None
    types = list(Event.objects.filter(case_id=case_id).values_list("type", flat=True))
    assert types[1:] == [
        "RestrictionRequested",
        "CaseRestricted",
        "RestrictionLiftRequested",
        "RestrictionLifted",
    ]
    # The fold of the events equals the read model, and a rebuild changes nothing.
    assert case_at(case_id) == case_state(case_id)
    call_command("rebuild_projections", "--check", stdout=StringIO())


def test_restriction_refusals(actors, team):
    case_id = open_case(actors["documenter"])
    for bad in ("no-such-team", "supervisor"):
        with pytest.raises(InvalidCommand, match="not a team"):
            restriction_request(actor=actors["documenter"], case_id=case_id, team=bad, reason="x")
    with pytest.raises(InvalidCommand, match="not restricted"):
        restriction_request(actor=actors["documenter"], case_id=case_id, team=None, reason="x")
    restriction_request(actor=actors["documenter"], case_id=case_id, team=TEAM, reason="x")
    with pytest.raises(Exception, match="already has a pending restriction"):
        restriction_request(actor=actors["legal"], case_id=case_id, team=TEAM, reason="x")
    restriction_decide(
        actor=actors["supervisor"], case_id=case_id, approve=False, reason="not needed"
    )
    assert case_state(case_id).restricted_to is None
    assert case_state(case_id).restriction_pending is None
    assert case_at(case_id) == case_state(case_id)


def test_grant_is_explicit_never_superuser(actors, users, team):
    case_id = open_case(actors["documenter"])
    restrict(actors, case_id)
    boss = make_user("root", "auditor")
    boss.is_superuser = True
    boss.save()
    assert boss.has_perm("casefiles.access_restricted")  # what has_perm would have said
    assert not visible_cases(boss).filter(pk=case_id).exists()
    grant = Permission.objects.get(codename="access_restricted")
    users["auditor"].user_permissions.add(grant)
    assert visible_cases(users["auditor"]).filter(pk=case_id).exists()
    group = Group.objects.create(name="audit-grant")
    group.permissions.add(grant)
    boss.groups.add(group)
    assert visible_cases(User.objects.get(pk=boss.pk)).filter(pk=case_id).exists()


def test_exports_of_a_restricted_case_are_refused_to_outsiders(actors, users, team):
    from casefiles.commands.exports import export_request

    case_id = open_case(actors["documenter"])
    restrict(actors, case_id)
    with pytest.raises(NotFound):
        export_request(actor=actors["auditor"], case_id=case_id)
    with pytest.raises(Exception, match="no case"):
        call_command(
            "export_case",
            case_state(case_id).reference,
            "--out",
            "/dev/null",
            "--user",
            "aud",
            stdout=StringIO(),
        )
    users["auditor"].user_permissions.add(Permission.objects.get(codename="access_restricted"))
    assert export_request(actor=Actor.for_user(users["auditor"]), case_id=case_id)


def test_link_suggestions_never_name_a_restricted_case(actors, team, monkeypatch):
    """A restricted case is never suggested as "possibly the same incident" to an
    outsider's case (nor the other way round): ingestion links only unrestricted cases."""
    from pathlib import Path

    from django.conf import settings
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    seeds = sorted((Path(settings.BASE_DIR) / "seeds").iterdir())
    # 000 and 001 describe the same incident (Bucha, March 2022): linked when unrestricted.
    first = next(p for p in seeds if p.name.startswith("000"))
    second = next(p for p in seeds if p.name.startswith("001"))
    call_command("ingest", str(first), stdout=StringIO())
    restricted = list(CaseFile.objects.values_list("pk", flat=True))
    assert restricted
    for case_id in restricted:
        restrict(actors, case_id)
    call_command("ingest", str(second), stdout=StringIO())
    named = {str(pk) for pk in restricted}
    suggested = Event.objects.filter(type="LinkSuggested")
    assert not [
        e for e in suggested if e.payload["other_case_id"] in named or str(e.case_id) in named
    ]


# --- the walk ------------------------------------------------------------------------------


def _patterns(resolver=None, prefix=""):
    """Every (route, name) of the URL configuration, nested includes flattened."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name


@pytest.fixture
def world(actors, users, team, monkeypatch):
    """A restricted case with an ingested source (whose candidate case stays open to
    all), a note, a pending request and an export job; an unrestricted case next to it."""
    from pathlib import Path

    from django.conf import settings
    from django.db import transaction

    from casefiles.models import Source

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    seed = next(
        p for p in sorted((Path(settings.BASE_DIR) / "seeds").iterdir()) if p.name.startswith("003")
    )
    call_command("ingest", str(seed), stdout=StringIO())
    source = Source.objects.get()
    # A year and an assignee that only the restricted case has: the case list's filter
    # choices must not offer them to an outsider.
    case_id = open_case(
        actors["documenter"],
        title=TITLE,
        places=["Zorvanivka"],
        incident_from=f"{YEAR}-03-04",
        incident_to=None,
    )
    assignee = make_user("vasyl", "documenter")
    assignee.groups.add(team)
    commands.case_assign(actor=actors["documenter"], case_id=case_id, assignee=assignee)
    attach(
        actors["documenter"],
        case_id,
        ["Kharkiv Human Rights Group"],
        title="Kharkiv report",
        source_id=source.pk,
        content_sha256=source.content_sha256,
    )
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="Zorvan note")
    restrict(actors, case_id)
    commands.transition_request(
        actor=actors["documenter"], case_id=case_id, to_state="sourcing", reason="ready"
    )
    # A pending restriction request too (to lift it): the supervisors' pending page lists
    # those beside the transition requests.
    restriction_request(
        actor=actors["documenter"], case_id=case_id, team=None, reason="Zorvan testimony published"
    )
    other = open_case(actors["documenter2"], title="An unrestricted case")
    grant = Permission.objects.get(codename="access_restricted")
    granted = make_user("gina", "auditor")
    granted.user_permissions.add(grant)
    job = ExportJob.objects.create(
        id=uuid.uuid4(),
        case_id=case_id,
        kind="redacted",
        status=ExportJob.QUEUED,
        requested_by=granted,
        created_at=CaseFile.objects.get(pk=case_id).opened_at,
    )
    state = case_state(case_id)
    # As if ingestion had opened it: the restricted case's reference on an ingestion
    # record (the admin's ingestion list shows the cases each document opened).
    from casefiles.models import Ingestion

    Ingestion.objects.create(
        id=uuid.uuid4(),
        filename="intercept.txt",
        bytes=1,
        status=Ingestion.INGESTED,
        case_references=[state.reference, case_state(other).reference],
        submitted_by="dora",
        submitted_at=CaseFile.objects.get(pk=case_id).opened_at,
    )
    superuser = make_user("root", "documenter", "supervisor")
    superuser.is_superuser = True
    superuser.save()
    return {
        "case": state,
        "other": other,
        "job": job,
        "request": TransitionRequest.objects.get(case_id=case_id),
        "note": CaseNote.objects.get(case_id=case_id),
        "event": Event.objects.filter(case_id=case_id).order_by("version").first(),
        # The filter links, whose values are not case data in themselves (the assignee's
        # name is on the security log, for instance).
        "markers": [
            state.case_id,
            state.reference,
            "Quillfeather",
            "Zorvan",
            f"incident_year={YEAR}",
            f'assignee={assignee.pk}"',
        ],
        # A documenter, an auditor without the grant, a superuser who supervises.
        "outsiders": [users["documenter2"], users["auditor"], superuser],
        "insiders": [users["documenter"], users["supervisor2"], granted],
    }


def _fill(route: str, world) -> str | None:
    """A concrete path for a route: every id names the restricted case (or its rows)."""
    case = world["case"]
    model = re.match(r"^admin/casefiles/(\w+)/", route)
    object_ids = {
        "casefile": case.case_id,
        "event": world["event"].pk,
        "casenote": world["note"].pk,
        "transitionrequest": world["request"].pk,
    }
    values = {
        "case_id": case.case_id,
        "source_id": case.sources[0].source_id,
        "request_id": world["request"].pk,
        "export_id": world["job"].pk,
        "object_id": object_ids.get(model.group(1), uuid.uuid4()) if model else uuid.uuid4(),
        "to_state": "sourcing",
        "size": 1,
        "sha": case.sources[0].content_sha256,
    }

    def value(match):
        return str(values.get(match.group(2), uuid.uuid4()))

    if route.startswith("^") or "(?P" in route:
        return None  # the admin's regex routes (app index, catch-all): walked by hand below
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


# Every API route, by what it is; a new endpoint must be added here (and walked).
API_ROUTES = {
    "schema",
    "docs",
    "token",
    "signing-key",
    "cases",
    "case",
    "case-events",
    "case-sources",
    "case-notes",
    "case-transitions",
    "case-assignment",
    "case-waivers",
    "case-source-grade",
    "case-source-provenance",
    "case-source-verifications",
    "case-facts",
    "case-fact-support",
    "case-support-origin",
    "case-support-aggregate",
    "case-support-link",
    "case-support-withdraw",
    "case-corroboration",
    "case-qualifications",
    "case-qualification-elements",
    "case-conflict",
    "case-liabilities",
    "case-liability-elements",
    "case-persons",
    "case-person-reveal",
    "case-detach",
    "case-remove",
    "case-split",
    "case-discard",
    "case-restore",
    "case-merge-decision",
    "case-link-merge",
    "case-link-dismiss",
    "case-restriction",
    "case-restriction-decision",
    "case-exports",
    "export",
    "export-download",
    "approvals",
    "approve",
    "reject",
    "sources",
    "source",
    "source-original",
    "ingestions",
    "ingestion",
    "log-checkpoint",
    "log-tree-head",
    "log-proof",
    "log-inclusion",
    "log-cosignatures",
    "tokens",
    "token-revoke",
}
EXTRA = [
    "/admin/",
    "/admin/casefiles/",
    "/api/log/inclusion?case={id}&version=1&size=1",
    "/api/cases/?q=Quillfeather",
    "/api/cases/?place=Zorvanivka",
    "/api/cases/?state=intake",
    "/api/cases/?category=wilful_killing",
    "/admin/casefiles/casefile/?q=Quillfeather",
    "/admin/casefiles/casefile/?q={ref}",
    "/admin/casefiles/event/?q={id}",
    "/admin/casefiles/casenote/?q=Zorvan",
    "/admin/casefiles/transitionrequest/?q={ref}",
    "/admin/casefiles/transitionrequest/pending/",
    "/admin/casefiles/casefile/?_facets=1",
    "/admin/casefiles/transitionrequest/?_facets=1",
    "/admin/casefiles/event/?_facets=1",
]
# The restriction pages of the case (a request, a lift, a decision).
RESTRICTION_PAGES = ("restrict", "lift", "restriction")


def _walk(world):
    routes = [
        (route, name)
        for route, name in _patterns()
        if route.startswith(("api/", "admin/casefiles/"))
    ]
    api_names = {name for route, name in routes if route.startswith("api/")}
    assert api_names == API_ROUTES, "classify the new API endpoint in API_ROUTES"
    case = world["case"]
    for route, _name in routes:
        path = _fill(route, world)
        if path is not None:
            yield path
    for extra in EXTRA:
        yield extra.format(id=case.case_id, ref=case.reference)


def _ghost(path: str, world) -> str:
    for known in (world["case"].case_id, world["request"].pk, world["job"].pk):
        path = path.replace(str(known), str(uuid.uuid4()))
    return path


def _clients(user):
    _, key = token_issue(user=user, issued_with="password")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    browser = APIClient()
    browser.force_login(user)
    return api, browser


def test_an_outsider_finds_nothing_of_a_restricted_case(world):
    walked = 0
    for user in world["outsiders"]:
        api, browser = _clients(user)
        for path in _walk(world):
            client = api if path.startswith("/api/") else browser
            for method in ("get", "post"):
                data = {} if method == "post" else None
                response = getattr(client, method)(path, data)
                raw = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                body = raw.decode(errors="replace") + str(response.headers)
                typed = [
                    str(known)
                    for known in (world["case"].case_id, world["request"].pk, world["job"].pk)
                    if str(known) in path
                ]
                if typed:
                    # The same answer as for ids that name nothing: existence is not given
                    # away (404; or a role refused, a method not allowed, the admin's
                    # redirect to the change page, an empty search: the same for any id).
                    ghost = getattr(client, method)(_ghost(path, world), data)
                    assert response.status_code == ghost.status_code, (
                        user.username,
                        method,
                        path,
                        response.status_code,
                    )
                # What the outsider typed (ids, search words) may be echoed back.
                for known in typed + [value for _, value in parse_qsl(urlsplit(path).query)]:
                    body = body.replace(known, "")
                for marker in world["markers"]:
                    assert marker not in body, (
                        user.username,
                        method,
                        path,
                        marker,
                        response.status_code,
                    )
                walked += 1
        cases = api.get("/api/cases/").json()
        assert cases["count"] == CaseFile.objects.filter(restricted_to="").count()
        source = api.get(f"/api/sources/{world['case'].sources[0].source_id}/").json()
        assert source["cases"] and world["case"].reference not in str(source)
    assert walked > 200


def test_a_member_and_a_granted_auditor_find_everything(world):
    case = world["case"]
    for user in world["insiders"]:
        api, browser = _clients(user)
        listed = api.get("/api/cases/").json()
        assert listed["count"] == CaseFile.objects.count() and case.reference in str(listed)
        source = api.get(f"/api/sources/{case.sources[0].source_id}/").json()
        assert case.reference in str(source["cases"])
        for query in ("q=Quillfeather", "place=Zorvanivka", "state=intake"):
            assert case.reference in api.get(f"/api/cases/?{query}").content.decode()
        detail = api.get(f"/api/cases/{case.case_id}/")
        assert detail.status_code == 200 and detail.json()["restricted_to"] == TEAM
        assert api.get(f"/api/cases/{case.case_id}/events/").status_code == 200
        assert api.get(f"/api/cases/{case.case_id}/corroboration/").status_code == 200
        for path in (
            "/admin/casefiles/casefile/",
            "/admin/casefiles/casefile/?q=Quillfeather",
            f"/admin/casefiles/casefile/{case.case_id}/change/",
            f"/admin/casefiles/event/?q={case.case_id}",
            "/admin/casefiles/casenote/?q=Zorvan",
            "/admin/",
        ):
            response = browser.get(path)
            assert response.status_code == 200, (user.username, path)
            assert "Quillfeather" in response.content.decode() or path == "/admin/", path
    # The other member supervises: the queue shows the request (not her own).
    api, _ = _clients(world["insiders"][1])
    assert case.reference in api.get("/api/approvals/").content.decode()


def test_restriction_pages_of_a_restricted_case_answer_404_to_outsiders(world, client):
    case = world["case"]
    before = Event.objects.filter(case_id=case.case_id).count()
    # A documenter is offered the request pages, a supervising superuser all three, on a
    # case they may see; a page refused by role is refused for any case (walked above).
    offered = {
        world["outsiders"][0]: ("restrict", "lift"),
        world["outsiders"][2]: RESTRICTION_PAGES,
    }
    for user, names in offered.items():
        client.force_login(user)
        for name in names:
            url = f"/admin/casefiles/casefile/{case.case_id}/{name}/"
            assert client.get(url).status_code == 404, (user.username, url)
            posted = client.post(url, {"team": "", "reason": "x", "button": "approve"})
            assert posted.status_code == 404, (user.username, url)
        pending = client.get("/admin/casefiles/transitionrequest/pending/").content.decode()
        assert "Restriction requests" not in pending and "Zorvan" not in pending
    assert Event.objects.filter(case_id=case.case_id).count() == before


def test_a_member_finds_the_restriction_pages_and_the_filter_choices(world, client):
    case = world["case"]
    dora, sofia, gina = world["insiders"]
    client.force_login(dora)
    page = client.get(f"/admin/casefiles/casefile/{case.case_id}/change/").content.decode()
    assert f"Restricted to team {TEAM}" in page
    assert "dora asked to lift the restriction to team" in page
    assert "Zorvan testimony published" in page
    # The requester may not decide her own request, nor ask twice while it waits.
    assert 'id="casefiles-decide-restriction"' not in page
    assert 'id="casefiles-restrict"' not in page
    listing = client.get("/admin/casefiles/casefile/").content.decode()
    assert all(marker in listing for marker in world["markers"][-2:])
    # The other member supervises: the pending page and the decision page are hers.
    client.force_login(sofia)
    pending = client.get("/admin/casefiles/transitionrequest/pending/").content.decode()
    assert "Restriction requests" in pending and case.reference in pending
    assert f"/admin/casefiles/casefile/{case.case_id}/restriction/" in pending
    decide = client.get(f"/admin/casefiles/casefile/{case.case_id}/restriction/")
    assert decide.status_code == 200 and "Zorvan testimony published" in decide.content.decode()
    answer = client.post(
        f"/admin/casefiles/casefile/{case.case_id}/restriction/",
        {
            "reason": "still sensitive",
            "button": "reject",
            "expected_version": case_state(case.case_id).version,
        },
    )
    assert answer.status_code == 302
    assert case_state(case.case_id).restriction_pending is None
    assert case_state(case.case_id).restricted_to == TEAM
    for name in ("restrict", "lift"):
        response = client.get(f"/admin/casefiles/casefile/{case.case_id}/{name}/")
        assert response.status_code == 200, name
    # The granted auditor sees the case and its filter choices, and can decide nothing.
    client.force_login(gina)
    listing = client.get("/admin/casefiles/casefile/").content.decode()
    assert all(marker in listing for marker in world["markers"][-2:])
    assert client.get(f"/admin/casefiles/casefile/{case.case_id}/restriction/").status_code == 403
