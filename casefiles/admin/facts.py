"""The case page's actions on facts: record one, link a source excerpt that supports it."""

from django.utils.translation import gettext_lazy as _

from casefiles.admin.sources import source_on_case
from casefiles.commands.facts import (
    aggregate_link,
    fact_record,
    fact_support,
    support_aggregate_mark,
    support_origin_record,
    support_withdraw,
)
from casefiles.domain.actors import Actor
from casefiles.domain.facts import chain_words, find_support
from casefiles.domain.state import CaseState
from casefiles.errors import NotFound


def run_fact(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    fact_record(
        actor=actor,
        case_id=case.case_id,
        text=data["text"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Fact recorded on %(ref)s; link the sources that support it.") % {"ref": case.reference}
    )


def explain_support(case: CaseState) -> tuple[str, list[str]]:
    if not case.facts:
        return (str(_("Record a fact first (Add fact…).")), [])
    return ("", [])


def run_support(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    source = source_on_case(case, data["source"])
    fact_support(
        actor=actor,
        case_id=case.case_id,
        fact_id=data["fact"],
        source_id=data["source"],
        quote=data["quote"],
        start=data.get("start"),
        end=data.get("end"),
        aggregate_incidents=data.get("aggregate_incidents"),
        aggregate_reason=data.get("aggregate_reason") or "",
        expected_version=data["expected_version"],
    )
    return str(_("A passage of %(title)s now supports the fact.") % {"title": source.title})


def text_segments(text: str, cited: list[dict]) -> list[dict]:
    """The stored text cut at every cited span's edges: each piece with its offset (in
    code points, as spans count) and the facts citing it, so the page can highlight
    what is cited and say by which facts."""
    edges = sorted({0, len(text), *(s["start"] for s in cited), *(s["end"] for s in cited)})
    pieces = []
    for start, end in zip(edges, edges[1:], strict=False):
        citing = [s for s in cited if s["start"] <= start and end <= s["end"]]
        pieces.append(
            {
                "start": start,
                "text": text[start:end],
                "facts": "; ".join(dict.fromkeys(s["fact"] for s in citing)),
                "withdrawn": bool(citing) and all(s["withdrawn"] for s in citing),
                "cited": bool(citing),
            }
        )
    return pieces


def _span(case: CaseState, fact_id: str, support_id: str) -> dict:
    support = find_support(case, fact_id, support_id)
    if support is None:
        raise NotFound(f"{case.reference} has no cited span {support_id} for fact {fact_id}")
    return dict(support)


def explain_span(case: CaseState, *, fact_id: str, support_id: str) -> tuple[str, list[str]]:
    support = _span(case, fact_id, support_id)
    fact = next(f for f in case.facts if f["fact_id"] == fact_id)
    return (
        str(_("Fact: %(fact)s") % {"fact": fact["text"]}),
        [
            f"“{support.get('excerpt', '')}”",
            str(_("Origin chain: %(chain)s") % {"chain": chain_words(support.get("chain") or [])}),
        ],
    )


def run_span_origin(
    actor: Actor, case: CaseState, data: dict, button: str, *, fact_id: str, support_id: str
) -> str:
    support_origin_record(
        actor=actor,
        case_id=case.case_id,
        fact_id=fact_id,
        support_id=support_id,
        chain=data["chain"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Origin of the cited span recorded: %(chain)s") % {"chain": chain_words(data["chain"])}
    )


def run_span_withdraw(
    actor: Actor, case: CaseState, data: dict, button: str, *, fact_id: str, support_id: str
) -> str:
    support_withdraw(
        actor=actor,
        case_id=case.case_id,
        fact_id=fact_id,
        support_id=support_id,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(_("The span's support was withdrawn."))


def run_span_aggregate(
    actor: Actor, case: CaseState, data: dict, button: str, *, fact_id: str, support_id: str
) -> str:
    support_aggregate_mark(
        actor=actor,
        case_id=case.case_id,
        fact_id=fact_id,
        support_id=support_id,
        incidents=data["incidents"],
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(_("The span is marked as an aggregate figure."))


def run_span_link(
    actor: Actor, case: CaseState, data: dict, button: str, *, fact_id: str, support_id: str
) -> str:
    aggregate_link(
        actor=actor,
        case_id=case.case_id,
        fact_id=fact_id,
        support_id=support_id,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(_("The aggregate figure now counts for the fact."))
