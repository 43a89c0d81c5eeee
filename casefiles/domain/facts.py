"""Facts and their corroboration: how many independent origins support each fact."""

from typing import Any

from casefiles.domain import workflow
from casefiles.domain.state import CaseState, SourceRef


def corroboration_panel(case: CaseState) -> list[dict[str, Any]]:
    """Per fact: its supporting sources, how many independent origins they reach, and
    the resulting status. Without recorded facts, one row per source excerpt."""
    by_id = {s.source_id: s for s in case.sources}
    rows = []
    for fact in case.facts:
        sources = [by_id[s["source_id"]] for s in fact["support"] if s["source_id"] in by_id]
        rows.append(_panel_row(fact["text"], sources))
    if not rows:
        rows = [_panel_row(s.excerpt or s.title, [s]) for s in case.sources]
    return rows


def _panel_row(text: str, sources: list[SourceRef]) -> dict[str, Any]:
    groups = workflow.origin_groups(sources)
    count = len(groups)
    status = workflow.corroboration_status(count)
    label = {
        workflow.UNCORROBORATED: "uncorroborated",
        workflow.SINGLE_ORIGIN: "single origin",
    }.get(status, f"corroborated by {count} independent origins")
    return {
        "text": text,
        "sources": [s.title for s in sources],
        "origins": [sorted(group) for group in groups],
        "status": status,
        "label": label,
    }
