"""The case page's actions: each is a small form whose submission calls one command.

An action says which roles the page is offered to (the command decides for real), what
to show before the user asks (e.g. unmet entry criteria) and which command to call.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casefiles import commands
from casefiles.admin import compartments, facts, legal, links, persons, sources
from casefiles.admin import forms as admin_forms
from casefiles.admin.access import may, may_see_identities
from casefiles.admin.base import ShownOnce
from casefiles.admin.labels import relation_label, state_label
from casefiles.commands.base import corrections, item_of
from casefiles.commands.links import cases_merge, link_dismiss
from casefiles.domain import workflow
from casefiles.domain.actors import (
    CASE_WRITERS,
    DOCUMENTER,
    LEGAL_REVIEWER,
    LINK_DECIDERS,
    PERMISSIONS,
    REQUESTERS,
    SUPERVISOR,
    Actor,
)
from casefiles.domain.state import CaseState
from casefiles.errors import InvalidCommand, NotFound


@dataclass(frozen=True)
class Button:
    value: str
    label: str
    default: bool = False


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    form: type[forms.Form]
    allowed: tuple[str, ...]
    # (actor, case, cleaned data, pressed button, url kwargs) -> message for the user, or
    # a result to show on the answering page only (ShownOnce)
    run: Callable[..., str | ShownOnce]
    buttons: tuple[Button, ...]
    # (case, url kwargs) -> (heading, lines) shown above the form
    explain: Callable[..., tuple[str, list[str]]] = lambda case, **kw: ("", [])
    url_kwargs: tuple[str, ...] = field(default=())
    # Who is offered the page when it is not a matter of roles alone (clearance).
    offered: Callable[[HttpRequest], bool] | None = None

    def offered_to(self, request: HttpRequest) -> bool:
        return self.offered(request) if self.offered else may(request, self.allowed)


def _pending(case: CaseState):
    if case.pending is None:
        raise NotFound(f"{case.reference} has no pending request")
    return case.pending


def _explain_request(case: CaseState, *, to_state: str) -> tuple[str, list[str]]:
    unmet = workflow.unmet_criteria(case, to_state)
    if unmet:
        return (str(_("Not possible yet. These entry criteria are not met:")), unmet)
    return (
        str(_("All entry criteria are met. A supervisor will approve or reject the request.")),
        [],
    )


def _run_request(actor: Actor, case: CaseState, data: dict, button: str, *, to_state: str) -> str:
    commands.transition_request(
        actor=actor,
        case_id=case.case_id,
        to_state=to_state,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(
        _("Requested %(from)s → %(to)s for %(ref)s; a supervisor will decide.")
        % {"from": state_label(case.state), "to": state_label(to_state), "ref": case.reference}
    )


def _explain_decision(case: CaseState) -> tuple[str, list[str]]:
    pending = _pending(case)
    lines = [
        str(
            _("Requested by %(who)s: %(from)s → %(to)s")
            % {
                "who": pending.requested_by,
                "from": state_label(pending.from_state),
                "to": state_label(pending.to_state),
            }
        ),
        str(_("Their reason: %(reason)s") % {"reason": pending.reason}),
    ]
    unmet = workflow.unmet_criteria(case, pending.to_state)
    lines += [str(_("Not met now: %(criterion)s") % {"criterion": c}) for c in unmet] or [
        str(_("The entry criteria hold now."))
    ]
    return (str(_("The request")), lines)


def _run_decision(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    pending = _pending(case)
    decide = {"approve": commands.transition_approve, "reject": commands.transition_reject}.get(
        button
    )
    if decide is None:
        raise InvalidCommand("choose Approve or Reject")
    decide(
        actor=actor,
        request_id=pending.request_id,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    verb = _("Approved") if button == "approve" else _("Rejected")
    return str(
        _("%(verb)s %(from)s → %(to)s for %(ref)s.")
        % {
            "verb": verb,
            "from": state_label(pending.from_state),
            "to": state_label(pending.to_state),
            "ref": case.reference,
        }
    )


def _run_withdraw(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    commands.transition_withdraw(
        actor=actor,
        request_id=_pending(case).request_id,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(_("Your request on %(ref)s was withdrawn.") % {"ref": case.reference})


def _run_note(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    commands.note_add(
        actor=actor,
        case_id=case.case_id,
        text=data["text"],
        expected_version=data["expected_version"],
    )
    return str(_("Note added to %(ref)s.") % {"ref": case.reference})


def _run_source(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    commands.source_attach(
        actor=actor,
        case_id=case.case_id,
        source_id=data["source_id"],
        title=data["title"],
        url=data["url"],
        origins=data["origins"],
        excerpt=data["excerpt"],
        published_on=data["published_on"],
        expected_version=data["expected_version"],
    )
    return str(_("Source attached to %(ref)s.") % {"ref": case.reference})


def _run_assign(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    person = data["assignee"]
    commands.case_assign(
        actor=actor,
        case_id=case.case_id,
        assignee=person,
        expected_version=data["expected_version"],
    )
    if person is None:
        return str(_("%(ref)s is now unassigned.") % {"ref": case.reference})
    return str(
        _("%(ref)s is now assigned to %(who)s.")
        % {"ref": case.reference, "who": person.get_username()}
    )


def _link(case: CaseState, link_id: str):
    link = next((lk for lk in case.links if lk.link_id == link_id), None)
    if link is None:
        raise NotFound(f"{case.reference} has no link {link_id}")
    return link


def _explain_link(case: CaseState, *, link_id: str) -> tuple[str, list[str]]:
    link = _link(case, link_id)
    return (
        str(
            _("%(relation)s: %(other)s, because:")
            % {"relation": relation_label(link.relation), "other": link.other_reference}
        ),
        list(link.reasons),
    )


def _run_link(actor: Actor, case: CaseState, data: dict, button: str, *, link_id: str) -> str:
    link = _link(case, link_id)
    if button == "merge":
        outcome = cases_merge(
            actor=actor, case_id=case.case_id, link_id=link_id, reason=data["reason"]
        )
        if outcome.events[-1].type == "MergeRequested":
            return str(
                _("Asked to merge %(other)s into %(ref)s; a supervisor other than you will decide.")
                % {"other": link.other_reference, "ref": case.reference}
            )
        return str(
            _("%(other)s was merged into %(ref)s; its sources are now here.")
            % {"other": link.other_reference, "ref": case.reference}
        )
    if button == "dismiss":
        link_dismiss(actor=actor, case_id=case.case_id, link_id=link_id, reason=data["reason"])
        return str(
            _("The suggested link to %(other)s was dismissed.") % {"other": link.other_reference}
        )
    raise InvalidCommand("choose Merge or Dismiss")


def _run_discard(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    commands.candidate_discard(
        actor=actor,
        case_id=case.case_id,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(
        _("%(ref)s was discarded; a supervisor other than you can restore it.")
        % {"ref": case.reference}
    )


def _run_restore(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    commands.candidate_restore(
        actor=actor,
        case_id=case.case_id,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(_("%(ref)s is back at intake.") % {"ref": case.reference})


def _explain_restore(case: CaseState) -> tuple[str, list[str]]:
    if case.discarded is None:
        return (str(_("The case is not discarded.")), [])
    return (
        str(_("The discarded candidate")),
        [
            str(
                _("Discarded by %(who)s: %(reason)s")
                % {"who": case.discarded["discarded_by"], "reason": case.discarded["reason"]}
            ),
            str(_("Restoring puts it back at intake; the person who discarded it cannot.")),
        ],
    )


def _run_waive(actor: Actor, case: CaseState, data: dict, button: str) -> str:
    commands.criteria_waive(
        actor=actor,
        case_id=case.case_id,
        reason=data["reason"],
        expected_version=data["expected_version"],
    )
    return str(
        _("The independent-sources criterion is waived for %(ref)s.") % {"ref": case.reference}
    )


def correction_action(correction) -> Action:
    """The admin action of a correction (casefiles.commands.base.Correction), derived
    from its declaration: a reason form on the item, offered to the roles of its entry
    in the roles table."""

    def item(case: CaseState, kwargs: dict):
        return item_of(case, correction.items, correction.key, kwargs[correction.key])

    def run(actor: Actor, case: CaseState, data: dict, button: str, **kwargs) -> str:
        label = correction.label(item(case, kwargs))
        correction.run(
            actor=actor,
            case_id=case.case_id,
            reason=data["reason"],
            expected_version=data["expected_version"],
            **kwargs,
        )
        return str(_(correction.done) % {"item": label, "ref": case.reference})

    def explain(case: CaseState, **kwargs) -> tuple[str, list[str]]:
        return (
            correction.label(item(case, kwargs)),
            [
                str(
                    _(
                        "Your reason is recorded in the case's history, which keeps "
                        "everything recorded about it."
                    )
                )
            ],
        )

    return Action(
        correction.verb,
        _(correction.title),
        admin_forms.ReasonForm,
        PERMISSIONS[correction.name].roles,
        run,
        (Button(correction.verb, _(correction.title), True),),
        explain,
        (correction.key,),
    )


ACTIONS = {
    action.name: action
    for action in (
        *(correction_action(c) for c in corrections()),
        Action(
            "request",
            _("Ask to change the state"),
            admin_forms.ReasonForm,
            REQUESTERS,
            _run_request,
            (Button("send", _("Send the request"), True),),
            _explain_request,
            ("to_state",),
        ),
        Action(
            "decide",
            _("Approve or reject the request"),
            admin_forms.ReasonForm,
            (SUPERVISOR,),
            _run_decision,
            (Button("approve", _("Approve"), True), Button("reject", _("Reject"))),
            lambda case, **kw: _explain_decision(case),
        ),
        Action(
            "withdraw",
            _("Withdraw your request"),
            admin_forms.ReasonForm,
            REQUESTERS,
            _run_withdraw,
            (Button("withdraw", _("Withdraw the request"), True),),
        ),
        Action(
            "note",
            _("Add a note"),
            admin_forms.NoteForm,
            CASE_WRITERS,
            _run_note,
            (Button("add", _("Add the note"), True),),
        ),
        Action(
            "source",
            _("Attach a source"),
            admin_forms.SourceForm,
            CASE_WRITERS,
            _run_source,
            (Button("attach", _("Attach the source"), True),),
        ),
        Action(
            "assign",
            _("Assign the case"),
            admin_forms.AssignForm,
            (SUPERVISOR, DOCUMENTER),
            _run_assign,
            (Button("assign", _("Assign"), True),),
        ),
        Action(
            "link",
            _("Suggested link"),
            admin_forms.OptionalReasonForm,
            LINK_DECIDERS,
            _run_link,
            (
                Button("merge", _("Same incident: merge it into this case"), True),
                Button("dismiss", _("Not the same incident: dismiss")),
            ),
            _explain_link,
            ("link_id",),
        ),
        Action(
            "merge_decision",
            _("Approve or reject the merge request"),
            admin_forms.ReasonForm,
            (SUPERVISOR,),
            links.run_merge_decision,
            (Button("approve", _("Approve"), True), Button("reject", _("Reject"))),
            lambda case, **kw: links.explain_merge_decision(case),
        ),
        Action(
            "discard",
            _("Discard the candidate"),
            admin_forms.ReasonForm,
            (DOCUMENTER,),
            _run_discard,
            (Button("discard", _("Discard"), True),),
            lambda case, **kw: (
                "",
                [
                    str(
                        _(
                            "The candidate leaves the intake queue and its record stops "
                            "changing. Nothing is deleted; a supervisor other than you can "
                            "restore it."
                        )
                    )
                ],
            ),
        ),
        Action(
            "restore",
            _("Restore the discarded candidate"),
            admin_forms.ReasonForm,
            (SUPERVISOR,),
            _run_restore,
            (Button("restore", _("Restore to intake"), True),),
            lambda case, **kw: _explain_restore(case),
        ),
        Action(
            "waive",
            _("Waive the independent-sources criterion"),
            admin_forms.ReasonForm,
            (SUPERVISOR,),
            _run_waive,
            (Button("waive", _("Record the waiver"), True),),
            lambda case, **kw: (
                "",
                [
                    str(
                        _(
                            "Legal review normally needs sources from two independent origins. "
                            "A waiver lets the case go on with fewer; it is recorded with your "
                            "reason."
                        )
                    )
                ],
            ),
        ),
        Action(
            "grade",
            _("Grade a source"),
            admin_forms.GradeForm,
            CASE_WRITERS,
            sources.run_grade,
            (Button("grade", _("Record the grade"), True),),
            sources.explain_grade,
            ("source_id",),
        ),
        Action(
            "provenance",
            _("Record the provenance of a source"),
            admin_forms.ProvenanceForm,
            CASE_WRITERS,
            sources.run_provenance,
            (Button("record", _("Record the chain"), True),),
            sources.explain_provenance,
            ("source_id",),
        ),
        Action(
            "verification",
            _("Record a verification step"),
            admin_forms.VerificationForm,
            CASE_WRITERS,
            sources.run_verification,
            (Button("record", _("Record the step"), True),),
            sources.explain_verification,
            ("source_id",),
        ),
        Action(
            "fact",
            _("Add a fact"),
            admin_forms.FactForm,
            CASE_WRITERS,
            facts.run_fact,
            (Button("add", _("Add the fact"), True),),
        ),
        Action(
            "support",
            _("Link a source to a fact"),
            admin_forms.SupportForm,
            CASE_WRITERS,
            facts.run_support,
            (Button("link", _("Link"), True),),
            lambda case, **kw: facts.explain_support(case),
        ),
        *(
            Action(
                name,
                title,
                form,
                CASE_WRITERS,
                run,
                (Button(name, button, True),),
                facts.explain_span,
                ("fact_id", "support_id"),
            )
            for name, title, form, run, button in (
                (
                    "span_origin",
                    _("Record the origin of a cited span"),
                    admin_forms.SpanOriginForm,
                    facts.run_span_origin,
                    _("Record the chain"),
                ),
                (
                    "span_withdraw",
                    _("Withdraw a span's support"),
                    admin_forms.ReasonForm,
                    facts.run_span_withdraw,
                    _("Withdraw"),
                ),
                (
                    "span_aggregate",
                    _("Mark a cited span as an aggregate figure"),
                    admin_forms.AggregateForm,
                    facts.run_span_aggregate,
                    _("Mark"),
                ),
                (
                    "span_link",
                    _("Link an aggregate figure to the fact"),
                    admin_forms.ReasonForm,
                    facts.run_span_link,
                    _("Link"),
                ),
            )
        ),
        Action(
            "qualification",
            _("Add a legal qualification"),
            admin_forms.QualificationForm,
            (LEGAL_REVIEWER,),
            legal.run_qualification,
            (Button("add", _("Add the qualification"), True),),
            lambda case, **kw: legal.explain_qualification(case),
        ),
        Action(
            "assess",
            _("Assess an element of crime"),
            admin_forms.AssessForm,
            (LEGAL_REVIEWER,),
            legal.run_assess,
            (Button("assess", _("Record the finding"), True),),
            legal.explain_assess,
            ("qualification_id",),
        ),
        Action(
            "conflict",
            _("Classify the armed conflict"),
            admin_forms.ConflictForm,
            (LEGAL_REVIEWER,),
            legal.run_conflict,
            (Button("classify", _("Record the classification"), True),),
            lambda case, **kw: legal.explain_conflict(case),
        ),
        Action(
            "liability",
            _("Allege a mode of liability"),
            admin_forms.LiabilityForm,
            (LEGAL_REVIEWER,),
            legal.run_liability,
            (Button("allege", _("Record the allegation"), True),),
        ),
        Action(
            "liability_assess",
            _("Assess an element of a mode of liability"),
            admin_forms.LiabilityAssessForm,
            (LEGAL_REVIEWER,),
            legal.run_liability_assess,
            (Button("assess", _("Record the finding"), True),),
            legal.explain_liability_assess,
            ("liability_id",),
        ),
        Action(
            "person",
            _("Add a person"),
            admin_forms.PersonForm,
            CASE_WRITERS,
            persons.run_person,
            (Button("add", _("Add the person"), True),),
        ),
        Action(
            "reveal",
            _("Show a protected identity"),
            admin_forms.ReasonForm,
            (),
            persons.run_reveal,
            (Button("reveal", _("Show the name"), True),),
            persons.explain_reveal,
            ("person_id",),
            offered=may_see_identities,
        ),
        Action(
            "split",
            _("Split the case"),
            admin_forms.SplitForm,
            CASE_WRITERS,
            links.run_split,
            (Button("split", _("Open the new case"), True),),
        ),
        Action(
            "restrict",
            _("Restrict the case to a team"),
            admin_forms.RestrictForm,
            CASE_WRITERS,
            compartments.run_restrict,
            (Button("send", _("Send the request"), True),),
            lambda case, **kw: compartments.explain_restrict(case),
        ),
        Action(
            "lift",
            _("Lift the restriction"),
            admin_forms.ReasonForm,
            CASE_WRITERS,
            compartments.run_lift,
            (Button("send", _("Send the request"), True),),
            lambda case, **kw: compartments.explain_lift(case),
        ),
        Action(
            "restriction",
            _("Approve or reject the restriction request"),
            admin_forms.ReasonForm,
            (SUPERVISOR,),
            compartments.run_decision,
            (Button("approve", _("Approve"), True), Button("reject", _("Reject"))),
            lambda case, **kw: compartments.explain_decision(case),
        ),
    )
}
