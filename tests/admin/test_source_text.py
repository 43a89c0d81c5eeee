"""The source viewer: an exhibit's stored text with the cited spans highlighted and the
facts citing them; its form (filled by selecting text) cites a passage."""

import re

import pytest
from django.urls import reverse

from casefiles import blobs
from casefiles.commands.facts import fact_record, fact_support
from casefiles.selectors import case_state
from tests.admin.test_evaluation_pages import as_user  # noqa: F401 (the fixture)
from tests.factories import attach, exhibit, ingest_seed, open_case

pytestmark = pytest.mark.django_db
QUOTE = "showed the Ukrainian prisoners executed near the village of Novoivanovka"


@pytest.fixture
def cited(actors):
    doc = actors["documenter"]
    case_id = open_case(doc)
    source_id = exhibit(doc, case_id, "003", ["The New York Times"], title="NYT: executions")
    bare = attach(doc, case_id, ["AP"], title="AP by reference").events[0].payload["source_id"]
    fact = fact_record(actor=doc, case_id=case_id, text="Two prisoners were shot")
    fact_id = fact.events[0].payload["fact_id"]
    fact_support(actor=doc, case_id=case_id, fact_id=fact_id, source_id=source_id, quote=QUOTE)
    return case_id, source_id, bare, fact_id


def viewer(case_id, source_id) -> str:
    return reverse("admin:casefiles_casefile_source_text", args=[case_id, source_id])


def test_the_viewer_highlights_what_is_cited_and_by_which_fact(as_user, cited):  # noqa: F811
    case_id, source_id, _, _ = cited
    page = as_user("auditor").get(viewer(case_id, source_id)).content.decode()
    text = blobs.read(ingest_seed("003").text_sha256).decode()
    start = text.index(QUOTE)
    assert (
        f'<span data-start="{start}" class="casefiles-cited" title="Two prisoners were shot">'
        f"{QUOTE}</span>" in page
    )
    # The pieces, unescaped, are the stored text exactly: offsets count in it.
    pre = page.split('id="casefiles-source-text">')[1].split("</pre>")[0]
    pieces = re.findall(r'<span data-start="(\d+)"[^>]*>(.*?)</span>', pre, re.S)
    import html

    assert "".join(html.unescape(piece) for _, piece in pieces) == text
    assert all(text.startswith(html.unescape(p), int(at)) for at, p in pieces)
    assert f"{start}–{start + len(QUOTE)}" in page
    assert 'id="casefiles-cite-form"' not in page  # an auditor cites nothing


def test_a_documenter_cites_a_selected_passage_from_the_viewer(as_user, cited):  # noqa: F811
    case_id, source_id, _, fact_id = cited
    client = as_user("documenter")
    url = viewer(case_id, source_id)
    page = client.get(url).content.decode()
    assert 'id="casefiles-cite-form"' in page and "casefiles/source_text" in page
    text = blobs.read(ingest_seed("003").text_sha256).decode()
    quote = "Novoivanovka in the Kursk region of Russia"
    start = text.index(quote)
    # What source_text.js posts once the passage is selected.
    response = client.post(
        reverse("admin:casefiles_casefile_support", args=[case_id]),
        {
            "next": url,
            "expected_version": case_state(case_id).version,
            "source": source_id,
            "fact": fact_id,
            "quote": quote,
            "start": start,
            "end": start + len(quote),
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    (_, second) = case_state(case_id).facts[0]["support"]
    assert (second["span"]["start"], second["span"]["end"]) == (start, start + len(quote))
    # Offsets that do not hold the quote are refused with the nearest passage.
    response = client.post(
        reverse("admin:casefiles_casefile_support", args=[case_id]),
        {
            "expected_version": case_state(case_id).version,
            "source": source_id,
            "fact": fact_id,
            "quote": quote,
            "start": start + 3,
            "end": start + 3 + len(quote),
        },
    )
    assert response.status_code == 200
    assert "is not the quoted text" in response.content.decode()


def test_a_source_without_stored_text_or_of_another_case(as_user, cited, actors):  # noqa: F811
    case_id, source_id, bare, _ = cited
    client = as_user("documenter")
    response = client.get(viewer(case_id, bare))
    assert response.status_code == 302
    other = open_case(actors["documenter"])
    response = client.get(viewer(other, source_id), follow=True)
    assert "has no source" in response.content.decode()


def test_span_actions_from_the_case_page(as_user, cited):  # noqa: F811
    """Origin, aggregate, link and withdraw, each through its action page and command."""
    case_id, _, _, fact_id = cited
    client = as_user("documenter")
    (support,) = case_state(case_id).facts[0]["support"]
    ids = [case_id, fact_id, support["support_id"]]
    page = client.get(reverse("admin:casefiles_casefile_change", args=[case_id])).content
    for name in ("span_origin", "span_aggregate", "span_withdraw"):
        assert reverse(f"admin:casefiles_casefile_{name}", args=ids).encode() in page

    def act(name, data):
        return client.post(
            reverse(f"admin:casefiles_casefile_{name}", args=ids),
            {"expected_version": case_state(case_id).version, **data},
        )

    assert act("span_origin", {"role_0": "relayed", "organisation_0": "NYT"}).status_code == 200
    response = act(
        "span_origin",
        {
            "role_0": "captured",
            "organisation_0": "Ukrainian drone unit",
            "role_1": "verified",
            "organisation_1": "The New York Times",
        },
    )
    assert response.status_code == 302
    span = case_state(case_id).facts[0]["support"][0]
    assert span["chain"][0] == {"role": "captured", "organisation": "Ukrainian drone unit"}
    assert act("span_aggregate", {"incidents": 24, "reason": "24 incidents"}).status_code == 302
    assert act("span_link", {"reason": "listed among them"}).status_code == 302
    assert act("span_withdraw", {"reason": "another village"}).status_code == 302
    span = case_state(case_id).facts[0]["support"][0]
    assert (span["aggregate"]["incidents"], span["aggregate_link"]["reason"]) == (
        24,
        "listed among them",
    )
    assert span["withdrawn"]["reason"] == "another village"
    page = client.get(reverse("admin:casefiles_casefile_change", args=[case_id])).content
    assert b"support withdrawn: not counted" in page
    assert (
        as_user("auditor")
        .get(reverse("admin:casefiles_casefile_span_withdraw", args=ids))
        .status_code
        == 403
    )
