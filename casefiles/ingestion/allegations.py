"""Candidate allegations: sentences that match a category's cues, grouped and described.

These are candidates for a human reviewer, never findings. Every field carries the span
it came from so the reviewer can check it against the text. Fields are taken from the
excerpt first and only then from the two sentences on either side, nearest first,
because news texts often name the victims or the place one sentence away from the act.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from .dates import find_times
from .gazetteer import KIND_RANK, find_places
from .model import Allegation, Place, Span, TimeRef
from .resources import compile_rule, load, taxonomy_codes
from .text import Sentence, make_span

_BEFORE = 3  # sentences looked at before an excerpt for victims and perpetrators
_AFTER = 2  # ... and after it, for victims only ("He was 17 years old.")
_PLACE_BEFORE = 2  # places and times: only earlier sentences of the same paragraph
_MERGE_GAP = 2  # same-category sentences at most this far apart form one allegation
# A further cue sentence that adds no count, place or time of its own still belongs to
# the story being told when it is this close ("... So it was decided to shoot them").
_MERGE_GAP_NO_FACTS = 4
_MAX_EXCERPT = 600  # characters; a reviewer must be able to read an excerpt at a glance
_DAY = timedelta(days=1)
_MAX_LINK_DAYS = 366  # wider periods ("since 2014") say nothing about a shared incident

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_SPEAKER = re.compile(
    r"\s+(?:also\s+|later\s+|then\s+)?(?:told|tells|said|says|wrote|writes|recalled|recalls)\b"
)
_DETERMINER = re.compile(r"^(?:his|her|their|a|an|the)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class _Cue:
    regex: re.Pattern[str]
    title: str | None
    # The cue counts only when a place more specific than a country is named right
    # after it ("committed war crimes in <town>"; "... in Ukraine" is a general charge).
    place_after: bool = False
    lang: str = "en"


@dataclass(frozen=True)
class _Category:
    code: str
    title: str
    default_victims: str
    has_victims: bool
    cues: tuple[_Cue, ...]
    suppressed_by: tuple[str, ...]
    objects: re.Pattern[str] | None
    title_rules: tuple[tuple[re.Pattern[str], str], ...]


@dataclass(frozen=True)
class _Group:
    label: str
    singular: str
    plural: str
    patterns: tuple[tuple[re.Pattern[str], str], ...]


@dataclass(frozen=True)
class _Rules:
    categories: tuple[_Category, ...]
    families: dict[str, tuple[str, ...]]
    generic: tuple[re.Pattern[str], ...]
    not_an_act: tuple[re.Pattern[str], ...]
    restatement: re.Pattern[str] | None
    conflict: re.Pattern[str] | None
    negation: re.Pattern[str]
    groups: tuple[_Group, ...]
    perpetrators: tuple[re.Pattern[str], ...]
    perpetrator_not_after: re.Pattern[str] | None
    count: re.Pattern[str]


@cache
def rules() -> _Rules:
    data: dict[str, Any] = load("category_cues.json")
    known = set(taxonomy_codes())
    unknown = set(data["categories"]) - known
    if unknown:
        raise ValueError(f"category_cues.json names codes missing from taxonomy.json: {unknown}")
    categories = []
    for code, spec in data["categories"].items():
        terms = sorted(spec.get("object_terms", ()), key=len, reverse=True)
        categories.append(
            _Category(
                code=code,
                title=spec["title"],
                default_victims=spec.get("default_victims", "people"),
                has_victims=spec.get("victims", True),
                cues=tuple(
                    _Cue(
                        compile_rule(c["pattern"]),
                        c.get("title"),
                        c.get("place_after", False),
                        c.get("lang", "en"),
                    )
                    for c in spec["cues"]
                ),
                suppressed_by=tuple(spec.get("suppressed_by", ())),
                objects=(
                    re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\b", re.I)
                    if terms
                    else None
                ),
                title_rules=tuple(
                    (compile_rule(r["pattern"]), r["title"]) for r in spec.get("title_rules", ())
                ),
            )
        )
    groups = tuple(
        _Group(
            g["label"],
            g["singular"],
            g["plural"],
            tuple((compile_rule(p["pattern"]), p["number"]) for p in g["patterns"]),
        )
        for g in data["victim_groups"]
    )
    numbers = r"\d[\d,]*|" + "|".join(_NUMBERS)
    count = compile_rule(
        rf"\b(?P<n>{numbers})\b(?:\s+(?!of\b)[\w’'-]+){{0,2}}\s+{data['victim_nouns']}\b"
    )
    families = {k: tuple(v) for k, v in data["families"].items() if not k.startswith("_")}
    return _Rules(
        categories=tuple(categories),
        families=families,
        generic=tuple(compile_rule(p) for p in data["generic_sentence_patterns"]),
        not_an_act=tuple(compile_rule(p) for p in data.get("not_an_act_patterns", ())),
        restatement=compile_rule(data["restatement_pattern"])
        if "restatement_pattern" in data
        else None,
        conflict=compile_rule(data["conflict_context"]) if "conflict_context" in data else None,
        negation=compile_rule(data["negation_pattern"]),
        groups=groups,
        perpetrators=_party_patterns(data),
        perpetrator_not_after=compile_rule(data["perpetrator_not_after"])
        if "perpetrator_not_after" in data
        else None,
        count=count,
    )


def _party_patterns(data: dict[str, Any]) -> tuple[re.Pattern[str], ...]:
    """The perpetrator patterns, those naming a party ({adj}, {state}) once per party."""
    out: list[re.Pattern[str]] = []
    for pattern in data["perpetrators"]:
        if not any(slot in pattern for slot in ("{adj}", "{state}", "{adj_nom}")):
            out.append(compile_rule(pattern, 0))
            continue
        for party in data["parties"].values():
            # {adj_nom}: the Ukrainian/Russian adjective in the nominative only, so the
            # party is the subject ("російські військові розстріляли"), not the object
            # ("розстріляли російських полонених").
            expanded = (
                pattern.replace("{adj}", party["adj"])
                .replace("{state}", party["state"])
                .replace("{adj_nom}", party["adj_nom"])
            )
            out.append(compile_rule(expanded, 0))
    return tuple(out)


@dataclass
class _Hit:
    sentence: int
    cue_index: int
    cue: Span
    title: str | None


def _sentence_hits(text: str, sentence: Sentence, lang: str = "en") -> dict[str, _Hit]:
    r = rules()
    hits: dict[str, tuple[int, re.Match[str], str | None]] = {}
    question = text[sentence.start : sentence.end].rstrip("”\"’' ").endswith("?")
    for category in r.categories:
        for index, cue in enumerate(category.cues):
            if cue.lang != lang:
                continue
            match = next(
                (
                    m
                    for m in cue.regex.finditer(text, sentence.start, sentence.end)
                    if (
                        question
                        or not r.negation.search(
                            text[max(sentence.start, m.start() - 30) : m.start()]
                        )
                    )
                    and (not cue.place_after or _place_follows(text, m.end(), sentence.end))
                ),
                None,
            )
            if match:
                hits[category.code] = (index, match, cue.title)
                break
    by_code = {c.code: c for c in r.categories}
    for code in list(hits):
        if any(other in hits for other in by_code[code].suppressed_by):
            del hits[code]
    if hits:
        # Matched on the sentence alone (anchors and "$" at its ends), quotes trimmed.
        plain = text[sentence.start : sentence.end].strip(" \n\"“”„«»‘’'")
        if any(p.search(plain) for p in r.not_an_act):
            return {}
    if hits and any(g.search(text, sentence.start, sentence.end) for g in r.generic):
        if not _perpetrator(text, [(sentence.start, sentence.end)]):
            return {}  # a statement of the law, not of an act
    return {
        code: _Hit(-1, index, make_span(text, *m.span()), title)
        for code, (index, m, title) in hits.items()
    }


def _place_follows(text: str, at: int, end: int) -> bool:
    """A town, village, city or region (not a country) is named right at `at`."""
    return any(
        p.span.start - at <= 4 and p.kind != "country"
        for p in find_places(text, at, min(end, at + 60))
    )


def _between_is_clear(excluded: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(start <= xs < end for xs, _ in excluded)


def _first_count(text: str, start: int, end: int) -> re.Match[str] | None:
    return rules().count.search(text, start, end)


def _count_value(match: re.Match[str]) -> int | None:
    raw = match.group("n").lower().replace(",", "")
    return int(raw) if raw.isdigit() else _NUMBERS.get(raw)


def _victim_group(
    text: str, ranges: list[tuple[int, int]]
) -> tuple[_Group, str, Span, tuple[int, int]] | None:
    for start, end in ranges:
        best = None
        for order, group in enumerate(rules().groups):
            for regex, number in group.patterns:
                m = regex.search(text, start, end)
                if m and (best is None or (m.start(), order) < (best[2].start, best[3])):
                    best = (group, number, make_span(text, *m.span()), order)
        if best:
            return best[0], best[1], best[2], (start, end)
    return None


def _perpetrator(text: str, ranges: list[tuple[int, int]]) -> Span | None:
    """The first party named in the nearest range that is not the object of an act or
    a preposition ("executed a captured Ukrainian soldier", "against Russian troops"):
    the text's order, not the order of the patterns, so neither party is preferred."""
    r = rules()
    for start, end in ranges:
        found: list[re.Match[str]] = []
        speakers: list[re.Match[str]] = []
        for regex in r.perpetrators:
            for m in regex.finditer(text, start, end):
                before = text[max(start, m.start() - 40) : m.start()]
                if r.perpetrator_not_after and r.perpetrator_not_after.search(before):
                    continue
                # "A Russian soldier told his girlfriend that his commander ordered ...":
                # the speaker reports; the one he names acted. The speaker only when
                # nobody else is named ("we kill them all").
                (speakers if _SPEAKER.match(text, m.end(), end) else found).append(m)
        if found or speakers:
            m = min(found or speakers, key=lambda m: (m.start(), -m.end()))
            s = m.start()
            lead = _DETERMINER.match(m.group(0))
            if lead and lead.end() < len(m.group(0)):
                s += lead.end()
            return make_span(text, s, m.end())
    return None


