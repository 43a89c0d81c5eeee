"""The bundle's human-readable history: report.html and report.pdf.

Every text shown comes from people or from ingested documents, so all of it is
escaped (HTML: html.escape plus a Content-Security-Policy that forbids scripts;
PDF: reportlab's paragraph markup escaped). Both renderers take the events as an
iterator and never hold the events; the HTML is written as it goes, but reportlab's
Canvas keeps every finished page until `save` (see `_Pages`).
"""

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape as xml_escape

import reportlab
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Frame, Paragraph, Spacer

from casefiles.domain import facts, liability, matrix, qualifications, taxonomy, workflow
from casefiles.domain.describe import describe
from casefiles.domain.sources import CREDIBILITY, RELIABILITY
from casefiles.models import CaseFile
from casefiles.signing import PublicKey

Record = dict[str, Any]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MONO_ROWS = ("Head hash", "Verifier key", "Key fingerprint (SHA-256)")
# The report never names a protected person; a complete bundle adds a separate file.
KIND_WORDS = {
    "redacted": "redacted: protected persons appear under their pseudonyms only",
    "complete": "complete: protected persons' identities are in protected/identities.json "
    "(this report still shows pseudonyms)",
}


@dataclass(frozen=True)
class ReportContext:
    case: CaseFile
    head_hash: str
    event_count: int
    exported_at: str
    exported_by: str
    key: PublicKey
    sources: list[dict]
    source_paths: dict[str, str]
    decisions: list[dict]
    kind: str


def when(value: str) -> str:
    """`2026-03-01T10:00:00.123456Z` → `2026-03-01 10:00:00 UTC`."""
    return f"{value[:10]} {value[11:19]} UTC" if value else ""


def event_words(record: Record) -> str:
    try:
        return describe(record)
    except (KeyError, TypeError, ValueError):
        # A type added after this report was written still appears, by name.
        return f"{record['type']} (schema {record['schema']})"


def who(record: Record) -> str:
    actor = record["actor"]
    return f"{actor.get('username')} ({str(actor.get('role', '')).replace('_', ' ')})"


def _state(name: str) -> str:
    return workflow.STATE_LABELS.get(name, name)


def summary_rows(context: ReportContext) -> list[tuple[str, str]]:
    case = context.case
    incident = (
        " – ".join(d.isoformat() for d in (case.incident_from, case.incident_to) if d)
        or "not stated"
    )
    return [
        ("State", _state(case.state)),
        ("Title", case.title),
        (
            "Violation categories",
            ", ".join(taxonomy.label(code) for code in case.categories) or "none",
        ),
        ("Places", ", ".join(case.places) or "none"),
        ("Incident period", incident),
        (
            "Corroboration",
            f"{case.get_corroboration_display()} "
            f"({case.independent_origins} independent origin(s), "
            f"{case.source_count} source(s))",
        ),
        ("Outcome", case.get_outcome_display() if case.outcome else "none recorded"),
        ("Legal qualification", case.legal_qualification or "none recorded"),
        ("Assigned to", case.assignee_name or "nobody"),
        ("Opened", f"{case.opened_at:%Y-%m-%d %H:%M:%S} UTC by {case.opened_by}"),
        ("Summary", case.summary or "(empty)"),
    ]


def verification_rows(context: ReportContext) -> list[tuple[str, str]]:
    return [
        ("Case", f"{context.case.reference} (id {context.case.pk})"),
        ("History", f"{context.event_count} events, versions 1–{context.event_count}"),
        ("Head hash", context.head_hash),
        ("Verifier key", context.key.vkey),
        ("Signing key id", context.key.key_id),
        ("Key fingerprint (SHA-256)", context.key.fingerprint),
        ("Exported", f"{when(context.exported_at)} by {context.exported_by}"),
        ("Bundle kind", KIND_WORDS[context.kind]),
    ]


def source_sections(context: ReportContext) -> list[tuple[str, list[dict]]]:
    """The case's sources now, then (if any) those detached: still in the history and
    the bundle, no longer part of the evidence."""
    current = [s for s in context.sources if not s.get("detached")]
    detached = [s for s in context.sources if s.get("detached")]
    sections = [(f"Sources ({len(current)})", current)]
    if detached:
        sections.append(
            (
                f"Detached sources ({len(detached)}): kept in the history and this bundle, "
                "no longer supporting the case",
                detached,
            )
        )
    return sections


