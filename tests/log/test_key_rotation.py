"""Rotating the log's key: announced in the log, signed by both keys, covered by a tree
head of the old key; old tree heads still verify, and a forged announcement does not."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from casefiles import commands, integrity, signing, tlog, transparency
from casefiles.commands.log import signing_key_rotate
from casefiles.models import TreeHead
from casefiles.tlog import read_rotation as read_announcement
from tests.factories import open_case

pytestmark = pytest.mark.django_db


def test_rotation_keeps_every_tree_head_verifiable(actors, settings):
    case_id = open_case(actors["documenter"])
    before = transparency.publish()
    old = transparency.log_verifier()
    call_command("rotate_signing_key")
    new = transparency.log_verifier()
    assert new != old and new.name == old.name
    # The announcement is in the log, and the old key signed the head covering it.
    covering = TreeHead.objects.order_by("-size").first()
    assert covering.size == before.size + 1
    tlog.open_checkpoint(covering.note, old)
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="after")
    after = transparency.publish()
    tlog.open_checkpoint(after.note, new)
    with pytest.raises(tlog.LogError):
        tlog.open_checkpoint(after.note, old)
    assert transparency.log_verifiers() == [new, old]
    assert transparency.verify_log(case_versions=integrity.case_versions()).ok
    # The old private key is kept, unused, and no longer signs.
    retired = list(settings.CASEFILES_SIGNING_KEY.parent.glob("*.retired-*"))
    assert len(retired) == 1
    assert signing.signing_key().public.raw == new.public


def test_an_announcement_not_signed_by_the_old_key_is_refused(db):
    origin = "casefiles.test/log"
    old_key, new_key, stranger = (Ed25519PrivateKey.generate() for _ in range(3))
    old = tlog.verifier_for(old_key, origin)
    outcome = signing_key_rotate(origin=origin, old_private=old_key, new_private=new_key)
    announcement = outcome.events[0].payload["announcement"]
    assert read_announcement(announcement, old) == tlog.verifier_for(new_key, origin)
    # The same announcement, "signed" by a stranger instead of the old key.
    text = tlog.parse_note(announcement).text
    forged = tlog.Note(
        text,
        (
            *tlog.sign_note(text, stranger, origin).signatures,
            *tlog.sign_note(text, new_key, origin).signatures,
        ),
    ).render()
    with pytest.raises(tlog.LogError, match="not signed by"):
        read_announcement(forged, old)
    with pytest.raises(tlog.LogError):
        read_announcement(announcement, tlog.verifier_for(stranger, origin))
