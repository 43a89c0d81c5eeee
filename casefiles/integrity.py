"""Whole-store verification: every chain, its projection head, and earlier checkpoints."""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Max

from casefiles import eventstore
from casefiles.models import CaseFile, Checkpoint, Event, IntegrityAlert

log = logging.getLogger("casefiles.integrity")


@dataclass(frozen=True)
class Break:
    case_id: str
    reference: str
    version: int
    reason: str

    def __str__(self):
        return f"BROKEN {self.reference} version {self.version}: {self.reason}"


@dataclass(frozen=True)
class Summary:
    cases: int
    events: int
    broken: Break | None


def _checkpoints() -> dict:
    latest = Checkpoint.objects.values("case_id").annotate(last=Max("taken_at"))
    wanted = {(row["case_id"], row["last"]) for row in latest}
    return {
        cp.case_id: cp
        for cp in Checkpoint.objects.filter(case_id__in=[c for c, _ in wanted])
        if (cp.case_id, cp.taken_at) in wanted
    }


def verify(case_ids: Iterable | None = None) -> Summary:
    """Stops at the first broken case, naming the version and the reason."""
    checkpoints = _checkpoints()
    cases = events = 0
    for case_id in list(case_ids if case_ids is not None else eventstore.case_ids()):
        with eventstore.snapshot():
            # The case file's head and its chain read from one snapshot: a command
            # committing meanwhile must not look like missing events.
            head = CaseFile.objects.filter(pk=case_id).values_list("reference", "version").first()
            reference, recorded = head or (str(case_id), None)
            problem = _check(case_id, reference, recorded, checkpoints.get(case_id))
        if isinstance(problem, Break):
            return Summary(cases, events, problem)
        cases += 1
        events += problem
    return Summary(cases, events, None)


def _check(case_id, reference, recorded, checkpoint) -> Break | int:
    report = eventstore.verify_case(case_id)
    if report.failure is not None:
        return Break(str(case_id), reference, report.failure.version, report.failure.reason)
    if recorded is not None and recorded != report.count:
        return Break(
            str(case_id),
            reference,
            report.count + 1,
            f"the chain ends at version {report.count} but the case file records "
            f"version {recorded} (events missing at the end)",
        )
    if checkpoint is not None:
        taken = checkpoint.taken_at.isoformat()
        if report.count < checkpoint.version:
            return Break(
                str(case_id),
                reference,
                report.count + 1,
                f"the chain ends at version {report.count} but a checkpoint taken "
                f"{taken} saw version {checkpoint.version} (events removed)",
            )
        stored = (
            Event.objects.filter(case_id=case_id, version=checkpoint.version)
            .values_list("hash", flat=True)
            .first()
        )
        if stored != checkpoint.head_hash:
            return Break(
                str(case_id),
                reference,
                checkpoint.version,
                f"rewritten since the checkpoint taken {taken}: the hash of version "
                f"{checkpoint.version} differs",
            )
    return report.count


def take_checkpoints() -> int:
    """Record each case's current head where it moved since its last checkpoint."""
    now = datetime.now(UTC)
    known = {cp.case_id: cp.version for cp in _checkpoints().values()}
    new = []
    heads = Event.objects.values("case_id").annotate(version=Max("version"))
    for head in heads.iterator():
        if known.get(head["case_id"]) == head["version"]:
            continue
        head_hash = Event.objects.values_list("hash", flat=True).get(
            case_id=head["case_id"], version=head["version"]
        )
        new.append(
            Checkpoint(
                case_id=head["case_id"], version=head["version"], head_hash=head_hash, taken_at=now
            )
        )
    Checkpoint.objects.bulk_create(new, batch_size=1000)
    return len(new)


def case_versions() -> dict[str, int]:
    """Each case file's recorded version (the read model), to compare with its chain."""
    return {
        str(case_id): version
        for case_id, version in CaseFile.objects.values_list("pk", "version").iterator()
    }


def nightly() -> Summary:
    """Verify everything; on a break raise an alert and log an error (never repair);
    when intact, checkpoint the heads so later tampering is caught against them."""
    summary = verify()
    if summary.broken is not None:
        broken = summary.broken
        IntegrityAlert.objects.create(
            detected_at=datetime.now(UTC),
            case_id=broken.case_id,
            reference=broken.reference,
            version=broken.version,
            reason=broken.reason,
        )
        log.error("event chain broken: %s", broken, extra={"case": broken.reference})
    else:
        count = take_checkpoints()
        log.info(
            "verified %d case(s), %d event(s); %d checkpoint(s) taken",
            summary.cases,
            summary.events,
            count,
        )
    return summary


def open_alerts() -> Iterator[IntegrityAlert]:
    return IntegrityAlert.objects.all()[:20].iterator()