def source_lines(context: ReportContext, source: dict) -> list[tuple[str, str]]:
    sha = source.get("content_sha256")
    detached = source.get("detached")
    return [
        *(
            [
                (
                    "Detached",
                    f"{when(detached['detached_at'])} by {detached['detached_by']}: "
                    f"{detached['reason']}",
                )
            ]
            if detached
            else []
        ),
        ("Grade", _grade(source["grade"])),
        ("Origins", ", ".join(source["origins"]) or "origin not stated"),
        ("Published", source.get("published_on") or "date not stated"),
        ("Attached", f"{when(source['attached_at'])} by {source['attached_by']}"),
        ("URL", source.get("url") or "none"),
        ("Original", context.source_paths[sha] if sha else "no stored original"),
        ("Excerpt", source.get("excerpt") or "(none)"),
    ]


def fact_sections(context: ReportContext) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per fact: how corroborated it is and why, and each cited span with where it is in
    its stored text (texts/ in the bundle), its origin chain and whether it counts."""
    titles = {s["source_id"]: s["title"] for s in context.sources}
    sections = []
    for fact in context.case.facts:
        result = facts.corroborate(fact["support"])
        rows = [("Corroboration", result.label)]
        rows.extend(("Why", reason) for reason in result.reasons)
        for number, standing in enumerate(result.standings, start=1):
            support = standing.support
            span = support.get("span")
            where = (
                f"characters {span['start']}–{span['end']} of texts/"
                f"{span['source_text_sha256']}.txt, SHA-256 of the quote {span['text_sha256']}"
                if span
                else "unchecked excerpt"
            )
            chain = facts.chain_words(support.get("chain") or [])
            withdrawn = support.get("withdrawn")
            rows.append(
                (
                    f"Span {number}",
                    f"{titles.get(support['source_id'], support['source_id'])}: "
                    f"“{support.get('excerpt', '')}” ({where}); origin: {chain}; "
                    f"{facts.STANDING_WORDS[standing.standing]}"
                    + (
                        f" (withdrawn by {withdrawn['by']}: {withdrawn['reason']})"
                        if withdrawn
                        else ""
                    ),
                )
            )
        sections.append((fact["text"], rows))
    return sections


def _grade(grade: dict | None) -> str:
    if grade is None:
        return "not graded"
    reliability, credibility = grade["reliability"], grade["credibility"]
    return (
        f"{reliability}{credibility}: source {RELIABILITY.get(reliability, '?')}, "
        f"information {CREDIBILITY.get(credibility, '?')}; graded by {grade['graded_by']} "
        f"at {when(grade['graded_at'])}: {grade['reason']}"
    )


def decision_line(decision: dict) -> str:
    line = (
        f"{_state(decision['from_state'])} → {_state(decision['to_state'])}: requested by "
        f"{decision['requested_by']} at {when(decision['requested_at'])} "
        f"(“{decision['reason']}”); "
    )
    if decision["status"] == "pending":
        return line + "pending"
    return line + (
        f"{decision['status']} by {decision['decided_by']} at "
        f"{when(decision['decided_at'])} (“{decision['decision_reason']}”)"
    )


# ---------------------------------------------------------------- evidence matrix

MATRIX_COLUMNS = ("Element", "Finding", "Fact", "Exhibit and cited span", "Origin; counts?")


def matrix_tables(context: ReportContext) -> list[tuple[str, list[tuple[str, ...]]]]:
    """The evidence matrix (casefiles/domain/matrix.py, matrix.json in the bundle): per
    qualification, one line per element × cited fact × cited span; an element with
    nothing behind it is a line saying so. Columns: MATRIX_COLUMNS."""
    titles = {s["source_id"]: s["title"] for s in context.sources}
    case = context.case
    tables = []
    attached = {str(sid) for sid in case.sources.values_list("source_id", flat=True)}
    for q in matrix.evidence_matrix(case.facts, case.qualifications, titles, attached):
        lines: list[tuple[str, ...]] = []
        shown: set[str] = set()
        for line in matrix.flat_rows([q]):
            element, fact, span = line["element"], line["fact"], line["span"]
            first = element["element"] not in shown
            shown.add(element["element"])
            lines.append(
                (
                    _element_cell(element) if first else "",
                    _finding_cell(element) if first else "",
                    _fact_cell(element, fact),
                    _span_cell(span) if span else "—",
                    _standing_cell(span) if span else "",
                )
            )
        tables.append((f"{q['title']}", lines))
    return tables


def _element_cell(element: dict) -> str:
    kind = f" ({element['kind']})" if element.get("kind") else ""
    return f"{element['text']}{kind}"


def _finding_cell(element: dict) -> str:
    if element["finding"] is None:
        return "not assessed"
    return f"{element['finding_label']}, on {element['standard_label']}"


def _fact_cell(element: dict, fact: dict | None) -> str:
    if fact is None:
        return element["gap_label"] or "no fact cited"
    words = f"“{fact['text']}” ({fact['corroboration']['label']})"
    if not fact["spans"]:
        words += "; no checked span"
    return words


def _span_cell(span: dict) -> str:
    return (
        f"{span['source']}: “{span['quote']}” (characters {span['start']}–{span['end']} of "
        f"texts/{span['source_text_sha256']}.txt)"
    )


def _standing_cell(span: dict) -> str:
    return f"{facts.chain_words(span['chain'])}; {span['standing_label']}"


# ---------------------------------------------------------------- legal framework


def _assessment_line(case: CaseFile, titles: dict[str, str], assessment: dict | None) -> str:
    if not assessment:
        return "not assessed"
    facts = {f["fact_id"]: f["text"] for f in case.facts}
    line = (
        f"{qualifications.FINDING_WORDS.get(assessment['finding'], assessment['finding'])}, on "
        f"{qualifications.standard_words(assessment.get('standard'))}"
    )
    if "fact_ids" in assessment:
        cited = [f"“{facts.get(f, f)}”" for f in assessment["fact_ids"]]
        line += "; facts cited: " + ("; ".join(cited) if cited else "none")
    else:  # recorded before assessments cited facts
        cited = [titles.get(s, s) for s in assessment.get("source_ids", [])]
        line += "; sources cited (no facts): " + ("; ".join(cited) if cited else "none")
    if assessment.get("note"):
        line += f"; note: {assessment['note']}"
    return line + f" ({assessment['assessed_by']}, {when(assessment['assessed_at'])})"


def _element_lines(
    case: CaseFile, titles: dict[str, str], elements: list[dict], assessments: dict
) -> list[tuple[str, str]]:
    return [
        (
            " ".join(
                part
                for part in (qualifications.KIND_MARKS.get(e.get("kind", ""), ""), e["text"])
                if part
            ),
            _assessment_line(case, titles, assessments.get(e["id"])),
        )
        for e in elements
    ]


def legal_sections(context: ReportContext) -> list[tuple[str, list[tuple[str, str]]]]:
    """The legal section: the conflict classification, each qualification with its
    elements' findings, standards and cited facts, and the modes of liability alleged per
    perpetrator. [C] marks a contextual element, [K] a mental one."""
    case = context.case
    titles = {s["source_id"]: s["title"] for s in context.sources}
    conflict = case.conflict
    words = qualifications.CLASSIFICATION_WORDS[qualifications.classification_of(conflict)]
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "Armed conflict",
            [
                (
                    "Classification",
                    f"{words}: {conflict['reason']} ({conflict['classified_by']}, "
                    f"{when(conflict['classified_at'])})"
                    if conflict
                    else words,
                )
            ],
        )
    ]
    for q in case.qualifications:
        entry = qualifications.provisions()[q["code"]]
        lines = _element_lines(case, titles, entry["elements"], q["elements"])
        problem = qualifications.conflict_contradiction(q["code"], conflict)
        if problem:
            lines.insert(0, ("Does not count", problem))
        sections.append((f"Qualification: {qualifications.title(q['code'])}", lines))
    for item in case.liabilities:
        sections.append(
            (
                f"Liability of {item['person']}: {liability.mode_title(item['mode'])} — "
                f"{qualifications.title(item['code'])}",
                _element_lines(
                    case, titles, liability.modes()[item["mode"]]["elements"], item["elements"]
                ),
            )
        )
    return sections


# ---------------------------------------------------------------- HTML

CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;
padding:.25rem .5rem;border-bottom:1px solid #eee}th{width:14rem;color:#555}
.verify{background:#f4f6f8;border:1px solid #ccd;padding:.5rem 1rem}
.mono{font-family:ui-monospace,monospace;word-break:break-all}
.timeline th,.matrix th{width:auto}.text{white-space:pre-wrap}.nowrap{white-space:nowrap}
"""


