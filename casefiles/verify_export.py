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
from casefiles.domain.hashing import HASHED_FIELDS, canonical_json

FORMAT = "casefile-export/2"
FORMAT_V1 = "casefile-export/1"  # before the transparency log; still verified
TREE_HEAD = "log/tree-head.txt"
KEY_ROTATIONS = "log/key-rotations.json"
CHECKPOINT_FORMAT = "casefile-checkpoint/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
IDENTITIES = "protected/identities.json"
REDACTED, COMPLETE = "redacted", "complete"
IDENTITY_FIELDS = frozenset(("person_id", "name", "salt"))
SOURCE_NAME = re.compile(r"^sources/([0-9a-f]{64})\.[A-Za-z0-9]{1,8}$")
RECORD_FIELDS = frozenset((*HASHED_FIELDS, "hash"))
CHUNK = 1 << 20


class Failed(Exception):
    """The bundle does not verify; the message names the first failure."""


class NotInCheckpoint(Exception):
    """The bundle verifies, but the checkpoint holds nothing for its case to compare."""


@dataclass(frozen=True)
class Checkpoint:
    taken_at: str
    global_position: int
    cases: dict[str, tuple[int, str]]
    key_id: str

    def __str__(self) -> str:
        return (f"checkpoint taken {self.taken_at} (global position "
                f"{self.global_position}, key {self.key_id})")


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

    def __str__(self) -> str:
        key = "the expected key" if self.key_pinned else "the key in the manifest"
        line = (f"OK {self.reference}: {self.count} events, head hash {self.head_hash}, "
                f"signed by {key} {self.key_id}, {self.kind} bundle")
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


def _field(mapping: Any, name: str, kind: type, where: str,
           source: str = "manifest.json") -> Any:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Failed(f"{source} is malformed: {where}{name} is missing or not "
                     f"{'an integer' if kind is int else 'a ' + kind.__name__}")
    return value


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise Failed(f"{name} is missing from the bundle") from None


def _signer(document: dict, expected_key: bytes | None, *, what: str, holder: str,
            source: str = "manifest.json") -> Ed25519PublicKey:
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
        raise Failed(f"signing.key_id {signing['key_id']} does not belong to the "
                     f"public key in the {holder} (its key id is {key_id(raw)})")
    if expected_key is not None and raw != expected_key:
        raise Failed(f"the {what} is signed by key {key_id(raw)}, not by the expected key "
                     f"{key_id(expected_key)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def check_signature(manifest_bytes: bytes, signature: bytes, manifest: dict,
                    expected_key: bytes | None) -> str:
    public = _signer(manifest, expected_key, what="bundle", holder="manifest")
    try:
        public.verify(_b64(signature.decode("ascii", "replace"), "manifest.sig"),
                      manifest_bytes)
    except InvalidSignature:
        raise Failed("the signature in manifest.sig does not match manifest.json: the "
                     "manifest or the signature was changed") from None
    return key_id(public.public_bytes_raw())


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
    """Parses events.jsonl line by line for check_chain, noting what later checks need:
    referenced originals, protected persons' commitments, and the hash at `watch`."""

    def __init__(self, stream: io.TextIOBase, name: str, watch: int | None = None):
        self.stream, self.name, self.watch = stream, name, watch
        self.referenced: dict[str, None] = {}
        self.protected: dict[str, str] = {}
        self.watched_hash: str | None = None

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
            payload = record["payload"]
            for sha in referenced_sha256(payload):
                self.referenced.setdefault(sha, None)
            if (record["type"] == "PersonAdded" and isinstance(payload, dict)
                    and payload.get("protected") is True):
                self.protected[str(payload.get("person_id"))] = str(
                    payload.get("identity_commitment"))
            if number == self.watch:
                # Line n holds version n once check_chain has passed the whole file.
                self.watched_hash = record["hash"]
            yield record


def check_events(archive: zipfile.ZipFile, manifest: dict, listed: dict,
                 watch: int | None = None) -> tuple[int, str, _EventLines]:
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
        lines = _EventLines(io.TextIOWrapper(raw, encoding="utf-8", newline="\n"), name,
                            watch)
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
    return report.count, report.head_hash, lines


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


def bundle_kind(manifest: dict) -> str:
    """`kind` was added to casefile-export/1 later; bundles without it are redacted."""
    kind = manifest.get("kind", REDACTED)
    if kind not in (REDACTED, COMPLETE):
        raise Failed(f"the manifest's kind is {kind!r}; it must be {REDACTED!r} or "
                     f"{COMPLETE!r}")
    return kind


def _identities(archive: zipfile.ZipFile) -> list[dict]:
    try:
        entries = json.loads(archive.read(IDENTITIES))
    except (ValueError, UnicodeDecodeError):
        raise Failed(f"{IDENTITIES} is not valid JSON") from None
    if not isinstance(entries, list):
        raise Failed(f"{IDENTITIES} is not a JSON list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != IDENTITY_FIELDS or not all(
                isinstance(value, str) for value in entry.values()):
            raise Failed(f"{IDENTITIES} entry {index} is not an object of the strings "
                         f"{', '.join(sorted(IDENTITY_FIELDS))}")
    return entries


