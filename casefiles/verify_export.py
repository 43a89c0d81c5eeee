"""Verify a `casefile-export/1` bundle without the system that made it.

    python -m casefiles.verify_export BUNDLE.zip [--public-key BASE64]

Standard library plus `cryptography` only (no Django, no database), so auditors can
run it anywhere. It checks, in this order, and stops at the first failure:
the signature over manifest.json (and, with --public-key, that the expected key made
it), the file list and every file's SHA-256 and size, the event chain (versions
1..N in line order, each hash recomputed, each linked to the previous), the counts
and head hash against the manifest, and the original of every source an event
refers to. Prints one line, `OK ...` (exit 0) or `FAILED: <reason>` (exit 1).
"""

import argparse
import base64
import binascii
import hashlib
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casefiles.domain.chain import check_chain
from casefiles.domain.hashing import HASHED_FIELDS

FORMAT = "casefile-export/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SOURCE_NAME = re.compile(r"^sources/([0-9a-f]{64})\.[A-Za-z0-9]{1,8}$")
RECORD_FIELDS = frozenset((*HASHED_FIELDS, "hash"))
CHUNK = 1 << 20


class Failed(Exception):
    """The bundle does not verify; the message names the first failure."""


@dataclass(frozen=True)
class Verified:
    reference: str
    count: int
    head_hash: str
    key_id: str
    key_pinned: bool

    def __str__(self) -> str:
        key = "the expected key" if self.key_pinned else "the key in the manifest"
        return (f"OK {self.reference}: {self.count} events, head hash {self.head_hash}, "
                f"signed by {key} {self.key_id}")


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


def _field(mapping: Any, name: str, kind: type, where: str) -> Any:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Failed(f"manifest.json is malformed: {where}{name} is missing or not "
                     f"{'an integer' if kind is int else 'a ' + kind.__name__}")
    return value


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise Failed(f"{name} is missing from the bundle") from None


def check_signature(manifest_bytes: bytes, signature: bytes, manifest: dict,
                    expected_key: bytes | None) -> str:
    signing = _field(manifest, "signing", dict, "")
    algorithm = _field(signing, "algorithm", str, "signing.")
    if algorithm != "ed25519":
        raise Failed(f"the manifest is signed with {algorithm!r}; only ed25519 is known")
    raw = _b64(_field(signing, "public_key", str, "signing."), "signing.public_key")
    if len(raw) != 32:
        raise Failed(f"signing.public_key is {len(raw)} bytes; an Ed25519 key is 32")
    if _field(signing, "key_id", str, "signing.") != key_id(raw):
        raise Failed(f"signing.key_id {signing['key_id']} does not belong to the public key "
                     f"in the manifest (its key id is {key_id(raw)})")
    if expected_key is not None and raw != expected_key:
        raise Failed(f"the bundle is signed by key {key_id(raw)}, not by the expected key "
                     f"{key_id(expected_key)}")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            _b64(signature.decode("ascii", "replace"), "manifest.sig"), manifest_bytes)
    except InvalidSignature:
        raise Failed("the signature in manifest.sig does not match manifest.json: the "
                     "manifest or the signature was changed") from None
    return key_id(raw)


