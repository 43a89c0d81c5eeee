"""Content-addressed storage of originals: written once, verified, never modified."""

import hashlib
from pathlib import Path

from django.conf import settings

from casefiles import files


class BlobError(RuntimeError):
    pass


def path_for(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise BlobError(f"{sha256!r} is not a SHA-256")
    return Path(settings.CASEFILES_BLOB_DIR) / sha256[:2] / sha256[2:4] / sha256


def put(data: bytes) -> str:
    """Store `data` under its SHA-256 and return the digest. Storing the same bytes again
    is a no-op; an existing file whose content differs is never overwritten."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if target.exists():
        if sha256_of(target) != digest:
            raise BlobError(f"stored original {digest} is corrupt; refusing to overwrite it")
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    # A crash never leaves a half-written original.
    files.replace(target, data, mode=0o444)
    return digest


def read(sha256: str) -> bytes:
    target = path_for(sha256)
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise BlobError(f"the original {sha256} is missing from the blob store") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BlobError(f"the stored original {sha256} does not match its hash")
    return data


def stored(sha256: str) -> bool:
    """Whether the original `sha256` is in the store, intact (its bytes are hashed)."""
    target = path_for(sha256)
    return target.is_file() and sha256_of(target) == sha256


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
