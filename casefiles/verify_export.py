"""Verify a `casefile-export/1` bundle without the system that made it.

    python -m casefiles.verify_export BUNDLE.zip [--public-key BASE64]
                                      [--checkpoint CHECKPOINT.json]

Standard library plus `cryptography` only (no Django, no database), so auditors can
run it anywhere. It checks, in this order, and stops at the first failure:
the signature over manifest.json (and, with --public-key, that the expected key made
it), the file list and every file's SHA-256 and size, the event chain (versions
1..N in line order, each hash recomputed, each linked to the previous), the counts
and head hash against the manifest, the original of every source an event refers
to, and, in a complete bundle, each protected identity against its commitment. With
--checkpoint it first checks the checkpoint's signature, then that the bundle still
holds, at the checkpoint's version of the case, the very event the checkpoint recorded.
Prints one line: `OK ...` (exit 0), `FAILED: <reason>` (exit 1), or `NOT IN
CHECKPOINT: ...` (exit 3) when the bundle verifies but the checkpoint does not know
the case.
"""

import argparse
import base64
import binascii
import functools
import hashlib
import io
import json
import os
import re
import sys
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casefiles import timestamp_tokens, tlog, trust
from casefiles.domain.chain import check_chain
from casefiles.domain.hashing import HASHED_FIELDS, canonical_json, identity_commitment

# A JSON object as json.loads returns it (from the bundle, so untrusted): its values are
# whatever the file says, and each is checked (_field) before it is used.
JSONObject = dict[str, Any]
T = TypeVar("T")

FORMAT = "casefile-export/2"
FORMAT_V1 = "casefile-export/1"  # before the transparency log; still verified
TREE_HEAD = "log/tree-head.txt"
KEY_ROTATIONS = "log/key-rotations.json"
TIMESTAMP = "log/tree-head.tsr"
CHECKPOINT_FORMAT = "casefile-checkpoint/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
IDENTITIES = "protected/identities.json"
MATRIX = "matrix.json"  # the evidence matrix (docs/export.md, "matrix.json")
REDACTED, COMPLETE = "redacted", "complete"
KINDS = (REDACTED, COMPLETE)
IDENTITY_FIELDS = frozenset(("person_id", "name", "salt"))
SOURCE_NAME = re.compile(r"^sources/([0-9a-f]{64})\.[A-Za-z0-9]{1,8}$")
RECORD_FIELDS = frozenset((*HASHED_FIELDS, "hash"))
CHUNK = 1 << 20

# What a hostile bundle can make this tool read or keep, so that it is refused at once
# and in bounded memory instead of read first (a 1 MB ZIP can hold a 1 GiB
# manifest.json). Each is far above what the exporter writes; docs/export.md lists
# them with their reasons.
MAX_ENTRIES = 50_000  # files in the ZIP (zipfile keeps about 560 bytes for each)
MAX_DIRECTORY_BYTES = 8 << 20  # the ZIP's central directory, checked before zipfile reads it
MAX_DOCUMENT_BYTES = 16 << 20  # a file read whole: manifest.json, identities.json
MAX_SIGNATURE_BYTES = 256  # manifest.sig is 88 characters of base64
MAX_JSON_VALUES = 250_000  # in a document read whole; a manifest needs 4 per file
MAX_EVENT_LINE = 4 << 20  # characters in one line of events.jsonl, newline included
MAX_PROTECTED_PERSONS = 50_000
MAX_IDENTIFIER = 64  # characters in a protected person's id or commitment
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Cited spans (docs/export.md, "Cited spans"): the stored texts they count in, and how
# many this tool keeps. A stored text is the extractor's text of an original of at most
# 20 MiB; decoded from a single-byte code page it can be twice that in UTF-8.
TEXT_NAME = re.compile(r"^texts/([0-9a-f]{64})\.txt$")
MAX_TEXT_BYTES = 48 << 20
MAX_SPANS = 200_000
# matrix.json: the events it is derived from, and the fields of a span it must repeat
# exactly as the FactSupported event (schema 2) that cited it states them.
MATRIX_FORMAT = "casefile-matrix/1"
MATRIX_EVENTS = frozenset(
    ("FactRecorded", "FactSupported", "SupportWithdrawn", "QualificationAdded", "ElementAssessed")
)
MATRIX_SPAN_FIELDS = (
    "source_id",
    "content_sha256",
    "source_text_sha256",
    "start",
    "end",
    "quote",
    "text_sha256",
    "withdrawn",
)


class Failed(Exception):
    """The bundle does not verify; the message names the first failure."""


class NotInCheckpoint(Exception):
    """The bundle verifies, but the checkpoint holds nothing for its case to compare."""


def _check_directory(path: str) -> None:
    """Refuse a central directory too large to hold before zipfile reads it: zipfile
    reads it whole, makes an object of every entry (a million entries: 576 MB, 5.6 s)
    and counts entries by parsing them, not by the number the ZIP declares. The end
    record is read with zipfile's own reader so that both see the same directory."""
    read_end = getattr(zipfile, "_EndRecData", None)
    try:
        with open(path, "rb") as stream:
            end = read_end(stream) if read_end else None
    except OSError:
        return  # zipfile.ZipFile says why
    if not end or len(end) < 6:
        return  # not a ZIP (zipfile says so), or a zipfile this code does not know
    entries, size = end[4], end[5]  # zipfile's _ECD_ENTRIES_TOTAL and _ECD_SIZE
    if entries > MAX_ENTRIES:
        raise Failed(
            f"the ZIP declares {entries:,} entries; a bundle holds at most {MAX_ENTRIES:,} files"
        )
    if size > MAX_DIRECTORY_BYTES:
        raise Failed(
            f"the ZIP's central directory is {size:,} bytes; this tool reads at "
            f"most {MAX_DIRECTORY_BYTES:,} (a bundle holds at most "
            f"{MAX_ENTRIES:,} files)"
        )


def _check_entries(archive: zipfile.ZipFile, archive_bytes: int) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise Failed(
            f"the ZIP holds {len(entries):,} entries; a bundle holds at most {MAX_ENTRIES:,} files"
        )
    seen: set[str] = set()
    duplicates: set[str] = set()
    for info in entries:
        (duplicates if info.filename in seen else seen).add(info.filename)
    if duplicates:
        raise Failed(f"the ZIP holds {min(duplicates)} more than once")
    compressed = 0
    for info in entries:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Failed(
                f"{info.filename} is compressed with method {info.compress_type}; "
                "this tool reads only stored and deflated files, as the exporter "
                "writes them"
            )
        compressed += info.compress_size
    # Deflate expands at most 1032-fold, so the work of reading every entry is bounded
    # by the size of the file, unless entries share their compressed bytes (an
    # overlapping ZIP bomb: each entry decompresses the same data again).
    if compressed > archive_bytes:
        raise Failed(
            f"the ZIP's entries take {compressed:,} compressed bytes but the file "
            f"has only {archive_bytes:,}: entries overlap (a ZIP bomb) or the "
            "central directory is wrong"
        )