def write_html(out: IO[bytes], context: ReportContext, events: Iterable[Record]) -> None:
    def put(text: str) -> None:
        out.write(text.encode("utf-8"))

    e = html.escape
    case = context.case
    put(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        # The texts are untrusted: even if something slipped through escaping, no
        # script, frame or remote resource may load.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{e(case.reference)}: case history</title><style>{CSS}</style></head><body>\n"
    )
    put(f"<h1>{e(case.reference)}: {e(case.title)}</h1>\n")
    put(
        '<section class="verify"><h2>Verification</h2>'
        f"{_html_table(verification_rows(context), mono=MONO_ROWS)}"
        "<p>This report is a reading aid. The signed record is <code>manifest.json</code> "
        "with <code>events.jsonl</code>; check the bundle with "
        "<code>python -m casefiles.verify_export --public-key VERIFIER-KEY BUNDLE.zip</code>, "
        "with the verifier key you received independently (not the one above: a forger "
        "would print their own).</p></section>\n"
    )
    put(f"<h2>Case summary</h2>{_html_table(summary_rows(context))}\n")
    _html_waivers(put, case)
    _html_matrix(put, context)
    for heading, sources in source_sections(context):
        put(f"<h2>{e(heading)}</h2>\n")
        for number, source in enumerate(sources, start=1):
            put(
                f"<h3>{number}. {e(source['title'])}</h3>"
                f"{_html_table(source_lines(context, source), mono=('Original',))}\n"
            )
    sections = fact_sections(context)
    if sections:
        put(f"<h2>Facts and cited spans ({len(sections)})</h2>\n")
        for number, (text, rows) in enumerate(sections, start=1):
            put(f"<h3>{number}. {e(text)}</h3>{_html_table(rows)}\n")
    put("<h2>Legal framework</h2>\n")
    for heading, lines in legal_sections(context):
        put(f"<h3>{e(heading)}</h3>{_html_table(lines)}\n")
    put("<h2>Transition requests and decisions</h2>\n")
    put(
        "<ul>" + "".join(f"<li>{e(decision_line(d))}</li>" for d in context.decisions) + "</ul>\n"
        if context.decisions
        else "<p>None.</p>\n"
    )
    put(
        f'<h2>Timeline ({context.event_count} events)</h2>\n<table class="timeline">'
        "<tr><th>#</th><th>When</th><th>Who</th><th>What</th><th>Hash</th></tr>\n"
    )
    for record in events:
        put(
            f"<tr><td>{record['version']}</td>"
            f'<td class="nowrap">{e(when(record["occurred_at"]))}</td>'
            f'<td>{e(who(record))}</td><td class="text">{e(event_words(record))}</td>'
            f'<td class="mono nowrap" title="{e(record["hash"])}">'
            f"{e(record['hash'][:12])}…</td>"
            "</tr>\n"
        )
    put("</table>\n</body></html>\n")


