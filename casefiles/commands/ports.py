"""Background work as the commands see it: a named job queued with an id, after commit.

Commands never import casefiles.tasks, whose tasks call commands: that would be an
import circle (commands → tasks → commands). Instead casefiles.tasks registers each task
here when it is imported, which the app does at start-up (CasefilesConfig.ready), and a
command asks for the work by name.
"""

from collections.abc import Callable

from django.db import transaction

INGEST_DOCUMENT = "ingest_document"
EXPORT_BUNDLE = "export_bundle"

_QUEUES: dict[str, Callable[[str], object]] = {}


def register(name: str, enqueue: Callable[[str], object]) -> None:
    """`enqueue(job_id)` starts the background work `name` (tasks.py: the task's delay)."""
    _QUEUES[name] = enqueue


def enqueue_on_commit(name: str, job_id: str) -> None:
    """Queue `name` for `job_id` once the command's transaction commits: a job row that
    was rolled back never gets a task, and the task always finds its row."""
    if name not in _QUEUES:
        raise LookupError(
            f"no background task registered for {name!r}; casefiles.tasks "
            "registers them when the app starts"
        )
    enqueue = _QUEUES[name]
    transaction.on_commit(lambda: enqueue(job_id))