def _places(
    text: str, ranges: list[tuple[int, int]], blocked: tuple[tuple[int, int], ...]
) -> tuple[Place, ...]:
    for start, end in ranges:
        found = find_places(text, start, end, blocked)
        if not found:
            continue
        specific = [p for p in found if p.kind != "country"]
        chosen = specific or found
        unique: dict[str, Place] = {}
        for place in chosen:
            unique.setdefault(place.name, place)
        return tuple(unique.values())
    return ()


def _time(
    text: str,
    ranges: list[tuple[int, int]],
    reference: date | None,
    ref_label: str,
    cue: Span,
    lang: str = "en",
) -> TimeRef | None:
    for start, end in ranges:
        found = find_times(text, start, end, reference, ref_label, lang)
        if found:
            # The expression nearest the act, not e.g. the date of the press release.
            return min(
                found,
                key=lambda t: max(t.span.start - cue.end, cue.start - t.span.end, 0),
            )
    return None


def _count_about(text: str, ranges: list[tuple[int, int]], group: _Group) -> re.Match[str] | None:
    """A count outside the excerpt, accepted only when it counts the same victims
    ("two Ukrainians who seemingly surrendered")."""
    for start, end in ranges:
        for m in rules().count.finditer(text, start, end):
            for regex, _ in group.patterns:
                for g in regex.finditer(text, start, end):
                    if m.start() <= g.end() and g.start() <= m.end():
                        return m
    return None


