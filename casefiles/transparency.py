"""The transparency log over every event (docs/transparency-log.md).

Events are committed by commands as before; the log integrates them afterwards, in the
order of their global position, the way Certificate Transparency logs integrate
submissions (a sequencer with a maximum merge delay): `sequence()` appends the new
events' leaves and the perfect subtrees they complete, `publish()` signs a tree head
(a C2SP checkpoint) and writes it to CASEFILES_CHECKPOINT_DIR, outside the database,
never overwriting a file. Tree heads are taken by Celery beat, at every export and by
`manage.py checkpoint`. `verify_log()` recomputes the tree from the events themselves
and checks it against every signed tree head it can find.

The write path pays nothing for the log but a shared advisory lock taken in the
statement that reads the chain's head (eventstore.head): `sequence()` takes the same
lock exclusively for an instant, so that every position below the highest it then reads
belongs to a committed (or rolled back) transaction. That is what makes the log's order
exactly the order of positions, with no event skipped.
"""

import logging
import os
import re
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q

from casefiles import files, signing, tlog
from casefiles.domain.hashing import GENESIS_HASH, HASHED_FIELDS, event_hash
from casefiles.eventstore import WRITERS_LOCK
from casefiles.models import Cosignature, Event, IntegrityAlert, LogLeaf, LogNode, TreeHead
from casefiles.timestamps import stamp_tree_head

log = logging.getLogger("casefiles.transparency")

# Keeps two sequencers from integrating the same events (PostgreSQL advisory lock);
# eventstore.WRITERS_LOCK is the one writers hold.
SEQUENCER_LOCK = 0x6361_7365_6C6F_6702
BATCH = 5000
HEAD_FILE = "tree-head-{size:012d}.txt"
HEAD_NAME = re.compile(r"tree-head-[0-9]{12}\.txt")
COSIGNATURE_FILE = "tree-head-{size:012d}.{name}-{key_id}.cosignature"


class LogInconsistent(RuntimeError):
    """The stored tree contradicts a tree head that was signed: never sign over it."""


# --- Keys and places ------------------------------------------------------------------


def origin() -> str:
    return tlog.check_name(settings.CASEFILES_LOG_ORIGIN, "CASEFILES_LOG_ORIGIN")


def log_verifier(key: signing.SigningKey | None = None) -> tlog.Verifier:
    key = key or signing.signing_key()
    return tlog.Verifier(origin(), tlog.ED25519, key.public.raw)


def key_rotations() -> list[str]:
    """The announcements of the log's key rotations, oldest first (SigningKeyRotated
    events in the log's own stream)."""
    return [
        payload["announcement"]
        for payload in Event.objects.filter(
            case_id=tlog.log_stream(origin()), type="SigningKeyRotated"
        )
        .order_by("version")
        .values_list("payload", flat=True)
    ]


def log_verifiers() -> list[tlog.Verifier]:
    """Every key the log has signed with: the first one announced as replaced, each key
    its announcement introduced (checked: signed by the key before and by itself), and
    the current key, newest first."""
    keys: list[tlog.Verifier] = []
    for text in key_rotations():
        note = tlog.parse_note(text)
        old = tlog.parse_vkey(note.text.split("\n")[2][4:])
        if keys and old != keys[-1]:
            raise tlog.LogError(
                f"a key rotation replaces {old.vkey}, which is not the "
                f"key the previous rotation introduced"
            )
        new = tlog.read_rotation(text, old)
        keys.extend([old, new] if not keys else [new])
    current = log_verifier()
    if current not in keys:
        keys.append(current)
    return list(reversed(keys))


def witnesses() -> list[tlog.Verifier]:
    return [tlog.parse_vkey(text) for text in settings.CASEFILES_WITNESSES]


def head_dir() -> Path:
    return Path(settings.CASEFILES_CHECKPOINT_DIR)


# --- Sequencing -----------------------------------------------------------------------


