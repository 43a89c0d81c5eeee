"""The admin in a real browser (Debian's Chromium, headless, driven by Playwright):
a documenter finds an ingested case, edits it and asks to move it on; a supervisor
approves; an auditor reads the history and can change nothing. Screenshots of every
page go to artifacts/screenshots/ (kept by CI)."""

from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.test.testcases import LiveServerThread

from casefiles.commands.ingestion import ingestion_submit
from casefiles.models import CaseFile, Event
from tests.conftest import make_user
from tests.factories import SUBMITTER

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
SEED = Path(settings.BASE_DIR) / "seeds" / "000_448653ccaf37dc7e.txt"

ON_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
    # See server_url: SQLite shares the test's connection, PostgreSQL commits for real.
    pytest.mark.django_db(transaction=not ON_SQLITE),
]


@pytest.fixture
def server_url(request):
    """A live server that sees the test's data.

    SQLite's test database lives in memory, so the server thread shares the test's own
    connection (as Django's LiveServerTestCase does) and the test's transaction is rolled
    back afterwards: a flush would fail on SQLite, where the event table's triggers refuse
    DELETE. PostgreSQL flushes with TRUNCATE, so pytest-django's live server works there.
    """
    if not ON_SQLITE:
        yield request.getfixturevalue("live_server").url
        return
    shared = connections["default"]
    shared.inc_thread_sharing()
    server = LiveServerThread(
        "localhost", StaticFilesHandler, connections_override={"default": shared}
    )
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        if server.error:
            raise server.error
        yield f"http://localhost:{server.port}"
    finally:
        server.terminate()
        shared.dec_thread_sharing()


