"""Facts of a case and the quoted spans of exhibits that support them: each span is
checked against the source's stored text when it is cited (casefiles/domain/facts.py)."""

from typing import Any

from casefiles import selectors
from casefiles.commands.base import (
    Id,
    Outcome,
    begin,
    command,
    new_id,
    require_text,
    source_of,
)
from casefiles.domain import facts as rules
from casefiles.domain.actors import Actor
from casefiles.domain.events import (
    AGGREGATE_SUPPORT_LINKED,
    FACT_RECORDED,
    FACT_SUPPORTED,
    SUPPORT_AGGREGATE_MARKED,
    SUPPORT_ORIGIN_RECORDED,
    SUPPORT_WITHDRAWN,
)
from casefiles.domain.state import CaseState
from casefiles.errors import InvalidCommand, NotFound, QuoteNotFound
from casefiles.eventstore import NewEvent

TEXT_MAX = 20_000
CHAIN_MAX = 12
MAX_INCIDENTS = 1_000_000


@command
def fact_record(
    *, actor: Actor, case_id: Id, text: str, expected_version: int | None = None
) -> Outcome:
    change = begin(actor, "fact_record", case_id, expected_version=expected_version)
    return change.write(
        NewEvent(
            FACT_RECORDED.name,
            {"fact_id": new_id(), "text": require_text(text, "fact", max_length=TEXT_MAX)},
        )
    )


def _fact(case: CaseState, fact_id: Id) -> dict[str, Any]:
    fact = next((f for f in case.facts if f["fact_id"] == str(fact_id)), None)
    if fact is None:
        raise NotFound(f"{case.reference} has no fact {fact_id}")
    return fact


def _support(case: CaseState, fact_id: Id, support_id: Id) -> tuple[dict[str, Any], dict[str, Any]]:
    fact = _fact(case, fact_id)
    support = next((s for s in fact["support"] if s.get("support_id") == str(support_id)), None)
    if support is None:
        raise NotFound(f"that fact has no cited span {support_id}")
    if support.get("withdrawn"):
        raise InvalidCommand("that span's support was withdrawn")
    return fact, support


def _span_key(fact: dict[str, Any], support: dict[str, Any]) -> dict[str, Any]:
    """What every event about one cited span names it by."""
    return {"fact_id": fact["fact_id"], "support_id": support["support_id"]}


