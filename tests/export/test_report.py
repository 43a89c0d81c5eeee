import shutil
import subprocess
import zipfile

import pytest

from casefiles import signing
from casefiles.export.bundle import export_case
from casefiles.selectors import case_state
from tests.export.conftest import HOSTILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(case_id, tmp_path) -> dict[str, bytes]:
    path = tmp_path / "bundle.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in ("report.html", "report.pdf")}


def test_html_report_escapes_every_untrusted_text(reports):
    page = reports["report.html"].decode()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'href="javascript' not in page  # source URLs are shown, never linked
    assert "Content-Security-Policy\" content=\"default-src 'none'" in page


def test_html_report_shows_summary_sources_decisions_and_every_event(reports, case_id):
    page = reports["report.html"].decode()
    case = case_state(case_id)
    key = signing.signing_key().public
    first_section = page.split("<h2>Case summary</h2>")[0]
    assert case.head_hash in first_section and key.fingerprint in first_section
    assert page.count("<tr><td>") == case.version  # one timeline row per event
    for text in (
        "Legal review",
        "Ірпінь",
        "Witness statement",
        "Kyiv Independent",
        "Human Rights Watch, AP",
        "no stored original",
        "Sourcing → Corroboration: requested by dora",
        "rejected by sofia",
        "“check the dates”",
        "Approved Corroboration → Legal review",
        "sam (supervisor)",
        "Assigned to dora",
        "not graded",
        "B2: source usually reliable, information probably true; graded by dora",
        "statement matches the imagery",
    ):
        assert text in page, text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_report_renders_its_first_page(reports, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(reports["report.pdf"])
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    pages = list(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    assert pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pages[0].stat().st_size > 5000  # a page with text, not a blank


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_report_text_holds_the_head_hash_on_page_one_and_the_untrusted_text(
    reports, case_id, tmp_path
):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(reports["report.pdf"])
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    everything = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert case_state(case_id).head_hash in first
    assert signing.signing_key().public.fingerprint.split()[0] in first
    assert HOSTILE.split(" &")[0] in everything.replace("\n", " ")
    assert "Ірпінь" in everything  # the font covers Cyrillic


def test_report_shows_corrections_with_their_reasons(actors, tmp_path):
    """A candidate discarded and restored, then closed and reopened: each correction is
    in the report with who and why."""
    from casefiles import commands
    from casefiles.commands.cases import candidate_discard, candidate_restore
    from tests.factories import close, open_case

    doc, sup = actors["documenter"], actors["supervisor"]
    case_id = open_case(doc)
    candidate_discard(actor=doc, case_id=case_id, reason="looked like a drill")
    candidate_restore(actor=sup, case_id=case_id, reason="a second source confirms it")
    close(doc, actors["legal"], sup, case_id)
    asked = commands.transition_request(
        actor=doc, case_id=case_id, to_state="legal_review", reason="a new witness"
    )
    commands.transition_approve(
        actor=actors["supervisor2"],
        request_id=asked.events[0].payload["request_id"],
        reason="the witness saw the order given",
    )
    path = tmp_path / "bundle.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    with zipfile.ZipFile(path) as archive:
        page = archive.read("report.html").decode()
    for text in (
        "Discarded the candidate at intake: looked like a drill",
        "Restored the discarded candidate to intake: a second source confirms it",
        "Reopened the case (Closed → Legal review, approved): the witness saw the order given",
        "Closed → Legal review: requested by dora",
        "approved (reopened) by sofia",
    ):
        assert text in page, text


def test_report_has_a_legal_section_with_findings_standards_facts_and_liability(
    case_id, actors, tmp_path
):
    from casefiles.commands.facts import fact_record
    from casefiles.commands.legal import (
        conflict_classify,
        element_assess,
        liability_allege,
        liability_element_assess,
        qualification_add,
    )
    from casefiles.commands.persons import person_add

    doc, legal = actors["documenter"], actors["legal"]
    fact = fact_record(actor=doc, case_id=case_id, text=f"Shells hit the school {HOSTILE}")
    fact_id = fact.events[0].payload["fact_id"]
    person = person_add(
        actor=doc, case_id=case_id, role="alleged_perpetrator", name="Gen. Z", protected=True
    ).events[0]
    conflict_classify(
        actor=legal, case_id=case_id, classification="international", reason="two States"
    )
    qualification = qualification_add(
        actor=legal, case_id=case_id, code="attack_on_civilians"
    ).events[0]
    qualification_id = qualification.payload["qualification_id"]
    element_assess(
        actor=legal,
        case_id=case_id,
        qualification_id=qualification_id,
        element="attack",
        finding="met",
        standard="beyond_reasonable_doubt",
        fact_ids=[fact_id],
    )
    liability_id = (
        liability_allege(
            actor=legal,
            case_id=case_id,
            person_id=person.payload["person_id"],
            mode="military_commander",
            qualification_id=qualification_id,
        )
        .events[0]
        .payload["liability_id"]
    )
    liability_element_assess(
        actor=legal,
        case_id=case_id,
        liability_id=liability_id,
        element="commander",
        finding="insufficient",
        note="rank unconfirmed",
    )
    path = tmp_path / "legal.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    with zipfile.ZipFile(path) as archive:
        page = archive.read("report.html").decode()
    legal_section = page.split("<h2>Legal framework</h2>")[1].split("<h2>")[0]
    for text in (
        "an international armed conflict: two States",
        "Qualification: art. 8(2)(b)(i) War crime of attacking civilians",
        "The perpetrator directed an attack.",
        "met, on beyond reasonable doubt; facts cited: “Shells hit the school &lt;script&gt;",
        "[K] The perpetrator intended the civilian population",
        "[C] The conduct took place in the context of and was associated with an "
        "international armed conflict.",
        "not assessed",
        "Liability of Alleged perpetrator 1: Responsibility of a military commander "
        "(art. 28(a)) — art. 8(2)(b)(i) War crime of attacking civilians",
        "insufficient information, on reasonable grounds to believe; facts cited: none; "
        "note: rank unconfirmed",
    ):
        assert text in legal_section, text
    assert "Gen. Z" not in page and "<script" not in page
