"""Sourcing, corroboration and legal review in depth: grading, provenance, verification,
facts, legal qualifications, persons under protection, and splitting a case."""

import hashlib
import secrets
import uuid

from casefiles.commands.base import Outcome, check_expected, command, new_id, require_text, write
from casefiles.commands.cases import CASE_WRITERS, _writable, case_open, source_attach
from casefiles.domain import qualifications, workflow
from casefiles.domain.actors import AUDITOR, LEGAL_REVIEWER, SYSTEM, Actor
from casefiles.domain.events import (
    CASE_SPLIT_FROM,
    CASE_SPLIT_OFF,
    ELEMENT_ASSESSED,
    FACT_RECORDED,
    FACT_SUPPORTED,
    IDENTITY_REVEALED,
    PERSON_ADDED,
    PROVENANCE_RECORDED,
    QUALIFICATION_ADDED,
    SOURCE_GRADED,
    VERIFICATION_RECORDED,
)
from casefiles.domain.state import CaseState, SourceRef
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied
from casefiles.eventstore import NewEvent
from casefiles.models import ProtectedIdentity
from casefiles.selectors import case_state

# Admiralty (NATO) system: reliability of the source, credibility of the information.
RELIABILITY = {
    "A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
    "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
}
CREDIBILITY = {
    "1": "confirmed by other sources", "2": "probably true", "3": "possibly true",
    "4": "doubtful", "5": "improbable", "6": "truth cannot be judged",
}
# Berkeley Protocol-style verification methods.
VERIFICATION_METHODS = (
    "geolocation", "chronolocation", "audio_authentication", "video_authentication",
    "witness_interview", "document_examination", "official_record",
)
VERIFICATION_RESULTS = ("confirmed", "inconclusive", "contradicted")
PERSON_ROLES = ("victim", "witness", "alleged_perpetrator", "unit")
TEXT_MAX = 20_000


def _case(case_id, expected_version) -> CaseState:
    case = case_state(case_id, lock=True)
    check_expected(case, expected_version)
    _writable(case)
    return case


def _source(case: CaseState, source_id) -> SourceRef:
    source = next((s for s in case.sources if s.source_id == str(source_id)), None)
    if source is None:
        raise NotFound(f"{case.reference} has no source {source_id}")
    return source


def _one(case: CaseState, actor: Actor, role: str, event: NewEvent) -> Outcome:
    return write(case.case_id, actor=actor, role=role, expected_version=case.version,
                 events=[event])


@command
def source_grade(*, actor: Actor, case_id, source_id, reliability: str, credibility,
                 reason: str, expected_version: int | None = None) -> Outcome:
    """Grade a source (A–F) and its information (1–6); regrading keeps the history."""
    role = actor.role_for("grade a source", CASE_WRITERS)
    case = _case(case_id, expected_version)
    source = _source(case, source_id)
    reliability, credibility = str(reliability).upper(), str(credibility)
    if reliability not in RELIABILITY:
        raise InvalidCommand(f"reliability must be one of {', '.join(RELIABILITY)}")
    if credibility not in CREDIBILITY:
        raise InvalidCommand(f"credibility must be one of {', '.join(CREDIBILITY)}")
    return _one(case, actor, role, NewEvent(SOURCE_GRADED.name, {
        "source_id": source.source_id, "reliability": reliability, "credibility": credibility,
        "reason": require_text(reason, "reason", max_length=TEXT_MAX)}))


@command
def provenance_record(*, actor: Actor, case_id, source_id, chain,
                      expected_version: int | None = None) -> Outcome:
    """Record who captured, obtained, verified, documented, relayed or published it."""
    role = actor.role_for("record provenance", (*CASE_WRITERS, SYSTEM))
    case = _case(case_id, expected_version)
    source = _source(case, source_id)
    links = []
    for link in chain or []:
        if not isinstance(link, dict) or link.get("role") not in workflow.PROVENANCE_ROLES:
            raise InvalidCommand(
                "each provenance link needs a role (one of "
                f"{', '.join(workflow.PROVENANCE_ROLES)}) and an organisation")
        links.append({"role": link["role"], "organisation": require_text(
            link.get("organisation"), "organisation", max_length=300)})
    if not any(link["role"] in workflow.ORIGIN_ROLES for link in links):
        raise InvalidCommand("the chain names no origin: add who captured, obtained, "
                             "verified or documented the material")
    return _one(case, actor, role, NewEvent(PROVENANCE_RECORDED.name, {
        "source_id": source.source_id, "chain": links}))