def _committed_position() -> int | None:
    """The highest position below which every transaction has ended; None when a writer
    stays in flight longer than CASEFILES_SEQUENCER_WAIT seconds (the log then waits
    for the next round rather than stalling anyone)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # SQLite serialises writers: positions are taken and committed in order.
            cursor.execute(f"SELECT COALESCE(MAX(position), 0) FROM {Event._meta.db_table}")  # noqa: S608
            return cursor.fetchone()[0]
        # Every position handed out so far went to a transaction that took the writers'
        # lock before it (eventstore.head). Wait for those holding it now to end, as
        # CREATE INDEX CONCURRENTLY waits for older transactions: new writers never wait.
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'position')", [Event._meta.db_table])
        cursor.execute(f"SELECT last_value FROM {cursor.fetchone()[0]}")  # noqa: S608
        upto = cursor.fetchone()[0]
        # pg_locks lists the whole cluster; advisory locks belong to one database, and a
        # writer of another database (another deployment, a restore) is none of ours.
        holders = (
            "SELECT COALESCE(array_agg(virtualtransaction), '{}') FROM pg_locks "
            "WHERE locktype = 'advisory' AND classid = %s::oid AND objid = %s::oid "
            "AND objsubid = 1 AND granted AND pid <> pg_backend_pid() "
            "AND database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())"
        )
        key = [WRITERS_LOCK >> 32, WRITERS_LOCK & 0xFFFF_FFFF]
        cursor.execute(holders, key)
        waiting = cursor.fetchone()[0]
        deadline = time.monotonic() + settings.CASEFILES_SEQUENCER_WAIT
        pause = 0.002
        while waiting:
            if time.monotonic() > deadline:
                log.warning(
                    "%d transaction(s) that may add events stayed open more than "
                    "%s s; the log integrates them at a later round",
                    len(waiting),
                    settings.CASEFILES_SEQUENCER_WAIT,
                )
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            cursor.execute(holders + " AND virtualtransaction = ANY(%s)", [*key, waiting])
            waiting = cursor.fetchone()[0]
        return upto


def _node_getter(cache: dict[tuple[int, int], bytes] | None = None):
    cache = {} if cache is None else cache

    def node(level: int, index: int) -> bytes:
        if (level, index) not in cache:
            if level == 0:
                value = LogLeaf.objects.values_list("hash", flat=True).get(index=index)
            else:
                value = LogNode.objects.values_list("hash", flat=True).get(level=level, index=index)
            cache[level, index] = bytes.fromhex(value)
        return cache[level, index]

    return node


def _prefetch(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored subtrees `keys` in two queries (leaves, nodes)."""
    keys = set(keys)
    found = {}
    leaves = [index for level, index in keys if level == 0]
    for index, value in LogLeaf.objects.filter(index__in=leaves).values_list("index", "hash"):
        found[0, index] = bytes.fromhex(value)
    wanted = Q()
    for level, index in keys:
        if level:
            wanted |= Q(level=level, index=index)
    if wanted:
        for level, index, value in LogNode.objects.filter(wanted).values_list(
            "level", "index", "hash"
        ):
            found[level, index] = bytes.fromhex(value)
    return found


def log_size() -> int:
    last = LogLeaf.objects.aggregate(top=Max("index"))["top"]
    return 0 if last is None else last + 1


def _frontier(size: int) -> tlog.Frontier:
    keys = [(level, (size >> level) - 1) for level in tlog.Frontier.levels_of(size)]
    return tlog.Frontier.at(size, _node_getter(_prefetch(keys)))


