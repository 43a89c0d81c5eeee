"""Stored XSS: script payloads in text from an ingested document (title, outlet, byline,
excerpt, file name) and from users (case title and summary, notes, reasons, facts, person
pseudonyms, provenance organisations, a source's URL) render escaped on every admin page
(index, each changelist, each object's page, the case page with its timeline, the
pending page, the ingestion list, event pages) and in report.html of an export."""

import re
import sys
import zipfile
from io import StringIO
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from casefiles import commands
from casefiles.commands.facts import fact_record
from casefiles.commands.ingestion import document_ingest, ingestion_submit
from casefiles.commands.persons import person_add
from casefiles.commands.sources import provenance_record
from casefiles.models import CaseFile, Event
from tests.factories import SUBMITTER, attach, open_case

sys.path.insert(0, str(settings.BASE_DIR / "bench"))
import hostile_corpus  # noqa: E402 - a bench/ script, found through the path above

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
# Markup that would run if it reached the page as markup.
LIVE = [
    re.compile(re.escape(SCRIPT)),
    re.compile(re.escape("<img src=x onerror=alert(1)>")),
    re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I),
]
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def live_payloads(html: str) -> list[str]:
    return [match.group(0) for pattern in LIVE for match in pattern.finditer(html)]


@pytest.fixture
def hostile(users, actors) -> dict:
    """A case carrying every kind of user text with payloads, a source ingested from a
    hostile article, a rejected and a pending request."""
    doc, sup = actors["documenter"], actors["supervisor"]
    article = hostile_corpus.ARTICLE.format(
        title=f"Executions near Bucha {SCRIPT}",
        dateline="Tuesday, March 01, 2022",
        byline=IMG,
        outlet=f"The Daily {SCRIPT}",
        payload=f"{SCRIPT} {IMG}",
        n=1,
    )
    job = ingestion_submit(data=article.encode(), filename=f"report{IMG}.txt", actor=SUBMITTER)
    job = document_ingest(ingestion_id=str(job.id))
    assert job.status == "ingested" and job.case_references, job.reason

    case_id = open_case(doc, title=f"Shelling {SCRIPT}", summary=f"Summary {IMG} {JS_URL}")
    attach(
        doc, case_id, [f"Org {SCRIPT}"], title=f"Source {IMG}", url=JS_URL, source_id=job.source_id
    )
    commands.note_add(actor=doc, case_id=case_id, text=f"Note {SCRIPT} {IMG} {JS_URL}")
    fact_record(actor=doc, case_id=case_id, text=f"Fact {SCRIPT}")
    person_add(
        actor=doc,
        case_id=case_id,
        role="witness",
        name="Real Name",
        pseudonym=f"W-{SCRIPT}",
        protected=True,
    )
    provenance_record(
        actor=doc,
        case_id=case_id,
        source_id=job.source_id,
        chain=[{"role": "obtained", "organisation": f"Agency {IMG}"}],
    )
    first = commands.transition_request(
        actor=doc, case_id=case_id, to_state="sourcing", reason=f"Ready {SCRIPT}"
    )
    commands.transition_reject(
        actor=sup, request_id=first.events[0].payload["request_id"], reason=f"Not yet {IMG}"
    )
    commands.transition_request(
        actor=doc, case_id=case_id, to_state="sourcing", reason=f"Ready now {IMG} {JS_URL}"
    )
    return {"case_id": case_id, "ingested_case": job.case_references[0]}


def admin_pages(user=None) -> list[str]:
    """Every admin page that shows stored text: the index, each changelist (also
    searched for the payload), each object's page, the pending page. With `user`: the
    pages their role may open (the security log is for auditors and administrators)."""
    urls = [reverse("admin:index"), reverse("admin:casefiles_transitionrequest_pending")]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label != "casefiles":
            continue
        if user is not None and not model_admin.has_view_permission(SimpleNamespace(user=user)):
            continue
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        urls.append(changelist)
        if model_admin.search_fields:
            urls.append(f"{changelist}?q=alert")
        urls += [
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
            for pk in model._default_manager.values_list("pk", flat=True)[:60]
        ]
    return urls


@pytest.mark.parametrize("role", ["supervisor", "auditor"])
def test_every_admin_page_shows_payloads_escaped(client, users, hostile, role):
    client.force_login(users[role])
    case_page = reverse("admin:casefiles_casefile_change", args=[hostile["case_id"]])
    pages = {case_page: None}
    pages.update(dict.fromkeys(admin_pages(users[role])))
    assert len(pages) > 30, sorted(pages)  # changelists and every record's page
    shown = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        assert live_payloads(html) == [], url
        shown += ESCAPED in html
    # The payloads are really on the pages, escaped (not merely absent).
    case_html = client.get(case_page).content.decode()
    for text in (
        "Shelling &lt;script&gt;",
        "Note &lt;script&gt;",
        "Not yet &quot;&gt;&lt;img",
        "Ready now &quot;&gt;&lt;img",
    ):
        assert text in case_html, text
    assert shown >= 5, shown


def test_report_html_of_an_export_shows_payloads_escaped(hostile, users, tmp_path):
    bundle = tmp_path / "bundle.zip"
    reference = CaseFile.objects.get(pk=hostile["case_id"]).reference
    call_command("export_case", reference, "--out", str(bundle), "--user", "aud", stdout=StringIO())
    with zipfile.ZipFile(bundle) as archive:
        name = next(n for n in archive.namelist() if n.endswith("report.html"))
        html = archive.read(name).decode()
    assert live_payloads(html) == []
    assert "Shelling &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Note &lt;script&gt;" in html
    assert Event.objects.filter(case_id=hostile["case_id"]).count() > 5
