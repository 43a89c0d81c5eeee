"""Helpers that drive cases through real commands (no shortcuts into read models)."""

from casefiles import blobs, commands
from casefiles.domain.actors import Actor
from casefiles.selectors import case_state

# Submits documents in tests as an operator would from the server (manage.py ingest).
SUBMITTER = Actor.system("manage.py ingest")


def open_case(actor, **overrides):
    fields = {
        "title": "Order to kill civilians near Bucha",
        "summary": "Intercepted call: a commander ordered troops to kill civilians.",
        "categories": ["wilful_killing"],
        "places": ["Bucha"],
        "incident_from": "2022-03-01",
        "incident_to": "2022-03-31",
    }
    fields.update(overrides)
    return commands.case_open(actor=actor, **fields).case_id


def attach(actor, case_id, origins, title="Report", **extra):
    return commands.source_attach(
        actor=actor,
        case_id=case_id,
        title=title,
        origins=origins,
        excerpt="…kill everyone we see…",
        **extra,
    )


def attach_lost_original(actor, case_id, data: bytes) -> str:
    """An exhibit whose original went missing from the blob store after it was attached
    (a phantom hash cannot be attached any more); returns its hash."""
    sha = blobs.put(data)
    attach(actor, case_id, ["AP"], content_sha256=sha)
    path = blobs.path_for(sha)
    path.chmod(0o644)
    path.unlink()
    return sha


def move(requester, supervisor, case_id, to_state):
    outcome = commands.transition_request(
        actor=requester, case_id=case_id, to_state=to_state, reason=f"ready for {to_state}"
    )
    request_id = outcome.events[0].payload["request_id"]
    commands.transition_approve(actor=supervisor, request_id=request_id, reason="agreed")
    return case_state(case_id)


def histories(actor, cases=3, notes=4):
    """`cases` cases of 1 + `notes` events each, opened and written in turn."""
    ids = []
    for n in range(cases):
        case_id = open_case(actor, title=f"Case {n}")
        for i in range(notes):
            commands.note_add(actor=actor, case_id=case_id, text=f"note {i}")
        ids.append(case_id)
    return ids


def suggest_link(case_a, case_b, reasons=("same place, same day",), relation="same_incident"):
    """A suggested link between two cases, written as ingestion writes it (the system
    actor `ingest`, one LinkSuggested on each case); returns the link id."""
    import uuid

    from django.db import transaction

    from casefiles.commands.base import begin
    from casefiles.domain.actors import SYSTEM, Actor
    from casefiles.domain.events import LINK_SUGGESTED
    from casefiles.eventstore import NewEvent

    ingest = Actor.system("ingest")
    link_id = str(uuid.uuid4())
    with transaction.atomic():
        this = begin(ingest, None, str(case_a), role=SYSTEM, writable=False)
        other = begin(ingest, None, str(case_b), role=SYSTEM, writable=False)
        for change, counterpart in ((this, other), (other, this)):
            change.write(
                NewEvent(
                    LINK_SUGGESTED.name,
                    {
                        "link_id": link_id,
                        "other_case_id": counterpart.case_id,
                        "other_reference": counterpart.case.reference,
                        "relation": relation,
                        "reasons": list(reasons),
                    },
                )
            )
    return link_id


def close(documenter, legal, supervisor, case_id):
    """Walk a case from intake to closed through real requests and approvals."""
    move(documenter, supervisor, case_id, "sourcing")
    attach(documenter, case_id, ["The New York Times"])
    move(documenter, supervisor, case_id, "corroboration")
    attach(documenter, case_id, ["UN Human Rights Monitoring Mission in Ukraine"])
    move(legal, supervisor, case_id, "legal_review")
    commands.case_edit(
        actor=legal,
        case_id=case_id,
        outcome="referred",
        legal_qualification="Referred to the national prosecutor under art. 8(2)(a)(i).",
    )
    return move(legal, supervisor, case_id, "closed")


def ingest_seed(prefix: str):
    """Ingest seeds/<prefix>_*.txt through the real commands (once) and return its
    Source row: an original with a stored text that spans can cite."""
    from pathlib import Path

    from django.conf import settings

    from casefiles.commands.ingestion import document_ingest, ingestion_submit
    from casefiles.models import Source

    path = next((Path(settings.BASE_DIR) / "seeds").glob(f"{prefix}_*.txt"))
    job = ingestion_submit(data=path.read_bytes(), filename=path.name, actor=SUBMITTER)
    if job.status == job.QUEUED:
        document_ingest(ingestion_id=str(job.id))
    return Source.objects.get(content_sha256=job.content_sha256)


def exhibit(actor, case_id, prefix: str, origins, title="Report"):
    """Attach the ingested seed `prefix` to a case as an exhibit (with its original's
    SHA-256, so its stored text can be quoted); returns the source_id."""
    source = ingest_seed(prefix)
    outcome = commands.source_attach(
        actor=actor,
        case_id=case_id,
        title=title,
        origins=origins,
        excerpt="",
        content_sha256=source.content_sha256,
    )
    return outcome.events[0].payload["source_id"]