def sequence() -> int:
    """Integrate the committed events not yet in the log; returns how many. O(log n)
    hashes and at most two rows per event; the tree is never re-read or re-hashed."""
    upto = _committed_position()
    if upto is None:
        return 0
    added = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT pg_advisory_xact_lock({SEQUENCER_LOCK})")
            size = log_size()
            last = (
                LogLeaf.objects.filter(index=size - 1).values_list("position", flat=True).first()
                if size
                else 0
            )
            batch = list(
                Event.objects.filter(position__gt=last, position__lte=upto)
                .order_by("position")
                .values_list("position", "hash")[:BATCH]
            )
            if not batch:
                return added
            frontier = _frontier(size)
            leaves, nodes = [], []
            for position, event_hash_hex in batch:
                leaf = tlog.event_leaf(event_hash_hex)
                for level, index, digest in frontier.append(leaf):
                    if level == 0:
                        leaves.append(LogLeaf(index=index, position=position, hash=digest.hex()))
                    else:
                        nodes.append(LogNode(level=level, index=index, hash=digest.hex()))
            try:
                LogLeaf.objects.bulk_create(leaves)
                LogNode.objects.bulk_create(nodes)
            except IntegrityError:
                # SQLite: another sequencer integrated these events first.
                return added
            added += len(leaves)


def tree() -> tlog.Tree:
    return tlog.Tree(_node_getter())


def _proof_tree(plan) -> tlog.Tree:
    """A tree whose nodes are read in one round: `plan(tree)` is run once to learn which
    stored subtrees it needs, then again over the prefetched ones."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return b"\0" * 32

    plan(tlog.Tree(record))
    return tlog.Tree(_node_getter(_prefetch(wanted)))


def inclusion_proof(index: int, size: int) -> list[bytes]:
    def plan(t):
        return t.inclusion_proof(index, size)

    return plan(_proof_tree(plan))


def consistency_proof(old: int, new: int) -> list[bytes]:
    def plan(t):
        return t.consistency_proof(old, new)

    return plan(_proof_tree(plan))


def root_at(size: int) -> bytes:
    def plan(t):
        return t.root(size)

    return plan(_proof_tree(plan))


def leaf_of(case_id, version: int) -> LogLeaf | None:
    position = (
        Event.objects.filter(case_id=case_id, version=version)
        .values_list("position", flat=True)
        .first()
    )
    return None if position is None else LogLeaf.objects.filter(position=position).first()


# --- Tree heads -----------------------------------------------------------------------


def _write_once(path: Path, data: bytes) -> bool:
    """Create `path` with `data`; never overwrite. Returns False if the same bytes were
    already there; raises LogInconsistent if different bytes were."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return files.write_once(path, data, mode=0o444)
    except files.AlreadyWritten as exc:
        raise LogInconsistent(str(exc)) from None


@dataclass(frozen=True)
class SignedHead:
    checkpoint: tlog.Checkpoint
    note: tlog.Note
    source: str

    @property
    def size(self) -> int:
        return self.checkpoint.size


def _read_head(data: bytes, source: str, verifiers: list[tlog.Verifier]) -> SignedHead:
    errors = []
    for verifier in verifiers:
        try:
            checkpoint, note = tlog.open_checkpoint(data, verifier)
            return SignedHead(checkpoint, note, source)
        except tlog.LogError as exc:
            errors.append(str(exc))
    raise tlog.LogError(f"{source}: {errors[0] if errors else 'no log key'}")


def stored_heads(
    extra: Iterable[Path] = (), verifiers: list[tlog.Verifier] | None = None
) -> Iterator[SignedHead]:
    """Every signed tree head kept: the files outside the database first, the cache,
    and any file an auditor brings. A head that does not verify is an error."""
    verifiers = verifiers or log_verifiers()
    for path in [*_head_files(), *extra]:
        yield _read_head(Path(path).read_bytes(), str(path), verifiers)
    for row in TreeHead.objects.order_by("size").iterator():
        yield _read_head(
            row.note.encode("utf-8"), f"tree head {row.size} in the database", verifiers
        )


def _head_files() -> list[Path]:
    """The tree-head files, in size order (their names are zero-padded sizes)."""
    directory = head_dir()
    if not directory.is_dir():
        return []
    with os.scandir(directory) as entries:
        names = sorted(entry.name for entry in entries if HEAD_NAME.fullmatch(entry.name))
    return [directory / name for name in names]


