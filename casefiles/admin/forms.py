"""Forms of the admin. They only shape input; the commands validate it for real and
their refusals come back as form errors."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from casefiles.domain import taxonomy
from casefiles.domain.actors import AUDITOR, DOCUMENTER, LEGAL_REVIEWER, SUPERVISOR
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
        label=_("Violation categories"), required=False, choices=category_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Rome Statute article 8 categories this case may fall under."),
    )
    places = LinesField(
        label=_("Places"), required=False,
        help_text=_("One place per line, e.g. a town and its region."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set on a second pass when the command refused the first: shown as the form's error.
    refusal: list[str] | None = None

    class Meta:
        model = CaseFile
        fields = ["title", "summary", "categories", "places", "incident_from", "incident_to",
                  "outcome", "legal_qualification"]
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
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Recorded in the case's history, with your name and the time."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class OptionalReasonForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 70}),
        help_text=_("Recorded in the history of both cases."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3, "cols": 70}))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SourceForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=500)
    url = forms.CharField(label=_("Web address"), required=False, max_length=2000)
    origins = LinesField(
        label=_("Originating organisations"), required=False,
        help_text=_("Who first produced this information, one per line. Sources sharing an "
                    "organisation count as one origin for corroboration."),
    )
    excerpt = forms.CharField(
        label=_("Excerpt"), required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_("The passage that supports the case, quoted exactly."),
    )
    published_on = forms.DateField(label=_("Published on"), required=False,
                                   help_text=_("YYYY-MM-DD"))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), required=False, queryset=get_user_model().objects.none(),
        empty_label=_("(nobody)"),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # People who can work cases; case_assign re-checks the same rule.
        self.fields["assignee"].queryset = (
            get_user_model().objects.filter(
                is_active=True, groups__name__in=(DOCUMENTER, LEGAL_REVIEWER, SUPERVISOR))
            .exclude(groups__name=AUDITOR).distinct().order_by("username")
        )


class UploadForm(forms.Form):
    document = forms.FileField(
        label=_("Document"),
        help_text=_("An article or report (HTML or text). The original is kept unchanged; "
                    "candidate cases are opened from what it describes."),
    )


class DecideForm(ReasonForm):
    """Several pending requests decided at once, with one reason."""

    requests = forms.MultipleChoiceField(label=_("Requests"), choices=())

    def __init__(self, *args, request_ids: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].choices = [(pk, pk) for pk in request_ids]
