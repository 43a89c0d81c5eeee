"""Rewrite a bundle the way a forger (or a buggy exporter) would."""

import base64
import hashlib
import json
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casefiles.export import signing


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def manifest(files: dict[str, bytes]) -> dict:
    return json.loads(files["manifest.json"])


def resign(files: dict[str, bytes], changed: dict | None = None,
           key: Ed25519PrivateKey | None = None) -> dict[str, bytes]:
    """Apply `changed` to the manifest, list every listed file's current hash and size,
    and sign it again: only the checks after the signature can catch what was done."""
    document = {**manifest(files), **(changed or {})}
    document["files"] = [
        {"path": entry["path"], "sha256": hashlib.sha256(files[entry["path"]]).hexdigest(),
         "bytes": len(files[entry["path"]])}
        if entry["path"] in files else entry
        for entry in document["files"]
    ]
    key = key or signing.signing_key().private
    raw = json.dumps(document, indent=2).encode()
    return {**files, "manifest.json": raw,
            "manifest.sig": base64.b64encode(key.sign(raw))}


def event_lines(files: dict[str, bytes]) -> list[bytes]:
    return files["events.jsonl"].splitlines(keepends=True)


def with_events(files: dict[str, bytes], lines: list[bytes]) -> dict[str, bytes]:
    return {**files, "events.jsonl": b"".join(lines)}
