"""Judging a case's sources: Admiralty grades, provenance chains and verification steps."""

from casefiles.commands.base import (
    Outcome,
    begin,
    command,
    new_id,
    require_text,
    source_of,
)
from casefiles.domain import workflow
from casefiles.domain.actors import Actor
from casefiles.domain.events import PROVENANCE_RECORDED, SOURCE_GRADED, VERIFICATION_RECORDED
from casefiles.domain.sources import (
    CREDIBILITY,
    RELIABILITY,
    VERIFICATION_METHODS,
    VERIFICATION_RESULTS,
)
from casefiles.errors import InvalidCommand
from casefiles.eventstore import NewEvent

TEXT_MAX = 20_000


@command
def source_grade(
    *,
    actor: Actor,
    case_id,
    source_id,
    reliability: str,
    credibility,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Grade a source (A–F) and its information (1–6); regrading keeps the history."""
    change = begin(actor, "source_grade", case_id, expected_version=expected_version)
    case = change.case
    source = source_of(case, source_id)
    reliability, credibility = str(reliability).upper(), str(credibility)
    if reliability not in RELIABILITY:
        raise InvalidCommand(f"reliability must be one of {', '.join(RELIABILITY)}")
    if credibility not in CREDIBILITY:
        raise InvalidCommand(f"credibility must be one of {', '.join(CREDIBILITY)}")
    return change.write(
        NewEvent(
            SOURCE_GRADED.name,
            {
                "source_id": source.source_id,
                "reliability": reliability,
                "credibility": credibility,
                "reason": require_text(reason, "reason", max_length=TEXT_MAX),
            },
        )
    )


@command
def provenance_record(
    *, actor: Actor, case_id, source_id, chain, expected_version: int | None = None
) -> Outcome:
    """Record who captured, obtained, verified, documented, relayed or published it."""
    change = begin(actor, "provenance_record", case_id, expected_version=expected_version)
    case = change.case
    source = source_of(case, source_id)
    links = []
    for link in chain or []:
        if not isinstance(link, dict) or link.get("role") not in workflow.PROVENANCE_ROLES:
            raise InvalidCommand(
                "each provenance link needs a role (one of "
                f"{', '.join(workflow.PROVENANCE_ROLES)}) and an organisation"
            )
        links.append(
            {
                "role": link["role"],
                "organisation": require_text(
                    link.get("organisation"), "organisation", max_length=300
                ),
            }
        )
    if not any(link["role"] in workflow.ORIGIN_ROLES for link in links):
        raise InvalidCommand(
            "the chain names no origin: add who captured, obtained, "
            "verified or documented the material"
        )
    return change.write(
        NewEvent(PROVENANCE_RECORDED.name, {"source_id": source.source_id, "chain": links})
    )


@command
def verification_record(
    *,
    actor: Actor,
    case_id,
    source_id,
    method: str,
    result: str,
    notes: str = "",
    expected_version: int | None = None,
) -> Outcome:
    change = begin(actor, "verification_record", case_id, expected_version=expected_version)
    case = change.case
    source = source_of(case, source_id)
    if method not in VERIFICATION_METHODS:
        raise InvalidCommand(f"method must be one of {', '.join(VERIFICATION_METHODS)}")
    if result not in VERIFICATION_RESULTS:
        raise InvalidCommand(f"result must be one of {', '.join(VERIFICATION_RESULTS)}")
    return change.write(
        NewEvent(
            VERIFICATION_RECORDED.name,
            {
                "verification_id": new_id(),
                "source_id": source.source_id,
                "method": method,
                "result": result,
                "notes": (notes or "").strip()[:TEXT_MAX],
            },
        )
    )
