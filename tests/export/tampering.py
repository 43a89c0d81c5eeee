"""Rewrite a bundle the way a forger (or a buggy exporter) would."""

import base64
import hashlib
import json
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casefiles import signing


def verified(path, **kwargs):
    """verify() with the log's key pinned, as an auditor who obtained it would run it."""
    from casefiles.verify_export import verify

    return verify(str(path), expected_key=signing.signing_key().public.raw, **kwargs)


def as_v1(files: dict[str, bytes]) -> dict[str, bytes]:
    """Strip a bundle down to casefile-export/1 (no tree head), signed again: what a key
    holder could do to escape the log's checks, and what bundles made before it look like."""
    stripped = {name: data for name, data in files.items() if not name.startswith("log/")}
    document = manifest(stripped)
    document.pop("log")
    document["format"] = "casefile-export/1"
    document["files"] = [
        entry for entry in document["files"] if not entry["path"].startswith("log/")
    ]
    signing_block = {key: value for key, value in document["signing"].items() if key != "vkey"}
    document["signing"] = signing_block
    raw = json.dumps(document, indent=2).encode()
    return {
        **stripped,
        "manifest.json": raw,
        "manifest.sig": signing.signing_key().sign(raw).encode(),
    }


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


def resign(
    files: dict[str, bytes], changed: dict | None = None, key: Ed25519PrivateKey | None = None
) -> dict[str, bytes]:
    """Apply `changed` to the manifest, list every listed file's current hash and size,
    and sign it again: only the checks after the signature can catch what was done."""
    document = {**manifest(files), **(changed or {})}
    document["files"] = [
        {
            "path": entry["path"],
            "sha256": hashlib.sha256(files[entry["path"]]).hexdigest(),
            "bytes": len(files[entry["path"]]),
        }
        if entry["path"] in files
        else entry
        for entry in document["files"]
    ]
    key = key or signing.signing_key().private
    raw = json.dumps(document, indent=2).encode()
    return {**files, "manifest.json": raw, "manifest.sig": base64.b64encode(key.sign(raw))}


def event_lines(files: dict[str, bytes]) -> list[bytes]:
    return files["events.jsonl"].splitlines(keepends=True)


def with_events(files: dict[str, bytes], lines: list[bytes]) -> dict[str, bytes]:
    return {**files, "events.jsonl": b"".join(lines)}
