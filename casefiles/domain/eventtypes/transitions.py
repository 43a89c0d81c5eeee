"""Moving a case through the workflow under four-eyes approval."""

from casefiles.domain.casestate import PendingRequest, Waiver
from casefiles.domain.effects import Effect, Update
from casefiles.domain.eventtype import EventType, Payload, register, who
from casefiles.domain.wording import state, transition


@register
class TransitionRequested(EventType):
    schema = 1
    required = ("request_id", "from_state", "to_state", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "pending": PendingRequest(
                request_id=p["request_id"],
                from_state=p["from_state"],
                to_state=p["to_state"],
                reason=p["reason"],
                requested_by_id=e["actor"]["id"],
                requested_by=who(e),
                requested_at=e["occurred_at"],
            )
        }

    def describe(self, p: Payload) -> str:
        return transition("Requested", p)


@register
class TransitionApproved(EventType):
    schema = 1
    required = ("request_id", "from_state", "to_state", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"state": p["to_state"], "pending": None}

    def describe(self, p: Payload) -> str:
        return transition("Approved", p)


@register
class CaseReopened(EventType):
    """The approval of a request to move a closed case back (closed → legal review):
    its own type, so a reopened case reads as reopened in the timeline and the report."""

    schema = 1
    required = ("request_id", "from_state", "to_state", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"state": p["to_state"], "pending": None}

    def describe(self, p: Payload) -> str:
        return (
            f"Reopened the case ({state(p['from_state'])} → {state(p['to_state'])}, "
            f"approved): {p['reason']}"
        )


@register
class TransitionRejected(EventType):
    schema = 1
    required = ("request_id", "from_state", "to_state", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"pending": None}

    def describe(self, p: Payload) -> str:
        return transition("Rejected", p)


@register
class TransitionWithdrawn(EventType):
    schema = 1
    required = ("request_id", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"pending": None}

    def describe(self, p: Payload) -> str:
        return f"Withdrew the pending request: {p['reason']}"


@register
class CriteriaWaived(EventType):
    schema = 1
    required = ("to_state", "reason")

    def effect(self, p: Payload, e: Payload) -> Effect:
        waiver = Waiver(
            to_state=p["to_state"], reason=p["reason"], waived_by=who(e), waived_at=e["occurred_at"]
        )
        return {
            "waivers": Update(
                lambda waivers: (*(w for w in waivers if w.to_state != waiver.to_state), waiver)
            )
        }

    def describe(self, p: Payload) -> str:
        return f"Waived the independent-sources criterion for {state(p['to_state'])}: {p['reason']}"
