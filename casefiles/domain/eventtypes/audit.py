"""Records of reading and of the log itself: exports, and the log's key rotation."""

from casefiles.domain.eventtype import LOG, NO_STATE, EventType, Payload, register


@register
class CaseExported(EventType):
    """The audit trail includes its own reading."""

    schema = 1
    required = ("export_id", "kind", "exported_version", "head_hash", "format")
    effect = NO_STATE

    def describe(self, p: Payload) -> str:
        return (
            f"Exported the history up to version {p['exported_version']} "
            f"({p['kind']} {p['format']} bundle, head hash {p['head_hash'][:12]}…)"
        )


@register
class SigningKeyRotated(EventType):
    """In the transparency log's own stream, uuid5(LOG_STREAM_NAMESPACE, origin): a new
    signing key announced by the old one (docs/transparency-log.md, "Key rotation")."""

    schema = 1
    required = ("origin", "old_vkey", "new_vkey", "announcement")
    stream = LOG
    effect = NO_STATE

    def describe(self, p: Payload) -> str:
        return (
            f"Replaced the log's signing key {p['old_vkey'].split('+')[1]} with "
            f"{p['new_vkey'].split('+')[1]}, announced and signed by both keys"
        )