def _title(
    category: _Category,
    cue_title: str | None,
    excerpt: str,
    victims: str | None,
    places: tuple[Place, ...],
) -> str:
    template = cue_title
    if template is None:
        template = next((t for rx, t in category.title_rules if rx.search(excerpt)), None)
    template = template or category.title
    objects = "protected objects"
    if category.objects:
        seen: list[str] = []
        for m in category.objects.finditer(excerpt):
            term = m.group(0).lower()
            if term.rstrip("s") not in {s.rstrip("s") for s in seen}:
                seen.append(term)
        if seen:
            objects = seen[0] if len(seen) == 1 else ", ".join(seen[:-1]) + " and " + seen[-1]
    title = template.format(victims=victims or category.default_victims, objects=objects)
    if places:
        place = min(places, key=lambda p: KIND_RANK.get(p.kind, 9))
        title += (" near " if KIND_RANK.get(place.kind, 9) <= 2 else " in ") + place.name
    return title[0].upper() + title[1:]


def find_allegations(
    text: str,
    sentences: list[Sentence],
    excluded: list[tuple[int, int]],
    blocked: tuple[tuple[int, int], ...],
    reference: date | None,
    ref_label: str,
    lang: str = "en",
) -> tuple[Allegation, ...]:
    """Candidate allegations of a document in `lang` ("en", "uk" or "ru": the cues,
    dates and case endings of that language)."""
    r = rules()
    per_category: dict[str, list[_Hit]] = {c.code: [] for c in r.categories}
    # Sentences whose passage says nothing of armed conflict: their mentions may add to
    # an incident found elsewhere in the document, never start one.
    weak: set[int] = set()
    # Sentences that report another instance of the act just described ("This included
    # a statement to that effect by General X"): a new incident, never merged into it.
    restated: set[int] = set()
    previous: dict[str, _Hit] = {}
    for index, sentence in enumerate(sentences):
        hits = _sentence_hits(text, sentence, lang)
        if not hits and previous and r.restatement:
            m = r.restatement.search(text, sentence.start, sentence.end)
            if m and _between_is_clear(excluded, sentences[index - 1].end, sentence.start):
                cue = make_span(text, *m.span())
                hits = {code: _Hit(-1, hit.cue_index, cue, None) for code, hit in previous.items()}
                restated.add(index)
        previous = hits
        if hits and not _in_conflict(text, sentences, index):
            weak.add(index)
        for code, hit in hits.items():
            hit.sentence = index
            per_category[code].append(hit)

    cue_sentences = frozenset(h.sentence for hits in per_category.values() for h in hits)
    drafts = []
    for category in r.categories:
        clusters: list[list[_Hit]] = []
        for hit in per_category[category.code]:
            # A restated act ("an order to that effect by X") is one sentence, one incident.
            if clusters and restated.isdisjoint((hit.sentence, clusters[-1][-1].sentence)):
                last = clusters[-1][-1]
                prev, cur = sentences[last.sentence], sentences[hit.sentence]
                gap = hit.sentence - last.sentence
                near = gap <= _MERGE_GAP or (
                    gap <= _MERGE_GAP_NO_FACTS
                    and not _has_facts(text, cur, blocked, reference, ref_label, lang)
                )
                short = cur.end - sentences[clusters[-1][0].sentence].start <= _MAX_EXCERPT
                if near and short and _between_is_clear(excluded, prev.end, cur.start):
                    if not _counts_conflict(text, prev, cur):
                        clusters[-1].append(hit)
                        continue
            clusters.append([hit])
        for cluster in clusters:
            drafts.append((category, cluster))

    drafts.sort(key=lambda d: (sentences[d[1][0].sentence].start, d[0].code))
    numbering: dict[str, int] = {}
    out = []
    for category, cluster in drafts:
        numbering[category.code] = numbering.get(category.code, 0) + 1
        out.append(
            _describe(
                text,
                sentences,
                excluded,
                blocked,
                category,
                cluster,
                cue_sentences,
                f"{category.code}-{numbering[category.code]}",
                reference,
                ref_label,
                lang,
            )
        )
    supported = [not all(h.sentence in weak for h in cluster) for _, cluster in drafts]
    separate = [cluster[0].sentence in restated for _, cluster in drafts]
    return _with_setting(_incidents(sentences, out, supported, separate))


