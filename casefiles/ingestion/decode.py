"""Turn uploaded bytes into text, or refuse with a reason a documenter can act on.

Nothing here guesses silently: a legacy encoding is accepted only when the decoded
text looks like real writing, because stored mojibake would poison every later
step (offsets, excerpts, search) and is hard to notice afterwards.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from pathlib import PurePosixPath

from charset_normalizer import from_bytes

MAX_BYTES = 20 * 1024 * 1024

_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document"),
    (b"{\\rtf", "RTF document"),
    (b"\x7fELF", "executable"),
    (b"OggS", "Ogg media"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"RIFF", "RIFF media (WAV/AVI/WebP)"),
)

# Ordered by how often each turns up in our sources; the order only breaks ties
# between decodings that all look plausible (e.g. French bytes read as cp1252 or cp1250).
_LEGACY_PREFERENCE: tuple[str, ...] = (
    "cp1251",
    "cp1252",
    "iso8859_15",
    "latin_1",
    "cp1250",
    "iso8859_2",
    "koi8_r",
    "koi8_u",
    "mac_cyrillic",
    "cp866",
    "iso8859_5",
)

_CYRILLIC_LETTERS = frozenset(
    "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюяЁёІіЇїЄєҐґЎў"
)
_LATIN_EXTRA_LETTERS = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœŠšŽžŸ"
    "ĄąĆćČčĎďĘęĚěŁłŃńŇňŐőŘřŚśŤťŮůŰűŹźŻżĹĺĽľŔŕ"
)
# Typographic characters a real legacy-encoded text may contain besides letters.
_ALLOWED_NON_ASCII_SYMBOLS = frozenset("\u00a0«»“”„‘’‚–—…•№°€§©®™·\u00ad")


class UnreadableDocument(ValueError):
    """The bytes are not a text document we can store faithfully."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _size_text(n: int) -> str:
    # Integer arithmetic: the reason is shown to users and must not depend on float rounding.
    tenths = (n * 10 + 524_288) // 1_048_576
    return f"{tenths // 10}.{tenths % 10} MB"


def sniff_media_type(data: bytes, filename: str) -> str:
    """Return "text/html", "text/markdown" or "text/plain".

    Content that clearly is HTML wins over a generic extension (.txt, none), because
    saved pages often arrive renamed; an .html/.htm name is trusted even for fragments.
    """
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix in {".html", ".htm", ".xhtml", ".shtml"}:
        return "text/html"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or (
        head.startswith(b"<") and (b"<body" in head or b"<head" in head or b"<p>" in head)
    ):
        return "text/html"
    if suffix in {".md", ".markdown", ".mdown", ".mkd"}:
        return "text/markdown"
    if suffix in {"", ".txt", ".text"} and _looks_like_markdown(head):
        return "text/markdown"
    return "text/plain"