def _open_archive(path: str) -> zipfile.ZipFile:
    _check_directory(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, EOFError, ValueError, NotImplementedError, zipfile.BadZipFile) as exc:
        raise Failed(f"cannot open {path} as a ZIP file: {exc}") from None
    try:
        _check_entries(archive, os.stat(path).st_size)
    except BaseException:
        archive.close()
        raise
    return archive


# What zipfile raises on a corrupt, encrypted or truncated entry.
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError)


def _unreadable(name: str, exc: Exception) -> Failed:
    return Failed(f"{name} cannot be read from the ZIP: {exc}")


@contextmanager
def _reading(name: str) -> Iterator[None]:
    try:
        yield
    except _UNREADABLE as exc:
        raise _unreadable(name, exc) from None


def _load_json(data: bytes, name: str) -> Any:
    # json.loads makes an object of every value (72 bytes for the 3 of "[],"), so even
    # a capped document could take gigabytes; commas and brackets count its values
    # from above without parsing it.
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_JSON_VALUES:
        raise Failed(
            f"{name} has {values:,} commas and brackets; this tool reads at most "
            f"{MAX_JSON_VALUES:,} JSON values in it"
        )
    try:
        return json.loads(data)
    except ValueError:
        raise Failed(f"{name} is not valid JSON") from None
    except RecursionError:
        raise Failed(f"{name} is nested too deeply") from None


class Unpinned(Exception):
    """The bundle is self-consistent, but no trust anchor says whose key signed it."""


EXIT_FAILED, EXIT_USAGE, EXIT_NOT_IN_CHECKPOINT, EXIT_UNPINNED = 1, 2, 3, 4


@dataclass(frozen=True)
class Checkpoint:
    taken_at: str
    global_position: int
    cases: dict[str, tuple[int, str]]
    key_id: str
    public: bytes = b""

    def __str__(self) -> str:
        return (
            f"checkpoint taken {self.taken_at} (global position "
            f"{self.global_position}, key {self.key_id})"
        )


@dataclass(frozen=True)
class Verified:
    reference: str
    count: int
    head_hash: str
    key_id: str
    key_pinned: bool
    kind: str = REDACTED
    checkpoint_version: int | None = None
    checkpoint: Checkpoint | None = None
    leaf_index: int | None = None
    tree_size: int | None = None
    held_size: int | None = None
    witnesses: int = 0
    timestamp: str | None = None
    spans: int = 0
    texts: int = 0
    texts_derived: int = 0
    matrix: bool = False
    matrix_spans: int = 0

    def __str__(self) -> str:
        key = "the expected key" if self.key_pinned else "the key in the manifest"
        line = (
            f"OK {self.reference}: {self.count} events, head hash {self.head_hash}, "
            f"signed by {key} {self.key_id}, {self.kind} bundle"
        )
        if self.tree_size is not None:
            line += (
                f"; in the transparency log as leaf {self.leaf_index} of the signed "
                f"tree head of size {self.tree_size}"
            )
        if self.held_size is not None:
            line += f", consistent with the tree head of size {self.held_size} you hold"
        if self.witnesses:
            line += f", cosigned by {self.witnesses} witness(es) you trust"
        if self.timestamp:
            line += f", {self.timestamp}"
        if self.spans:
            line += (
                f"; {self.spans} cited span(s) found at their offsets in {self.texts} "
                f"stored text(s), {self.texts_derived} of them derived here from their "
                "plain-text originals"
            )
        if self.matrix:
            line += (
                f"; matrix.json agrees with the events and its {self.matrix_spans} cited "
                "span(s) are at their offsets"
            )
        if self.checkpoint is not None:
            line += f"; version {self.checkpoint_version} matches the {self.checkpoint}"
        return line


def referenced_sha256(value: Any) -> Iterator[str]:
    """Every value of a key named `content_sha256`, however deep in a payload."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "content_sha256" and isinstance(item, str):
                yield item
            else:
                yield from referenced_sha256(item)
    elif isinstance(value, list):
        for item in value:
            yield from referenced_sha256(item)


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value).strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Failed(f"{what} is not valid base64") from None


def _field(
    mapping: object, name: str, kind: type[T], where: str, source: str = "manifest.json"
) -> T:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Failed(
            f"{source} is malformed: {where}{name} is missing or not "
            f"{'an integer' if kind is int else 'a ' + kind.__name__}"
        )
    return value


def _read_member(archive: zipfile.ZipFile, name: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The whole of `name`, refused before reading when the ZIP says it is larger than
    `limit`, and read no further than that in case the ZIP lies."""
    try:
        size = archive.getinfo(name).file_size
    except KeyError:
        raise Failed(f"{name} is missing from the bundle") from None
    if size > limit:
        raise Failed(f"{name} is {size:,} bytes; this tool reads at most {limit:,}")
    with _reading(name), archive.open(name) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise Failed(f"{name} holds more than {limit:,} bytes although the ZIP says {size:,}")
    return data


