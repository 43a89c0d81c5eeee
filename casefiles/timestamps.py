"""Optional RFC 3161 time-stamps of the log's signed tree heads (docs/transparency-log.md,
"Time-stamps (RFC 3161)").

Where the operator configures a time-stamping authority (CASEFILES_TSA_URL), every new
tree head `publish()` signs is sent to it as SHA-256 of the head's note exactly as
published, and the TSA's answer, once checked (granted, over that hash, our nonce
echoed, and signed through CASEFILES_TSA_CA_FILE when given), is kept like the head
itself: written once next to it as `tree-head-<size>.tsr` and cached in the database
(TreeHeadTimestamp, append-only). Bundles carry it (casefiles/export/bundle.py).

A witness proves the log showed everyone the same tree; a time-stamp adds when, from a
party the operator does not control: the tree head, and every event it covers, existed
no later than the TSA's genTime.

A TSA that is down, slow or wrong must never stop the log: the head is published
anyway, a warning is logged, nothing is recorded, and the next tree head is sent
(a later head's time-stamp covers every earlier event, by consistency).
"""

import base64
import logging
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from casefiles import files, timestamp_tokens
from casefiles.models import TreeHead, TreeHeadTimestamp

# casefiles.transparency calls stamp_tree_head() from publish(), so it is imported here
# only inside the functions that need it.

log = logging.getLogger("casefiles.timestamps")

STAMP_FILE = "tree-head-{size:012d}.tsr"
# Publishing waits at most this long for the TSA (exports publish a tree head).
TIMEOUT = 10


def enabled() -> bool:
    return bool(settings.CASEFILES_TSA_URL)


def _ca() -> bytes | None:
    path = settings.CASEFILES_TSA_CA_FILE
    return Path(path).read_bytes() if path else None


def token_path(size: int) -> Path:
    # Beside the tree heads (casefiles.transparency.head_dir).
    return Path(settings.CASEFILES_CHECKPOINT_DIR) / STAMP_FILE.format(size=size)


def ask(data: bytes, url: str | None = None, ca: bytes | None = None) -> bytes:
    """The TSA's checked answer (DER TimeStampResp) for a time-stamp over SHA-256(data).
    Raises OSError when the TSA cannot be reached, TokenError when its answer is not a
    valid time-stamp of `data` for this request."""
    url = url or settings.CASEFILES_TSA_URL
    if not url.startswith(("http://", "https://")):
        raise timestamp_tokens.TokenError(f"CASEFILES_TSA_URL {url!r} is not an http(s) URL")
    query = timestamp_tokens.request(data)
    # The scheme is checked above: the operator's TSA, over http(s) only.
    post = urllib.request.Request(  # noqa: S310
        url,
        data=query.as_bytes(),
        method="POST",
        headers={
            "Content-Type": timestamp_tokens.QUERY_TYPE,
            "Accept": timestamp_tokens.REPLY_TYPE,
        },
    )
    with urllib.request.urlopen(post, timeout=TIMEOUT) as answer:  # noqa: S310
        response = answer.read(timestamp_tokens.MAX_RESPONSE_BYTES + 1)
    timestamp_tokens.check(response, data, ca=ca, nonce=query.nonce)
    return response


def stamp_tree_head(head: TreeHead) -> TreeHeadTimestamp | None:
    """Time-stamp a tree head just published, when a TSA is configured; never raises.
    Returns the stored time-stamp, or None (no TSA, or it failed: logged)."""
    if not enabled():
        return None
    try:
        return _stamp(head)
    except Exception as exc:  # a TSA's failure is never the log's: publish goes on
        log.warning(
            "tree head %d was not time-stamped by %s: %s; the next tree head will be sent",
            head.size,
            settings.CASEFILES_TSA_URL,
            exc,
        )
        return None


def _stamp(head: TreeHead) -> TreeHeadTimestamp:
    kept = TreeHeadTimestamp.objects.filter(size=head.size).first()
    if kept is not None:
        return kept
    data = head.note.encode("utf-8")
    ca = _ca()
    path = token_path(head.size)
    response = None
    if not path.exists():
        fresh = ask(data, ca=ca)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            files.write_once(path, fresh, mode=0o444)
            response = fresh
        except files.AlreadyWritten:
            pass  # another process's token for this head was written first: keep it
    if response is None:
        # Written earlier (by another process, or before a rolled-back transaction):
        # never overwritten, so it is the token, if it is one of this head.
        response = path.read_bytes()
    try:
        stamp = timestamp_tokens.check(response, data, ca=ca)
    except timestamp_tokens.TokenError as exc:
        log.error("%s is not a time-stamp of tree head %d: %s", path, head.size, exc)
        raise
    try:
        with transaction.atomic():
            return TreeHeadTimestamp.objects.create(
                size=head.size,
                token=base64.b64encode(response).decode("ascii"),
                gen_time=stamp.gen_time,
                tsa=settings.CASEFILES_TSA_URL,
            )
    except IntegrityError:
        return TreeHeadTimestamp.objects.get(size=head.size)


def token_of(size: int) -> bytes | None:
    """The DER time-stamp of tree head `size`, if it has one."""
    row = TreeHeadTimestamp.objects.filter(size=size).first()
    return None if row is None else base64.b64decode(row.token)
