import base64
import hashlib
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casefiles import signing


def test_key_is_created_once_with_mode_0600_and_reused(settings):
    path = settings.CASEFILES_SIGNING_KEY
    assert not path.exists()
    first = signing.signing_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.signing_key().public == first.public
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_public_key_id_fingerprint_and_signature():
    key = signing.signing_key()
    digest = hashlib.sha256(key.public.raw).hexdigest()
    assert len(key.public.raw) == 32
    assert key.public.key_id == digest[:16]
    assert key.public.fingerprint.replace(" ", "") == digest
    assert len(key.public.fingerprint.split()) == 16
    signature = key.sign(b"manifest bytes")
    Ed25519PublicKey.from_public_bytes(key.public.raw).verify(
        base64.b64decode(signature), b"manifest bytes"
    )


def test_a_key_others_can_read_is_refused(settings):
    signing.signing_key()
    settings.CASEFILES_SIGNING_KEY.chmod(0o644)
    with pytest.raises(signing.SigningKeyError, match="can be read by other users"):
        signing.signing_key()


def test_a_file_that_is_not_a_key_is_refused(settings):
    path = settings.CASEFILES_SIGNING_KEY
    path.parent.mkdir(parents=True)
    path.write_text("not a key")
    path.chmod(0o600)
    with pytest.raises(signing.SigningKeyError, match="is not a PEM private key"):
        signing.signing_key()
