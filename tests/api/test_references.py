"""A case by the reference people use, in every API URL that names a case (issue 18):
`/api/cases/CF-2026-000006/` as well as by id, any case of letters; an unknown reference
is the API's 404 problem; a restricted case is 404 by reference as by id."""

import pytest

from casefiles.commands.compartments import restriction_decide, restriction_request
from casefiles.models import CaseFile
from tests.conftest import make_user
from tests.factories import open_case

pytestmark = pytest.mark.django_db


def test_every_case_url_takes_the_reference(api, actors):
    case_id = open_case(actors["documenter"], title="Shelling of Irpin")
    reference = CaseFile.objects.get(pk=case_id).reference
    client = api["documenter"]
    for name in (reference, reference.lower()):
        body = client.get(f"/api/cases/{name}/").json()
        assert body["id"] == case_id and body["reference"] == reference
        assert client.get(f"/api/cases/{name}/events/").json()[0]["case_id"] == case_id
    written = client.post(
        f"/api/cases/{reference}/notes/",
        {"text": "by reference"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert written.status_code == 201 and written.json()["case_id"] == case_id


def test_an_unknown_reference_is_a_404_problem(api):
    response = api["documenter"].get("/api/cases/CF-1999-000001/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_restricted_case_is_404_by_reference_too(api, actors):
    make_user("tina", "documenter", "team-a")
    case_id = open_case(actors["documenter"], title="Restricted")
    reference = CaseFile.objects.get(pk=case_id).reference
    restriction_request(actor=actors["documenter"], case_id=case_id, team="team-a", reason="x")
    restriction_decide(actor=actors["supervisor"], case_id=case_id, approve=True, reason="y")
    by_id = api["documenter2"].get(f"/api/cases/{case_id}/")
    by_reference = api["documenter2"].get(f"/api/cases/{reference}/")
    assert by_id.status_code == by_reference.status_code == 404
    assert by_reference.json()["detail"].replace(reference, case_id) == by_id.json()["detail"]
