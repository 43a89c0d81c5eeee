"""A Document's candidate allegations in the scorer's CANDIDATES.json shape.

The shape is the one `../shared/extraction/score_extraction.py` reads (see its README):
one entry per file, each candidate with its title, category codes (primary first),
places, date range, excerpt, supporting spans and perpetrator. Pure: no Django, no
database, so `manage.py extract --json` can score the extractor on a machine with no
database at all, and ingestion and scoring read the same extraction.
"""

from __future__ import annotations

from typing import Any

from .model import Allegation, Document


def candidate(allegation: Allegation) -> dict[str, Any]:
    spans = [allegation.excerpt.text]
    spans += [s.text for s in getattr(allegation, "spans", ()) if s.text not in spans]
    categories = [allegation.category]
    categories += [c for c in getattr(allegation, "also", ()) if c not in categories]
    return {
        "title": allegation.title,
        "categories": categories,
        "places": [place.name for place in allegation.places],
        "date_from": allegation.time.start if allegation.time else None,
        "date_to": allegation.time.end if allegation.time else None,
        "excerpt": allegation.excerpt.text,
        "spans": spans,
        "perpetrator": allegation.perpetrator,
    }


def document_candidates(document: Document, filename: str) -> dict[str, Any]:
    """One CANDIDATES.json document entry."""
    entry: dict[str, Any] = {
        "file": filename,
        "extractor_version": document.extractor_version,
        "language": document.language,
        # "not analysed: language X": no rules for its language, so no candidates were
        # looked for (not: none found).
        "not_analysed": document.not_analysed,
        "candidates": [candidate(a) for a in document.allegations],
    }
    return entry
