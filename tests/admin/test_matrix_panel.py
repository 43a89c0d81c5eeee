"""The evidence matrix on the admin case page: element → facts → cited spans, with the
gaps shown as rows, in Ukrainian for a Ukrainian reader."""

import html

import pytest

from casefiles.commands.facts import fact_record, fact_support
from casefiles.commands.legal import element_assess, qualification_add
from tests.admin.test_evaluation_pages import as_user, case_id, page, source_id  # noqa: F401

pytestmark = pytest.mark.django_db

SHOT = "were shot dead on the spot"


@pytest.fixture
def assessed(case_id, actors):  # noqa: F811 (the imported fixture)
    fact_id = (
        fact_record(actor=actors["documenter"], case_id=case_id, text="Prisoners were shot")
        .events[0]
        .payload["fact_id"]
    )
    fact_support(
        actor=actors["documenter"],
        case_id=case_id,
        fact_id=fact_id,
        source_id=source_id(case_id, "UN report"),
        quote=SHOT,
    )
    qualification_id = (
        qualification_add(actor=actors["legal"], case_id=case_id, code="wilful_killing")
        .events[0]
        .payload["qualification_id"]
    )
    element_assess(
        actor=actors["legal"],
        case_id=case_id,
        qualification_id=qualification_id,
        element="killed",
        finding="met",
        standard="reasonable_grounds",
        fact_ids=[fact_id],
    )
    return case_id


def _panel(text: str) -> str:
    return text.split('id="casefiles-matrix"')[1].split('id="casefiles-persons"')[0]


def test_the_case_page_shows_the_matrix_with_its_gaps(as_user, assessed):  # noqa: F811
    panel = _panel(page(as_user("auditor"), assessed))
    lines = panel.split('<tr class="casefiles-matrix-line')[1:]
    assert len(lines) == 5  # the five elements of art. 8(2)(a)(i), one span behind one
    assert "The perpetrator killed one or more persons." in lines[0]
    assert SHOT in html.unescape(lines[0]) and "UN report" in lines[0]
    assert "casefiles-matrix-gap" not in lines[0]
    for line in lines[1:]:
        assert line.startswith(" casefiles-matrix-gap")
        assert "not assessed: no evidence cited" in line


def test_the_matrix_speaks_ukrainian(as_user, assessed):  # noqa: F811
    client = as_user("auditor")
    response = client.get(
        f"/admin/casefiles/casefile/{assessed}/change/", HTTP_ACCEPT_LANGUAGE="uk"
    )
    panel = _panel(response.content.decode())
    assert "Матриця доказів" in panel
    assert "не оцінено: доказів не наведено" in panel
    assert "Evidence matrix" not in panel and "no evidence cited" not in panel


def test_a_detached_sources_span_stays_listed_but_does_not_count(as_user, assessed, actors):  # noqa: F811
    from casefiles.commands.sources import source_detach
    from casefiles.domain.matrix import case_matrix
    from casefiles.selectors import case_state

    source_detach(
        actor=actors["documenter"],
        case_id=assessed,
        source_id=source_id(assessed, "UN report"),
        reason="attached to the wrong case",
    )
    (q,) = case_matrix(case_state(assessed))
    killed = q["elements"][0]
    (span,) = killed["facts"][0]["spans"]
    assert (span["counts"], span["standing"]) == (False, "source_detached")
    assert killed["gap"] == "no_span_counts"
    panel = _panel(page(as_user("auditor"), assessed))
    assert "source detached from the case: not counted" in panel
