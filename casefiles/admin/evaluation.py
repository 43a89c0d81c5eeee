"""The issue 7 actions of the case page (grading, provenance, verification, facts, legal
review, persons, splitting): what each explains before the user asks, and the one
command each calls. Registered with the others in casefiles.admin.actions."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from casefiles.commands import evaluation
from casefiles.domain import qualifications
from casefiles.domain.actors import Actor
from casefiles.domain.state import CaseState, SourceRef
from casefiles.errors import NotFound


@dataclass(frozen=True)
class ShownOnce:
    """A result shown on the page that answered the POST and nowhere else: never in a
    message (messages travel through the session or a cookie), never cached."""

    heading: str
    lines: list[str]


def grade_label(grade: dict | None) -> str:
    """E.g. "B2 — usually reliable / probably true"."""
    if not grade:
        return ""
    reliability, credibility = grade["reliability"], grade["credibility"]
    return (f"{reliability}{credibility} — {evaluation.RELIABILITY[reliability]} / "
            f"{evaluation.CREDIBILITY[credibility]}")


def chain_label(chain) -> str:
    return " → ".join(f"{link['role']} by {link['organisation']}" for link in chain)


def _source(case: CaseState, source_id: str) -> SourceRef:
    source = next((s for s in case.sources if s.source_id == source_id), None)
    if source is None:
        raise NotFound(f"{case.reference} has no source {source_id}")
    return source


def _qualification(case: CaseState, qualification_id: str) -> dict:
    found = next((q for q in case.qualifications
                  if q["qualification_id"] == qualification_id), None)
    if found is None:
        raise NotFound(f"{case.reference} has no qualification {qualification_id}")
    return found


def _person(case: CaseState, person_id: str) -> dict:
    person = next((p for p in case.persons if p["person_id"] == person_id), None)
    if person is None:
        raise NotFound(f"{case.reference} has no person {person_id}")
    return person


# --- sources -----------------------------------------------------------------------------

def explain_grade(case: CaseState, *, source_id: str) -> tuple[str, list[str]]:
    source = _source(case, source_id)
    if not source.grade:
        return (str(_("Source: %(title)s — not graded yet.") % {"title": source.title}), [])
    grade = source.grade
    return (str(_("Source: %(title)s") % {"title": source.title}), [
        str(_("Current grade %(grade)s, by %(who)s: %(reason)s") % {
            "grade": grade_label(grade), "who": grade["graded_by"], "reason": grade["reason"]})])


def run_grade(actor: Actor, case: CaseState, data: dict, button: str, *,
              source_id: str) -> str:
    source = _source(case, source_id)
    evaluation.source_grade(actor=actor, case_id=case.case_id, source_id=source_id,
                            reliability=data["reliability"], credibility=data["credibility"],
                            reason=data["reason"], expected_version=data["expected_version"])
    return str(_("%(title)s graded %(grade)s.") % {
        "title": source.title, "grade": f"{data['reliability']}{data['credibility']}"})


def explain_provenance(case: CaseState, *, source_id: str) -> tuple[str, list[str]]:
    source = _source(case, source_id)
    current = chain_label(source.provenance)
    return (str(_("Source: %(title)s") % {"title": source.title}), [
        str(_("Recorded chain: %(chain)s") % {"chain": current}) if current else
        str(_("No chain recorded yet; the origins stated on attaching: %(origins)s") % {
            "origins": ", ".join(source.origins) or _("none")}),
        str(_("Who captured, obtained, verified or documented the material is an origin; "
              "relaying or publishing someone else's material adds no independent origin. "
              "Saving replaces the whole chain.")),
    ])


def run_provenance(actor: Actor, case: CaseState, data: dict, button: str, *,
                   source_id: str) -> str:
    source = _source(case, source_id)
    evaluation.provenance_record(actor=actor, case_id=case.case_id, source_id=source_id,
                                 chain=data["chain"], expected_version=data["expected_version"])
    return str(_("Provenance of %(title)s recorded: %(chain)s") % {
        "title": source.title, "chain": chain_label(data["chain"])})


def explain_verification(case: CaseState, *, source_id: str) -> tuple[str, list[str]]:
    source = _source(case, source_id)
    done = [f"{step['method'].replace('_', ' ')}: {step['result']} ({step['by']})"
            for step in source.verifications]
    return (str(_("Source: %(title)s") % {"title": source.title}),
            done or [str(_("No verification step recorded yet."))])


def run_verification(actor: Actor, case: CaseState, data: dict, button: str, *,
                     source_id: str) -> str:
    source = _source(case, source_id)
    evaluation.verification_record(actor=actor, case_id=case.case_id, source_id=source_id,
                                   method=data["method"], result=data["result"],
                                   notes=data["notes"],
                                   expected_version=data["expected_version"])
    return str(_("Verification of %(title)s by %(method)s recorded: %(result)s.") % {
        "title": source.title, "method": data["method"].replace("_", " "),
        "result": data["result"]})


# --- facts and corroboration ---------------------------------------------------------

def run_fact(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    evaluation.fact_record(actor=actor, case_id=case.case_id, text=data["text"],
                           expected_version=data["expected_version"])
    return str(_("Fact recorded on %(ref)s; link the sources that support it.") % {
        "ref": case.reference})


def explain_support(case: CaseState) -> tuple[str, list[str]]:
    if not case.facts:
        return (str(_("Record a fact first (Add fact…).")), [])
    return ("", [])


def run_support(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    source = _source(case, data["source"])
    evaluation.fact_support(actor=actor, case_id=case.case_id, fact_id=data["fact"],
                            source_id=data["source"], excerpt=data["excerpt"],
                            expected_version=data["expected_version"])
    return str(_("%(title)s now supports the fact.") % {"title": source.title})


# --- legal review ----------------------------------------------------------------------

def run_qualification(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    evaluation.qualification_add(actor=actor, case_id=case.case_id, code=data["code"],
                                 expected_version=data["expected_version"])
    return str(_("%(title)s added; assess each of its elements.") % {
        "title": qualifications.title(data["code"])})


def explain_assess(case: CaseState, *, qualification_id: str) -> tuple[str, list[str]]:
    qualification = _qualification(case, qualification_id)
    missing = qualifications.missing_elements(qualification)
    return (qualifications.title(qualification["code"]),
            missing or [str(_("Every element is met."))])


def run_assess(actor: Actor, case: CaseState, data: dict, button: str, *,
               qualification_id: str) -> str:
    qualification = _qualification(case, qualification_id)
    evaluation.element_assess(actor=actor, case_id=case.case_id,
                              qualification_id=qualification_id, element=data["element"],
                              finding=data["finding"], source_ids=data["sources"],
                              note=data["note"], expected_version=data["expected_version"])
    return str(_("%(title)s: element assessed as %(finding)s.") % {
        "title": qualifications.title(qualification["code"]),
        "finding": qualifications.FINDING_WORDS[data["finding"]]})


# --- persons ---------------------------------------------------------------------------

def run_person(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    outcome = evaluation.person_add(actor=actor, case_id=case.case_id, role=data["role"],
                                    name=data["name"], pseudonym=data["pseudonym"],
                                    protected=data["protected"],
                                    expected_version=data["expected_version"])
    # The message is kept in the session until shown: it must carry the pseudonym only.
    person = outcome.events[0].payload
    if person["protected"]:
        return str(_("Protected %(role)s added as “%(pseudonym)s”.") % {
            "role": person["role"].replace("_", " "), "pseudonym": person["pseudonym"]})
    return str(_("%(role)s added.") % {"role": person["role"].replace("_", " ").capitalize()})


def explain_reveal(case: CaseState, *, person_id: str) -> tuple[str, list[str]]:
    person = _person(case, person_id)
    return (str(_("You are asking to see the real identity of %(who)s (%(role)s).") % {
        "who": evaluation.person_label(person), "role": person["role"].replace("_", " ")}), [
        str(_("The look is recorded in the case's history with your name and your reason. "
              "The name is shown once, on the next page only."))])


def run_reveal(actor: Actor, case: CaseState, data: dict, button: str, *,
               person_id: str) -> ShownOnce:
    person = _person(case, person_id)
    name = evaluation.identity_reveal(actor=actor, case_id=case.case_id,
                                      person_id=person_id, reason=data["reason"])
    return ShownOnce(
        heading=str(_("Real identity of %(who)s") % {"who": evaluation.person_label(person)}),
        lines=[name, str(_("This look is recorded in the case's history. Do not copy the "
                           "name into notes or other fields."))])


# --- split -----------------------------------------------------------------------------

def run_split(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    outcome = evaluation.case_split(actor=actor, case_id=case.case_id,
                                    source_ids=data["sources"], title=data["title"],
                                    reason=data["reason"],
                                    expected_version=data["expected_version"])
    return str(_("%(new)s split off from %(ref)s with %(n)d source(s).") % {
        "new": outcome.events[0].payload["new_reference"], "ref": case.reference,
        "n": len(data["sources"])})
