"""Lines, paragraphs and sentences with character offsets into the document text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Span

# English abbreviations that end with a period but rarely end a sentence. Orthography,
# not domain rules, so it lives here rather than in the data files.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt maj cpl pvt st rev gov sen rep no nos vs etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec approx dept est fig inc ltd co corp "
    "jr sr".split()
)

_BOUNDARY = re.compile(
    r"(?<=[.!?…])[”\"’')\]]*\s+(?=[“\"‘'(\[]?[A-ZА-ЯЁІЇЄҐ0-9])"
    r"|\s*_{3,}\s*"
)
_LEADING_JUNK = re.compile(r"(?:[\s•·▪◦*‣_]|-(?=\s))+")
_WORD_BEFORE = re.compile(r"([\w.]+)[.]$")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int


def line_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def make_span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(chunk: str) -> bool:
    match = _WORD_BEFORE.search(chunk)
    if not match:
        return False
    word = match.group(1)
    if "." in word or (len(word) == 1 and word.isupper()):
        return True  # U.S., P.O.W.s, initials such as "J."
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str, start: int, end: int, paragraph: int) -> list[Sentence]:
    """Split text[start:end] into sentences; offsets are absolute."""
    out: list[Sentence] = []
    cursor = start
    segment = text[start:end]
    for match in _BOUNDARY.finditer(segment):
        cut = start + match.start()
        if "_" not in match.group(0) and _is_abbreviation(text[cursor:cut]):
            continue
        _append(text, cursor, cut, paragraph, out)
        cursor = start + match.end()
    _append(text, cursor, end, paragraph, out)
    return out


def _append(text: str, start: int, end: int, paragraph: int, out: list[Sentence]) -> None:
    junk = _LEADING_JUNK.match(text, start, end)
    if junk:
        start = junk.end()
    start, end = trim(text, start, end)
    if end - start >= 2 and any(ch.isalpha() for ch in text[start:end]):
        out.append(Sentence(start, end, paragraph))
