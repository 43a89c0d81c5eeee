"""The case page's actions on persons: add one, and the audited look at a protected
person's identity (shown once, never in a message)."""

from django.utils.translation import gettext_lazy as _

from casefiles.admin.base import ShownOnce
from casefiles.commands.persons import identity_reveal, person_add
from casefiles.domain.actors import Actor
from casefiles.domain.persons import person_label
from casefiles.domain.state import CaseState
from casefiles.errors import NotFound


def _person(case: CaseState, person_id: str) -> dict:
    person = next((p for p in case.persons if p["person_id"] == person_id), None)
    if person is None:
        raise NotFound(f"{case.reference} has no person {person_id}")
    return person


def run_person(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    outcome = person_add(
        actor=actor,
        case_id=case.case_id,
        role=data["role"],
        name=data["name"],
        pseudonym=data["pseudonym"],
        protected=data["protected"],
        expected_version=data["expected_version"],
    )
    # The message is kept in the session until shown: it must carry the pseudonym only.
    person = outcome.events[0].payload
    if person["protected"]:
        return str(
            _("Protected %(role)s added as “%(pseudonym)s”.")
            % {"role": person["role"].replace("_", " "), "pseudonym": person["pseudonym"]}
        )
    return str(_("%(role)s added.") % {"role": person["role"].replace("_", " ").capitalize()})


def explain_reveal(case: CaseState, *, person_id: str) -> tuple[str, list[str]]:
    person = _person(case, person_id)
    return (
        str(
            _("You are asking to see the real identity of %(who)s (%(role)s).")
            % {"who": person_label(person), "role": person["role"].replace("_", " ")}
        ),
        [
            str(
                _(
                    "The look is recorded in the case's history with your name and your reason. "
                    "The name is shown once, on the next page only."
                )
            )
        ],
    )


def run_reveal(
    actor: Actor, case: CaseState, data: dict, button: str, *, person_id: str
) -> ShownOnce:
    person = _person(case, person_id)
    name = identity_reveal(
        actor=actor, case_id=case.case_id, person_id=person_id, reason=data["reason"]
    )
    return ShownOnce(
        heading=str(_("Real identity of %(who)s") % {"who": person_label(person)}),
        lines=[
            name,
            str(
                _(
                    "This look is recorded in the case's history. Do not copy the "
                    "name into notes or other fields."
                )
            ),
        ],
    )
