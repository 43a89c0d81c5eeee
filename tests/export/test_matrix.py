"""The evidence matrix (issue 16 item 6): element → facts → exhibits with quoted spans
and origins, in the bundle as matrix.json, checked by the independent verifier against
the events and the stored texts (docs/export.md, "matrix.json")."""

import html
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from casefiles import verify_export
from casefiles.domain import matrix
from casefiles.verify_export import Failed
from tests.api.conftest import api  # noqa: F401 (the fixture)
from tests.export import tampering

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "seeds" / "004_06b981fa41532c02.txt"
SHOT = (
    "Many Ukrainian soldiers who surrendered or were in the physical custody of the "
    "Russian armed forces were shot dead on the spot."
)
FIGURE = "executed 79 captured Ukrainian soldiers since late August"


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.CASEFILES_EXPORT_DIR = tmp_path / "exports"


class Walk:
    """Seed 004 through the API alone, from upload to a closed case with a fact citing
    spans, a qualification whose elements cite the fact, and an exported bundle."""

    def __init__(self, api, capture, tmp_path):  # noqa: F811 (the fixture's name)
        self.api, self.capture, self.tmp_path = api, capture, tmp_path
        self.case_id = ""
        self.version = 0

    def call(self, who: str, method: str, path: str, body=None, status: int = 201, **kw):
        client = self.api[who]
        headers = {"HTTP_IF_MATCH": f'"{self.version}"'} if self.case_id else {}
        with self.capture(execute=True):
            response = getattr(client, method)(path, body, format="json", **headers, **kw)
        assert response.status_code == status, response.content
        data = response.json()
        if isinstance(data, dict) and "version" in data and self.case_id:
            self.version = data["version"]
        return data

    @property
    def base(self) -> str:
        return f"/api/cases/{self.case_id}"

    def move(self, who: str, to_state: str) -> None:
        requested = self.call(
            who, "post", f"{self.base}/transitions/", {"to_state": to_state, "reason": "ready"}
        )
        request_id = requested["events"][0]["payload"]["request_id"]
        self.call(
            "supervisor",
            "post",
            f"/api/approvals/{request_id}/approve/",
            {"reason": "checked"},
            status=200,
        )

    def run(self) -> Path:
        with self.capture(execute=True):
            upload = self.api["documenter"].post(
                "/api/ingestions/",
                {"file": SimpleUploadedFile(SEED.name, SEED.read_bytes())},
                format="multipart",
            )
        assert upload.status_code == 202, upload.content
        job = self.api["documenter"].get(f"/api/ingestions/{upload.json()['id']}/").json()
        assert job["status"] == "ingested", job
        opened = self.call(
            "documenter",
            "post",
            "/api/cases/",
            {
                "title": "Executions of surrendered Ukrainian soldiers",
                "summary": "Reported by the UN monitoring mission (HRMMU).",
                "categories": ["wilful_killing"],
                "places": ["Novoivanovka"],
            },
        )
        self.case_id, self.version = opened["case_id"], opened["version"]
        self.move("documenter", "sourcing")
        attached = self.call(
            "documenter", "post", f"{self.base}/sources/", {"source_id": job["source_id"]}
        )
        source_id = attached["events"][0]["payload"]["source_id"]
        fact = self.call(
            "documenter",
            "post",
            f"{self.base}/facts/",
            {"text": "Surrendered Ukrainian soldiers were shot dead on the spot"},
        )
        self.fact_id = fact["events"][0]["payload"]["fact_id"]
        for quote, extra in (
            (SHOT, {}),
            (FIGURE, {"aggregate_incidents": 24, "aggregate_reason": "79 in 24 incidents"}),
        ):
            self.call(
                "documenter",
                "post",
                f"{self.base}/facts/{self.fact_id}/support/",
                {"source_id": source_id, "quote": quote, **extra},
            )
        self.move("documenter", "corroboration")
        self.call(
            "supervisor",
            "post",
            f"{self.base}/waivers/",
            {"reason": "a second independent origin is being sought"},
        )
        self.move("legal", "legal_review")
        qualification = self.call(
            "legal", "post", f"{self.base}/qualifications/", {"code": "wilful_killing"}
        )
        self.qualification_id = qualification["events"][0]["payload"]["qualification_id"]
        for element in ("killed", "protected_persons"):
            self.call(
                "legal",
                "post",
                f"{self.base}/qualifications/{self.qualification_id}/elements/",
                {
                    "element": element,
                    "finding": "met",
                    "standard": "reasonable_grounds",
                    "fact_ids": [self.fact_id],
                },
                status=200,
            )
        self.call(
            "legal",
            "patch",
            f"{self.base}/",
            {
                "outcome": "referred",
                "legal_qualification": "Referred to the prosecutor under art. 8(2)(a)(i).",
            },
            status=200,
        )
        self.move("legal", "closed")
        case = self.api["auditor"].get(f"{self.base}/").json()
        assert case["state"] == "closed"
        export = self.call("auditor", "post", f"{self.base}/exports/", {}, status=202)
        status = self.api["auditor"].get(f"/api/exports/{export['id']}/").json()
        assert status["status"] == "ready", status
        download = self.api["auditor"].get(status["download_url"])
        assert download.status_code == 200
        path = self.tmp_path / "walked.zip"
        path.write_bytes(b"".join(download.streaming_content))
        return path


@pytest.fixture
def walked(api, django_capture_on_commit_callbacks, tmp_path):  # noqa: F811
    walk = Walk(api, django_capture_on_commit_callbacks, tmp_path)
    walk.bundle = walk.run()
    return walk