def commitment(salt: str, name: str) -> str:
    """The commitment a PersonAdded event holds for a protected person."""
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()


def check_identities(archive: zipfile.ZipFile, listed: dict, kind: str,
                     protected: dict[str, str]) -> None:
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
            raise Failed(f"{IDENTITIES} lists person {person}, who is not a protected "
                         "person in the events")
        if commitment(entry["salt"], entry["name"]) != protected[person]:
            raise Failed(f"the identity in {IDENTITIES} for person {person} does not match "
                         "the commitment in its PersonAdded event")
    missing = [person for person in protected if person not in seen]
    if missing:
        raise Failed(f"the bundle is complete but {IDENTITIES} lacks protected person "
                     f"{missing[0]}")


def _checkpoint_cases(document: dict, source: str) -> dict[str, tuple[int, str]]:
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
        raise Failed(f"the checkpoint's format is {document.get('format')!r}; this tool "
                     f"reads {CHECKPOINT_FORMAT}")
    source = "the checkpoint"
    public = _signer(document, expected_key, what="checkpoint", holder="checkpoint",
                     source=source)
    signature = _b64(_field(document, "signature", str, "", source), "the checkpoint's signature")
    signed = {name: value for name, value in document.items() if name != "signature"}
    try:
        public.verify(signature, canonical_json(signed).encode("utf-8"))
    except InvalidSignature:
        raise Failed("the checkpoint's signature does not match its content: the "
                     "checkpoint was changed") from None
    return Checkpoint(
        taken_at=_field(document, "taken_at", str, "", source),
        global_position=_field(document, "global_position", int, "", source),
        cases=_checkpoint_cases(document, source),
        key_id=key_id(public.public_bytes_raw()),
    )


def check_checkpoint(checkpoint: Checkpoint, case_id: str, reference: str, count: int,
                     watched_hash: str | None) -> int:
    if case_id not in checkpoint.cases:
        raise NotInCheckpoint(
            f"{reference} (case {case_id}) is not in the {checkpoint}: the bundle itself "
            "verifies, but the checkpoint cannot vouch for it (the case was opened after "
            "it, or the checkpoint is from another system)")
    version, head_hash = checkpoint.cases[case_id]
    if count < version:
        raise Failed(f"the bundle ends at version {count} but the {checkpoint} recorded "
                     f"version {version} of {reference}: events are missing (or the "
                     "bundle is older than the checkpoint)")
    if watched_hash != head_hash:
        raise Failed(f"{reference} was rewritten after the {checkpoint}: the event at "
                     f"version {version} has hash {watched_hash}, the checkpoint recorded "
                     f"{head_hash}")
    return version


def verify(path: str, *, expected_key: bytes | None = None,
           checkpoint: Checkpoint | None = None) -> Verified:
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
        kind = bundle_kind(manifest)
        listed = check_files(archive, manifest)
        case_id = _field(_field(manifest, "case", dict, ""), "id", str, "case.")
        watch = checkpoint.cases.get(case_id, (None, ""))[0] if checkpoint else None
        count, head_hash, lines = check_events(archive, manifest, listed, watch)
        check_sources(listed, lines.referenced)
        check_identities(archive, listed, kind, lines.protected)
    reference = _field(manifest["case"], "reference", str, "case.")
    checked = None
    if checkpoint is not None:
        checked = check_checkpoint(checkpoint, case_id, reference, count, lines.watched_hash)
    return Verified(reference, count, head_hash, signer, expected_key is not None, kind,
                    checked, checkpoint)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m casefiles.verify_export",
        description="Verify a casefile-export/1 bundle (signature, files, chain, sources, "
                    "protected identities), optionally against a signed checkpoint.",
    )
    parser.add_argument("bundle", help="the export ZIP")
    parser.add_argument(
        "--public-key",
        help="the signing key you trust (base64 of the raw 32-byte Ed25519 key, as given "
             "by GET /api/signing-key/); without it the key in the manifest is used",
    )
    parser.add_argument(
        "--checkpoint",
        help="a signed checkpoint (casefile-checkpoint/1) you kept: the bundle must hold, "
             "at the checkpoint's version of the case, the very event it recorded",
    )
    args = parser.parse_args(argv)
    try:
        expected = None
        if args.public_key:
            expected = _b64(args.public_key, "--public-key")
            if len(expected) != 32:
                raise Failed(f"--public-key is {len(expected)} bytes; an Ed25519 key is 32")
        checkpoint = None
        if args.checkpoint:
            checkpoint = load_checkpoint(args.checkpoint, expected_key=expected)
        print(verify(args.bundle, expected_key=expected, checkpoint=checkpoint))
    except Failed as failure:
        print(f"FAILED: {failure}")
        return 1
    except NotInCheckpoint as gap:
        print(f"NOT IN CHECKPOINT: {gap}")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