_PASSAGE = 2  # sentences on either side that make up an act's passage


def _in_conflict(text: str, sentences: list[Sentence], index: int) -> bool:
    """Whether the passage around sentence `index` (two sentences either side, or its
    whole paragraph) speaks of armed conflict."""
    conflict = rules().conflict
    if conflict is None:
        return True
    lo = sentences[max(0, index - _PASSAGE)].start
    hi = sentences[min(len(sentences) - 1, index + _PASSAGE)].end
    if conflict.search(text, lo, hi):
        return True
    # A long paragraph (an interview, a transcript) is one passage.
    paragraph = [s for s in sentences if s.paragraph == sentences[index].paragraph]
    return conflict.search(text, paragraph[0].start, paragraph[-1].end) is not None


# --- one incident, one candidate ----------------------------------------------------

# Mentions of different categories are one incident when they share a sentence or sit
# this close together: "his ears were cut off. After that ... they killed him" is one
# prisoner's story, qualified as mutilation, torture and killing.
_INCIDENT_GAP = 1


def _place_names(a: Allegation) -> set[str]:
    return {p.name for p in a.places if p.kind != "country"}


def _compatible(a: Allegation, b: Allegation) -> bool:
    """Nothing the two mentions state contradicts one incident: where both name a
    place, a time, a victim group or a count, they agree."""
    pa, pb = _place_names(a), _place_names(b)
    if pa and pb and not pa & pb:
        return False
    if a.time and b.time and not (a.time.start <= b.time.end and b.time.start <= a.time.end):
        return False
    if a.victim_group and b.victim_group and a.victim_group != b.victim_group:
        return False
    return not (a.victim_count and b.victim_count and a.victim_count != b.victim_count)