@command
def verification_record(*, actor: Actor, case_id, source_id, method: str, result: str,
                        notes: str = "", expected_version: int | None = None) -> Outcome:
    role = actor.role_for("record a verification step", CASE_WRITERS)
    case = _case(case_id, expected_version)
    source = _source(case, source_id)
    if method not in VERIFICATION_METHODS:
        raise InvalidCommand(f"method must be one of {', '.join(VERIFICATION_METHODS)}")
    if result not in VERIFICATION_RESULTS:
        raise InvalidCommand(f"result must be one of {', '.join(VERIFICATION_RESULTS)}")
    return _one(case, actor, role, NewEvent(VERIFICATION_RECORDED.name, {
        "verification_id": new_id(), "source_id": source.source_id, "method": method,
        "result": result, "notes": (notes or "").strip()[:TEXT_MAX]}))


@command
def fact_record(*, actor: Actor, case_id, text: str,
                expected_version: int | None = None) -> Outcome:
    role = actor.role_for("record a fact", CASE_WRITERS)
    case = _case(case_id, expected_version)
    return _one(case, actor, role, NewEvent(FACT_RECORDED.name, {
        "fact_id": new_id(), "text": require_text(text, "fact", max_length=TEXT_MAX)}))


@command
def fact_support(*, actor: Actor, case_id, fact_id, source_id, excerpt: str,
                 expected_version: int | None = None) -> Outcome:
    role = actor.role_for("link a source to a fact", CASE_WRITERS)
    case = _case(case_id, expected_version)
    fact = next((f for f in case.facts if f["fact_id"] == str(fact_id)), None)
    if fact is None:
        raise NotFound(f"{case.reference} has no fact {fact_id}")
    source = _source(case, source_id)
    if any(s["source_id"] == source.source_id for s in fact["support"]):
        raise InvalidCommand("this source already supports that fact")
    return _one(case, actor, role, NewEvent(FACT_SUPPORTED.name, {
        "fact_id": fact["fact_id"], "source_id": source.source_id,
        "excerpt": require_text(excerpt, "supporting excerpt", max_length=TEXT_MAX)}))


def corroboration_panel(case: CaseState) -> list[dict]:
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


def _panel_row(text: str, sources: list[SourceRef]) -> dict:
    groups = workflow.origin_groups(sources)
    count = len(groups)
    status = workflow.corroboration_status(count)
    label = {workflow.UNCORROBORATED: "uncorroborated",
             workflow.SINGLE_ORIGIN: "single origin"}.get(
        status, f"corroborated by {count} independent origins")
    return {"text": text, "sources": [s.title for s in sources],
            "origins": [sorted(group) for group in groups], "status": status, "label": label}


@command
def qualification_add(*, actor: Actor, case_id, code: str,
                      expected_version: int | None = None) -> Outcome:
    role = actor.role_for("add a legal qualification", (LEGAL_REVIEWER,))
    case = _case(case_id, expected_version)
    if code not in qualifications.provisions():
        raise InvalidCommand(f"unknown provision {code!r}; known: "
                             f"{', '.join(qualifications.provisions())}")
    if any(q["code"] == code for q in case.qualifications):
        raise InvalidCommand(f"{qualifications.title(code)} is already recorded on "
                             f"{case.reference}")
    return _one(case, actor, role, NewEvent(QUALIFICATION_ADDED.name, {
        "qualification_id": new_id(), "code": code}))


@command
def element_assess(*, actor: Actor, case_id, qualification_id, element: str, finding: str,
                   source_ids=(), note: str = "",
                   expected_version: int | None = None) -> Outcome:
    role = actor.role_for("assess an element of crime", (LEGAL_REVIEWER,))
    case = _case(case_id, expected_version)
    qualification = next((q for q in case.qualifications
                          if q["qualification_id"] == str(qualification_id)), None)
    if qualification is None:
        raise NotFound(f"{case.reference} has no qualification {qualification_id}")
    elements = {e["id"] for e in qualifications.provisions()[qualification["code"]]["elements"]}
    if element not in elements:
        raise InvalidCommand(f"{element!r} is not an element of "
                             f"{qualifications.title(qualification['code'])}")
    if finding not in qualifications.FINDINGS:
        raise InvalidCommand(f"finding must be one of {', '.join(qualifications.FINDINGS)}")
    source_ids = [_source(case, s).source_id for s in source_ids]
    if finding == qualifications.MET and not source_ids:
        raise InvalidCommand("an element marked met must refer to at least one supporting "
                             "source excerpt")
    return _one(case, actor, role, NewEvent(ELEMENT_ASSESSED.name, {
        "qualification_id": qualification["qualification_id"], "element": element,
        "finding": finding, "source_ids": source_ids, "note": (note or "").strip()}))