def _html_matrix(put: Callable[[str], None], context: ReportContext) -> None:
    e = html.escape
    put(
        "<h2>Evidence matrix</h2>\n<p>Each element of each qualification, the facts its "
        "assessment cites and the spans of the exhibits that support them (matrix.json in "
        "the bundle). An element with nothing behind it says so.</p>\n"
    )
    tables = matrix_tables(context)
    if not tables:
        put("<p>No legal qualification recorded.</p>\n")
    header = "".join(f"<th>{e(c)}</th>" for c in MATRIX_COLUMNS)
    for heading, lines in tables:
        body = "".join(
            "<tr>" + "".join(f'<td class="text">{e(cell)}</td>' for cell in line) + "</tr>"
            for line in lines
        )
        put(f'<h3>{e(heading)}</h3><table class="matrix"><tr>{header}</tr>{body}</table>\n')


def _html_table(rows: list[tuple[str, str]], mono: tuple[str, ...] = ()) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(label)}</th>"
        f'<td class="{"mono" if label in mono else "text"}">{html.escape(str(value))}</td></tr>'
        for label, value in rows
    )
    return f"<table>{cells}</table>"


def _html_waivers(put: Callable[[str], None], case: CaseFile) -> None:
    if not case.waivers:
        return
    put(
        "<h2>Waived criteria</h2><ul>"
        + "".join(f"<li>{html.escape(_waiver(w))}</li>" for w in case.waivers)
        + "</ul>\n"
    )