def latest_file_head(verifiers: list[tlog.Verifier]) -> SignedHead | None:
    directory = head_dir()
    if not directory.is_dir():
        return None
    with os.scandir(directory) as entries:
        latest = max(
            (entry.name for entry in entries if HEAD_NAME.fullmatch(entry.name)), default=None
        )
    if latest is None:
        return None
    path = directory / latest
    return _read_head(path.read_bytes(), str(path), verifiers)


def publish(now: datetime | None = None) -> TreeHead:
    """Sequence, then sign and publish a tree head of the whole log, unless the latest
    one already covers it. Refuses to sign a tree that contradicts the last published
    head (the log must never sign two inconsistent views)."""
    sequence()
    key = signing.signing_key()
    verifier = log_verifier(key)
    size = log_size()
    latest = TreeHead.objects.order_by("-size").first()
    if latest is not None and latest.size == size:
        return latest
    previous = latest_file_head(log_verifiers())
    if previous is not None:
        if previous.size > size:
            raise LogInconsistent(
                f"the log has {size} leaves but {previous.source} was "
                f"signed at {previous.size}: entries were removed"
            )
        if previous.size and root_at(previous.size) != previous.checkpoint.root:
            raise LogInconsistent(
                f"the stored tree at size {previous.size} does not match "
                f"{previous.source}: history was rewritten"
            )
    checkpoint = tlog.Checkpoint(verifier.name, size, root_at(size))
    note = tlog.sign_checkpoint(checkpoint, key.private)
    text = note.render()
    _write_once(head_dir() / HEAD_FILE.format(size=size), text.encode("utf-8"))
    head, _ = TreeHead.objects.get_or_create(
        size=size,
        defaults={
            "root_hash": checkpoint.root.hex(),
            "note": text,
            "taken_at": now or datetime.now(UTC),
        },
    )
    log.info("published tree head %d", size)
    stamp_tree_head(head)  # when a TSA is configured; never raises
    return head


def latest_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-size").first()


def cosigned_note(head: TreeHead) -> str:
    """The tree head with the cosignatures received for it."""
    note = tlog.parse_note(head.note)
    lines = Cosignature.objects.filter(tree_size=head.size).values_list("line", flat=True)
    return note.render() + "".join(lines)


def _cosigned(size: int, line: str):
    """The tree head of `size`, the signature on `line` and the configured witness whose
    key made it, verified; UnknownWitness for any other signer."""
    head = TreeHead.objects.filter(size=size).first()
    if head is None:
        raise tlog.LogError(f"there is no tree head of size {size}")
    note = tlog.parse_note(head.note + line.rstrip("\n") + "\n")
    signature = note.signatures[-1]
    witness = next(
        (w for w in witnesses() if w.name == signature.name and w.key_id == signature.key_id), None
    )
    if witness is None:
        raise UnknownWitness(
            f"{signature.name} (key id {signature.key_id.hex()}) is not a "
            "witness this log knows (CASEFILES_WITNESSES)"
        )
    timestamp = tlog.verify_cosignature(note.text, signature, witness)
    return signature, witness, timestamp


def cosignature_add(size: int, line: str) -> Cosignature:
    """Store a witness's cosignature of tree head `size` once it verifies against a
    configured witness key; also written outside the database next to the head."""
    return _store(size, *_cosigned(size, line))


def _store(size: int, signature, witness, timestamp) -> Cosignature:
    existing = Cosignature.objects.filter(tree_size=size, witness=witness.vkey).first()
    if existing is not None:
        return existing
    text = signature.line()
    name = "".join(c if c.isalnum() or c in ".-_" else "_" for c in witness.name)
    path = head_dir() / COSIGNATURE_FILE.format(size=size, name=name, key_id=witness.key_id.hex())
    _write_once(path, text.encode("utf-8"))
    return Cosignature.objects.create(
        tree_size=size,
        witness=witness.vkey,
        line=text,
        timestamp=timestamp,
        received_at=datetime.now(UTC),
    )


