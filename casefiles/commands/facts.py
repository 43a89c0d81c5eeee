"""Facts of a case and the source excerpts that support them."""

from casefiles.commands.base import (
    Outcome,
    begin,
    command,
    new_id,
    require_text,
    source_of,
)
from casefiles.domain.actors import Actor
from casefiles.domain.events import FACT_RECORDED, FACT_SUPPORTED
from casefiles.errors import InvalidCommand, NotFound
from casefiles.eventstore import NewEvent

TEXT_MAX = 20_000


@command
def fact_record(
    *, actor: Actor, case_id, text: str, expected_version: int | None = None
) -> Outcome:
    change = begin(actor, "fact_record", case_id, expected_version=expected_version)
    return change.write(
        NewEvent(
            FACT_RECORDED.name,
            {"fact_id": new_id(), "text": require_text(text, "fact", max_length=TEXT_MAX)},
        )
    )


@command
def fact_support(
    *, actor: Actor, case_id, fact_id, source_id, excerpt: str, expected_version: int | None = None
) -> Outcome:
    change = begin(actor, "fact_support", case_id, expected_version=expected_version)
    case = change.case
    fact = next((f for f in case.facts if f["fact_id"] == str(fact_id)), None)
    if fact is None:
        raise NotFound(f"{case.reference} has no fact {fact_id}")
    source = source_of(case, source_id)
    if any(s["source_id"] == source.source_id for s in fact["support"]):
        raise InvalidCommand("this source already supports that fact")
    return change.write(
        NewEvent(
            FACT_SUPPORTED.name,
            {
                "fact_id": fact["fact_id"],
                "source_id": source.source_id,
                "excerpt": require_text(excerpt, "supporting excerpt", max_length=TEXT_MAX),
            },
        )
    )
