"""The signing key of exports and of the transparency log's tree heads: Ed25519,
created on first use, never leaves the server.

Only the public half is ever shown (manifest, GET /api/signing-key/). The private key
file is written once with mode 0600 and refused if others can read it.
"""

import base64
import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from casefiles import files, tlog

ALGORITHM = "ed25519"


class SigningKeyError(RuntimeError):
    pass


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @property
    def fingerprint(self) -> str:
        """The full SHA-256 of the raw key in groups of four, for reading aloud."""
        digest = hashlib.sha256(self.raw).hexdigest()
        return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))

    @property
    def vkey(self) -> str:
        """The key in the one form every verifier takes (`verify_export --public-key`,
        trust files, witnesses): a C2SP vkey named after the log's origin."""
        return tlog.Verifier(settings.CASEFILES_LOG_ORIGIN, tlog.ED25519, self.raw).vkey

    def as_json(self) -> dict:
        return {
            "algorithm": ALGORITHM,
            "vkey": self.vkey,
            "public_key": self.base64,
            "key_id": self.key_id,
            "fingerprint": self.fingerprint,
        }


def key_path() -> Path:
    return Path(settings.CASEFILES_SIGNING_KEY)


def _load(path: Path) -> Ed25519PrivateKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(
            f"the signing key {path} can be read by other users (mode {stat.filemode(mode)}); "
            f"run: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise SigningKeyError(f"the signing key {path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the signing key {path} is not an Ed25519 key")
    return key


def _create(path: Path, private: Ed25519PrivateKey | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = (private or Ed25519PrivateKey.generate()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Two processes creating the key at once end up sharing the first one, and nobody
    # reads a half-written file.
    with contextlib.suppress(files.AlreadyWritten):
        files.write_once(path, pem, mode=0o600)


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return PublicKey(
            self.private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    def sign(self, data: bytes) -> str:
        """Base64 of the Ed25519 signature over exactly `data`."""
        return base64.b64encode(self.private.sign(data)).decode("ascii")


def signing_key() -> SigningKey:
    path = key_path()
    if not path.exists():
        _create(path)
    return SigningKey(_load(path))


def next_key_path() -> Path:
    return key_path().with_name(key_path().name + ".next")


def prepare_next_key() -> SigningKey:
    """The key that will replace the current one, kept beside it until the rotation is
    recorded (a rotation interrupted half-way resumes with the same key)."""
    path = next_key_path()
    if not path.exists():
        _create(path)
    return SigningKey(_load(path))


def install_next_key(retired_key_id: str) -> Path:
    """Retire the current key file (renamed, never deleted) and put the next one in place."""
    current, following = key_path(), next_key_path()
    retired = current.with_name(f"{current.name}.retired-{retired_key_id}")
    os.link(current, retired)
    os.replace(following, current)
    return retired
