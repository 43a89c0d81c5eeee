"""Build a `casefile-export/2` bundle: a signed ZIP of one case's full history, with the
signed tree head of the transparency log it was taken at and the proof that its last
event is in that log (docs/export.md, docs/transparency-log.md).

Everything is streamed: the events are read from the store with an iterator and
written straight into the ZIP, each file hashed while it is written, so a case with
a long history never sits in memory. The bundle shows the case exactly at one
version: the version the case file had when the export started. The command that
records the export as a CaseExported event on the case is
`casefiles.commands.exports.export_recorded` (docs/export.md).
"""

import hashlib
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO

from casefiles import blobs, eventstore, signing, timestamps, tlog, transparency
from casefiles.domain import matrix
from casefiles.domain.hashing import canonical_json
from casefiles.errors import CaseFileError
from casefiles.export import huridocs, report
from casefiles.models import CaseFile, ProtectedIdentity, Source
from casefiles.selectors import get_case
from casefiles.verify_export import (
    COMPLETE,
    FORMAT,
    IDENTITIES,
    KEY_ROTATIONS,
    MANIFEST,
    MATRIX,
    REDACTED,
    SIGNATURE,
    TIMESTAMP,
    TREE_HEAD,
    referenced_sha256,
)

EVENTS_FILE = "events.jsonl"
HURIDOCS = "huridocs.json"
MEDIA_EXTENSIONS = {
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
    "application/pdf": "pdf",
}
SAFE_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")


class ExportError(CaseFileError):
    """The bundle cannot be built (e.g. an original is missing from the blob store)."""


class HashingWriter:
    """A file-like wrapper that counts and hashes what passes through it."""

    def __init__(self, target: IO[bytes]):
        self._target = target
        self._digest = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.bytes += len(data)
        return self._target.write(data)

    def flush(self) -> None:
        self._target.flush()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


@dataclass
class Digest:
    """What one pass over the events learns for the manifest and the report: small
    things only (counts, the head, sources and decisions), never the events."""

    count: int = 0
    head_hash: str = ""
    referenced: dict[str, None] = field(default_factory=dict)
    protected: dict[str, None] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    decisions: dict[str, dict] = field(default_factory=dict)
    # The stored texts cited spans count in (FactSupported schema 2).
    texts: dict[str, None] = field(default_factory=dict)

    def observe(self, record: dict) -> None:
        self.count += 1
        self.head_hash = record["hash"]
        payload, kind = record["payload"], record["type"]
        for sha in referenced_sha256(payload):
            self.referenced.setdefault(sha, None)
        who = record["actor"]["username"]
        when = record["occurred_at"]
        if kind == "SourceAttached":
            self.sources[payload["source_id"]] = {
                **payload,
                "attached_by": who,
                "attached_at": when,
                "grade": None,
            }
        elif kind == "SourceDetached" and payload["source_id"] in self.sources:
            # Kept: the report lists it apart, with who detached it, when and why.
            self.sources[payload["source_id"]]["detached"] = {
                "reason": payload["reason"],
                "detached_by": who,
                "detached_at": when,
            }
        elif kind == "ExhibitCompleted" and payload["source_id"] in self.sources:
            self.sources[payload["source_id"]].update(payload)
        elif kind == "FactSupported" and record["schema"] >= 2:
            self.texts.setdefault(payload["source_text_sha256"], None)
        elif kind == "PersonAdded" and payload["protected"]:
            self.protected.setdefault(payload["person_id"], None)
        elif kind == "SourceGraded" and payload["source_id"] in self.sources:
            # The latest grade counts; earlier ones stay in the timeline.
            self.sources[payload["source_id"]]["grade"] = {
                **payload,
                "graded_by": who,
                "graded_at": when,
            }
        elif kind == "TransitionRequested":
            self.decisions[payload["request_id"]] = {
                **payload,
                "requested_by": who,
                "requested_at": when,
                "status": "pending",
                "decided_by": "",
                "decided_at": "",
                "decision_reason": "",
            }
        elif kind in DECISIONS:
            decision = self.decisions.get(payload["request_id"])
            if decision is not None:
                decision.update(
                    status=DECISIONS[kind],
                    decided_by=who,
                    decided_at=when,
                    decision_reason=payload["reason"],
                )


# A decision on a transition request, and the status the report gives it.
DECISIONS = {
    "TransitionApproved": "approved",
    "TransitionRejected": "rejected",
    "TransitionWithdrawn": "withdrawn",
    "CaseReopened": "approved (reopened)",
}


def source_path(sha: str) -> str:
    stored = Source.objects.filter(content_sha256=sha).values("media_type", "filename").first()
    extension = "bin"
    if stored:
        suffix = PurePosixPath(stored["filename"]).suffix.removeprefix(".").lower()
        extension = MEDIA_EXTENSIONS.get(stored["media_type"]) or (
            suffix if SAFE_EXTENSION.match(suffix) else "bin"
        )
    return f"sources/{sha}.{extension}"