def _same_facts(a: Allegation, b: Allegation) -> bool:
    """Stricter than _compatible, for mentions far apart: the same place (or none on
    either side), the same time (or none) and the same victims. A mention that names a
    place is a specific incident; a later one without it is more often the pattern the
    article describes around it than the same event retold."""
    if not _compatible(a, b):
        return False
    if bool(_place_names(a)) != bool(_place_names(b)) or bool(a.time) != bool(b.time):
        return False
    return a.victim_group == b.victim_group


def _absorb(into: Allegation, other: Allegation) -> Allegation:
    """`into` with `other`'s categories and excerpt added, and the facts it lacks."""
    also = tuple(
        dict.fromkeys(c for c in (*into.also, other.category, *other.also) if c != into.category)
    )
    seen = {(into.excerpt.start, into.excerpt.end), *((s.start, s.end) for s in into.spans)}
    spans = list(into.spans)
    for span in (other.excerpt, *other.spans):
        if (span.start, span.end) not in seen:
            seen.add((span.start, span.end))
            spans.append(span)
    fill: dict[str, Any] = {}
    if other.category == into.category and len(other.title) > len(into.title):
        fill["title"] = other.title  # "Looting of homes" says more than "Looting"
    if not into.places and other.places:
        fill["places"] = other.places
    if into.time is None and other.time is not None:
        fill["time"] = other.time
    if into.victim_group is None and other.victim_group is not None:
        fill.update(victim_group=other.victim_group, victim_span=other.victim_span)
    if into.victim_count is None and other.victim_count is not None:
        fill.update(victim_count=other.victim_count, count_span=other.count_span)
    if into.perpetrator is None and other.perpetrator is not None:
        fill.update(perpetrator=other.perpetrator, perpetrator_span=other.perpetrator_span)
    return replace(into, also=also, spans=tuple(sorted(spans, key=lambda s: s.start)), **fill)