@contextmanager
def chromium():
    """The browser, opened only after the test has written its data: inside Playwright's
    event loop Django would hand this thread a different database connection, which
    could not see (or would wait for) the test's open transaction."""
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Session:
    """One person's browser tab, saving a screenshot of each page it looks at."""

    def __init__(self, browser, base: str, username: str):
        self.page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        self.page.set_default_timeout(20_000)
        self.base = base
        self.page.goto(f"{base}/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "x-" + username)
        self.page.click("input[type=submit]")
        self.page.wait_for_selector("#site-name")

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def text(self, selector: str = "#content") -> str:
        return self.page.inner_text(selector)


def test_documenter_supervisor_and_auditor_in_a_browser(
    server_url, django_capture_on_commit_callbacks
):
    make_user("dora", "documenter")
    make_user("sam", "supervisor")
    make_user("aud", "auditor")
    with django_capture_on_commit_callbacks(execute=True):
        ingestion_submit(data=SEED.read_bytes(), filename=SEED.name, actor=SUBMITTER)
    wanted = CaseFile.objects.get(sources__excerpt__contains="captain ordered the execution")
    same_source = CaseFile.objects.filter(sources__source_id=wanted.sources.get().source_id).count()

    with chromium() as browser:
        # The documenter finds the ingested case by a phrase of its source's excerpt: every
        # case of that source matches (full text), the one whose summary quotes it first.
        dora = Session(browser, server_url, "dora")
        dora.shot("01-documenter-index")
        assert "case files at a glance" in dora.text().lower()
        dora.page.goto(f"{server_url}/admin/casefiles/casefile/")
        dora.page.fill("#searchbar", "captain ordered the execution")
        dora.page.press("#searchbar", "Enter")
        dora.page.wait_for_selector("#result_list")
        dora.shot("02-documenter-search")
        rows = dora.page.locator("#result_list tbody tr")
        assert rows.count() == same_source
        rows.first.locator("th a").click()
        dora.page.wait_for_selector("#casefiles-timeline")
        dora.shot("03-documenter-case")
        assert wanted.reference in dora.text()

        # Edits the summary (case_edit), then asks to move the case to sourcing.
        dora.page.fill("#id_summary", "A captain ordered the execution of three detained men.")
        dora.page.click("input[name=_save]")
        dora.page.wait_for_selector(".messagelist .success")
        dora.shot("04-documenter-saved")
        dora.page.click("text=Ask to move to Sourcing")
        dora.page.wait_for_selector("#id_reason")
        assert "All entry criteria are met" in dora.text()
        dora.page.fill("#id_reason", "Summary, category and source are in place.")
        dora.shot("05-documenter-request")
        dora.page.click("button[value=send]")
        dora.page.wait_for_selector("#casefiles-pending")
        dora.shot("06-documenter-pending-case")
        assert "Approve" not in dora.text()
        dora.page.goto(f"{server_url}/admin/casefiles/transitionrequest/pending/")
        dora.shot("07-documenter-pending-list")
        assert wanted.reference in dora.text() and "Approve" not in dora.text()

        # A supervisor approves it from the pending page.
        sam = Session(browser, server_url, "sam")
        sam.page.click("text=Requests waiting for a decision")
        sam.page.wait_for_selector(".casefiles-request")
        sam.shot("08-supervisor-pending")
        sam.page.locator(f"tr[data-reference='{wanted.reference}']").locator(
            "text=Approve or reject"
        ).click()
        sam.page.fill("#id_reason", "Checked the source; agreed.")
        sam.shot("09-supervisor-decide")
        sam.page.click("button[value=approve]")
        sam.page.wait_for_selector(".messagelist .success")
        sam.shot("10-supervisor-approved")
        assert "No request is waiting for a decision" in sam.text()

        # An auditor reads the case: the three people's events are in the timeline, and
        # there is nothing to edit or save.
        aud = Session(browser, server_url, "aud")
        aud.page.goto(f"{server_url}/admin/casefiles/casefile/{wanted.pk}/change/")
        aud.page.wait_for_selector("#casefiles-timeline")
        aud.shot("11-auditor-case")
        timeline = aud.text("#casefiles-timeline")
        assert "Summary changed from" in timeline
        assert "Requested Intake → Sourcing: Summary, category and source are in place." in timeline
        assert "Approved Intake → Sourcing: Checked the source; agreed." in timeline
        assert "History verified" in aud.text("#casefiles-chain")
        content = aud.page.locator("#content")
        assert content.locator("textarea, select, input:not([type=hidden])").count() == 0
        # The auditor's one button exports (a POST: recording the export is a change to
        # the case's history, so a GET may not do it); nothing else on the page submits.
        buttons = content.locator("input[type=submit], button[type=submit]")
        assert buttons.count() == 1 and buttons.first.inner_text().strip().lower() == (
            "export this case"
        )
        assert "State: Sourcing" in aud.text()

    types = list(
        Event.objects.filter(case_id=wanted.pk)
        .order_by("-version")
        .values_list("type", "actor__username")[:3]
    )
    assert types == [
        ("TransitionApproved", "sam"),
        ("TransitionRequested", "dora"),
        ("CaseEdited", "dora"),
    ]


def test_case_page_evaluation_sections_in_a_browser(server_url):
    """The evaluation sections as a legal reviewer sees them (screenshot 12)."""
    from casefiles.commands.facts import fact_record, fact_support
    from casefiles.commands.legal import element_assess, qualification_add
    from casefiles.commands.persons import person_add
    from casefiles.commands.sources import provenance_record, source_grade, verification_record
    from casefiles.domain.actors import Actor
    from tests.factories import exhibit, open_case

    dora = Actor.for_user(make_user("dora", "documenter"))
    lena = Actor.for_user(make_user("lena", "legal_reviewer"))
    case_id = open_case(dora, title="Execution of prisoners of war near Bakhmut")
    nyt = exhibit(dora, case_id, "003", ["The New York Times"], title="NYT recordings")
    un = exhibit(dora, case_id, "004", ["HRMMU"], title="UN monitoring mission report")
    source_grade(
        actor=dora,
        case_id=case_id,
        source_id=nyt,
        reliability="B",
        credibility="2",
        reason="Recordings authenticated by the NYT",
    )
    provenance_record(
        actor=dora,
        case_id=case_id,
        source_id=nyt,
        chain=[
            {"role": "obtained", "organisation": "The New York Times"},
            {"role": "verified", "organisation": "Centre for Information Resilience"},
        ],
    )
    verification_record(
        actor=dora,
        case_id=case_id,
        source_id=nyt,
        method="geolocation",
        result="confirmed",
        notes="Tree line and road matched satellite imagery",
    )
    fact = fact_record(
        actor=dora, case_id=case_id, text="Captured soldiers were shot after surrendering"
    )
    for source_id, quote in (
        (nyt, "showed the Ukrainian prisoners executed near the village of Novoivanovka"),
        (un, "shot dead on the spot"),
    ):
        fact_support(
            actor=dora,
            case_id=case_id,
            source_id=source_id,
            fact_id=fact.events[0].payload["fact_id"],
            quote=quote,
        )
    qualification = qualification_add(actor=lena, case_id=case_id, code="killing_hors_de_combat")
    element_assess(
        actor=lena,
        case_id=case_id,
        element="killed_or_injured",
        qualification_id=qualification.events[0].payload["qualification_id"],
        finding="met",
        fact_ids=[fact.events[0].payload["fact_id"]],
    )
    person_add(actor=dora, case_id=case_id, role="witness", name="Real Name", protected=True)

    with chromium() as browser:
        reviewer = Session(browser, server_url, "lena")
        reviewer.page.goto(f"{server_url}/admin/casefiles/casefile/{case_id}/change/")
        reviewer.page.wait_for_selector("#casefiles-legal-review")
        reviewer.shot("12-legal-reviewer-case-evaluation")
        text = reviewer.text()
        assert "B2 — usually reliable / probably true" in text
        assert "corroborated by 2 independent origins" in reviewer.text("#casefiles-corroboration")
        assert "Assess…" in reviewer.text("#casefiles-legal-review")
        assert "Witness 1" in text and "Real Name" not in text


def test_restricting_a_case_in_a_browser(server_url):
    """A documenter asks to restrict a case to her team, a supervisor approves it, the
    case page names the team; an outsider's case list no longer shows the case."""
    from django.contrib.auth.models import Group

    from casefiles.domain.actors import Actor
    from tests.factories import open_case

    team = Group.objects.create(name="team-kharkiv")
    dora = make_user("dora", "documenter")
    dora.groups.add(team)
    make_user("sam", "supervisor")
    make_user("dmitri", "documenter")
    case_id = open_case(Actor.for_user(dora), title="Testimony of a detained witness")
    other_id = open_case(Actor.for_user(dora), title="A case everyone may see")
    reference = CaseFile.objects.get(pk=case_id).reference
    other_reference = CaseFile.objects.get(pk=other_id).reference

    with chromium() as browser:
        outsider = Session(browser, server_url, "dmitri")
        outsider.page.goto(f"{server_url}/admin/casefiles/casefile/")
        assert reference in outsider.text("#result_list")

        doc = Session(browser, server_url, "dora")
        doc.page.goto(f"{server_url}/admin/casefiles/casefile/{case_id}/change/")
        assert "Not restricted" in doc.text("#casefiles-restriction")
        doc.page.click("#casefiles-restrict")
        doc.page.wait_for_selector("#id_team")
        doc.page.select_option("#id_team", "team-kharkiv")
        doc.page.fill("#id_reason", "Witness testimony: only our team.")
        doc.shot("13-documenter-restrict")
        doc.page.click("button[value=send]")
        doc.page.wait_for_selector("#casefiles-restriction-pending")
        assert "dora asked to restrict the case to team team-kharkiv" in doc.text(
            "#casefiles-restriction-pending"
        )
        assert doc.page.locator("#casefiles-decide-restriction").count() == 0

        sam = Session(browser, server_url, "sam")
        sam.page.goto(f"{server_url}/admin/casefiles/transitionrequest/pending/")
        row = sam.page.locator(f"tr.casefiles-restriction-request[data-reference='{reference}']")
        sam.shot("14-supervisor-pending-restriction")
        row.locator("text=Approve or reject").click()
        sam.page.wait_for_selector("#id_reason")
        assert "Witness testimony: only our team." in sam.text("#casefiles-explain")
        sam.page.fill("#id_reason", "Agreed: protect the witness.")
        sam.page.click("button[value=approve]")
        sam.page.wait_for_selector(".messagelist .success")
        # Sam is not in the team: the case is gone from his view too.
        assert "You are not a member of the team" in sam.text(".messagelist")
        assert "No request is waiting for a decision" in sam.text()

        doc.page.goto(f"{server_url}/admin/casefiles/casefile/{case_id}/change/")
        doc.shot("15-documenter-restricted-case")
        assert "Restricted to team team-kharkiv" in doc.text("#casefiles-restriction")

        outsider.page.goto(f"{server_url}/admin/casefiles/casefile/")
        outsider.shot("16-outsider-case-list")
        listed = outsider.text("#result_list")
        assert reference not in listed and other_reference in listed
        answer = outsider.page.goto(f"{server_url}/admin/casefiles/casefile/{case_id}/change/")
        assert answer.status == 404

    assert list(
        Event.objects.filter(case_id=case_id, type__startswith="Restrict").values_list(
            "type", "actor__username"
        )
    ) == [("RestrictionRequested", "dora")]
    assert list(
        Event.objects.filter(case_id=case_id, type="CaseRestricted").values_list(
            "actor__username", flat=True
        )
    ) == ["sam"]


def test_selecting_a_passage_in_the_source_viewer_cites_it(server_url):
    """The analyst selects a passage in the source's text; the form gets the quote and
    its offsets in code points (an emoji before it is one code point, two UTF-16 units),
    and citing it records exactly that span."""
    from casefiles import commands
    from casefiles.commands.facts import fact_record
    from casefiles.commands.ingestion import document_ingest
    from casefiles.domain.actors import Actor
    from casefiles.models import Source
    from casefiles.selectors import case_state
    from tests.factories import open_case

    dora = Actor.for_user(make_user("dora", "documenter"))
    original = (
        "Field report 📹 from Kharkiv region.\n"
        "The drone operator filmed two men in uniform raising their hands.\n"
    ).encode()
    job = ingestion_submit(data=original, filename="report.txt", actor=SUBMITTER)
    document_ingest(ingestion_id=str(job.id))
    source = Source.objects.get(content_sha256=job.content_sha256)
    case_id = open_case(dora, title="Surrender filmed near Kharkiv")
    source_id = (
        commands.source_attach(
            actor=dora,
            case_id=case_id,
            title="Field report",
            origins=["drone unit"],
            content_sha256=source.content_sha256,
        )
        .events[0]
        .payload["source_id"]
    )
    fact_record(actor=dora, case_id=case_id, text="Two men surrendered")
    quote = "two men in uniform raising their hands"
    text = original.decode()
    start = text.index(quote)  # code points

    with chromium() as browser:
        doc = Session(browser, server_url, "dora")
        doc.page.goto(f"{server_url}/admin/casefiles/casefile/{case_id}/text/{source_id}/")
        doc.page.wait_for_selector("#casefiles-source-text")
        doc.page.evaluate(
            """(quote) => {
                const node = document.querySelector('#casefiles-source-text span').firstChild;
                const at = node.data.indexOf(quote);
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + quote.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                document.getElementById('casefiles-source-text')
                    .dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
            }""",
            quote,
        )
        assert doc.page.input_value("#id_quote") == quote
        assert doc.page.input_value("#id_start") == str(start)
        assert doc.page.input_value("#id_end") == str(start + len(quote))
        doc.page.click("#casefiles-cite-form input[type=submit]")
        doc.page.wait_for_selector("#casefiles-cited-spans .casefiles-cited, .casefiles-cited")
        doc.shot("13-source-viewer-cited")
        assert "Two men surrendered" in doc.text("#casefiles-cited-spans")
    (support,) = case_state(case_id).facts[0]["support"]
    assert (support["span"]["start"], support["span"]["end"]) == (start, start + len(quote))
