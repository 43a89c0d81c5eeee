"""Restricted cases: restricting a case to a team, and lifting it, is requested by one
person and approved by a supervisor who is not the requester."""

from casefiles.domain.effects import Effect
from casefiles.domain.eventtype import EventType, Payload, register, who


def _pending(p: Payload, e: Payload, *, lift: bool) -> Effect:
    return {
        "restriction_pending": {
            "request_id": p["request_id"],
            "team": p["team"],
            "lift": lift,
            "reason": p["reason"],
            "requested_by_id": e["actor"]["id"],
            "requested_by": who(e),
            "requested_at": e["occurred_at"],
        }
    }


@register
class RestrictionRequested(EventType):
    schema = 1
    required = ("request_id", "team", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return _pending(p, e, lift=False)

    def describe(self, p: Payload) -> str:
        return f"Asked to restrict the case to team {p['team']}: {p['reason']}"


@register
class RestrictionLiftRequested(EventType):
    schema = 1
    required = ("request_id", "team", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return _pending(p, e, lift=True)

    def describe(self, p: Payload) -> str:
        return f"Asked to lift the restriction to team {p['team']}: {p['reason']}"


@register
class CaseRestricted(EventType):
    schema = 1
    required = ("request_id", "team", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"restricted_to": p["team"], "restriction_pending": None}

    def describe(self, p: Payload) -> str:
        return f"Restricted the case to team {p['team']} (approved): {p['reason']}"


@register
class RestrictionLifted(EventType):
    schema = 1
    required = ("request_id", "team", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"restricted_to": None, "restriction_pending": None}

    def describe(self, p: Payload) -> str:
        return f"Lifted the restriction to team {p['team']} (approved): {p['reason']}"


@register
class RestrictionRejected(EventType):
    schema = 1
    required = ("request_id", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"restriction_pending": None}

    def describe(self, p: Payload) -> str:
        return f"Rejected the restriction request: {p['reason']}"
