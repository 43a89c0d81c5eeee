"""Main text from HTML (via trafilatura) and plain text from Markdown."""

from __future__ import annotations

import re
from typing import Any

import trafilatura

from .decode import UnreadableDocument

_MIN_WORDS = 5


def html_main_text(html: str) -> tuple[str, dict[str, Any]]:
    """Return (main text, metadata) of an HTML page. Never fetches anything: the page
    is parsed as given, and a URL in it is only read as metadata."""
    result = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if result is None:
        raise UnreadableDocument("HTML has no extractable main text")
    meta = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = normalize_newlines(meta.get("text") or "").strip("\n")
    if len(re.findall(r"[^\W\d_]{2,}", text)) < _MIN_WORDS:
        raise UnreadableDocument("HTML has no extractable main text")
    return text, meta


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")


def markdown_to_text(markdown: str) -> str:
    """Drop the markup a reader does not see (heading marks, emphasis, link targets) and
    keep everything else, line by line, so the text reads like the rendered page."""
    out = []
    for line in normalize_newlines(markdown).split("\n"):
        if _RULE.match(line):
            out.append("")
            continue
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(1)
        line = _QUOTE.sub("", line)
        line = _IMAGE.sub("", line)
        line = _LINK.sub(r"\1", line)
        line = _EMPHASIS.sub(r"\2", line)
        out.append(line)
    return "\n".join(out)
