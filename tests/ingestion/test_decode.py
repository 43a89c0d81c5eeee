"""Decoding: real text in any common encoding comes out right; anything else is refused
with a reason a documenter can act on."""

import codecs
import hashlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casefiles.ingestion.decode import (
    MAX_BYTES,
    UnreadableDocument,
    decode_text,
    normalized_fingerprint,
    sniff_media_type,
)
from casefiles.ingestion.extract import extract_document

UKRAINIAN = (
    "Російські війська обстріляли лікарню в Харкові. Загинули троє цивільних, серед них дитина."
)
RUSSIAN = "Российские солдаты расстреляли пленных возле села. Свидетели рассказали о пытках."


@pytest.mark.parametrize("sentence", [UKRAINIAN, RUSSIAN, "Привет мир"])
def test_cp1251_cyrillic_decodes_to_cyrillic(sentence):
    text, encoding = decode_text(sentence.encode("cp1251"))
    assert text == sentence
    assert encoding == "cp1251"


def test_koi8r_is_not_mistaken_for_cp1251():
    text, encoding = decode_text(RUSSIAN.encode("koi8_r"))
    assert text == RUSSIAN
    assert encoding == "koi8_r"


def test_western_and_central_european_legacy_encodings():
    french = "Les soldats ont été tués près de la ville, déjà en mars."
    assert decode_text(french.encode("cp1252")) == (french, "cp1252")
    polish = "Żołnierze zabili cywilów w pobliżu miasta. Świadkowie mówią o egzekucjach."
    assert decode_text(polish.encode("cp1250")) == (polish, "cp1250")


def test_utf8_with_and_without_bom():
    body = "Bucha, березень 2022: “kill everyone we see”."
    assert decode_text(body.encode("utf-8")) == (body, "utf-8")
    text, encoding = decode_text(codecs.BOM_UTF8 + body.encode("utf-8"))
    assert text == body  # the BOM is not part of the text
    assert encoding == "utf-8-sig"


def test_utf16_with_bom():
    body = "Izium: масові поховання.\n"
    text, encoding = decode_text(body.encode("utf-16"))
    assert text == body
    assert encoding.startswith("utf-16")


def test_near_duplicate_has_same_fingerprint_but_different_raw_hash():
    original = "Title\n\nFirst paragraph.\nSecond paragraph.\n"
    resaved = "Title  \r\n\r\nFirst paragraph. \r\nSecond paragraph.\t\r\n\r\n\r\n"
    raw_a, raw_b = original.encode(), resaved.encode()
    assert hashlib.sha256(raw_a).hexdigest() != hashlib.sha256(raw_b).hexdigest()
    text_a, _ = decode_text(raw_a)
    text_b, _ = decode_text(raw_b)
    assert normalized_fingerprint(text_a) == normalized_fingerprint(text_b)
    assert normalized_fingerprint(text_a) != normalized_fingerprint(text_a + "More.\n")


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
            max_size=30,
        )
    )
)
def test_fingerprint_ignores_line_endings_and_trailing_space(lines):
    lf = "\n".join(lines)
    crlf = "\r\n".join(line + "  " for line in lines) + "\r\n\r\n"
    assert normalized_fingerprint(lf) == normalized_fingerprint(crlf)


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "a.txt", "empty file"),
        (b"   \n\t \r\n  ", "a.txt", "file contains only whitespace"),
        (codecs.BOM_UTF8, "a.txt", "file contains only whitespace"),
        (b"abc\x00def\x00" * 20, "a.txt", "binary content (NUL bytes) — not a text document"),
        (random.Random(7).randbytes(4096), "a.txt", "binary content (NUL bytes)"),
        (bytes(range(1, 32)) * 50, "a.txt", "binary content (control characters)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.txt", "binary content (PNG image)"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a.txt", "binary content (JPEG image)"),
        (b"GIF89a\x01\x00\x01\x00", "a.txt", "binary content (GIF image)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "report.txt", "binary content (PDF document)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "report.docx", "binary content (ZIP archive"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "a.txt", "binary content (gzip archive)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "a.doc", "binary content (legacy Office"),
        (b"\x7fELF\x02\x01\x01", "a.txt", "binary content (executable)"),
        (b"a" * (MAX_BYTES + 1), "big.txt", "file is 20.0 MB; the limit is 20 MB"),
        (b"a" * (25 * 1024 * 1024 + 300_000), "big.txt", "file is 25.3 MB; the limit is 20 MB"),
        (
            b"Hello \xc3\x28 world \x81\x8d\x8f\x90\x9d\xa0\xff\xfe",
            "a.txt",
            "could not decode text: not valid UTF-8 and no reliable single-byte encoding detected",
        ),
        (bytes(range(128, 256)) * 3, "a.txt", "no reliable single-byte encoding detected"),
        (codecs.BOM_UTF8 + b"\xff\xfe\xfa text", "a.txt", "utf-8-sig byte-order mark"),
        (codecs.BOM_UTF16_LE + b"A", "a.txt", "utf-16-le byte-order mark"),
        (b"<html><body><p>Hel", "page.html", "HTML has no extractable main text"),
        (
            b"<html><head><script>var a = 1;</script></head>"
            b"<body><script>track()</script></body></html>",
            "page.html",
            "HTML has no extractable main text",
        ),
        (b"<html><head><title>x</title></head><body></body></html>", "p.htm", "no extractable"),
    ],
)
def test_bad_inputs_are_refused_with_a_specific_reason(data, filename, reason):
    with pytest.raises(UnreadableDocument) as excinfo:
        extract_document(data, filename)
    assert reason in excinfo.value.reason
    assert isinstance(excinfo.value, ValueError)


def test_size_is_checked_before_decoding():
    # Not even valid text: the size alone decides.
    with pytest.raises(UnreadableDocument, match="the limit is 20 MB"):
        decode_text(b"\x00" * (MAX_BYTES + 10))


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"<p>hello</p>", "page.html", "text/html"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "saved.txt", "text/html"),
        (b"<html><body>x</body></html>", "noext", "text/html"),
        (b"# Title\n\nSome *text*.", "notes.md", "text/markdown"),
        (b"# Title\n\nSome **text** and [a](b) [c](d).\n", "notes.txt", "text/markdown"),
        (b"Plain article text.\nSecond line.", "article.txt", "text/plain"),
        (b"Plain article text.", "ARTICLE.TXT", "text/plain"),
    ],
)
def test_sniff_media_type(data, filename, expected):
    assert sniff_media_type(data, filename) == expected


