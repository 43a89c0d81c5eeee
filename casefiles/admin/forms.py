"""Forms of the admin. They only shape input; the commands validate it for real and
their refusals come back as form errors."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from casefiles.domain import liability, qualifications, taxonomy, workflow
from casefiles.domain.actors import AUDITOR, CASE_WRITERS, ROLES
from casefiles.domain.facts import CHAIN_ROLES, find_support
from casefiles.domain.persons import PERSON_ROLES, person_label
from casefiles.domain.sources import (
    CREDIBILITY,
    RELIABILITY,
    VERIFICATION_METHODS,
    VERIFICATION_RESULTS,
)
from casefiles.domain.state import CaseState, SourceRef
from casefiles.models import CaseFile


def category_choices() -> list[tuple[str, str]]:
    return [(code, entry["label"]) for code, entry in taxonomy.categories().items()]


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class LinesField(forms.CharField):
    """A list of names typed one per line."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return lines(super().to_python(value))

    def has_changed(self, initial, data):
        return lines(self.prepare_value(initial or [])) != self.to_python(data)


class CaseForm(forms.ModelForm):
    """The case's own fields. Workflow fields (state, version, hashes, approvals) are
    not in it: the admin shows them read-only."""

    categories = forms.MultipleChoiceField(
        label=_("Violation categories"),
        required=False,
        choices=category_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Rome Statute article 8 categories this case may fall under."),
    )
    places = LinesField(
        label=_("Places"),
        required=False,
        help_text=_("One place per line, e.g. a town and its region."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set on a second pass when the command refused the first: shown as the form's error.
    refusal: list[str] | None = None

    class Meta:
        model = CaseFile
        fields = [
            "title",
            "summary",
            "categories",
            "places",
            "incident_from",
            "incident_to",
            "outcome",
            "legal_qualification",
        ]
        labels = {
            "title": _("Title"),
            "summary": _("Summary"),
            "incident_from": _("Incident start"),
            "incident_to": _("Incident end"),
            "outcome": _("Outcome"),
            "legal_qualification": _("Legal qualification"),
        }
        help_texts = {
            "summary": _("What happened, in a few sentences. Required before sourcing."),
            "incident_from": _("First day of the incident (YYYY-MM-DD), if known."),
            "incident_to": _("Last day; leave empty for a single day or if unknown."),
            "legal_qualification": _("Recorded by a legal reviewer; required to close."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.refusal:
            raise forms.ValidationError(self.refusal)
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Recorded in the case's history, with your name and the time."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class OptionalReasonForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 70}),
        help_text=_("Recorded in the history of both cases."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3, "cols": 70}))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SourceForm(forms.Form):
    source_id = forms.UUIDField(
        label=_("Ingested source"),
        required=False,
        help_text=_(
            "The id of an ingested document (Sources list): its original, title, web "
            "address, date and origins are attached with it. Leave empty for a reference "
            "without an original."
        ),
    )
    title = forms.CharField(label=_("Title"), max_length=500, required=False)
    url = forms.CharField(label=_("Web address"), required=False, max_length=2000)
    origins = LinesField(
        label=_("Originating organisations"),
        required=False,
        help_text=_(
            "Who first produced this information, one per line. Sources sharing an "
            "organisation count as one origin for corroboration."
        ),
    )
    excerpt = forms.CharField(
        label=_("Excerpt"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_("The passage that supports the case, quoted exactly."),
    )
    published_on = forms.DateField(
        label=_("Published on"), required=False, help_text=_("YYYY-MM-DD")
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"),
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label=_("(nobody)"),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # People who can work cases; case_assign re-checks the same rule.
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=CASE_WRITERS)
            .exclude(groups__name=AUDITOR)
            .distinct()
            .order_by("username")
        )


class UploadForm(forms.Form):
    document = forms.FileField(
        label=_("Document"),
        help_text=_(
            "An article or report (HTML or text). The original is kept unchanged; "
            "candidate cases are opened from what it describes."
        ),
    )


class RestrictForm(ReasonForm):
    """The team a case is to be restricted to: a group other than the roles."""

    team = forms.ChoiceField(
        label=_("Team"), choices=(), help_text=_("The group whose members alone will see the case.")
    )
    field_order = ["team", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # restriction_request re-checks that the name is a group and not a role.
        teams = (
            Group.objects.exclude(name__in=ROLES).order_by("name").values_list("name", flat=True)
        )
        self.fields["team"].choices = [("", "—"), *((name, name) for name in teams)]


class DecideForm(ReasonForm):
    """Several pending requests decided at once, with one reason."""

    requests = forms.MultipleChoiceField(label=_("Requests"), choices=())

    def __init__(self, *args, request_ids: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].choices = [(pk, pk) for pk in request_ids]


# --- sources, facts, legal review, persons, split ---------------------------------------


def _words(code: str) -> str:
    return code.replace("_", " ")


def _source_choices(case: CaseState) -> list[tuple[str, str]]:
    return [(s.source_id, s.title) for s in case.sources]


def _find_source(case: CaseState, source_id: str) -> SourceRef | None:
    return next((s for s in case.sources if s.source_id == source_id), None)


class CaseBoundForm(forms.Form):
    """A form whose choices or initial values come from the case (its sources, facts,
    qualifications) and from the action's URL (which source, which qualification)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, case: CaseState, initial=None, **url_kwargs):
        super().__init__(data, initial=initial)
        self.bind(case, **url_kwargs)

    def bind(self, case: CaseState, **url_kwargs) -> None:
        """Fill choices and initial values from the case."""


class GradeForm(CaseBoundForm):
    reliability = forms.ChoiceField(
        label=_("Reliability of the source"),
        widget=forms.RadioSelect,
        choices=[(code, f"{code} — {words}") for code, words in RELIABILITY.items()],
    )
    credibility = forms.ChoiceField(
        label=_("Credibility of the information"),
        widget=forms.RadioSelect,
        choices=[(code, f"{code} — {words}") for code, words in CREDIBILITY.items()],
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_(
            "Why this grade. A new grade replaces the current one; every grade "
            "stays in the case's history."
        ),
    )

    def bind(self, case: CaseState, *, source_id: str) -> None:
        source = _find_source(case, source_id)
        if source is not None and source.grade:
            self.initial.setdefault("reliability", source.grade["reliability"])
            self.initial.setdefault("credibility", source.grade["credibility"])


class ProvenanceForm(CaseBoundForm):
    """The whole chain, one row per link (role + organisation); saving replaces the
    recorded chain, so the rows start from it."""

    SPARE_ROWS = 2

    def bind(self, case: CaseState, *, source_id: str) -> None:
        source = _find_source(case, source_id)
        chain = list(source.provenance) if source else []
        roles = [("", "—"), *((role, _words(role)) for role in workflow.PROVENANCE_ROLES)]
        self.row_count = max(len(chain) + self.SPARE_ROWS, 4)
        for n in range(self.row_count):
            link = chain[n] if n < len(chain) else {}
            role_label = _("Role %(n)d") % {"n": n + 1}
            organisation_label = _("Organisation %(n)d") % {"n": n + 1}
            # The table shows no labels next to the boxes; screen readers need them.
            self.fields[f"role_{n}"] = forms.ChoiceField(
                label=role_label,
                choices=roles,
                required=False,
                initial=link.get("role", ""),
                widget=forms.Select(attrs={"aria-label": role_label}),
            )
            self.fields[f"organisation_{n}"] = forms.CharField(
                label=organisation_label,
                required=False,
                max_length=300,
                initial=link.get("organisation", ""),
                widget=forms.TextInput(attrs={"aria-label": organisation_label, "size": 50}),
            )

    @property
    def table_rows(self) -> list[tuple]:
        return [(self[f"role_{n}"], self[f"organisation_{n}"]) for n in range(self.row_count)]

    def clean(self):
        cleaned = super().clean()
        chain = []
        for n in range(self.row_count):
            role = cleaned.get(f"role_{n}") or ""
            organisation = (cleaned.get(f"organisation_{n}") or "").strip()
            if not role and not organisation:
                continue
            if not role or not organisation:
                raise forms.ValidationError(
                    _("Row %(n)d needs both a role and an organisation.") % {"n": n + 1}
                )
            chain.append({"role": role, "organisation": organisation})
        cleaned["chain"] = chain
        return cleaned


class VerificationForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Method"), choices=[(m, _words(m)) for m in VERIFICATION_METHODS]
    )
    result = forms.ChoiceField(
        label=_("Result"),
        widget=forms.RadioSelect,
        choices=[(r, _words(r)) for r in VERIFICATION_RESULTS],
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("What was compared with what, and what was found."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class FactForm(forms.Form):
    text = forms.CharField(
        label=_("Fact"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_(
            "One statement the sources may support, e.g. “Two captured soldiers "
            "were shot near Bakhmut on 2023-03-05”."
        ),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SupportForm(CaseBoundForm):
    fact = forms.ChoiceField(label=_("Fact"))
    source = forms.ChoiceField(label=_("Source"))
    quote = forms.CharField(
        label=_("Quoted text"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_(
            "The passage of the source's text that supports the fact, exactly as it is "
            "there (select it in the source's text to fill this in)."
        ),
    )
    start = forms.IntegerField(
        label=_("From character"), required=False, min_value=0, widget=forms.HiddenInput
    )
    end = forms.IntegerField(
        label=_("To character"), required=False, min_value=0, widget=forms.HiddenInput
    )
    aggregate_incidents = forms.IntegerField(
        label=_("Aggregate figure: number of incidents"),
        required=False,
        min_value=2,
        max_value=1_000_000,
        help_text=_(
            "Fill in only when the passage gives a figure across several incidents; it "
            "then corroborates a single incident only once linked to it with a reason."
        ),
    )
    aggregate_reason = forms.CharField(
        label=_("What the aggregate covers"), required=False, max_length=2000
    )

    def bind(self, case: CaseState) -> None:
        self.fields["fact"].choices = [(f["fact_id"], f["text"][:120]) for f in case.facts]
        self.fields["source"].choices = _source_choices(case)


PART_LABELS = {
    "6": _("Art. 6 — genocide"),
    "7": _("Art. 7 — crimes against humanity"),
    "8(2)(a)": _("Art. 8(2)(a) — grave breaches (international armed conflict)"),
    "8(2)(b)": _("Art. 8(2)(b) — other serious violations (international armed conflict)"),
    "8(2)(c)": _("Art. 8(2)(c) — common article 3 (non-international armed conflict)"),
    "8(2)(e)": _("Art. 8(2)(e) — other serious violations (non-international armed conflict)"),
}


class SpanOriginForm(ProvenanceForm):
    """A cited span's origin chain, one row per link, starting from the recorded one."""

    def bind(self, case: CaseState, *, fact_id: str, support_id: str) -> None:
        support = find_support(case, fact_id, support_id) or {}
        chain = list(support.get("chain") or [])
        roles = [("", "—"), *((role, _words(role)) for role in CHAIN_ROLES)]
        self.row_count = max(len(chain) + self.SPARE_ROWS, 4)
        for n in range(self.row_count):
            link = chain[n] if n < len(chain) else {}
            role_label = _("Role %(n)d") % {"n": n + 1}
            organisation_label = _("Organisation %(n)d") % {"n": n + 1}
            self.fields[f"role_{n}"] = forms.ChoiceField(
                label=role_label,
                choices=roles,
                required=False,
                initial=link.get("role", ""),
                widget=forms.Select(attrs={"aria-label": role_label}),
            )
            self.fields[f"organisation_{n}"] = forms.CharField(
                label=organisation_label,
                required=False,
                max_length=300,
                initial=link.get("organisation", ""),
                widget=forms.TextInput(attrs={"aria-label": organisation_label, "size": 50}),
            )


class AggregateForm(ReasonForm):
    incidents = forms.IntegerField(
        label=_("Aggregate figure: number of incidents"), min_value=2, max_value=1_000_000
    )


class QualificationForm(CaseBoundForm):
    code = forms.ChoiceField(label=_("Provision (Rome Statute)"))

    def bind(self, case: CaseState) -> None:
        recorded = {q["code"] for q in case.qualifications}
        groups: dict[str, list[tuple[str, str]]] = {}
        for code, entry in qualifications.provisions().items():
            if code not in recorded:
                groups.setdefault(entry["part"], []).append((code, qualifications.title(code)))
        self.fields["code"].choices = [
            (str(PART_LABELS.get(part, part)), choices) for part, choices in groups.items()
        ]


def _fact_choices(case: CaseState) -> list[tuple[str, str]]:
    return [(f["fact_id"], f["text"][:160]) for f in case.facts]


class _AssessmentForm(CaseBoundForm):
    """The parts every assessment shares: finding, standard of proof, facts cited, note."""

    element = forms.ChoiceField(label=_("Element"))
    finding = forms.ChoiceField(
        label=_("Finding"),
        widget=forms.RadioSelect,
        choices=[(f, qualifications.FINDING_WORDS[f]) for f in qualifications.FINDINGS],
    )
    standard = forms.ChoiceField(
        label=_("Standard of proof"),
        widget=forms.RadioSelect,
        help_text=_("The standard the finding is made on; the team's policy sets the default."),
    )
    facts = forms.MultipleChoiceField(
        label=_("Facts the finding rests on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Required when the element is met: facts recorded in this case."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 70})
    )

    def _bind_assessment(self, case: CaseState, elements: list[dict], assessments: dict) -> None:
        self.fields["element"].choices = [(e["id"], e["text"]) for e in elements]
        self.fields["standard"].choices = [
            (code, entry["label"]) for code, entry in qualifications.standards().items()
        ]
        self.initial.setdefault("standard", qualifications.default_standard())
        self.fields["facts"].choices = _fact_choices(case)
        current = assessments.get(self.initial.get("element"))
        if current:
            self.initial.update(
                finding=current["finding"],
                facts=current.get("fact_ids", []),
                note=current["note"],
            )
            if current.get("standard"):
                self.initial["standard"] = current["standard"]


class AssessForm(_AssessmentForm):
    def bind(self, case: CaseState, *, qualification_id: str) -> None:
        self.fields["element"].label = _("Element of crime")
        qualification = next(
            (q for q in case.qualifications if q["qualification_id"] == qualification_id), None
        )
        if qualification is None:
            return
        entry = qualifications.provisions()[qualification["code"]]
        self._bind_assessment(case, entry["elements"], qualification["elements"])


class ConflictForm(CaseBoundForm):
    classification = forms.ChoiceField(
        label=_("The armed conflict is"),
        widget=forms.RadioSelect,
        choices=[
            (qualifications.INTERNATIONAL, _("international")),
            (qualifications.NON_INTERNATIONAL, _("non-international")),
            (qualifications.BOTH, _("both (parallel international and non-international)")),
            (qualifications.UNDETERMINED, _("undetermined")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("The parties, the territory and the facts the classification rests on."),
    )

    def bind(self, case: CaseState) -> None:
        if case.conflict:
            self.initial.setdefault("classification", case.conflict["classification"])


class LiabilityForm(CaseBoundForm):
    person = forms.ChoiceField(label=_("Alleged perpetrator"))
    mode = forms.ChoiceField(label=_("Mode of liability"))
    qualification = forms.ChoiceField(label=_("For the crime"))

    def bind(self, case: CaseState) -> None:
        self.fields["person"].choices = [
            (p["person_id"], person_label(p))
            for p in case.persons
            if p["role"] in liability.PERPETRATOR_ROLES
        ]
        self.fields["mode"].choices = [
            (code, liability.mode_title(code)) for code in liability.modes()
        ]
        self.fields["qualification"].choices = [
            (q["qualification_id"], qualifications.title(q["code"])) for q in case.qualifications
        ]


class LiabilityAssessForm(_AssessmentForm):
    def bind(self, case: CaseState, *, liability_id: str) -> None:
        self.fields["element"].label = _("Element of the mode of liability")
        alleged = next((i for i in case.liabilities if i["liability_id"] == liability_id), None)
        if alleged is None:
            return
        entry = liability.modes()[alleged["mode"]]
        self._bind_assessment(case, entry["elements"], alleged["elements"])


class PersonForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[(r, _words(r)) for r in PERSON_ROLES])
    name = forms.CharField(
        label=_("Name"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 50}),
    )
    protected = forms.BooleanField(
        label=_("Protected person"),
        required=False,
        help_text=_(
            "The name is kept out of the case's history; people without clearance "
            "see only the pseudonym, and every look at the name is recorded."
        ),
    )
    pseudonym = forms.CharField(
        label=_("Pseudonym"),
        required=False,
        max_length=100,
        help_text=_("Leave empty for an automatic one such as “Witness 2”."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SplitForm(CaseBoundForm):
    sources = forms.MultipleChoiceField(
        label=_("Sources for the new case"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They are attached to the new case; this case keeps them too."),
    )
    title = forms.CharField(label=_("Title of the new case"), max_length=500)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Recorded in the history of both cases."),
    )

    def bind(self, case: CaseState) -> None:
        self.fields["sources"].choices = _source_choices(case)
