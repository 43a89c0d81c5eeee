"""Relations between cases: suggested links, merges and splits."""

from casefiles.domain.casestate import LinkRef
from casefiles.domain.effects import Amend, Append, Effect
from casefiles.domain.eventtype import EventType, Payload, register, who

UNSPECIFIED = "unspecified"
# How describe() names each relation (the admin shows its own, translated labels).
RELATION_WORDS = {
    "same_incident": "possibly the same incident as",
    "shared_origin": "shares an upstream origin with",
    "same_context": "same area and period as",
    UNSPECIFIED: "possibly the same incident as",  # schema 1 said so for every link
}


def _link_status(link_id: str, status: str) -> Amend:
    return Amend("link_id", link_id, {"status": status})


@register
class LinkSuggested(EventType):
    # Schema 2 adds `relation` (same_incident | shared_origin | same_context); schema 1
    # events replay unchanged, their relation shown as "unspecified".
    schema = 2
    required = ("link_id", "other_case_id", "other_reference", "relation", "reasons")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "links": Append(
                LinkRef(
                    link_id=p["link_id"],
                    other_case_id=p["other_case_id"],
                    other_reference=p["other_reference"],
                    reasons=tuple(p["reasons"]),
                    status="suggested",
                    relation=p.get("relation", UNSPECIFIED),
                )
            )
        }

    def describe(self, p: Payload) -> str:
        relation = p.get("relation", UNSPECIFIED)
        what = RELATION_WORDS.get(relation, relation)
        return f"Suggested link: {what} {p['other_reference']} ({'; '.join(p['reasons'])})"


@register
class LinkDismissed(EventType):
    schema = 1
    required = ("link_id", "other_case_id", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"links": _link_status(p["link_id"], "dismissed")}

    def describe(self, p: Payload) -> str:
        return f"Dismissed the suggested link: {p['reason']}"


@register
class CaseMergedInto(EventType):
    schema = 1
    required = ("into_case_id", "into_reference", "link_id", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"links": _link_status(p["link_id"], "merged"), "merged_into": p["into_case_id"]}

    def describe(self, p: Payload) -> str:
        return f"Merged into {p['into_reference']}: {p['reason']}"


@register
class CaseAbsorbed(EventType):
    schema = 1
    required = ("from_case_id", "from_reference", "link_id", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"links": _link_status(p["link_id"], "merged")}

    def describe(self, p: Payload) -> str:
        return f"Absorbed {p['from_reference']} (merged here): {p['reason']}"


@register
class CaseSplitOff(EventType):
    schema = 1
    required = ("new_case_id", "new_reference", "source_ids", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        ref = {
            "relation": "split_off",
            "case_id": p["new_case_id"],
            "reference": p["new_reference"],
        }
        return {"related": Append(ref)}

    def describe(self, p: Payload) -> str:
        return f"Split off {p['new_reference']}: {p['reason']}"


@register
class CaseSplitFrom(EventType):
    schema = 1
    required = ("from_case_id", "from_reference", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        ref = {
            "relation": "split_from",
            "case_id": p["from_case_id"],
            "reference": p["from_reference"],
        }
        return {"related": Append(ref)}

    def describe(self, p: Payload) -> str:
        return f"Split from {p['from_reference']}: {p['reason']}"


@register
class MergeRequested(EventType):
    """Past intake a merge is a request: a supervisor who did not ask decides."""

    schema = 1
    required = ("request_id", "link_id", "other_case_id", "other_reference", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "merge_pending": {
                "request_id": p["request_id"],
                "link_id": p["link_id"],
                "other_case_id": p["other_case_id"],
                "other_reference": p["other_reference"],
                "reason": p["reason"],
                "requested_by_id": e["actor"]["id"],
                "requested_by": who(e),
                "requested_at": e["occurred_at"],
            }
        }

    def describe(self, p: Payload) -> str:
        return f"Asked to merge {p['other_reference']} into this case: {p['reason']}"


@register
class MergeApproved(EventType):
    """Followed, in the same command, by CaseMergedInto on the other case and
    CaseAbsorbed here."""

    schema = 1
    required = ("request_id", "link_id", "other_reference", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"merge_pending": None}

    def describe(self, p: Payload) -> str:
        return f"Approved merging {p['other_reference']} into this case: {p['reason']}"


@register
class MergeRejected(EventType):
    schema = 1
    required = ("request_id", "link_id", "other_reference", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"merge_pending": None}

    def describe(self, p: Payload) -> str:
        return f"Rejected merging {p['other_reference']} into this case: {p['reason']}"