def _incidents(
    sentences: list[Sentence],
    found: list[Allegation],
    supported: list[bool],
    separate: list[bool] | None = None,
) -> tuple[Allegation, ...]:
    """Group the per-category mentions of a document into incidents.

    Two mentions are one incident when nothing they state conflicts (place, time,
    victims, count) and they share a sentence, or are `_INCIDENT_GAP` apart with
    related categories (a killing and the torture before it). Mentions of the same
    category further apart are one incident only when they state the same facts
    (_same_facts): a document returning to an act it has already described, with no
    new place, time or victims, is retelling that incident, and a second case for it
    would only be triage work. A mention outside any armed-conflict passage
    (`supported` false) may join an incident, never open one; a mention that reports
    another instance of the act before it (`separate`: "a statement to that effect by
    ...") always opens its own."""
    index = {s.start: i for i, s in enumerate(sentences)}
    index_end = {s.end: i for i, s in enumerate(sentences)}

    def bounds(a: Allegation) -> tuple[int, int]:
        first = index.get(a.excerpt.start, 0)
        return first, index_end.get(a.excerpt.end, first)

    groups: list[tuple[Allegation, list[tuple[int, int]], set[str]]] = []
    apart = separate or [False] * len(found)
    for allegation, strong, alone in zip(found, supported, apart, strict=True):
        lo, hi = bounds(allegation)
        for n, (head, ranges, codes) in enumerate([] if alone else groups):
            shared = any(lo <= b and a <= hi for a, b in ranges)
            near = any(lo <= b + _INCIDENT_GAP and a <= hi + _INCIDENT_GAP for a, b in ranges)
            related = any(
                c == allegation.category or related_family(c, allegation.category) for c in codes
            )
            if ((shared or (near and related)) and _compatible(head, allegation)) or (
                allegation.category in codes and _same_facts(head, allegation)
            ):
                groups[n] = (
                    _absorb(head, allegation),
                    [*ranges, (lo, hi)],
                    codes | {allegation.category},
                )
                break
        else:
            if strong:
                groups.append((allegation, [(lo, hi)], {allegation.category}))
    return tuple(head for head, _, _ in groups)


_SETTING_NOTE = "not stated in this passage: the place or time last stated for an earlier incident"


def _with_setting(incidents: tuple[Allegation, ...]) -> tuple[Allegation, ...]:
    """Give an incident that states no place (or no time) the one last stated by an
    earlier incident of the document.

    News reports set the scene once ("calls made in March 2022 ... in Bucha") and then
    retell what happened there paragraph by paragraph without repeating it. An inherited
    place keeps the span where it is stated (outside the excerpt, so a reviewer sees it
    was inherited); an inherited time says so in its note. A place is inherited only by
    an incident that names no place at all (a country alone keeps its country), and only
    a place more specific than a country sets the scene."""
    scene_places: tuple[Place, ...] = ()
    scene_time: TimeRef | None = None
    out = []
    for allegation in incidents:
        fill: dict[str, Any] = {}
        if not allegation.places and scene_places:
            fill["places"] = scene_places
        if allegation.time is None and scene_time is not None:
            note = "; ".join(filter(None, [scene_time.note, _SETTING_NOTE]))
            fill["time"] = replace(scene_time, note=note)
        if any(p.kind != "country" for p in allegation.places):
            scene_places = tuple(p for p in allegation.places if p.kind != "country")
        if allegation.time is not None:
            scene_time = allegation.time
        out.append(replace(allegation, **fill) if fill else allegation)
    return tuple(out)


def _has_facts(
    text: str,
    sentence: Sentence,
    blocked: tuple[tuple[int, int], ...],
    reference: date | None,
    ref_label: str,
    lang: str = "en",
) -> bool:
    s, e = sentence.start, sentence.end
    return bool(
        _first_count(text, s, e)
        or find_places(text, s, e, blocked)
        or find_times(text, s, e, reference, ref_label, lang)
    )


def _counts_conflict(text: str, a: Sentence, b: Sentence) -> bool:
    ca, cb = _first_count(text, a.start, a.end), _first_count(text, b.start, b.end)
    return bool(ca and cb and _count_value(ca) != _count_value(cb))


def _context(
    sentences: list[Sentence],
    excluded: list[tuple[int, int]],
    first: int,
    last: int,
    before: int,
    after: int,
    same_paragraph: bool = False,
) -> list[tuple[int, int]]:
    """Sentences around the excerpt, nearest first, never reaching across boilerplate."""
    out = []
    for step in range(1, max(before, after) + 1):
        for index, anchor, limit in ((first - step, first, before), (last + step, last, after)):
            if step > limit or not 0 <= index < len(sentences):
                continue
            s, a = sentences[index], sentences[anchor]
            if same_paragraph and s.paragraph != a.paragraph:
                continue
            lo, hi = (s.end, a.start) if index < anchor else (a.end, s.start)
            if _between_is_clear(excluded, lo, hi):
                out.append((s.start, s.end))
    return out