def identity_commitment(salt: str, name: str) -> str:
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()


@command
def person_add(*, actor: Actor, case_id, role: str, name: str, pseudonym: str = "",
               protected: bool = False, expected_version: int | None = None) -> Outcome:
    """A person linked to the case. A protected person's name goes to the protected
    store; the event records a pseudonym and a salted commitment only."""
    actor_role = actor.role_for("add a person", CASE_WRITERS)
    case = _case(case_id, expected_version)
    if role not in PERSON_ROLES:
        raise InvalidCommand(f"role must be one of {', '.join(PERSON_ROLES)}")
    name = require_text(name, "name", max_length=300)
    person_id = new_id()
    pseudonym = (pseudonym or "").strip() or f"{role.replace('_', ' ').capitalize()} " \
        f"{len([p for p in case.persons if p['role'] == role]) + 1}"
    commitment = None
    if protected:
        salt = secrets.token_hex(16)
        commitment = identity_commitment(salt, name)
        ProtectedIdentity.objects.create(person_id=person_id, case_id=case.case_id,
                                         name=name, salt=salt)
    return _one(case, actor, actor_role, NewEvent(PERSON_ADDED.name, {
        "person_id": person_id, "role": role, "pseudonym": pseudonym,
        "protected": bool(protected), "name": None if protected else name,
        "identity_commitment": commitment}))


@command
def identity_reveal(*, actor: Actor, case_id, person_id, reason: str) -> str:
    """Return a protected person's real name to a cleared user, recording that they
    looked and why."""
    # Looking is not changing: a cleared auditor may look too, and the look is recorded.
    role = AUDITOR if AUDITOR in actor.roles else actor.role_for(
        "see a protected identity", CASE_WRITERS)
    if not actor.cleared:
        raise PermissionDenied(f"{actor.username} has no clearance for protected identities")
    case = case_state(case_id, lock=True)
    person = next((p for p in case.persons if p["person_id"] == str(person_id)), None)
    if person is None:
        raise NotFound(f"{case.reference} has no person {person_id}")
    if not person["protected"]:
        return person["name"]
    identity = ProtectedIdentity.objects.get(person_id=person["person_id"])
    _one(case, actor, role, NewEvent(IDENTITY_REVEALED.name, {
        "person_id": person["person_id"],
        "reason": require_text(reason, "reason", max_length=TEXT_MAX)}))
    return identity.name


def person_label(person: dict) -> str:
    """What everyone sees: the pseudonym of a protected person, the name otherwise."""
    return person["pseudonym"] if person["protected"] else person["name"]


@command
def case_split(*, actor: Actor, case_id, source_ids, title: str, reason: str,
               expected_version: int | None = None) -> Outcome:
    """Open a new case for part of this one (e.g. a second incident), carrying the chosen
    sources; both cases keep their histories and refer to each other."""
    role = actor.role_for("split a case", CASE_WRITERS)
    case = _case(case_id, expected_version)
    sources = [_source(case, s) for s in source_ids]
    if not sources:
        raise InvalidCommand("choose at least one source for the new case")
    reason = require_text(reason, "reason", max_length=TEXT_MAX)
    new_case_id = str(uuid.uuid4())
    case_open(actor=actor, case_id=new_case_id, title=title, summary=case.summary,
              categories=case.categories, places=case.places,
              incident_from=case.incident_from, incident_to=case.incident_to)
    for source in sources:
        source_attach(actor=actor, case_id=new_case_id, source_id=source.source_id,
                      title=source.title, url=source.url, origins=source.origins,
                      excerpt=source.excerpt, content_sha256=source.content_sha256,
                      published_on=source.published_on)
    new_case = case_state(new_case_id)
    write(new_case_id, actor=actor, role=role, expected_version=new_case.version,
          events=[NewEvent(CASE_SPLIT_FROM.name, {
              "from_case_id": case.case_id, "from_reference": case.reference,
              "reason": reason})])
    return _one(case, actor, role, NewEvent(CASE_SPLIT_OFF.name, {
        "new_case_id": new_case_id, "new_reference": new_case.reference,
        "source_ids": [s.source_id for s in sources], "reason": reason}))