def _looks_like_markdown(head: bytes) -> bool:
    lines = head.splitlines()
    heading = any(line.startswith((b"# ", b"## ", b"### ")) for line in lines[:5])
    links = head.count(b"](") >= 2
    return heading and (links or b"**" in head or len(lines) > 2)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode ``data`` to text; return ``(text, encoding_name)``.

    UTF-8 (with or without BOM), then UTF-16/32 with BOM, then a legacy single-byte
    encoding proposed by charset-normalizer and accepted only if the result reads as
    real writing. Raises UnreadableDocument otherwise.
    """
    if len(data) > MAX_BYTES:
        raise UnreadableDocument(
            f"file is {_size_text(len(data))}; the limit is {MAX_BYTES // 1_048_576} MB"
        )
    if not data:
        raise UnreadableDocument("empty file")
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise UnreadableDocument(f"binary content ({kind}) — not a text document")

    text, encoding = _decode_with_bom(data)
    if text is None:
        if b"\x00" in data:
            raise UnreadableDocument("binary content (NUL bytes) — not a text document")
        if _control_share_too_high(data):
            raise UnreadableDocument("binary content (control characters) — not a text document")
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode_legacy(data)

    if not text.strip():
        raise UnreadableDocument("file contains only whitespace")
    if _has_controls(text):
        raise UnreadableDocument("binary content (control characters) — not a text document")
    return text, encoding


def _decode_with_bom(data: bytes) -> tuple[str | None, str]:
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    boms = (
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
    )
    for bom, codec, name in boms:
        if data.startswith(bom):
            try:
                return data.decode(codec), name
            except UnicodeDecodeError:
                raise UnreadableDocument(
                    f"could not decode text: it starts with a {name} byte-order mark "
                    "but is not valid in that encoding"
                ) from None
    return None, ""


def _control_share_too_high(data: bytes) -> bool:
    # Bytes 0x00-0x1F (bar tab/newlines/form feed) and 0x7F never occur in text of any
    # single-byte or UTF-8 encoding; a few may slip in, many mean binary.
    controls = sum(1 for b in data if (b < 0x20 and b not in b"\t\n\r\x0c\x0b") or b == 0x7F)
    return controls * 100 > len(data) * 2


def _has_controls(text: str) -> bool:
    controls = sum(
        1
        for ch in text
        if (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\x0c\x0b") or ch == "\ufffd"
    )
    return controls * 100 > max(len(text), 1) * 2


def _decode_legacy(data: bytes) -> tuple[str, str]:
    # charset-normalizer's best guess is taken when it is a code page we expect and the
    # result reads as writing. Its guesses on short texts can be exotic (shift_jis for
    # KOI8-R Russian, cp1125 for a short cp1251 line), so the common code pages are then
    # tried in order of preference, under the same plausibility test.
    best = from_bytes(data).best()
    order = list(_LEGACY_PREFERENCE)
    if best is not None and best.encoding in order and best.percent_chaos <= 10:
        order.remove(best.encoding)
        order.insert(0, best.encoding)
    for encoding in order:
        try:
            decoded = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _reads_as_writing(decoded):
            return decoded, encoding
    raise UnreadableDocument(
        "could not decode text: not valid UTF-8 and no reliable single-byte encoding detected"
    )


def _reads_as_writing(text: str) -> bool:
    """Heuristic guard against mojibake from a wrong single-byte code page."""
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii:
        return True
    cyrillic = sum(1 for ch in non_ascii if ch in _CYRILLIC_LETTERS)
    latin = sum(1 for ch in non_ascii if ch in _LATIN_EXTRA_LETTERS)
    symbols = sum(1 for ch in non_ascii if ch in _ALLOWED_NON_ASCII_SYMBOLS)
    if cyrillic + latin + symbols < len(non_ascii):
        return False  # letters from no alphabet we expect, box drawing, stray symbols
    if cyrillic and latin:
        return False  # one legacy code page never mixes the two in real text
    letters = sum(1 for ch in text if ch.isalpha())
    if latin and latin * 10 > letters * 3:
        # Latin-script languages are mostly ASCII letters; this is Cyrillic bytes misread.
        return False
    words = "".join(ch if ch.isalpha() else " " for ch in text).split()
    mixed = sum(
        1
        for w in words
        if any(ch in _CYRILLIC_LETTERS for ch in w) and any("a" <= ch.lower() <= "z" for ch in w)
    )
    if mixed * 50 > max(len(words), 1):
        return False  # Latin words with Cyrillic inside: Western text read as cp1251
    odd_case = sum(
        1 for w in words if any(a.islower() and b.isupper() for a, b in zip(w, w[1:], strict=False))
    )
    # Reading KOI8-R as cp1251 (or the reverse) swaps letter case inside words.
    if odd_case * 10 > max(len(words), 1):
        return False
    return _plausible_words(words) and _plausible_cyrillic(text)


_CYRILLIC_VOWELS = set("аеёиоуыэюяіїєАЕЁИОУЫЭЮЯІЇЄ")
# Letters of Serbian, Macedonian and Belarusian that Russian or Ukrainian text rarely has;
# a code-page misreading of binary or Western bytes produces them in bulk.
_RARE_CYRILLIC = set("ЎўЈјЉљЊњЋћЏџЂђЃѓЌќЅѕ")


def _plausible_words(words: list[str]) -> bool:
    """Writing is made of words of human length, not one endless run of letters."""
    letters = sum(len(w) for w in words)
    return letters < 40 or letters / max(len(words), 1) <= 15


def _plausible_cyrillic(text: str) -> bool:
    letters = [ch for ch in text if ch in _CYRILLIC_LETTERS and ch.isalpha()]
    if len(letters) < 20:
        return True
    vowels = sum(1 for ch in letters if ch in _CYRILLIC_VOWELS)
    rare = sum(1 for ch in letters if ch in _RARE_CYRILLIC)
    # Russian and Ukrainian prose has roughly 40% vowels; misread bytes rarely do.
    return 0.25 <= vowels / len(letters) <= 0.65 and rare * 10 <= len(letters)


def normalized_fingerprint(text: str) -> str:
    """SHA-256 of the text with line endings, trailing spaces and trailing blank lines
    normalised, so a re-saved copy of the same article is recognised as a duplicate."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