def _describe(
    text: str,
    sentences: list[Sentence],
    excluded: list[tuple[int, int]],
    blocked: tuple[tuple[int, int], ...],
    category: _Category,
    cluster: list[_Hit],
    cue_sentences: frozenset[int],
    key: str,
    reference: date | None,
    ref_label: str,
    lang: str = "en",
) -> Allegation:
    first, last = cluster[0].sentence, cluster[-1].sentence
    excerpt = make_span(text, sentences[first].start, sentences[last].end)
    own = (excerpt.start, excerpt.end)
    around = [own, *_context(sentences, excluded, first, last, _BEFORE, _AFTER)]
    earlier = [own, *_context(sentences, excluded, first, last, _BEFORE, 0)]
    local = [own, *_context(sentences, excluded, first, last, _PLACE_BEFORE, 0, True)]

    group = _victim_group(text, around) if category.has_victims else None
    count_match = _first_count(text, excerpt.start, excerpt.end) if group else None
    if group and count_match is None:
        # Only within the paragraph, and not from a sentence that is itself the excerpt
        # of an allegation: a count there usually belongs to another incident.
        same_paragraph = [
            (s, e)
            for s, e in _context(sentences, excluded, first, last, _BEFORE, _AFTER, True)
            if not any(sentences[i].start == s for i in cue_sentences)
        ]
        count_match = _count_about(text, same_paragraph, group[0])
    count = _count_value(count_match) if count_match else None
    count_span = make_span(text, *count_match.span()) if count_match else None

    victims = None
    if group:
        g, number = group[0], group[1]
        if count and count > 1:
            victims = f"{count} {g.plural}"
        else:
            victims = g.singular if number == "singular" or count == 1 else g.plural

    places = _places(text, local, blocked)
    perpetrator = _perpetrator(text, earlier)
    return Allegation(
        key=key,
        category=category.code,
        title=_title(
            category,
            next((h.title for h in cluster if h.title), None),
            excerpt.text,
            victims,
            places,
        ),
        places=places,
        time=_time(text, local, reference, ref_label, cluster[0].cue, lang),
        victim_group=group[0].label if group else None,
        victim_count=count,
        victim_span=group[2] if group else None,
        perpetrator=perpetrator.text if perpetrator else None,
        perpetrator_span=perpetrator,
        excerpt=excerpt,
        cue=cluster[0].cue,
        count_span=count_span,
    )


# --- linking across documents ------------------------------------------------------


def related_family(a: str, b: str) -> str | None:
    for name, members in rules().families.items():
        if a in members and b in members:
            return name
    return None


def _days(t: TimeRef) -> int:
    return date.fromisoformat(t.end).toordinal() - date.fromisoformat(t.start).toordinal()


def link_reasons(a: Allegation, b: Allegation) -> list[str]:
    """Why two allegations (usually from different documents) may concern the same
    incident or pattern. Lists every shared trait; should_link decides."""
    reasons = []
    if a.category == b.category:
        reasons.append(f"same category: {a.category}")
    elif family := related_family(a.category, b.category):
        reasons.append(f"related categories: {a.category} and {b.category} ({family})")

    pa = {p.name: p for p in a.places if p.kind != "country"}
    pb = {p.name: p for p in b.places if p.kind != "country"}
    shared = [name for name in pa if name in pb]
    if shared:
        reasons.append("same place: " + ", ".join(shared))
    else:
        regions = sorted({p.region for p in pa.values()} & {p.region for p in pb.values()})
        if regions:
            reasons.append("same region: " + ", ".join(regions))

    if a.time and b.time and a.time.start <= b.time.end and b.time.start <= a.time.end:
        if _days(a.time) <= _MAX_LINK_DAYS and _days(b.time) <= _MAX_LINK_DAYS:
            reasons.append(
                f"overlapping time: '{a.time.text}' ({a.time.start} to {a.time.end}) and "
                f"'{b.time.text}' ({b.time.start} to {b.time.end})"
            )
    if a.victim_group and a.victim_group == b.victim_group:
        reasons.append(f"same victim group: {a.victim_group}")
    return reasons