# --- Verification ---------------------------------------------------------------------


@dataclass
class LogReport:
    events: int = 0
    cases: int = 0
    leaves: int = 0
    unsequenced: int = 0
    heads: int = 0
    largest_head: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.problems:
            return "\n".join(f"BROKEN {problem}" for problem in self.problems)
        return (
            f"OK {self.events} event(s) in {self.cases} case(s); the log's {self.leaves} "
            f"leaves match all {self.heads} signed tree head(s) (largest {self.largest_head})"
            f"; {self.unsequenced} event(s) not yet in a tree head"
        )


def _heads_by_size(heads: Iterable[SignedHead], report: LogReport) -> dict[int, SignedHead]:
    by_size: dict[int, SignedHead] = {}
    for head in heads:
        seen = by_size.get(head.size)
        if seen is not None and seen.checkpoint.root != head.checkpoint.root:
            report.problems.append(
                f"two signed tree heads of size {head.size} with different roots "
                f"({seen.source}, {head.source}): the log forked"
            )
        by_size.setdefault(head.size, head)
    return by_size


def _events() -> Iterator[tuple]:
    columns = ("position", *HASHED_FIELDS, "hash")
    yield from Event.objects.order_by("position").values_list(*columns).iterator(chunk_size=BATCH)


def _leaves() -> Iterator[tuple[int, int, str]]:
    yield from (
        LogLeaf.objects.order_by("index")
        .values_list("index", "position", "hash")
        .iterator(chunk_size=BATCH)
    )


def verify_log(
    extra: Iterable[Path] = (),
    verifiers: list[tlog.Verifier] | None = None,
    case_versions: dict[str, int] | None = None,
) -> LogReport:
    """Recompute everything from the events alone, in one pass in position order:
    each case's chain, the log's leaves, and the tree's root at the size of every
    signed tree head (files outside the database, the cache, and `extra`). Any edit,
    deletion or reordering of an event that a tree head covers changes a root."""
    report = LogReport()
    try:
        heads = _heads_by_size(stored_heads(extra, verifiers), report)
    except tlog.LogError as exc:
        report.problems.append(f"a signed tree head does not verify: {exc}")
        return report
    report.heads = len(heads)
    report.largest_head = max(heads, default=0)
    targets = deque(sorted(size for size in heads if size))
    frontier = tlog.Frontier()
    chains: dict[str, tuple[int, str]] = {}
    leaves = _leaves()
    leaf = next(leaves, None)
    problems = report.problems

    def check_target() -> None:
        while targets and targets[0] == frontier.size:
            head = heads[targets.popleft()]
            if frontier.root() != head.checkpoint.root:
                problems.append(
                    f"the log's first {head.size} events do not hash to the root signed in "
                    f"{head.source}: events it covers were changed, removed, added or "
                    "reordered"
                )

    for row in _events():
        position, record = row[0], dict(zip((*HASHED_FIELDS, "hash"), row[1:], strict=True))
        case_id = str(record["case_id"])
        record["case_id"] = case_id
        report.events += 1
        version, prev = chains.get(case_id, (0, GENESIS_HASH))
        where = f"case {case_id} version {record['version']} (position {position})"
        if record["version"] != version + 1:
            problems.append(f"{where}: expected version {version + 1} of the case")
        elif record["prev_hash"] != prev:
            problems.append(f"{where}: prev_hash does not match the previous event's hash")
        elif event_hash({name: record[name] for name in HASHED_FIELDS}) != record["hash"]:
            problems.append(f"{where}: the stored hash does not match the event's content")
        chains[case_id] = (record["version"], record["hash"])
        while leaf is not None and leaf[1] < position:
            problems.append(
                f"leaf {leaf[0]} belongs to event position {leaf[1]}, which is "
                "gone from the event store"
            )
            frontier.append(bytes.fromhex(leaf[2]))  # keep counting; the roots will differ
            check_target()
            leaf = next(leaves, None)
        if leaf is None or leaf[1] > position:
            if leaf is not None:
                problems.append(f"{where} is not in the log although later events are")
            else:
                report.unsequenced += 1
            continue
        index, _, stored = leaf
        computed = tlog.event_leaf(record["hash"])
        if index != frontier.size:
            problems.append(f"leaf {index} is stored where leaf {frontier.size} belongs")
        if stored != computed.hex():
            problems.append(f"leaf {index} does not hash the event at position {position}")
        frontier.append(computed)
        check_target()
        leaf = next(leaves, None)
        if len(problems) > 50:
            break
    while leaf is not None and len(problems) <= 50:
        problems.append(
            f"leaf {leaf[0]} belongs to event position {leaf[1]}, which is gone "
            "from the event store"
        )
        leaf = next(leaves, None)
    report.leaves = frontier.size
    report.cases = len(chains)
    for size in targets:
        problems.append(
            f"{heads[size].source} was signed with {size} leaves; the log now "
            f"has {frontier.size}: entries were removed"
        )
    for case_id, version in (case_versions or {}).items():
        stored_version = chains.get(case_id, (0, ""))[0]
        if stored_version != version:
            problems.append(
                f"case {case_id}: the case file records version {version} but "
                f"its chain ends at version {stored_version}"
            )
    return report


