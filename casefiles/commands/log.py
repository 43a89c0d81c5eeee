"""The transparency log's own commands: replacing its signing key (docs/transparency-log.md,
"Key rotation"). The announcement is an event in the log's own stream, so a tree head
signed by the old key covers it before the new key signs anything."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casefiles import eventstore, tlog
from casefiles.commands.base import Outcome, command, write
from casefiles.domain.actors import SYSTEM, Actor
from casefiles.domain.events import SIGNING_KEY_ROTATED
from casefiles.errors import InvalidCommand
from casefiles.eventstore import NewEvent


@command
def signing_key_rotate(
    *, origin: str, old_private: Ed25519PrivateKey, new_private: Ed25519PrivateKey
) -> Outcome:
    """Record that the log's key `old_private` hands over to `new_private`, signed by both."""
    old = tlog.verifier_for(old_private, origin)
    new = tlog.verifier_for(new_private, origin)
    if old == new:
        raise InvalidCommand("the new key is the old key")
    text = tlog.rotation_text(origin, old, new)
    note = tlog.Note(
        text,
        (
            *tlog.sign_note(text, old_private, origin).signatures,
            *tlog.sign_note(text, new_private, origin).signatures,
        ),
    )
    stream = tlog.log_stream(origin)
    version, _ = eventstore.head(stream)
    return write(
        str(stream),
        actor=Actor.system("log"),
        role=SYSTEM,
        expected_version=version,
        events=[
            NewEvent(
                SIGNING_KEY_ROTATED.name,
                {
                    "origin": origin,
                    "old_vkey": old.vkey,
                    "new_vkey": new.vkey,
                    "announcement": note.render(),
                },
            )
        ],
    )