def _waiver(waiver: dict) -> str:
    return (
        f"Independent-sources criterion for {_state(waiver['to_state'])} waived by "
        f"{waiver['waived_by']} at {when(waiver['waived_at'])}: {waiver['reason']}"
    )


# ---------------------------------------------------------------- PDF

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
MARGIN = 50
_fonts: tuple[str, str, str] | None = None


def fonts() -> tuple[str, str, str]:
    """Regular, bold and monospace fonts. DejaVu covers Cyrillic and Arabic script
    names; reportlab's bundled Vera (Latin only) is the fallback."""
    global _fonts
    if _fonts is None:
        for folder in FONT_DIRS:
            files = [folder / f"DejaVuSans{s}.ttf" for s in ("", "-Bold")]
            files.append(folder / "DejaVuSansMono.ttf")
            if all(f.exists() for f in files):
                break
        else:
            bundled = Path(reportlab.__file__).parent / "fonts"
            files = [bundled / "Vera.ttf", bundled / "VeraBd.ttf", bundled / "Vera.ttf"]
        names = ("Report", "Report-Bold", "Report-Mono")
        for name, file in zip(names, files, strict=True):
            pdfmetrics.registerFont(TTFont(name, str(file)))
        pdfmetrics.registerFontFamily(
            "Report", normal="Report", bold="Report-Bold", italic="Report", boldItalic="Report-Bold"
        )
        _fonts = names
    return _fonts


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold, mono = fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12, spaceAfter=3)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=bold, fontSize=15, leading=19, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4
        ),
        "h3": ParagraphStyle("h3", parent=body, fontName=bold, fontSize=10, spaceBefore=4),
        "body": body,
        "mono": ParagraphStyle("mono", parent=body, fontName=mono, fontSize=8),
        "box": ParagraphStyle(
            "box", parent=body, backColor=HexColor("#f1f3f6"), borderPadding=3, spaceAfter=2
        ),
        "event": ParagraphStyle("event", parent=body, leftIndent=12, spaceAfter=4),
    }


def _markup(value: Any) -> str:
    return xml_escape(CONTROL.sub("", str(value))).replace("\n", "<br/>")


def _row(label: str, value: str, style: ParagraphStyle, mono: bool = False) -> Paragraph:
    text = _markup(value)
    if mono:
        text = f'<font name="{fonts()[2]}">{text}</font>'
    return Paragraph(f"<b>{_markup(label)}:</b> {text}", style)


