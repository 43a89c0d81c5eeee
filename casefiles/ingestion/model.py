"""Value objects produced by extraction.

All values are str/int/bool/None or tuples of these objects: the event store stores
them as JSON and forbids floats, so coordinates stay decimal strings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Character offsets into Document.text; ``text == document.text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    lat: str
    lon: str
    span: Span
    kind: str = "city"
    region: str = ""


@dataclass(frozen=True)
class TimeRef:
    kind: str  # 'date' | 'month' | 'year' | 'range'
    start: str  # YYYY-MM-DD
    end: str  # YYYY-MM-DD
    text: str  # as stated, e.g. "since late August"
    span: Span
    note: str = ""  # how an implied year or an open end was resolved


@dataclass(frozen=True)
class Origin:
    name: str  # canonical organisation name
    role: str  # 'obtained' | 'verified' | 'documented' | 'published' | 'relayed' | 'reported'
    span: Span


@dataclass(frozen=True)
class Allegation:
    key: str
    category: str
    title: str
    places: tuple[Place, ...]
    time: TimeRef | None
    victim_group: str | None
    victim_count: int | None
    victim_span: Span | None
    perpetrator: str | None
    perpetrator_span: Span | None
    excerpt: Span
    cue: Span  # the phrase that made the excerpt a candidate for this category
    count_span: Span | None = None
    # Further mentions of the same incident in the document: their categories (besides
    # `category`, the first one's) and their excerpts, so one incident is one candidate.
    also: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        # Read back from an event's JSON, these arrive as lists (of dicts for spans).
        object.__setattr__(self, "also", tuple(self.also))
        object.__setattr__(
            self, "spans", tuple(s if isinstance(s, Span) else Span(**s) for s in self.spans)
        )

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.category, *self.also)


@dataclass(frozen=True)
class Document:
    text: str
    media_type: str
    encoding: str
    title: str
    title_derived: bool
    title_span: Span | None  # for a derived title: the sentence it was derived from
    outlet: str | None
    outlet_span: Span | None
    byline: str | None
    byline_span: Span | None
    published: str | None
    published_reason: str
    published_span: Span | None
    url: str | None
    url_span: Span | None
    language: str | None
    origins: tuple[Origin, ...]
    boilerplate: tuple[Span, ...]
    allegations: tuple[Allegation, ...]
    extractor_version: str = ""
    # "not analysed: language de": the text was stored but no rules exist for its
    # language, so "no candidates" means nothing was looked for, not nothing found.
    not_analysed: str | None = None