class BundleWriter:
    def __init__(self, out: IO[bytes], exported_at: datetime):
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.stamp = exported_at.timetuple()[:6]
        self.files: list[dict] = []

    def open(self, path: str, *, listed: bool = True) -> "_Entry":
        return _Entry(self, path, listed)

    def write(self, path: str, data: bytes, *, listed: bool = True) -> None:
        with self.open(path, listed=listed) as stream:
            stream.write(data)

    def __enter__(self) -> "BundleWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.zip.close()


class _Entry:
    def __init__(self, bundle: BundleWriter, path: str, listed: bool):
        self.bundle, self.path, self.listed = bundle, path, listed

    def __enter__(self) -> HashingWriter:
        info = zipfile.ZipInfo(self.path, date_time=self.bundle.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        self._raw = self.bundle.zip.open(info, "w")
        self._writer = HashingWriter(self._raw)
        return self._writer

    def __exit__(self, *exc_info) -> None:
        self._raw.close()
        if self.listed:
            self.bundle.files.append(
                {"path": self.path, "sha256": self._writer.sha256, "bytes": self._writer.bytes}
            )


def _events(case: CaseFile) -> Iterator[dict]:
    return eventstore.stream(case.pk, upto_version=case.version)


def _write_events(bundle: BundleWriter, case: CaseFile) -> Digest:
    digest = Digest()
    with bundle.open(EVENTS_FILE) as stream:
        for record in _events(case):
            digest.observe(record)
            stream.write(canonical_json(record).encode("utf-8") + b"\n")
    if digest.count != case.version or digest.head_hash != case.head_hash:
        # The read model and the store disagree: refuse rather than sign a bundle whose
        # summary and history could contradict each other.
        raise ExportError(
            f"cannot export {case.reference}: the case file records version {case.version} "
            f"but the event store holds {digest.count} event(s) up to it; run "
            "`manage.py verify_events` and `manage.py rebuild_projections`"
        )
    return digest


def _write_sources(bundle: BundleWriter, case: CaseFile, digest: Digest) -> dict[str, str]:
    paths = {}
    for sha in digest.referenced:
        try:
            data = blobs.read(sha)
        except blobs.BlobError as exc:
            raise ExportError(f"cannot export {case.reference}: {exc}") from None
        paths[sha] = source_path(sha)
        bundle.write(paths[sha], data)
    return paths


def text_path(sha: str) -> str:
    return f"texts/{sha}.txt"


def _write_texts(bundle: BundleWriter, case: CaseFile, digest: Digest) -> None:
    """The stored texts that cited spans count in, as stored (UTF-8): the verifier
    finds each span at its offsets in them (docs/export.md, "Cited spans")."""
    for sha in digest.texts:
        try:
            data = blobs.read(sha)
        except blobs.BlobError as exc:
            raise ExportError(f"cannot export {case.reference}: {exc}") from None
        bundle.write(text_path(sha), data)


def _write_matrix(bundle: BundleWriter, case: CaseFile, digest: Digest) -> None:
    """matrix.json: the evidence matrix of the case at the exported version, derived from
    the same events (docs/export.md, "matrix.json"); the verifier checks it against them
    and finds each span it cites at its offsets in texts/."""
    titles = {sid: str(source["title"]) for sid, source in digest.sources.items()}
    attached = {str(sid) for sid in case.sources.values_list("source_id", flat=True)}
    rows = matrix.evidence_matrix(case.facts, case.qualifications, titles, attached)
    document = matrix.document(rows, case_id=str(case.pk), version=case.version)
    bundle.write(MATRIX, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode())


def _write_huridocs(bundle: BundleWriter, case: CaseFile, digest: Digest) -> None:
    """huridocs.json: the case in HURIDOCS' Events Standard Formats (docs/export.md)."""
    document = huridocs.esf_document(
        case_id=str(case.pk),
        reference=case.reference,
        title=case.title,
        summary=case.summary,
        categories=case.categories,
        places=case.places,
        incident_from=case.incident_from.isoformat() if case.incident_from else None,
        incident_to=case.incident_to.isoformat() if case.incident_to else None,
        persons=case.persons,
        liabilities=case.liabilities,
        case_qualifications=case.qualifications,
        sources=digest.sources.values(),
    )
    bundle.write(
        HURIDOCS, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    )


def _write_identities(bundle: BundleWriter, case: CaseFile, digest: Digest) -> None:
    """A complete bundle's protected/identities.json: each protected person of the
    exported events with the name and salt behind its commitment, in event order."""
    stored = {
        str(row["person_id"]): row
        for row in ProtectedIdentity.objects.filter(person_id__in=list(digest.protected)).values(
            "person_id", "name", "salt"
        )
    }
    missing = [person for person in digest.protected if person not in stored]
    if missing:
        raise ExportError(
            f"cannot make a complete export of {case.reference}: the protected "
            f"identity of person {missing[0]} is missing from its store"
        )
    identities = [
        {"person_id": person, "name": stored[person]["name"], "salt": stored[person]["salt"]}
        for person in digest.protected
    ]
    bundle.write(
        IDENTITIES, (json.dumps(identities, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    )


def export_case(
    case_id: str,
    *,
    exported_by: str,
    out: IO[bytes],
    kind: str = REDACTED,
    export_id: str | None = None,
    now: datetime | None = None,
) -> dict:
    """Write the bundle of `case_id` to `out` (a binary file) and return its manifest.

    Only builds: who may export, and which kind, is decided by `export_recorded`."""
    if kind not in (REDACTED, COMPLETE):
        raise ValueError(f"unknown bundle kind {kind!r}")
    case = get_case(case_id)
    key = signing.signing_key()
    exported_at = now or datetime.now(UTC)
    with BundleWriter(out, exported_at) as bundle:
        digest = _write_events(bundle, case)
        source_paths = _write_sources(bundle, case, digest)
        _write_texts(bundle, case, digest)
        if kind == COMPLETE:
            _write_identities(bundle, case, digest)
        _write_matrix(bundle, case, digest)
        _write_huridocs(bundle, case, digest)
        context = report.ReportContext(
            case=case,
            head_hash=digest.head_hash,
            event_count=digest.count,
            exported_at=eventstore.format_time(exported_at),
            exported_by=exported_by,
            key=key.public,
            sources=list(digest.sources.values()),
            source_paths=source_paths,
            decisions=list(digest.decisions.values()),
            kind=kind,
        )
        with bundle.open("report.html") as stream:
            report.write_html(stream, context, _events(case))
        with bundle.open("report.pdf") as stream:
            report.write_pdf(stream, context, _events(case))
        log = _write_log(bundle, case)
        manifest = _manifest(context, bundle.files, export_id or str(uuid.uuid4()), log)
        manifest_bytes = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        bundle.write(MANIFEST, manifest_bytes, listed=False)
        bundle.write(SIGNATURE, key.sign(manifest_bytes).encode("ascii"), listed=False)
    return manifest


def _write_log(bundle: BundleWriter, case: CaseFile) -> dict:
    """The tree head the bundle is taken at (published now, so that it covers the last
    exported event) with the cosignatures it has, and that event's inclusion proof."""
    head = transparency.publish()
    leaf = transparency.leaf_of(case.pk, case.version)
    if leaf is None or leaf.index >= head.size:
        raise ExportError(
            f"cannot export {case.reference}: version {case.version} is not "
            "in the transparency log; run `manage.py verify_log`"
        )
    bundle.write(TREE_HEAD, transparency.cosigned_note(head).encode("utf-8"))
    proof = transparency.inclusion_proof(leaf.index, head.size)
    log = {
        "tree_head": TREE_HEAD,
        "tree_size": head.size,
        "leaf_index": leaf.index,
        "inclusion_proof": tlog.hashes_to_b64(proof),
    }
    token = timestamps.token_of(head.size)
    if token is not None:  # the TSA's time-stamp of this tree head, when there is one
        bundle.write(TIMESTAMP, token)
        log["timestamp"] = TIMESTAMP
    rotations = transparency.key_rotations()
    if rotations:
        # So that a verifier who trusts an earlier key can follow it to this one.
        bundle.write(
            KEY_ROTATIONS,
            (json.dumps(rotations, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        )
        log["key_rotations"] = KEY_ROTATIONS
    return log


def _manifest(context: report.ReportContext, files: list[dict], export_id: str, log: dict) -> dict:
    case = context.case
    return {
        "format": FORMAT,
        "kind": context.kind,
        "export_id": export_id,
        "case": {
            "id": str(case.pk),
            "reference": case.reference,
            "state": case.state,
            "version": case.version,
        },
        "exported_at": context.exported_at,
        "exported_by": context.exported_by,
        "events": {
            "file": EVENTS_FILE,
            "count": context.event_count,
            "head_hash": context.head_hash,
        },
        "files": files,
        "signing": {
            "algorithm": signing.ALGORITHM,
            "public_key": context.key.base64,
            "key_id": context.key.key_id,
            "vkey": context.key.vkey,
        },
        "log": log,
    }


def bundle_filename(manifest: dict) -> str:
    case = manifest["case"]
    return f"{case['reference']}-v{case['version']}-export.zip"
