"""Document bytes -> Document: clean text, metadata and candidate allegations.

Pure and deterministic: no network, no clock, no Django. The same bytes and
EXTRACTOR_VERSION always give the same Document, so results can be stored in events
and recomputed later; bump the version whenever behaviour or the data files change.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from .allegations import find_allegations, link_reasons, link_relation, should_link
from .dates import latest_full_date_any
from .decode import UnreadableDocument, decode_text, sniff_media_type
from .language import detect_language
from .markup import html_main_text, markdown_to_text, normalize_newlines
from .metadata import (
    analyse_layout,
    canonical_organisation,
    derive_title,
    find_origins,
    find_outlet,
    organisation_for_host,
    organisation_spans,
    publication_date,
)
from .model import Allegation, Document, Origin, Place, Span, TimeRef
from .text import make_span

EXTRACTOR_VERSION = "casefiles-extract/1.7.0"

# Languages the cues, dates and place endings cover. A document detected in another
# language is ingested (stored, metadata read) but not analysed, and says so; one whose
# language cannot be told (too short, a list of names) is read with the English rules.
ANALYSED_LANGUAGES = ("en", "uk", "ru")

__all__ = [
    "ANALYSED_LANGUAGES",
    "EXTRACTOR_VERSION",
    "Allegation",
    "Document",
    "Origin",
    "Place",
    "Span",
    "TimeRef",
    "UnreadableDocument",
    "extract_document",
    "extract_text",
    "link_reasons",
    "link_relation",
    "should_link",
]


def extract_document(data: bytes, filename: str) -> Document:
    """Decode and analyse one uploaded document. Raises UnreadableDocument."""
    media_type = sniff_media_type(data, filename)
    raw, encoding = decode_text(data)
    meta: dict[str, Any] = {}
    if media_type == "text/html":
        text, meta = html_main_text(raw)
    elif media_type == "text/markdown":
        text = markdown_to_text(raw)
    else:
        text = normalize_newlines(raw)
    return extract_text(text, media_type=media_type, encoding=encoding, html_meta=meta)


def _find(text: str, needle: str | None) -> Span | None:
    if not needle:
        return None
    at = text.find(needle)
    return make_span(text, at, at + len(needle)) if at >= 0 else None


def extract_text(
    text: str,
    *,
    media_type: str = "text/plain",
    encoding: str = "utf-8",
    html_meta: dict[str, Any] | None = None,
) -> Document:
    """Analyse already-decoded text (line endings must be '\\n')."""
    meta = html_meta or {}
    layout = analyse_layout(text)

    title_derived = False
    if meta.get("title"):
        title, title_span = meta["title"], _find(text, meta["title"])
    elif layout.title:
        title, title_span = layout.title.text, layout.title
    else:
        title, title_span = derive_title(text, layout)
        title_derived = True

    outlet, outlet_span = find_outlet(text, layout)
    if meta.get("sitename"):
        outlet = canonical_organisation(meta["sitename"]) or meta["sitename"]
        outlet_span = _find(text, meta["sitename"])
    elif not outlet and meta.get("url"):
        outlet = organisation_for_host(urlsplit(meta["url"]).hostname or "")

    byline, byline_span = (layout.byline.text, layout.byline) if layout.byline else (None, None)
    if meta.get("author"):
        byline, byline_span = meta["author"], _find(text, meta["author"])

    published_date, reason, published_span = publication_date(text, layout)
    if meta.get("date"):
        try:
            published_date = date.fromisoformat(meta["date"][:10])
            reason, published_span = "HTML page metadata (publication date)", None
        except ValueError:
            pass

    language = detect_language(text)
    url, url_span = (layout.url.text, layout.url) if layout.url else (None, None)
    if meta.get("url") and not url:
        url = meta["url"]

    if published_date:
        reference, ref_label = published_date, "the publication date"
    elif latest := latest_full_date_any(text, language):
        reference, ref_label = latest[0], f"the latest date in the text ('{latest[1]}')"
    else:
        reference, ref_label = None, ""

    analysed = language is None or language in ANALYSED_LANGUAGES
    allegations = (
        find_allegations(
            text,
            layout.sentences,
            layout.excluded,
            tuple(organisation_spans(text)),
            reference,
            ref_label,
            language or "en",
        )
        if analysed
        else ()
    )
    return Document(
        text=text,
        media_type=media_type,
        encoding=encoding,
        title=title,
        title_derived=title_derived,
        title_span=title_span,
        outlet=outlet,
        outlet_span=outlet_span,
        byline=byline,
        byline_span=byline_span,
        published=published_date.isoformat() if published_date else None,
        published_reason=reason,
        published_span=published_span,
        url=url,
        url_span=url_span,
        language=language,
        not_analysed=None if analysed else f"not analysed: language {language}",
        origins=tuple(find_origins(text, layout)),
        boilerplate=tuple(make_span(text, s, e) for s, e, _ in layout.boilerplate),
        allegations=allegations,
        extractor_version=EXTRACTOR_VERSION,
    )