class _Pages:
    """Lays flowables onto pages one at a time (platypus' doc templates want the whole
    list up front), so no flowable outlives its page. reportlab's Canvas still keeps
    each finished page's content stream, uncompressed, in its document until `save`,
    which then builds the whole file in memory: the PDF costs about 7 MiB of RSS per
    10,000 events (~18 events and ~6 KiB of stream per page)."""

    def __init__(self, out: IO[bytes], context: ReportContext):
        self.canvas = Canvas(out, pagesize=A4, pageCompression=1)
        self.canvas.setTitle(f"{context.case.reference}: case history")
        self.canvas.setAuthor("casefiles export")
        self.context = context
        self.page = 0
        self._new_page()

    def _new_page(self) -> None:
        self.page += 1
        width, height = A4
        self.frame = Frame(
            MARGIN,
            MARGIN,
            width - 2 * MARGIN,
            height - 2 * MARGIN - 10,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        regular = fonts()[0]
        self.canvas.setFont(regular, 7)
        self.canvas.setFillColor(HexColor("#666666"))
        case = self.context.case
        self.canvas.drawString(
            MARGIN,
            height - MARGIN + 4,
            f"{case.reference} · history to version {case.version} · "
            f"exported {when(self.context.exported_at)}",
        )
        self.canvas.drawRightString(width - MARGIN, MARGIN - 20, f"page {self.page}")
        self.canvas.drawString(MARGIN, MARGIN - 20, f"head hash {self.context.head_hash}")
        self.canvas.setFillColor(HexColor("#000000"))

    def add(self, flowable: Flowable) -> None:
        pending = [flowable]
        while pending:
            item = pending.pop(0)
            if self.frame.add(item, self.canvas):
                continue
            parts = self.frame.split(item, self.canvas)
            if parts and self.frame.add(parts[0], self.canvas):
                pending[0:0] = parts[1:]
            else:
                pending.insert(0, item)
            self.canvas.showPage()
            self._new_page()

    def save(self) -> None:
        self.canvas.showPage()
        self.canvas.save()


def write_pdf(out: IO[bytes], context: ReportContext, events: Iterable[Record]) -> None:
    styles = _styles()
    pages = _Pages(out, context)
    case = context.case
    pages.add(Paragraph(f"{_markup(case.reference)}: {_markup(case.title)}", styles["title"]))
    pages.add(Paragraph("Verification", styles["h2"]))
    for label, value in verification_rows(context):
        pages.add(_row(label, value, styles["box"], mono=label in MONO_ROWS))
    pages.add(
        Paragraph(
            "This report is a reading aid. The signed record is manifest.json with "
            f'events.jsonl; check the bundle with <font name="{fonts()[2]}">python -m '
            "casefiles.verify_export --public-key VERIFIER-KEY BUNDLE.zip</font>, with the "
            "verifier key you received independently (not the one above: a forger would "
            "print their own).",
            styles["body"],
        )
    )
    pages.add(Paragraph("Case summary", styles["h2"]))
    for label, value in summary_rows(context):
        pages.add(_row(label, value, styles["body"]))
    if case.waivers:
        pages.add(Paragraph("Waived criteria", styles["h2"]))
        for waiver in case.waivers:
            pages.add(Paragraph(_markup(_waiver(waiver)), styles["body"]))
    pages.add(Paragraph("Evidence matrix", styles["h2"]))
    tables = matrix_tables(context)
    if not tables:
        pages.add(Paragraph("No legal qualification recorded.", styles["body"]))
    for heading, table in tables:
        pages.add(Paragraph(_markup(heading), styles["h3"]))
        for line in table:
            cells = [
                f"<b>{_markup(label)}:</b> {_markup(cell)}"
                for label, cell in zip(MATRIX_COLUMNS, line, strict=True)
                if cell
            ]
            pages.add(Paragraph("<br/>".join(cells), styles["event"]))
    for heading, sources in source_sections(context):
        pages.add(Paragraph(_markup(heading), styles["h2"]))
        for number, source in enumerate(sources, start=1):
            pages.add(Paragraph(f"{number}. {_markup(source['title'])}", styles["h3"]))
            for label, value in source_lines(context, source):
                pages.add(_row(label, value, styles["event"], mono=label == "Original"))
    sections = fact_sections(context)
    if sections:
        pages.add(Paragraph(f"Facts and cited spans ({len(sections)})", styles["h2"]))
        for number, (text, rows) in enumerate(sections, start=1):
            pages.add(Paragraph(f"{number}. {_markup(text)}", styles["h3"]))
            for label, value in rows:
                pages.add(_row(label, value, styles["event"]))
    pages.add(Paragraph("Legal framework", styles["h2"]))
    for heading, lines in legal_sections(context):
        pages.add(Paragraph(_markup(heading), styles["h3"]))
        for label, value in lines:
            pages.add(_row(label, value, styles["event"]))
    pages.add(Paragraph("Transition requests and decisions", styles["h2"]))
    for decision in context.decisions:
        pages.add(Paragraph(_markup(decision_line(decision)), styles["body"]))
    if not context.decisions:
        pages.add(Paragraph("None.", styles["body"]))
    pages.add(Spacer(0, 4))
    pages.add(Paragraph(f"Timeline ({context.event_count} events)", styles["h2"]))
    for record in events:
        pages.add(
            Paragraph(
                f"<b>{record['version']}.</b> {_markup(when(record['occurred_at']))} · "
                f"{_markup(who(record))}<br/>{_markup(event_words(record))}",
                styles["event"],
            )
        )
    pages.save()