def alert(report: LogReport) -> None:
    """Record a failed verification where staff see it (the admin index) and in the log."""
    for problem in report.problems[:20]:
        IntegrityAlert.objects.create(
            detected_at=datetime.now(UTC),
            case_id=None,
            reference="transparency log",
            version=None,
            reason=problem[:2000],
        )
        log.error("transparency log: %s", problem)


# --- Reads and writes for the HTTP API (casefiles/api/log.py) --------------------------


class UnknownWitness(tlog.LogError):
    """A cosignature by a key that is not among CASEFILES_WITNESSES."""


def tree_head(size: int) -> TreeHead | None:
    """The tree head published at `size`, if any."""
    return TreeHead.objects.filter(size=size).first()


@dataclass(frozen=True)
class EventInclusion:
    leaf_index: int
    tree_size: int
    event_hash: str
    proof: list[bytes]


def event_inclusion(case_id, version: int, size: int) -> EventInclusion | None:
    """The inclusion proof of a case's event in the tree of `size` leaves (size at most
    log_size()); None when the event is not among that tree's leaves."""
    leaf = leaf_of(case_id, version)
    if leaf is None or leaf.index >= size:
        return None
    event_hash_hex = Event.objects.values_list("hash", flat=True).get(position=leaf.position)
    return EventInclusion(leaf.index, size, event_hash_hex, inclusion_proof(leaf.index, size))


def cosignature_receive(size: int, line: str) -> tuple[Cosignature, bool]:
    """A cosignature as a witness sends it over HTTP: one note signature line for the
    published tree head `size`. Returns the stored cosignature and whether it is new (a
    witness sending again gets the one stored first). Raises UnknownWitness when the
    signer is not a configured witness, LogError when the line does not parse or verify
    or no tree head of that size was published, LogInconsistent when another
    cosignature of that witness for that size is already kept outside the database."""
    line = line.rstrip("\n")
    if "\n" in line:
        raise tlog.LogError("a cosignature is a single note signature line")
    signature, witness, timestamp = _cosigned(size, line)
    stored = Cosignature.objects.filter(tree_size=size, witness=witness.vkey)
    existed = stored.exists()
    try:
        with transaction.atomic():
            return _store(size, signature, witness, timestamp), not existed
    except IntegrityError:
        # Two deliveries of the same witness's cosignature at once: the first one won.
        return stored.get(), False
    except LogInconsistent:
        kept = stored.first()
        if kept is None:
            raise
        return kept, False