def test_the_walked_case_exports_a_matrix_the_verifier_checks(walked, api):  # noqa: F811
    vkey = api["auditor"].get("/api/signing-key/").json()["vkey"]
    assert verify_export.main([str(walked.bundle), "--public-key", vkey]) == 0
    result = tampering.verified(walked.bundle)
    assert result.matrix and result.matrix_spans == 4  # 2 spans, cited by 2 elements
    files = tampering.members(walked.bundle)
    listed = {f["path"] for f in tampering.manifest(files)["files"]}
    assert "matrix.json" in listed
    document = json.loads(files["matrix.json"])
    assert document["format"] == matrix.FORMAT
    (q,) = document["qualifications"]
    assert (q["qualification_id"], q["code"]) == (walked.qualification_id, "wilful_killing")
    rows = {e["element"]: e for e in q["elements"]}
    # Every element of art. 8(2)(a)(i) is a row; the three not assessed are gaps.
    assert list(rows) == [
        "killed",
        "protected_persons",
        "aware_protected",
        "armed_conflict",
        "aware_conflict",
    ]
    assert {k for k, e in rows.items() if e["gap"] == matrix.NOT_ASSESSED} == {
        "aware_protected",
        "armed_conflict",
        "aware_conflict",
    }
    killed = rows["killed"]
    assert (killed["finding"], killed["standard"], killed["kind"], killed["gap"]) == (
        "met",
        "reasonable_grounds",
        "material",
        None,
    )
    (fact,) = killed["facts"]
    assert fact["fact_id"] == walked.fact_id
    shot, figure = fact["spans"]
    texts = {n: d.decode() for n, d in files.items() if n.startswith("texts/")}
    for span in (shot, figure):
        stored = texts[f"texts/{span['source_text_sha256']}.txt"]
        assert stored[span["start"] : span["end"]] == span["quote"]
    assert (shot["quote"], shot["counts"]) == (SHOT, True)
    assert (figure["quote"], figure["counts"], figure["standing"]) == (
        FIGURE,
        False,
        "aggregate_unlinked",
    )
    # The same case in HURIDOCS' Events Standard Formats.
    esf = json.loads(files["huridocs.json"])
    assert "huridocs.json" in listed
    assert esf["event"]["event_title"] == "Executions of surrendered Ukrainian soldiers"
    assert esf["event"]["legal_qualifications"] == [q["title"]]
    assert len(esf["acts"]) == 1 and len(esf["information"]) == 1
    # The report's central table: the matrix, before the sources, gaps included.
    report = files["report.html"].decode()
    assert report.index("<h2>Evidence matrix</h2>") < report.index("<h2>Sources")
    table = report[report.index('<table class="matrix">') :]
    table = table[: table.index("</table>")]
    assert html.escape(SHOT) in table and "aggregate figure not linked" in table
    assert table.count("not assessed: no evidence cited") == 3


# --- the forger who holds the key: matrix.json changed, the manifest signed again ----------


def _forged(walked, tmp_path, change) -> Path:
    files = tampering.members(walked.bundle)
    document = json.loads(files["matrix.json"])
    change(document)
    files = {**files, "matrix.json": json.dumps(document).encode()}
    return tampering.write(tmp_path / "forged.zip", tampering.as_v1(tampering.resign(files)))


def _span(document) -> dict:
    return document["qualifications"][0]["elements"][0]["facts"][0]["spans"][0]


def _moved(document):
    span = _span(document)
    span["start"] += 1
    span["end"] += 1


def _moved_everywhere(document):
    """The span moved in matrix.json with a quote and hash that match the new place: it
    still is not the span the events cite."""
    _moved(document)


def _invented_fact(document):
    document["qualifications"][0]["elements"][0]["facts"][0]["fact_id"] = (
        "00000000-0000-4000-8000-000000000000"
    )


def _cited_fact_added(document):
    elements = document["qualifications"][0]["elements"]
    elements[2]["facts"] = [dict(elements[0]["facts"][0])]


def _span_dropped(document):
    document["qualifications"][0]["elements"][0]["facts"][0]["spans"].pop()


def _finding_changed(document):
    document["qualifications"][0]["elements"][0]["finding"] = "not_met"


def _element_dropped(document):
    document["qualifications"][0]["elements"].pop(0)


def _withdrawn_hidden(document):
    _span(document)["withdrawn"] = True


def _quote_changed(document):
    _span(document)["quote"] = "Russian soldiers killed at least 91 Ukrainian soldiers."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_moved, "start is"),
        (_invented_fact, r"fact_ids is \['00000000-"),
        (_cited_fact_added, "fact_ids is"),
        (_span_dropped, "lists 1 span"),
        (_finding_changed, "finding is 'not_met'"),
        (_element_dropped, "leaves out the assessed element 'killed'"),
        (_withdrawn_hidden, "withdrawn is True"),
        (_quote_changed, "quote is"),
    ],
    ids=[
        "moved span",
        "fact not in the chain",
        "fact cited where none was",
        "span left out",
        "finding changed",
        "assessed element left out",
        "withdrawn",
        "quote changed",
    ],
)
def test_a_hostile_matrix_fails(walked, tmp_path, change, message):
    # The control: the same re-signing without a change verifies (as casefile-export/1).
    honest = _forged(walked, tmp_path, lambda document: None)
    assert tampering.verified(honest, allow_v1=True).matrix_spans == 4
    with pytest.raises(Failed, match=message):
        tampering.verified(_forged(walked, tmp_path, change), allow_v1=True)