def should_link(a: Allegation, b: Allegation) -> bool:
    """Suggest a link when the categories match or are related AND at least one of
    place (or region), time or victim group is shared."""
    reasons = link_reasons(a, b)
    has_category = any(r.startswith(("same category", "related categories")) for r in reasons)
    return has_category and len(reasons) >= 2


# --- relations between candidates (docs/ingestion.md, "Links with meaning") ---------

SAME_INCIDENT, SHARED_ORIGIN, SAME_CONTEXT = "same_incident", "shared_origin", "same_context"
# Strongest first: a pair is suggested once, under the strongest relation it meets.
RELATIONS = (SAME_INCIDENT, SHARED_ORIGIN, SAME_CONTEXT)


_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def _period(t: TimeRef) -> str:
    start, end = date.fromisoformat(t.start), date.fromisoformat(t.end)
    if start == end:
        return f"{start.day} {_MONTHS[start.month - 1]} {start.year}"
    whole_month = start.day == 1 and (end + _DAY).day == 1
    if whole_month and (start.year, start.month) == (end.year, end.month):
        return f"{_MONTHS[start.month - 1]} {start.year}"
    return f"{t.start} to {t.end}"


def _times_agree(a: Allegation, b: Allegation) -> bool:
    return bool(
        a.time
        and b.time
        and a.time.start <= b.time.end
        and b.time.start <= a.time.end
        and _days(a.time) <= _MAX_LINK_DAYS
        and _days(b.time) <= _MAX_LINK_DAYS
    )


def _label(category: str) -> str:
    return category.replace("_", " ")


def link_relation(
    a: Allegation,
    b: Allegation,
    origins_a: frozenset[str] = frozenset(),
    origins_b: frozenset[str] = frozenset(),
) -> tuple[str, list[str]] | None:
    """The strongest relation between two candidates from different documents, with its
    reasons in words, or None:

    * same_incident: the act (same or related category) AND a named place (not only a
      country) AND the time (overlapping, each at most a year) all agree;
    * shared_origin: the act and the period (overlapping, any length) agree and both
      sources trace to the same upstream origin (origins_a / origins_b: normalised
      origin names of each candidate's sources);
    * same_context: same place or region AND overlapping period, whatever the act.

    A shared category or victim group alone is no relation."""
    traits = link_reasons(a, b)
    act = a.category == b.category or related_family(a.category, b.category) is not None
    pb = {p.name for p in b.places if p.kind != "country"}
    shared_places = [p.name for p in a.places if p.kind != "country" and p.name in pb]
    when = _times_agree(a, b)
    if act and shared_places and when:
        assert a.time is not None and b.time is not None
        act_words = (
            _label(a.category)
            if a.category == b.category
            else f"{_label(a.category)} / {_label(b.category)}"
        )
        period = _period(a.time) if a.time == b.time else _period(_narrower(a.time, b.time))
        places = ", ".join(sorted(set(shared_places)))
        return SAME_INCIDENT, [f"both: {act_words} in {places}, {period}", *traits]
    shared_origins = sorted(origins_a & origins_b)
    # One organisation obtains many unrelated collections (a newspaper's intercepts of
    # 2022 and its videos of 2024): the same origin counts for the same period only.
    period_overlaps = bool(
        a.time and b.time and a.time.start <= b.time.end and b.time.start <= a.time.end
    )
    if act and shared_origins and period_overlaps:
        return SHARED_ORIGIN, [
            f"both trace to the same origin: {', '.join(shared_origins)}",
            *traits,
        ]
    area = bool(shared_places) or any(r.startswith("same region") for r in traits)
    if area and when:
        return SAME_CONTEXT, [
            "same area and period (not necessarily the same incident)",
            *[r for r in traits if r.startswith(("same place", "same region", "overlapping"))],
        ]
    return None


def _narrower(x: TimeRef, y: TimeRef) -> TimeRef:
    return x if _days(x) <= _days(y) else y