def check_files(archive: zipfile.ZipFile, manifest: dict) -> dict[str, dict]:
    listed: dict[str, dict] = {}
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
    for path, entry in listed.items():
        if path not in present:
            raise Failed(f"{path} is listed in the manifest but missing from the bundle")
        digest, size = hashlib.sha256(), 0
        with archive.open(path) as stream:
            for chunk in iter(lambda stream=stream: stream.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        if size != entry["bytes"]:
            raise Failed(f"{path} is {size} bytes; the manifest says {entry['bytes']}")
        if digest.hexdigest() != entry["sha256"]:
            raise Failed(f"{path} does not match its SHA-256 in the manifest")
    return listed


class _EventLines:
    """Parses events.jsonl line by line for check_chain, noting referenced originals."""

    def __init__(self, stream: io.TextIOBase, name: str):
        self.stream, self.name = stream, name
        self.referenced: dict[str, None] = {}

    def __iter__(self) -> Iterator[dict]:
        for number, line in enumerate(self.stream, start=1):
            try:
                record = json.loads(line)
            except ValueError:
                raise Failed(f"{self.name} line {number} is not valid JSON") from None
            if not isinstance(record, dict):
                raise Failed(f"{self.name} line {number} is not a JSON object")
            if set(record) != RECORD_FIELDS:
                raise Failed(f"{self.name} line {number} has the fields "
                             f"{', '.join(sorted(record))}; an event has exactly "
                             f"{', '.join(sorted(RECORD_FIELDS))}")
            for sha in referenced_sha256(record["payload"]):
                self.referenced.setdefault(sha, None)
            yield record


def check_events(archive: zipfile.ZipFile, manifest: dict, listed: dict) -> tuple[int, str,
                                                                                  dict]:
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
        lines = _EventLines(io.TextIOWrapper(raw, encoding="utf-8", newline="\n"), name)
        try:
            report = check_chain(lines, case_id)
        except UnicodeDecodeError:
            raise Failed(f"{name} is not UTF-8") from None
    if not report.ok:
        failure = report.failure
        raise Failed(f"event chain broken at version {failure.version}: {failure.reason}")
    if report.count != count:
        raise Failed(f"{name} holds {report.count} events; the manifest says {count}")
    if report.count != version:
        raise Failed(f"{name} ends at version {report.count}; the manifest says the case "
                     f"is at version {version}")
    if report.head_hash != head_hash:
        raise Failed(f"the last event's hash {report.head_hash} is not the manifest's "
                     f"head_hash {head_hash}")
    return report.count, report.head_hash, lines.referenced


def check_sources(listed: dict, referenced: dict) -> None:
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
            raise Failed(f"{path} does not hold the original it is named after (its "
                         f"SHA-256 is {entry['sha256']})")
        originals[sha] = path
    for sha in referenced:
        if sha not in originals:
            raise Failed(f"the original {sha}, which the events refer to, is missing from "
                         "sources/")
    for sha, path in originals.items():
        if sha not in referenced:
            raise Failed(f"{path} is not referred to by any event")


def verify(path: str, *, expected_key: bytes | None = None) -> Verified:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Failed(f"cannot open {path} as a ZIP file: {exc}") from None
    with archive:
        names = archive.namelist()
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise Failed(f"the ZIP holds {duplicates[0]} more than once")
        manifest_bytes = _read_member(archive, MANIFEST)
        signature = _read_member(archive, SIGNATURE)
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError:
            raise Failed("manifest.json is not valid JSON") from None
        if not isinstance(manifest, dict):
            raise Failed("manifest.json is not a JSON object")
        signer = check_signature(manifest_bytes, signature, manifest, expected_key)
        if manifest.get("format") != FORMAT:
            raise Failed(f"the bundle's format is {manifest.get('format')!r}; this tool "
                         f"verifies {FORMAT}")
        listed = check_files(archive, manifest)
        count, head_hash, referenced = check_events(archive, manifest, listed)
        check_sources(listed, referenced)
    reference = _field(manifest["case"], "reference", str, "case.")
    return Verified(reference, count, head_hash, signer, expected_key is not None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m casefiles.verify_export",
        description="Verify a casefile-export/1 bundle (signature, files, chain, sources).",
    )
    parser.add_argument("bundle", help="the export ZIP")
    parser.add_argument(
        "--public-key",
        help="the signing key you trust (base64 of the raw 32-byte Ed25519 key, as given "
             "by GET /api/signing-key/); without it the key in the manifest is used",
    )
    args = parser.parse_args(argv)
    try:
        expected = None
        if args.public_key:
            expected = _b64(args.public_key, "--public-key")
            if len(expected) != 32:
                raise Failed(f"--public-key is {len(expected)} bytes; an Ed25519 key is 32")
        print(verify(args.bundle, expected_key=expected))
    except Failed as failure:
        print(f"FAILED: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
