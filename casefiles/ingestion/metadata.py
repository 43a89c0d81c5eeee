"""Document layout and metadata: boilerplate, title, dateline, byline, outlet, URL, origins.

Texts arrive in many shapes (pasted articles with repeated headlines, photo captions,
promotional footers, agency datelines). Nothing is deleted from the text, so offsets
stay valid; lines are classified instead, and later steps skip what is not the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from .dates import FULL_DATE, full_date, latest_full_date
from .model import Origin, Span
from .resources import compile_rule, load
from .text import Sentence, line_spans, make_span, split_sentences, trim

_DATELINE_PREFIX = re.compile(
    r"(?:(?i:date|published|updated|posted(?: on)?)\s*:?\s*)?"
    r"(?P<time>\d{1,2}:\d{2}\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:[A-Z]{2,4}\s+)?)?"
)
_BYLINE = re.compile(r"(?:By\s+)?(?P<name>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){1,3})")
_SOURCE_LINE = re.compile(
    r"(?:(?:Source|Original(?: article)?|Originally published at|URL|Link)\s*:\s*)?"
    r"(?P<url>https?://[^\s<>\"]+)",
    re.IGNORECASE,
)
_URL_DATE = re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/|$)")
_SENTENCE_END = re.compile(r"[.!?…][”\"’')]*\s*$")
_PIPE_TOKEN = re.compile(r"[^|/•·–—]+")


@dataclass
class Layout:
    """What each region of the text is."""

    boilerplate: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, kind
    outlet_hint: Span | None = None
    title: Span | None = None
    title_repeats: list[tuple[int, int]] = field(default_factory=list)
    dateline: Span | None = None
    published: date | None = None
    byline: Span | None = None
    url: Span | None = None
    # Regions that are not narrative: boilerplate and the metadata lines above.
    excluded: list[tuple[int, int]] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)


@cache
def _boilerplate_rules() -> tuple[list[tuple[str, re.Pattern[str]]], int]:
    data = load("boilerplate.json")
    rules = []
    for rule in data["lines"]:
        flags = 0 if rule.get("case_sensitive") else re.IGNORECASE
        rules.append((rule["kind"], compile_rule(rule["pattern"], flags)))
    return rules, int(data.get("caption_headline_max_words", 12))


@cache
def _organisations() -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, bool]]]:
    orgs = {o["name"]: o for o in load("origins.json")["organisations"]}
    aliases: dict[str, tuple[str, bool]] = {}
    for org in orgs.values():
        for alias in (org["name"], *org["aliases"]):
            aliases.setdefault(alias, (org["name"], True))
        for alias in org.get("weak_aliases", ()):
            aliases.setdefault(alias, (org["name"], False))
    return orgs, aliases


@cache
def _alias_pattern() -> re.Pattern[str]:
    _, aliases = _organisations()
    names = sorted(aliases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)")


@cache
def _role_rules() -> list[tuple[str, list[re.Pattern[str]], list[re.Pattern[str]]]]:
    roles = load("origins.json")["roles"]
    return [
        (
            role,
            [compile_rule(p) for p in spec.get("before", ())],
            [compile_rule(p) for p in spec.get("after", ())],
        )
        for role, spec in roles.items()
    ]


def canonical_organisation(name: str) -> str | None:
    _, aliases = _organisations()
    found = aliases.get(name.strip())
    return found[0] if found else None


def organisation_for_host(host: str) -> str | None:
    orgs, _ = _organisations()
    host = host.lower().removeprefix("www.")
    for org in orgs.values():
        for domain in org.get("domains", ()):
            if host == domain or host.endswith("." + domain):
                return org["name"]
    return None


def _leading_organisation(text: str, start: int, end: int) -> Span | None:
    """A known organisation name at the start of text[start:end] (e.g. after
    '© Provided by'), or the whole remainder if it is short enough to be a name."""
    m = _alias_pattern().match(text, start, end)
    if m:
        return make_span(text, m.start(), m.end())
    s, e = trim(text, start, end)
    chunk = text[s:e].rstrip(".")
    if chunk and len(chunk.split()) <= 5 and not re.search(r"[.!?:;]", chunk):
        return make_span(text, s, s + len(chunk))
    return None


def analyse_layout(text: str) -> Layout:
    layout = Layout()
    rules, headline_words = _boilerplate_rules()
    lines = [trim(text, s, e) for s, e in line_spans(text)]

    boiler_lines: dict[int, str] = {}
    for i, (s, e) in enumerate(lines):
        if s == e:
            continue
        for kind, rule in rules:
            # Match the line on its own: '^'/'$' in the data must mean the line's ends.
            m = rule.fullmatch(text[s:e])
            if m:
                boiler_lines[i] = kind
                if "outlet" in rule.groupindex and m.group("outlet") and not layout.outlet_hint:
                    layout.outlet_hint = _leading_organisation(text, s + m.start("outlet"), e)
                break
    for i, kind in list(boiler_lines.items()):
        if kind != "caption" or i == 0:
            continue
        s, e = lines[i - 1]
        line = text[s:e]
        if (
            s < e
            and i - 1 not in boiler_lines
            and len(line.split()) <= headline_words
            and not _SENTENCE_END.search(line)
        ):
            boiler_lines[i - 1] = "caption"

    _analyse_head(text, lines, boiler_lines, layout)

    if layout.title:
        for i, (s, e) in enumerate(lines):
            if s != layout.title.start and text[s:e] == layout.title.text:
                boiler_lines[i] = "repeated title"
                layout.title_repeats.append((s, e))

    for i in sorted(boiler_lines):
        s, e = lines[i]
        layout.boilerplate.append((s, e, boiler_lines[i]))

    if not layout.url:
        for i, (s, e) in enumerate(lines):
            m = _SOURCE_LINE.fullmatch(text, s, e)
            if m and i not in boiler_lines:
                layout.url = make_span(text, m.start("url"), m.end("url"))
                layout.excluded.append((s, e))
                break

    layout.excluded.extend((s, e) for s, e, _ in layout.boilerplate)
    layout.excluded.sort()
    layout.sentences = body_sentences(text, lines, layout.excluded)
    return layout


def _analyse_head(
    text: str, lines: list[tuple[int, int]], boiler: dict[int, str], layout: Layout
) -> None:
    """Title, dateline and byline live in the first few non-boilerplate lines."""
    seen = 0
    for i, (s, e) in enumerate(lines):
        if s == e or i in boiler:
            continue
        seen += 1
        if seen > 6:
            return
        if not layout.dateline:
            prefix = _DATELINE_PREFIX.match(text, s, e)
            assert prefix is not None  # every part of the pattern is optional: it always matches
            m = FULL_DATE.match(text, prefix.end(), e)
            if m and (d := full_date(m)):
                start = prefix.start("time") if prefix.group("time") else m.start()
                layout.dateline = make_span(text, start, m.end())
                layout.published = d
                rest_s, rest_e = trim(text, m.end(), e)
                if rest_e - rest_s > 120:
                    # Dateline glued to the first paragraph: only the date is metadata.
                    layout.excluded.append((s, m.end()))
                    if not layout.title:
                        return
                    continue
                layout.excluded.append((s, e))
                tokens = [
                    t for t in _PIPE_TOKEN.finditer(text, rest_s, rest_e) if t.group(0).strip()
                ]
                if tokens and not layout.byline:
                    ts, te = trim(text, tokens[0].start(), tokens[0].end())
                    layout.byline = make_span(text, ts, te)
                continue
        line = text[s:e]
        if not layout.title:
            if _is_title_like(line):
                layout.title = make_span(text, s, e)
                layout.excluded.append((s, e))
                continue
            return  # the body starts here
        if not layout.byline:
            m = _BYLINE.fullmatch(text, s, e)
            if m:
                layout.byline = make_span(text, m.start("name"), m.end("name"))
                layout.excluded.append((s, e))
                continue
        return


def _is_title_like(line: str) -> bool:
    if len(line) > 250 or len(line.split()) < 3:
        return False
    if line.rstrip().endswith("."):
        return False
    return len(re.findall(r"[.!?][”\"’']?\s+[A-Z]", line)) == 0


def body_sentences(
    text: str, lines: list[tuple[int, int]], excluded: list[tuple[int, int]]
) -> list[Sentence]:
    out: list[Sentence] = []
    for index, (s, e) in enumerate(lines):
        if s == e:
            continue
        pieces = [(s, e)]
        for xs, xe in excluded:
            nxt = []
            for ps, pe in pieces:
                if xe <= ps or xs >= pe:
                    nxt.append((ps, pe))
                    continue
                if ps < xs:
                    nxt.append((ps, xs))
                if xe < pe:
                    nxt.append((xe, pe))
            pieces = nxt
        for ps, pe in pieces:
            out.extend(split_sentences(text, ps, pe, index))
    return out


def derive_title(text: str, layout: Layout) -> tuple[str, Span | None]:
    """Title for a text without a headline: its first sentence, shortened."""
    if not layout.sentences:
        return "", None
    first = layout.sentences[0]
    span = make_span(text, first.start, first.end)
    words = span.text.split()
    if len(span.text) <= 100:
        return span.text.rstrip(".").strip(), span
    title = ""
    for word in words:
        if len(title) + len(word) + 1 > 90:
            break
        title = f"{title} {word}".strip()
    return title.rstrip(",;:–—-") + "…", span


def find_outlet(text: str, layout: Layout) -> tuple[str | None, Span | None]:
    if layout.outlet_hint:
        name = canonical_organisation(layout.outlet_hint.text) or layout.outlet_hint.text
        return name, layout.outlet_hint
    if layout.url:
        host = urlsplit(layout.url.text).hostname or ""
        owner = organisation_for_host(host)
        if owner:
            return owner, layout.url
    return None, None


def publication_date(text: str, layout: Layout) -> tuple[date | None, str, Span | None]:
    if layout.dateline and layout.published:
        return layout.published, f"dateline '{layout.dateline.text}'", layout.dateline
    if layout.url:
        m = _URL_DATE.search(urlsplit(layout.url.text).path)
        if m:
            try:
                d = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                d = None
            if d:
                span = make_span(text, layout.url.start + m.start(), layout.url.start + m.end())
                path = m.group(0) if m.group(0).endswith("/") else m.group(0) + "/"
                return d, f"URL path {path}", span
    reason = "the text states no publication date"
    latest = latest_full_date(text)
    if latest:
        reason += f"; the dates it mentions (latest '{latest[1]}') describe events"
    return None, reason, None


def find_origins(text: str, layout: Layout) -> list[Origin]:
    """Organisations named as obtaining, verifying, documenting, publishing, relaying or
    reporting the material, each with the span of the mention that shows the role."""
    skip = [(s, e) for s, e, kind in layout.boilerplate if kind != "credit"]
    lines = [trim(text, s, e) for s, e in line_spans(text)]
    sentences = body_sentences(text, lines, skip)
    mentions = [
        m for m in _alias_pattern().finditer(text) if not any(s <= m.start() < e for s, e in skip)
    ]
    _, aliases = _organisations()
    strong = {aliases[m.group(0)][0] for m in mentions if aliases[m.group(0)][1]}
    found: dict[tuple[str, str], Origin] = {}
    for m in mentions:
        name, is_strong = aliases[m.group(0)]
        if not is_strong and name not in strong:
            continue
        sentence = next((x for x in sentences if x.start <= m.start() < x.end), None)
        if sentence is None:
            continue
        before = text[sentence.start : m.start()]
        after = text[m.end() : sentence.end]
        for role, befores, afters in _role_rules():
            if any(p.search(before) for p in befores) or any(p.search(after) for p in afters):
                found.setdefault((name, role), Origin(name, role, make_span(text, *m.span())))
    if layout.byline:
        orgs, _ = _organisations()
        agency = canonical_organisation(layout.byline.text)
        if agency and orgs[agency]["kind"] == "agency":
            found.setdefault((agency, "relayed"), Origin(agency, "relayed", layout.byline))
    return sorted(found.values(), key=lambda o: (o.span.start, o.role))


def organisation_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _alias_pattern().finditer(text)]
