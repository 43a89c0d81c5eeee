from django.core.management.base import BaseCommand, CommandError

from casefiles import signing, transparency
from casefiles.commands.log import signing_key_rotate


class Command(BaseCommand):
    help = (
        "Replace the log's signing key: the new key is announced in the log itself, "
        "signed by the old key and the new one, a tree head signed by the old key "
        "covers the announcement, then the new key takes over (docs/transparency-log.md)."
    )

    def handle(self, *args, **options):
        try:
            old = signing.signing_key()
            new = signing.prepare_next_key()
            origin = transparency.origin()
            new_vkey = transparency.log_verifier(new).vkey
            if not any(new_vkey in text for text in transparency.key_rotations()):
                signing_key_rotate(origin=origin, old_private=old.private, new_private=new.private)
            head = transparency.publish()
            retired = signing.install_next_key(old.public.key_id)
        except (signing.SigningKeyError, transparency.LogInconsistent) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"the log's key is now {new_vkey}\n"
            f"tree head {head.size}, signed by the old key "
            f"{transparency.log_verifier(old).vkey}, covers the announcement\n"
            f"the old private key is kept, unused, in {retired}\n"
            "publish the new verifier key to auditors and witnesses"
        )
