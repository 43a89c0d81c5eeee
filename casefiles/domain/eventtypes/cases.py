"""A case's own record: opening, edits, assignment, notes."""

from casefiles.domain import workflow
from casefiles.domain.casestate import LIST_FIELDS, NoteRef
from casefiles.domain.effects import Append, Effect
from casefiles.domain.eventtype import EventType, Payload, register, who
from casefiles.domain.wording import FIELD_LABELS, value


@register
class CaseOpened(EventType):
    schema = 1
    required = (
        "reference",
        "title",
        "summary",
        "categories",
        "places",
        "incident_from",
        "incident_to",
    )
    opens = True

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "reference": p["reference"],
            "state": workflow.INTAKE,
            "title": p["title"],
            "summary": p["summary"],
            "categories": tuple(p["categories"]),
            "places": tuple(p["places"]),
            "incident_from": p["incident_from"],
            "incident_to": p["incident_to"],
            "outcome": None,
            "legal_qualification": "",
            "assignee_id": None,
            "assignee": None,
            "opened_at": e["occurred_at"],
            "opened_by": who(e),
        }

    def describe(self, p: Payload) -> str:
        return f"Opened case {p['reference']}: {value('title', p['title'])}"


@register
class CaseEdited(EventType):
    schema = 1
    required = ("changes",)

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            name: tuple(change["new"]) if name in LIST_FIELDS else change["new"]
            for name, change in p["changes"].items()
        }

    def describe(self, p: Payload) -> str:
        sentence = "; ".join(
            f"{FIELD_LABELS.get(name, name)} changed from {value(name, change['old'])} "
            f"to {value(name, change['new'])}"
            for name, change in p["changes"].items()
        )
        return sentence[:1].upper() + sentence[1:]


@register
class CaseAssigned(EventType):
    schema = 1
    required = ("assignee", "previous")

    def effect(self, p: Payload, e: Payload) -> Effect:
        assignee = p["assignee"]
        return {
            "assignee_id": assignee["id"] if assignee else None,
            "assignee": assignee["username"] if assignee else None,
        }

    def describe(self, p: Payload) -> str:
        new, old = p["assignee"], p["previous"]
        if new is None:
            return f"Unassigned (was {old['username']})" if old else "Unassigned"
        return f"Assigned to {new['username']}" + (f" (was {old['username']})" if old else "")


@register
class NoteAdded(EventType):
    schema = 1
    required = ("note_id", "text")

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "notes": Append(
                NoteRef(
                    note_id=p["note_id"], text=p["text"], author=who(e), added_at=e["occurred_at"]
                )
            )
        }

    def describe(self, p: Payload) -> str:
        return f"Added a note: {value('text', p['text'])}"


@register
class CandidateDiscarded(EventType):
    """A documenter takes a candidate out of the intake queue (not an incident, a
    duplicate, noise); the record is kept and a supervisor may restore it."""

    schema = 1
    required = ("reason",)

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {
            "state": workflow.DISCARDED,
            "discarded": {
                "reason": p["reason"],
                "discarded_by_id": e["actor"]["id"],
                "discarded_by": who(e),
                "discarded_at": e["occurred_at"],
            },
        }

    def describe(self, p: Payload) -> str:
        return f"Discarded the candidate at intake: {p['reason']}"


@register
class CandidateRestored(EventType):
    """A supervisor (not the one who discarded it) puts a discarded candidate back in
    the intake queue."""

    schema = 1
    required = ("reason",)

    def effect(self, p: Payload, e: Payload) -> Effect:
        return {"state": workflow.INTAKE, "discarded": None}

    def describe(self, p: Payload) -> str:
        return f"Restored the discarded candidate to intake: {p['reason']}"