def _signer(
    document: JSONObject,
    expected_key: bytes | None,
    *,
    what: str,
    holder: str,
    source: str = "manifest.json",
) -> Ed25519PublicKey:
    """The public key in `document`'s signing block, checked for consistency (and
    against the expected key when one is pinned)."""
    signing = _field(document, "signing", dict, "", source)
    algorithm = _field(signing, "algorithm", str, "signing.", source)
    if algorithm != "ed25519":
        raise Failed(f"the {holder} is signed with {algorithm!r}; only ed25519 is known")
    raw = _b64(_field(signing, "public_key", str, "signing.", source), "signing.public_key")
    if len(raw) != 32:
        raise Failed(f"signing.public_key is {len(raw)} bytes; an Ed25519 key is 32")
    if _field(signing, "key_id", str, "signing.", source) != key_id(raw):
        raise Failed(
            f"signing.key_id {signing['key_id']} does not belong to the "
            f"public key in the {holder} (its key id is {key_id(raw)})"
        )
    if expected_key is not None and raw != expected_key:
        raise Failed(
            f"the {what} is signed by key {key_id(raw)}, not by the expected key "
            f"{key_id(expected_key)}"
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def check_signature(
    manifest_bytes: bytes, signature: bytes, manifest: JSONObject, expected_key: bytes | None = None
) -> bytes:
    """The manifest's signature with the key it names; returns that key. Whether the key
    is one the auditor trusts is decided afterwards (check_pinned)."""
    public = _signer(manifest, expected_key, what="bundle", holder="manifest")
    try:
        public.verify(_b64(signature.decode("ascii", "replace"), "manifest.sig"), manifest_bytes)
    except InvalidSignature:
        raise Failed(
            "the signature in manifest.sig does not match manifest.json: the "
            "manifest or the signature was changed"
        ) from None
    return public.public_bytes_raw()


def check_pinned(anchors: trust.Trust, public: bytes) -> None:
    if anchors.pinned and not anchors.trusts(public):
        pinned = ", ".join(
            [*(log.vkey for log in anchors.logs), *(key_id(raw) for raw in anchors.raw_keys)]
        )
        raise Failed(
            f"the bundle is signed by key {key_id(public)}, which you do not trust "
            f"(you pinned {pinned}): it was not made by the log you trust, or it "
            "was re-signed"
        )


def check_files(archive: zipfile.ZipFile, manifest: JSONObject) -> dict[str, JSONObject]:
    listed: dict[str, JSONObject] = {}
    for index, entry in enumerate(_field(manifest, "files", list, "")):
        where = f"files[{index}]."
        path = _field(entry, "path", str, where)
        _field(entry, "sha256", str, where)
        _field(entry, "bytes", int, where)
        if path in listed or path in (MANIFEST, SIGNATURE):
            raise Failed(f"manifest.json lists {path} twice or lists a file it may not")
        listed[path] = entry
    present = [name for name in archive.namelist() if name not in (MANIFEST, SIGNATURE)]
    for name in present:
        if name not in listed:
            raise Failed(f"{name} is in the bundle but not listed in the manifest")
    present_names = set(present)
    for path, entry in listed.items():
        if path not in present_names:
            raise Failed(f"{path} is listed in the manifest but missing from the bundle")
        size = archive.getinfo(path).file_size
        if size != entry["bytes"]:
            # Said before reading: the ZIP's own size bounds what is read below.
            raise Failed(f"{path} is {size} bytes; the manifest says {entry['bytes']}")
        digest, size = hashlib.sha256(), 0
        with _reading(path), archive.open(path) as stream:
            for chunk in iter(functools.partial(stream.read, CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        if size != entry["bytes"]:
            raise Failed(f"{path} is {size} bytes; the manifest says {entry['bytes']}")
        if digest.hexdigest() != entry["sha256"]:
            raise Failed(f"{path} does not match its SHA-256 in the manifest")
    return listed


class _EventLines:
    """Parses events.jsonl line by line for check_chain, noting what later checks need:
    referenced originals, protected persons' commitments, and the hash at `watch`."""

    def __init__(self, stream: io.TextIOBase, name: str, watch: int | None = None):
        self.stream, self.name, self.watch = stream, name, watch
        self.referenced: dict[str, None] = {}
        self.protected: dict[str, str] = {}
        self.watched_hash: str | None = None
        self.spans: list[CitedSpan] = []
        self.texts: dict[str, str] = {}  # stored text's SHA-256 -> its original's
        # What matrix.json must agree with: the facts recorded, each checked span by
        # (fact_id, support_id) with whether it was withdrawn, the qualifications and the
        # latest assessment of each of their elements.
        self.facts: set[str] = set()
        self.supports: dict[tuple[str, str], JSONObject] = {}
        self.qualifications: dict[str, str] = {}
        self.assessments: dict[tuple[str, str], JSONObject] = {}

    def __iter__(self) -> Iterator[JSONObject]:
        number = 0
        while True:
            try:
                line = self.stream.readline(MAX_EVENT_LINE + 1)
            except _UNREADABLE as exc:
                raise _unreadable(self.name, exc) from None
            if not line:
                return
            number += 1
            if len(line) > MAX_EVENT_LINE:
                raise Failed(
                    f"{self.name} line {number} is longer than {MAX_EVENT_LINE:,} "
                    "characters; this tool reads no longer event"
                )
            try:
                record = json.loads(line)
            except ValueError:
                raise Failed(f"{self.name} line {number} is not valid JSON") from None
            except RecursionError:
                raise Failed(f"{self.name} line {number} is nested too deeply") from None
            if not isinstance(record, dict):
                raise Failed(f"{self.name} line {number} is not a JSON object")
            if set(record) != RECORD_FIELDS:
                raise Failed(
                    f"{self.name} line {number} has the fields "
                    f"{', '.join(sorted(record))}; an event has exactly "
                    f"{', '.join(sorted(RECORD_FIELDS))}"
                )
            if number == self.watch:
                # Line n holds version n once check_chain has passed the whole file.
                self.watched_hash = record["hash"]
            yield record
            # check_chain asks for the next line only once this one has passed it, so a
            # changed line is reported as a broken chain rather than by the limits here.
            self._keep(record["payload"], record["type"], number)
            if record["type"] == "FactSupported" and record["schema"] == 2:
                self._keep_span(record["payload"], number)
            self._keep_legal(record["payload"], record["type"], record["schema"], number)

    def _keep_legal(self, payload: Any, kind: Any, schema: Any, number: int) -> None:
        """What the evidence matrix is derived from (check_matrix), bounded like spans."""
        if not isinstance(payload, dict) or kind not in MATRIX_EVENTS:
            return
        kept = len(self.facts) + len(self.supports) + len(self.assessments)
        if kept >= MAX_SPANS:
            raise Failed(f"{self.name} records more than {MAX_SPANS:,} facts and assessments")
        if kind == "FactRecorded":
            self.facts.add(str(payload.get("fact_id")))
        elif kind == "FactSupported" and schema == 2:
            key = (str(payload.get("fact_id")), str(payload.get("support_id")))
            self.supports[key] = {
                name: payload.get(name) for name in MATRIX_SPAN_FIELDS if name != "withdrawn"
            } | {"withdrawn": False}
        elif kind == "SupportWithdrawn":
            key = (str(payload.get("fact_id")), str(payload.get("support_id")))
            if key in self.supports:
                self.supports[key]["withdrawn"] = True
        elif kind == "QualificationAdded":
            self.qualifications[str(payload.get("qualification_id"))] = str(payload.get("code"))
        elif kind == "ElementAssessed":
            key = (str(payload.get("qualification_id")), str(payload.get("element")))
            fact_ids = payload.get("fact_ids") if "standard" in payload else []
            self.assessments[key] = {
                "finding": payload.get("finding"),
                "standard": payload.get("standard"),
                "fact_ids": list(fact_ids) if isinstance(fact_ids, list) else fact_ids,
            }

    def _keep(self, payload: Any, kind: Any, number: int) -> None:
        """Note what later checks need, no more than a bundle can hold: each line is
        bounded, but what is kept from all of them must be too."""
        try:
            for sha in referenced_sha256(payload):
                if sha in self.referenced:
                    continue
                if not SHA256_HEX.fullmatch(sha):
                    raise Failed(
                        f"{self.name} line {number} refers to the original "
                        f"{sha[:80]!r}, which is not a SHA-256 (64 lowercase "
                        "hexadecimal digits)"
                    )
                if len(self.referenced) >= MAX_ENTRIES:
                    raise Failed(
                        f"{self.name} refers to more than {MAX_ENTRIES:,} "
                        f"originals; a bundle holds at most {MAX_ENTRIES:,} files"
                    )
                self.referenced[sha] = None
        except RecursionError:
            raise Failed(f"{self.name} line {number} is nested too deeply") from None
        if kind == "PersonAdded" and isinstance(payload, dict) and payload.get("protected") is True:
            person = str(payload.get("person_id"))
            committed = str(payload.get("identity_commitment"))
            if len(person) > MAX_IDENTIFIER or len(committed) > MAX_IDENTIFIER:
                raise Failed(
                    f"{self.name} line {number} adds a protected person whose "
                    "person_id or identity_commitment is longer than "
                    f"{MAX_IDENTIFIER} characters"
                )
            if person not in self.protected and len(self.protected) >= MAX_PROTECTED_PERSONS:
                raise Failed(
                    f"{self.name} adds more than {MAX_PROTECTED_PERSONS:,} protected persons"
                )
            self.protected[person] = committed

    def _keep_span(self, payload: Any, number: int) -> None:
        """A cited span (FactSupported schema 2) and the passages its origin chain
        quotes, each to be found at its offsets in the stored text it names."""
        where = f"{self.name} line {number}"
        text = _hex(payload, "source_text_sha256", where)
        original = _hex(payload, "content_sha256", where)
        if self.texts.setdefault(text, original) != original:
            raise Failed(
                f"{where} says the stored text {text} is of the original {original}; "
                f"an earlier line says {self.texts[text]}"
            )
        quote = payload.get("quote")
        if not isinstance(quote, str):
            raise Failed(f"{where}: the cited span's quote is missing or not a string")
        spans: list[tuple[Any, str | None, str]] = [(payload, quote, "the cited span")]
        chain = payload.get("chain")
        if not isinstance(chain, list):
            raise Failed(f"{where}: the cited span's chain is not a list")
        spans.extend(
            (link["said"], None, f"link {index} of its origin chain")
            for index, link in enumerate(chain, start=1)
            if isinstance(link, dict) and link.get("said") is not None
        )
        for span, said, what in spans:
            if len(self.spans) >= MAX_SPANS:
                raise Failed(f"{self.name} cites more than {MAX_SPANS:,} spans")
            if not isinstance(span, dict):
                raise Failed(f"{where}: {what} is not an object")
            start, end = span.get("start"), span.get("end")
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
                raise Failed(f"{where}: {what} has no integer start and end")
            assert isinstance(start, int) and isinstance(end, int)
            self.spans.append(
                CitedSpan(where, what, text, start, end, _hex(span, "text_sha256", where), said)
            )


@dataclass(frozen=True)
class CitedSpan:
    where: str
    what: str
    text: str  # SHA-256 of the stored text the offsets count in
    start: int
    end: int
    sha256: str  # of the cited characters, UTF-8
    quote: str | None  # as the event states it (a chain link's passage states none)


def _hex(mapping: Any, name: str, where: str) -> str:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    if not isinstance(value, str) or not SHA256_HEX.fullmatch(value):
        raise Failed(f"{where}: {name} is missing or not a SHA-256 (64 lowercase hex digits)")
    return value


def check_events(
    archive: zipfile.ZipFile, manifest: JSONObject, listed: JSONObject, watch: int | None = None
) -> tuple[int, str, _EventLines]:
    case = _field(manifest, "case", dict, "")
    case_id = _field(case, "id", str, "case.")
    version = _field(case, "version", int, "case.")
    events = _field(manifest, "events", dict, "")
    name = _field(events, "file", str, "events.")
    count = _field(events, "count", int, "events.")
    head_hash = _field(events, "head_hash", str, "events.")
    if name not in listed:
        raise Failed(f"the events file {name} is not listed in the manifest")
    with archive.open(name) as raw:
        lines = _EventLines(io.TextIOWrapper(raw, encoding="utf-8", newline="\n"), name, watch)
        try:
            report = check_chain(lines, case_id)
        except UnicodeDecodeError:
            raise Failed(f"{name} is not UTF-8") from None
    if report.failure is not None:
        failure = report.failure
        raise Failed(f"event chain broken at version {failure.version}: {failure.reason}")
    if report.count != count:
        raise Failed(f"{name} holds {report.count} events; the manifest says {count}")
    if report.count != version:
        raise Failed(
            f"{name} ends at version {report.count}; the manifest says the case "
            f"is at version {version}"
        )
    if report.head_hash != head_hash:
        raise Failed(
            f"the last event's hash {report.head_hash} is not the manifest's head_hash {head_hash}"
        )
    return report.count, report.head_hash, lines


def check_sources(listed: JSONObject, referenced: JSONObject) -> None:
    originals: dict[str, str] = {}
    for path, entry in listed.items():
        if not path.startswith("sources/"):
            continue
        match = SOURCE_NAME.match(path)
        if match is None:
            raise Failed(f"{path} is not named sources/<sha256>.<extension>")
        sha = match.group(1)
        if sha in originals:
            raise Failed(f"the original {sha} is in the bundle twice ({originals[sha]}, {path})")
        if entry["sha256"] != sha:
            raise Failed(
                f"{path} does not hold the original it is named after (its "
                f"SHA-256 is {entry['sha256']})"
            )
        originals[sha] = path
    for sha in referenced:
        if sha not in originals:
            raise Failed(f"the original {sha}, which the events refer to, is missing from sources/")
    for sha, path in originals.items():
        if sha not in referenced:
            raise Failed(f"{path} is not referred to by any event")


def normalize_newlines(text: str) -> str:
    """The extractor's line endings: CRLF and CR become LF (nothing else changes)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_spans(
    archive: zipfile.ZipFile, listed: JSONObject, lines: _EventLines
) -> tuple[int, int, int]:
    """Every cited span is at its offsets in the stored text it names, which the bundle
    holds as texts/<sha256>.txt (UTF-8); the offsets count code points, end exclusive.
    A plain-text original that is UTF-8 is decoded here and its text compared with the
    stored one, so those spans are found in the original itself. Returns (spans, texts,
    texts derived from their originals)."""
    texts: dict[str, str] = {}
    for path in listed:
        if not path.startswith("texts/"):
            continue
        match = TEXT_NAME.match(path)
        if match is None:
            raise Failed(f"{path} is not named texts/<sha256>.txt")
        sha = match.group(1)
        if listed[path]["sha256"] != sha:
            raise Failed(f"{path} does not hold the text it is named after")
        if sha not in lines.texts:
            raise Failed(f"{path} is not cited by any span")
        texts[sha] = path
    originals = {
        match.group(1): path for path in listed if (match := SOURCE_NAME.match(path)) is not None
    }
    derived = 0
    by_text: dict[str, list[CitedSpan]] = {}
    for span in lines.spans:
        by_text.setdefault(span.text, []).append(span)
    for sha, original in lines.texts.items():
        if sha not in texts:
            raise Failed(f"the stored text {sha}, which a cited span counts in, is missing")
        try:
            text = _read_member(archive, texts[sha], MAX_TEXT_BYTES).decode("utf-8")
        except UnicodeDecodeError:
            raise Failed(f"{texts[sha]} is not UTF-8") from None
        for span in by_text.get(sha, []):
            _check_span(span, text, texts[sha])
        source = originals.get(original)
        if source is not None and source.endswith(".txt"):
            data = _read_member(archive, source, MAX_TEXT_BYTES)
            try:
                decoded = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
            except UnicodeDecodeError:
                continue  # a legacy code page: the text is the extractor's, as signed
            if normalize_newlines(decoded) != text:
                raise Failed(
                    f"{texts[sha]} is not the text of its plain-text original {source} "
                    "(decoded as UTF-8, line endings made LF)"
                )
            derived += 1
    return len(lines.spans), len(texts), derived


def _check_span(span: CitedSpan, text: str, path: str) -> None:
    if not 0 <= span.start < span.end <= len(text):
        raise Failed(
            f"{span.where}: {span.what} {span.start}–{span.end} is outside {path} "
            f"({len(text)} characters)"
        )
    cited = text[span.start : span.end]
    if span.quote is not None and cited != span.quote:
        raise Failed(
            f"{span.where}: {span.what} is not at {span.start}–{span.end} of {path} "
            f"(the text there is {cited[:80]!r})"
        )
    if hashlib.sha256(cited.encode("utf-8")).hexdigest() != span.sha256:
        raise Failed(
            f"{span.where}: the characters at {span.start}–{span.end} of {path} do not "
            f"match the text_sha256 of {span.what}"
        )


def check_matrix(
    archive: zipfile.ZipFile,
    listed: JSONObject,
    manifest: JSONObject,
    lines: _EventLines,
    count: int,
) -> list[CitedSpan]:
    """matrix.json, when the bundle has one (bundles made before it have none), agrees
    with the events: it is of this case at this version; it lists every qualification the
    events add, once, with the code they give; each element's finding, standard and cited
    facts are those of the latest ElementAssessed of that element (none when it was never
    assessed), and every assessment appears; each cited fact was recorded; each fact
    lists exactly the spans the events cite for it (FactSupported schema 2), each with the
    fields that event states and whether it was withdrawn since. Returns the spans, for
    check_spans to find at their offsets in texts/. What the matrix says in words
    (corroboration, standing, labels) is the exporter's reading and is not checked here."""
    if MATRIX not in listed:
        return []
    document = _load_json(_read_member(archive, MATRIX), MATRIX)
    if not isinstance(document, dict):
        raise Failed(f"{MATRIX} is not a JSON object")
    case_id = _field(_field(manifest, "case", dict, ""), "id", str, "case.")
    expected = {
        "format": MATRIX_FORMAT,
        "case_id": case_id,
        "version": count,
    }
    for name, value in expected.items():
        if document.get(name) != value:
            raise Failed(f"{MATRIX}: {name} is {document.get(name)!r}; expected {value!r}")
    rows = document.get("qualifications")
    if not isinstance(rows, list):
        raise Failed(f"{MATRIX}: qualifications is not a list")
    seen: set[str] = set()
    assessed: set[tuple[str, str]] = set()
    spans: list[CitedSpan] = []
    for index, row in enumerate(rows):
        where = f"{MATRIX} qualification {index + 1}"
        if not isinstance(row, dict):
            raise Failed(f"{where} is not an object")
        qualification = row.get("qualification_id")
        if not isinstance(qualification, str) or qualification not in lines.qualifications:
            raise Failed(f"{where}: {qualification!r} is not a qualification the events add")
        if qualification in seen:
            raise Failed(f"{where}: {qualification} is listed twice")
        seen.add(qualification)
        if row.get("code") != lines.qualifications[qualification]:
            raise Failed(
                f"{where}: code {row.get('code')!r}; the events say "
                f"{lines.qualifications[qualification]!r}"
            )
        elements = row.get("elements")
        if not isinstance(elements, list):
            raise Failed(f"{where}: elements is not a list")
        for number, element in enumerate(elements, start=1):
            if not isinstance(element, dict) or not isinstance(element.get("element"), str):
                raise Failed(f"{where} element {number} is not an object with an element id")
            key = (qualification, element["element"])
            if key in assessed:
                raise Failed(f"{where}: element {key[1]!r} is listed twice")
            assessed.add(key)
            spans.extend(_check_matrix_element(element, lines.assessments.get(key), lines, where))
    for qualification in lines.qualifications:
        if qualification not in seen:
            raise Failed(f"{MATRIX} leaves out the qualification {qualification}")
    for key in lines.assessments:
        if key[0] in lines.qualifications and key not in assessed:
            raise Failed(f"{MATRIX} leaves out the assessed element {key[1]!r} of {key[0]}")
    return spans


def _check_matrix_element(
    element: JSONObject, assessment: JSONObject | None, lines: _EventLines, where: str
) -> list[CitedSpan]:
    where = f"{where} element {element['element']!r}"
    stated = {
        "finding": element.get("finding"),
        "standard": element.get("standard"),
        "fact_ids": [
            f.get("fact_id") if isinstance(f, dict) else f for f in _list(element, "facts", where)
        ],
    }
    wanted = assessment or {"finding": None, "standard": None, "fact_ids": []}
    for name, value in wanted.items():
        if stated[name] != value:
            raise Failed(
                f"{where}: {name} is {stated[name]!r}; the events' latest assessment says {value!r}"
            )
    spans: list[CitedSpan] = []
    for fact in _list(element, "facts", where):
        if not isinstance(fact, dict):
            raise Failed(f"{where}: a fact is not an object")
        fact_id = str(fact.get("fact_id"))
        if fact_id not in lines.facts:
            raise Failed(f"{where}: the fact {fact_id} is not recorded in the events")
        cited = {support for (of, support) in lines.supports if of == fact_id}
        listed: set[str] = set()
        for span in _list(fact, "spans", f"{where} fact {fact_id}"):
            support = span.get("support_id") if isinstance(span, dict) else None
            at = f"{where} fact {fact_id} span {support!r}"
            event = lines.supports.get((fact_id, str(support)))
            if event is None or not isinstance(span, dict):
                raise Failed(f"{at}: no FactSupported event cites it for this fact")
            if support in listed:
                raise Failed(f"{at}: listed twice")
            listed.add(str(support))
            for name in MATRIX_SPAN_FIELDS:
                if span.get(name) != event[name]:
                    raise Failed(
                        f"{at}: {name} is {span.get(name)!r}; the events say {event[name]!r}"
                    )
            start, end = span["start"], span["end"]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
                raise Failed(f"{at} has no integer start and end")
            spans.append(
                CitedSpan(
                    MATRIX,
                    f"the span {support} of fact {fact_id}",
                    _hex(span, "source_text_sha256", at),
                    start,
                    end,
                    _hex(span, "text_sha256", at),
                    span["quote"] if isinstance(span["quote"], str) else None,
                )
            )
        if listed != cited:
            raise Failed(
                f"{where} fact {fact_id}: lists {len(listed)} span(s); the events cite "
                f"{len(cited)} for it"
            )
    return spans


def check_matrix_spans(archive: zipfile.ZipFile, spans: list[CitedSpan]) -> None:
    """Each span matrix.json cites is at its offsets in texts/<sha256>.txt (which
    check_spans has found listed, named by its hash and UTF-8), with its text_sha256."""
    by_text: dict[str, list[CitedSpan]] = {}
    for span in spans:
        by_text.setdefault(span.text, []).append(span)
    for sha, cited in by_text.items():
        path = f"texts/{sha}.txt"
        try:
            text = _read_member(archive, path, MAX_TEXT_BYTES).decode("utf-8")
        except UnicodeDecodeError:
            raise Failed(f"{path} is not UTF-8") from None
        for span in cited:
            _check_span(span, text, path)


def _list(mapping: JSONObject, name: str, where: str) -> list[Any]:
    value = mapping.get(name)
    if not isinstance(value, list):
        raise Failed(f"{where}: {name} is not a list")
    return value


def bundle_kind(manifest: JSONObject) -> str:
    """`kind` was added to casefile-export/1 later; bundles without it are redacted."""
    kind = manifest.get("kind", REDACTED)
    if not isinstance(kind, str) or kind not in (REDACTED, COMPLETE):
        raise Failed(f"the manifest's kind is {kind!r}; it must be {REDACTED!r} or {COMPLETE!r}")
    return kind


def _identities(archive: zipfile.ZipFile) -> list[JSONObject]:
    entries = _load_json(_read_member(archive, IDENTITIES), IDENTITIES)
    if not isinstance(entries, list):
        raise Failed(f"{IDENTITIES} is not a JSON list")
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or set(entry) != IDENTITY_FIELDS
            or not all(isinstance(value, str) for value in entry.values())
        ):
            raise Failed(
                f"{IDENTITIES} entry {index} is not an object of the strings "
                f"{', '.join(sorted(IDENTITY_FIELDS))}"
            )
    return entries


def check_identities(
    archive: zipfile.ZipFile, listed: JSONObject, kind: str, protected: dict[str, str]
) -> None:
    for path in listed:
        if path.startswith("protected/") and path != IDENTITIES:
            raise Failed(f"{path} is not a file a bundle may hold under protected/")
    if IDENTITIES not in listed:
        if kind == COMPLETE:
            raise Failed(f"the bundle is complete but holds no {IDENTITIES}")
        return
    if kind == REDACTED:
        raise Failed(f"the bundle is redacted but holds {IDENTITIES}")
    seen: set[str] = set()
    for entry in _identities(archive):
        person = entry["person_id"]
        if person in seen:
            raise Failed(f"{IDENTITIES} lists person {person} twice")
        seen.add(person)
        if person not in protected:
            raise Failed(
                f"{IDENTITIES} lists person {person}, who is not a protected person in the events"
            )
        if identity_commitment(entry["salt"], entry["name"]) != protected[person]:
            raise Failed(
                f"the identity in {IDENTITIES} for person {person} does not match "
                "the commitment in its PersonAdded event"
            )
    missing = [person for person in protected if person not in seen]
    if missing:
        raise Failed(f"the bundle is complete but {IDENTITIES} lacks protected person {missing[0]}")


def _checkpoint_cases(document: JSONObject, source: str) -> dict[str, tuple[int, str]]:
    cases: dict[str, tuple[int, str]] = {}
    for index, entry in enumerate(_field(document, "cases", list, "", source)):
        where = f"cases[{index}]."
        case_id = _field(entry, "case_id", str, where, source)
        version = _field(entry, "version", int, where, source)
        head_hash = _field(entry, "head_hash", str, where, source)
        if case_id in cases:
            raise Failed(f"{source} lists case {case_id} twice")
        cases[case_id] = (version, head_hash)
    return cases


def load_checkpoint(path: str, *, expected_key: bytes | None = None) -> Checkpoint:
    """A signed checkpoint: the signature covers the canonical JSON of the document
    without its `signature` member (docs/export.md)."""
    try:
        with open(path, "rb") as stream:
            document = json.loads(stream.read())
    except OSError as exc:
        raise Failed(f"cannot read the checkpoint {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise Failed(f"the checkpoint {path} is not valid JSON") from None
    if not isinstance(document, dict):
        raise Failed(f"the checkpoint {path} is not a JSON object")
    if document.get("format") != CHECKPOINT_FORMAT:
        raise Failed(
            f"the checkpoint's format is {document.get('format')!r}; this tool "
            f"reads {CHECKPOINT_FORMAT}"
        )
    source = "the checkpoint"
    public = _signer(document, expected_key, what="checkpoint", holder="checkpoint", source=source)
    signature = _b64(_field(document, "signature", str, "", source), "the checkpoint's signature")
    signed = {name: value for name, value in document.items() if name != "signature"}
    try:
        public.verify(signature, canonical_json(signed).encode("utf-8"))
    except InvalidSignature:
        raise Failed(
            "the checkpoint's signature does not match its content: the checkpoint was changed"
        ) from None
    return Checkpoint(
        taken_at=_field(document, "taken_at", str, "", source),
        global_position=_field(document, "global_position", int, "", source),
        cases=_checkpoint_cases(document, source),
        key_id=key_id(public.public_bytes_raw()),
        public=public.public_bytes_raw(),
    )


def check_checkpoint(
    checkpoint: Checkpoint, case_id: str, reference: str, count: int, watched_hash: str | None
) -> int:
    if case_id not in checkpoint.cases:
        raise NotInCheckpoint(
            f"{reference} (case {case_id}) is not in the {checkpoint}: the bundle itself "
            "verifies, but the checkpoint cannot vouch for it (the case was opened after "
            "it, or the checkpoint is from another system)"
        )
    version, head_hash = checkpoint.cases[case_id]
    if count < version:
        raise Failed(
            f"the bundle ends at version {count} but the {checkpoint} recorded "
            f"version {version} of {reference}: events are missing (or the "
            "bundle is older than the checkpoint)"
        )
    if watched_hash != head_hash:
        raise Failed(
            f"{reference} was rewritten after the {checkpoint}: the event at "
            f"version {version} has hash {watched_hash}, the checkpoint recorded "
            f"{head_hash}"
        )
    return version


def verify(
    path: str,
    *,
    expected_key: bytes | None = None,
    checkpoint: Checkpoint | None = None,
    anchors: trust.Trust | None = None,
    log_checkpoint: bytes | None = None,
    log_proof: tuple[int, int, list[bytes]] | None = None,
    allow_v1: bool = False,
    tsa_ca: bytes | None = None,
) -> Verified:
    """Verify the bundle at `path`. Trust comes from `anchors` (or `expected_key`, a raw
    key): without any, everything is checked against the bundle's own key and the
    result says so (Verified.key_pinned is False; the command line prints UNPINNED).
    A bundle made before the transparency log (casefile-export/1) proves less, and
    whoever holds the key can strip a new bundle down to that form: it is verified only
    when asked (`allow_v1`)."""
    anchors = anchors or trust.Trust()
    if expected_key is not None:
        anchors.raw_keys.append(expected_key)
    with _open_archive(path) as archive:
        manifest_bytes = _read_member(archive, MANIFEST)
        signature = _read_member(archive, SIGNATURE, MAX_SIGNATURE_BYTES)
        manifest = _load_json(manifest_bytes, MANIFEST)
        if not isinstance(manifest, dict):
            raise Failed("manifest.json is not a JSON object")
        public = check_signature(manifest_bytes, signature, manifest)
        signer = key_id(public)
        bundle_format = manifest.get("format")
        if bundle_format not in (FORMAT, FORMAT_V1):
            raise Failed(
                f"the bundle's format is {bundle_format!r}; this tool verifies "
                f"{FORMAT} and {FORMAT_V1}"
            )
        if bundle_format == FORMAT_V1 and not allow_v1:
            raise Failed(
                f"this is a {FORMAT_V1} bundle, made before the transparency log: "
                "it carries no tree head, so nothing outside the bundle vouches for "
                "it (and anyone holding the key can strip a new bundle down to this "
                "form). Verify it with --allow-v1, and against a --checkpoint of its "
                "time"
            )
        # Whose key it is, before anything else is read: a stranger's bundle stops here.
        # The log's origin: casefile-export/2 only, whose key is pinned through its log.
        origin: str | None = None
        if bundle_format == FORMAT:
            origin = _pin(archive, manifest, public, anchors)
        else:
            check_pinned(anchors, public)
        kind = bundle_kind(manifest)
        listed = check_files(archive, manifest)
        case_id = _field(_field(manifest, "case", dict, ""), "id", str, "case.")
        watch = checkpoint.cases.get(case_id, (None, ""))[0] if checkpoint else None
        count, head_hash, lines = check_events(archive, manifest, listed, watch)
        check_sources(listed, lines.referenced)
        spans, texts, derived = check_spans(archive, listed, lines)
        check_identities(archive, listed, kind, lines.protected)
        log = None
        if origin is not None:
            log = _check_log(
                archive,
                manifest,
                listed,
                public,
                origin,
                head_hash,
                anchors,
                log_checkpoint,
                log_proof,
                tsa_ca,
            )
        elif log_checkpoint is not None:
            raise Failed(
                f"a {FORMAT_V1} bundle carries no tree head to check against "
                "--log-checkpoint; use --checkpoint with a checkpoint of that time"
            )
        # Last: a reading aid derived from what is checked above.
        matrix_spans = check_matrix(archive, listed, manifest, lines, count)
        check_matrix_spans(archive, matrix_spans)
    reference = _field(manifest["case"], "reference", str, "case.")
    checked = None
    if checkpoint is not None:
        if checkpoint.public != public and not anchors.trusts(checkpoint.public):
            raise Failed(
                f"the checkpoint is signed by key {checkpoint.key_id} but the bundle "
                f"by key {signer}: one of them is not from the log you trust"
            )
        checked = check_checkpoint(checkpoint, case_id, reference, count, lines.watched_hash)
    verified = Verified(
        reference,
        count,
        head_hash,
        signer,
        anchors.pinned,
        kind,
        checked,
        checkpoint,
        **(log or {}),
        spans=spans,
        texts=texts,
        texts_derived=derived,
        matrix=MATRIX in listed,
        matrix_spans=len(matrix_spans),
    )
    if not anchors.pinned:
        raise Unpinned(verified)
    return verified


def _pin(
    archive: zipfile.ZipFile, manifest: JSONObject, public: bytes, anchors: trust.Trust
) -> str:
    """casefile-export/2: the log's origin (from the tree head) and the pinning of the
    bundle's key, directly or through the key rotations the bundle carries."""
    log = _field(manifest, "log", dict, "")
    if _field(log, "tree_head", str, "log.") != TREE_HEAD:
        raise Failed(f"manifest.json is malformed: log.tree_head is not {TREE_HEAD}")
    try:
        origin = trust.note_origin(_read_member(archive, TREE_HEAD, tlog.MAX_NOTE_BYTES))
        rotations = log.get("key_rotations")
        if rotations is not None:
            if rotations != KEY_ROTATIONS:
                raise Failed(
                    f"manifest.json is malformed: log.key_rotations is not {KEY_ROTATIONS}"
                )
            announcements = _load_json(_read_member(archive, KEY_ROTATIONS, 1 << 20), KEY_ROTATIONS)
            if not isinstance(announcements, list):
                raise Failed(f"{KEY_ROTATIONS} is not a JSON list")
            trust.follow_rotations(anchors, origin, announcements)
    except tlog.LogError as exc:
        raise Failed(str(exc)) from None
    check_pinned(anchors, public)
    return origin


def _check_log(
    archive: zipfile.ZipFile,
    manifest: JSONObject,
    listed: JSONObject,
    public: bytes,
    origin: str,
    head_hash: str,
    anchors: trust.Trust,
    log_checkpoint: bytes | None,
    log_proof: tuple[int, int, list[bytes]] | None,
    tsa_ca: bytes | None = None,
) -> JSONObject:
    """casefile-export/2: the tree head the bundle was taken at, signed by the bundle's
    own key; the last event's inclusion in it; the auditor's later tree head; the
    witnesses."""
    log = manifest["log"]
    for path in listed:
        if path.startswith("log/") and path not in (TREE_HEAD, KEY_ROTATIONS, TIMESTAMP):
            raise Failed(f"{path} is not a file a bundle may hold under log/")
    for path in (
        TREE_HEAD,
        *([KEY_ROTATIONS] if "key_rotations" in log else []),
        *([TIMESTAMP] if "timestamp" in log else []),
    ):
        if path not in listed:
            raise Failed(f"{path} is not listed in the manifest")
    if TIMESTAMP in listed and "timestamp" not in log:
        raise Failed(f"{TIMESTAMP} is in the bundle but log.timestamp does not name it")
    try:
        signer = trust.log_verifier(anchors, origin, public)
        head = trust.open_head(
            _read_member(archive, TREE_HEAD, tlog.MAX_NOTE_BYTES),
            [signer],
            f"{TREE_HEAD} is not signed by the bundle's own key",
        )
        leaf_index = trust.check_inclusion(head, head_hash, log)
        timestamp = _check_timestamp(archive, log, head, signer, tsa_ca)
        relied, held_size = head, None
        if log_checkpoint is not None:
            keys = [signer, *(key for key in anchors.logs if key.name == origin)]
            held = trust.open_head(
                log_checkpoint, keys, "the tree head given with --log-checkpoint does not verify"
            )
            trust.check_consistency(head, held, log_proof)
            held_size = held.checkpoint.size
            if held.checkpoint.size >= head.checkpoint.size:
                relied = held
        witnesses = trust.check_witnesses(anchors, relied)
    except tlog.LogError as exc:
        raise Failed(str(exc)) from None
    return {
        "leaf_index": leaf_index,
        "tree_size": head.checkpoint.size,
        "held_size": held_size,
        "witnesses": witnesses,
        "timestamp": timestamp,
    }


def _check_timestamp(
    archive: zipfile.ZipFile,
    log: JSONObject,
    head: trust.Head,
    signer: tlog.Verifier,
    tsa_ca: bytes | None,
) -> str | None:
    """The TSA's time-stamp of the tree head, when the bundle carries one: over SHA-256 of
    the tree head as the log published it (its note and the log's own signature line,
    without the witnesses' cosignatures, which came later). Returns the words for the OK
    line."""
    if "timestamp" not in log:
        if tsa_ca is not None:
            raise Failed("--tsa-ca was given but the bundle carries no time-stamp of its tree head")
        return None
    if log["timestamp"] != TIMESTAMP:
        raise Failed(f"manifest.json is malformed: log.timestamp is not {TIMESTAMP}")
    token = _read_member(archive, TIMESTAMP, timestamp_tokens.MAX_RESPONSE_BYTES)
    # The log's own signature line: the tree head was verified against `signer` before
    # this, so it is there; if not, the bundle is refused rather than the check skipped.
    own = tlog.find_signature(head.note, signer)
    if own is None:
        raise Failed("the tree head carries no signature line of the log")
    published = tlog.Note(head.note.text, (own,))
    try:
        stamp = timestamp_tokens.check(token, published.render().encode("utf-8"), ca=tsa_ca)
    except timestamp_tokens.Unavailable:
        if tsa_ca is not None:
            raise Failed(
                f"--tsa-ca needs rfc3161-client to check {TIMESTAMP} ({timestamp_tokens.INSTALL})"
            ) from None
        return f"time-stamp token present, not checked ({timestamp_tokens.INSTALL})"
    except timestamp_tokens.TokenError as exc:
        raise Failed(
            f"{TIMESTAMP} is not a valid time-stamp of the bundle's tree head: {exc}"
        ) from None
    return (
        str(stamp)
        if stamp.chain_checked
        else (f"{stamp} (the TSA's signature not checked: give --tsa-ca)")
    )


def _read_small(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            data = stream.read(tlog.MAX_NOTE_BYTES + 1)
    except OSError as exc:
        raise Failed(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(data) > tlog.MAX_NOTE_BYTES:
        raise Failed(f"{what} {path} is larger than {tlog.MAX_NOTE_BYTES} bytes")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m casefiles.verify_export",
        description=f"Verify a {FORMAT} (or {FORMAT_V1}) bundle: signature, files, chain, "
        "sources, protected identities, and its place in the transparency log, "
        "against the log key you trust.",
    )
    parser.add_argument("bundle", help="the export ZIP")
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        help="the log's key you trust: its verifier key (vkey, name+keyid+key, as the "
        "admin and GET /api/signing-key/ show it) or the base64 of the raw 32-byte "
        "Ed25519 key (repeatable)",
    )
    parser.add_argument(
        "--trust",
        help="a trust file: 'log <vkey>', 'witness <vkey>', "
        "'witnesses-required <n>' lines (docs/transparency-log.md)",
    )
    parser.add_argument(
        "--log-checkpoint",
        help="a later signed tree head you hold (e.g. from GET /api/log/checkpoint or a "
        "witness): the bundle's tree head must be consistent with it",
    )
    parser.add_argument(
        "--log-proof",
        help="the consistency proof between the bundle's tree head and --log-checkpoint "
        "(the JSON of GET /api/log/proof?from=M&to=N)",
    )
    parser.add_argument(
        "--checkpoint",
        help=f"a signed {CHECKPOINT_FORMAT} you kept (before the transparency log): the "
        "bundle must hold, at the checkpoint's version of the case, the very event it "
        "recorded",
    )
    parser.add_argument(
        "--tsa-ca",
        help="the PEM root (or chain) of the time-stamping authority you trust: the "
        "bundle's time-stamp must be signed through it",
    )
    parser.add_argument(
        "--allow-v1",
        action="store_true",
        help=f"also verify a {FORMAT_V1} bundle (made before the transparency log)",
    )
    args = parser.parse_args(argv)
    if args.log_proof and not args.log_checkpoint:
        parser.error("--log-proof goes with --log-checkpoint")
    try:
        anchors = trust.Trust()
        try:
            for text in args.public_key:
                trust.add_key(anchors, text)
            if args.trust:
                trust.read_trust_file(args.trust, anchors)
            proof = trust.read_proof(args.log_proof) if args.log_proof else None
        except tlog.LogError as exc:
            raise Failed(str(exc)) from None
        held = _read_small(args.log_checkpoint, "the tree head") if args.log_checkpoint else None
        checkpoint = load_checkpoint(args.checkpoint) if args.checkpoint else None
        tsa_ca = _read_small(args.tsa_ca, "the TSA CA file") if args.tsa_ca else None
        print(
            verify(
                args.bundle,
                checkpoint=checkpoint,
                anchors=anchors,
                log_checkpoint=held,
                log_proof=proof,
                allow_v1=args.allow_v1,
                tsa_ca=tsa_ca,
            )
        )
    except Failed as failure:
        print(f"FAILED: {failure}")
        return EXIT_FAILED
    except NotInCheckpoint as gap:
        print(f"NOT IN CHECKPOINT: {gap}")
        return EXIT_NOT_IN_CHECKPOINT
    except Unpinned as unpinned:
        verified = unpinned.args[0]
        print(
            f"UNPINNED: {str(verified).removeprefix('OK ')}. Nothing says whose key "
            f"{verified.key_id} is: anyone can sign a bundle with a key of their own. "
            "Pass the log's key with --public-key, or --trust"
        )
        return EXIT_UNPINNED
    return 0


if __name__ == "__main__":
    sys.exit(main())