ARTICLE_PAGE = b"""<!doctype html>
<html><head>
<title>Soldiers executed prisoners near Bucha - Example News</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2022-04-05T10:00:00Z">
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="https://example.org/2022/04/05/bucha">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> Subscribe now to our newsletter</nav>
<article><h1>Soldiers executed prisoners near Bucha</h1>
<p>Russian troops executed three civilians near Bucha in March 2022, witnesses told reporters.</p>
<p>The bodies were found in a forest outside the town, according to local officials.</p>
</article>
<footer>Copyright 2022 Example News. All rights reserved. Privacy policy</footer>
<script>trackPageView();</script>
</body></html>"""


def test_html_article_main_text_and_metadata():
    doc = extract_document(ARTICLE_PAGE, "bucha.html")
    assert doc.media_type == "text/html"
    assert "Russian troops executed three civilians near Bucha" in doc.text
    assert "bodies were found in a forest" in doc.text
    for junk in ("Subscribe now", "Privacy policy", "All rights reserved", "trackPageView", "Home"):
        assert junk not in doc.text
    assert doc.title == "Soldiers executed prisoners near Bucha"
    assert doc.byline == "Jane Doe"
    assert doc.published == "2022-04-05"
    assert "metadata" in doc.published_reason
    assert doc.outlet == "Example News"
    assert doc.url == "https://example.org/2022/04/05/bucha"
    (allegation,) = [a for a in doc.allegations if a.category == "wilful_killing"]
    assert allegation.victim_count == 3
    assert [p.name for p in allegation.places] == ["Bucha"]
    assert allegation.time is not None and allegation.time.start == "2022-03-01"


def test_html_never_fetches_the_canonical_url(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("extraction tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert extract_document(ARTICLE_PAGE, "bucha.html").title


def test_markdown_markup_is_stripped():
    md = (
        b"# Shelling of a hospital in Kharkiv\n\n"
        b"Russian forces **shelled** a hospital in [Kharkiv](https://example.org) "
        b"on *March 1, 2022*, witnesses said.\n"
    )
    doc = extract_document(md, "note.md")
    assert doc.media_type == "text/markdown"
    assert doc.title == "Shelling of a hospital in Kharkiv"
    assert "**" not in doc.text and "](" not in doc.text and "#" not in doc.text
    (allegation,) = [a for a in doc.allegations if a.category == "attack_on_protected_objects"]
    assert allegation.places[0].name == "Kharkiv"
    assert allegation.time is not None and allegation.time.start == "2022-03-01"


def test_cp1251_document_end_to_end():
    doc = extract_document(
        (UKRAINIAN + "\nВійська увійшли до Бучі та Києва.").encode("cp1251"), "uk.txt"
    )
    assert doc.encoding == "cp1251"
    assert "Харкові" in doc.text
    assert doc.language == "uk"


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x81\x8d\x8f\x90\x9d" * 40,  # one endless "word" in any Cyrillic code page
        b"\xfe\xfd\xfc\xfb" * 50,  # "юэьы…": no real word, too many vowels
        b"\xc3\x28\xa0\xa1\xe2\x28\xa1" * 40,  # "Г(Ўв(Ў…": rare letters in bulk
    ],
)
def test_byte_soup_is_rejected_not_stored_as_mojibake(data):
    with pytest.raises(UnreadableDocument, match="could not decode text"):
        decode_text(data)