def _offset(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidCommand(f"{name} must be a character offset (an integer from 0)")
    return value


def _locate(
    text: str,
    quote: object,
    start: object = None,
    end: object = None,
    text_sha256: object = None,
) -> rules.Passage:
    if not isinstance(quote, str) or not quote:
        raise InvalidCommand("the quoted text is required")
    if len(quote) > TEXT_MAX:
        raise InvalidCommand(f"the quote is longer than {TEXT_MAX} characters")
    if "\x00" in quote:
        raise InvalidCommand("the quote contains a NUL character")
    if text_sha256 is not None and not isinstance(text_sha256, str):
        raise InvalidCommand("text_sha256 must be the hexadecimal SHA-256 of the quote")
    try:
        return rules.locate_quote(
            text, quote, _offset(start, "start"), _offset(end, "end"), text_sha256 or None
        )
    except rules.QuoteMismatch as exc:
        nearest = exc.nearest.as_dict() if exc.nearest else None
        shown = f"; the nearest passage is “{exc.nearest.text}”" if exc.nearest else ""
        raise QuoteNotFound(f"{exc}{shown}", nearest) from None


def _chain(chain: object, text: str) -> list[dict[str, Any]]:
    """An origin chain as the analyst gives it: each link a role and an organisation,
    and optionally the quote of the passage of the same source that says so (checked)."""
    if not isinstance(chain, list | tuple) or not chain:
        raise InvalidCommand(
            "the origin chain needs at least one link: who captured, obtained or "
            "documented what the span says"
        )
    if len(chain) > CHAIN_MAX:
        raise InvalidCommand(f"an origin chain has at most {CHAIN_MAX} links")
    links = []
    for link in chain:
        if not isinstance(link, dict) or link.get("role") not in rules.CHAIN_ROLES:
            raise InvalidCommand(
                "each origin link needs a role (one of "
                f"{', '.join(rules.CHAIN_ROLES)}) and an organisation"
            )
        entry = {
            "role": link["role"],
            "organisation": require_text(link.get("organisation"), "organisation", max_length=300),
        }
        if link.get("quote"):
            passage = _locate(text, link["quote"], link.get("start"), link.get("end"))
            entry["said"] = {
                "start": passage.start,
                "end": passage.end,
                "text_sha256": rules.quote_sha256(passage.text),
            }
        links.append(entry)
    if rules.first_hand_origin(links) is None:
        raise InvalidCommand(
            "the chain names no first-hand origin: add who captured, obtained or "
            "documented the material"
        )
    return links


def _aggregate(incidents: object, reason: object) -> dict[str, Any] | None:
    if incidents in (None, ""):
        return None
    if isinstance(incidents, bool) or not isinstance(incidents, int):
        raise InvalidCommand("incidents must be an integer")
    if not 2 <= incidents <= MAX_INCIDENTS:
        raise InvalidCommand(
            "an aggregate figure covers at least 2 incidents (one incident is not an aggregate)"
        )
    return {"incidents": incidents, "reason": require_text(reason, "reason", max_length=TEXT_MAX)}


@command
def fact_support(
    *,
    actor: Actor,
    case_id: Id,
    fact_id: Id,
    source_id: Id,
    quote: str,
    start: int | None = None,
    end: int | None = None,
    text_sha256: str | None = None,
    chain: object = None,
    aggregate_incidents: int | None = None,
    aggregate_reason: str = "",
    expected_version: int | None = None,
) -> Outcome:
    """Cite a span of an exhibit's stored text for a fact. The quote must be in the
    text: at [start, end) when given, otherwise exactly once; a quote that is not there
    is refused with the nearest passage. The span's origin chain is the source's
    provenance unless `chain` states it."""
    change = begin(actor, "fact_support", case_id, expected_version=expected_version)
    case = change.state
    fact = _fact(case, fact_id)
    source = source_of(case, source_id)
    stored = selectors.stored_text(source)
    if stored is None:
        raise InvalidCommand(
            f"“{source.title}” has no stored text to quote from (it was attached by "
            "reference, without an ingested original); ingest the document and cite it"
        )
    passage = _locate(stored.text, quote, start, end, text_sha256)
    for other in fact["support"]:
        span = other.get("span")
        if (
            span
            and not other.get("withdrawn")
            and other["source_id"] == source.source_id
            and (span["start"], span["end"]) == (passage.start, passage.end)
        ):
            raise InvalidCommand("this span already supports that fact")
    links = _chain(chain, stored.text) if chain is not None else rules.chain_of_source(source)
    return change.write(
        NewEvent(
            FACT_SUPPORTED.name,
            {
                "fact_id": fact["fact_id"],
                "support_id": new_id(),
                "source_id": source.source_id,
                "content_sha256": stored.content_sha256,
                "source_text_sha256": stored.text_sha256,
                "start": passage.start,
                "end": passage.end,
                "quote": passage.text,
                "text_sha256": rules.quote_sha256(passage.text),
                "chain": links,
                "aggregate": _aggregate(aggregate_incidents, aggregate_reason),
            },
        )
    )


@command
def support_origin_record(
    *,
    actor: Actor,
    case_id: Id,
    fact_id: Id,
    support_id: Id,
    chain: object,
    expected_version: int | None = None,
) -> Outcome:
    """State a cited span's origin chain as the text says it (replaces the chain)."""
    change = begin(actor, "support_origin_record", case_id, expected_version=expected_version)
    case = change.state
    fact, support = _support(case, fact_id, support_id)
    stored = selectors.stored_text(source_of(case, support["source_id"]))
    if stored is None:
        raise InvalidCommand("the cited source's stored text cannot be read")
    return change.write(
        NewEvent(
            SUPPORT_ORIGIN_RECORDED.name,
            {**_span_key(fact, support), "chain": _chain(chain, stored.text)},
        )
    )


@command
def support_aggregate_mark(
    *,
    actor: Actor,
    case_id: Id,
    fact_id: Id,
    support_id: Id,
    incidents: int,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Mark a cited span as an aggregate figure (79 executions across 24 incidents)."""
    change = begin(actor, "support_aggregate_mark", case_id, expected_version=expected_version)
    fact, support = _support(change.state, fact_id, support_id)
    aggregate = _aggregate(incidents, reason)
    assert aggregate is not None
    return change.write(
        NewEvent(
            SUPPORT_AGGREGATE_MARKED.name,
            {**_span_key(fact, support), **aggregate},
        )
    )


@command
def aggregate_link(
    *,
    actor: Actor,
    case_id: Id,
    fact_id: Id,
    support_id: Id,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Let an aggregate figure corroborate the fact, for a stated reason."""
    change = begin(actor, "aggregate_link", case_id, expected_version=expected_version)
    fact, support = _support(change.state, fact_id, support_id)
    if not support.get("aggregate"):
        raise InvalidCommand("that span is not marked as an aggregate figure")
    if support.get("aggregate_link"):
        raise InvalidCommand("that aggregate figure is already linked to the fact")
    return change.write(
        NewEvent(
            AGGREGATE_SUPPORT_LINKED.name,
            {
                **_span_key(fact, support),
                "reason": require_text(reason, "reason", max_length=TEXT_MAX),
            },
        )
    )


@command
def support_withdraw(
    *,
    actor: Actor,
    case_id: Id,
    fact_id: Id,
    support_id: Id,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Withdraw a span's support of a fact; the citation stays in the record, marked."""
    change = begin(actor, "support_withdraw", case_id, expected_version=expected_version)
    fact, support = _support(change.state, fact_id, support_id)
    return change.write(
        NewEvent(
            SUPPORT_WITHDRAWN.name,
            {
                **_span_key(fact, support),
                "reason": require_text(reason, "reason", max_length=TEXT_MAX),
            },
        )
    )
