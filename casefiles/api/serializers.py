"""Small input serializers (types only: the commands decide what is valid) and output
serializers for the read models, CaseState and event records."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casefiles.domain import facts as fact_rules
from casefiles.domain import liability, qualifications, taxonomy, workflow
from casefiles.domain.persons import PERSON_ROLES
from casefiles.domain.sources import (
    CREDIBILITY,
    RELIABILITY,
    VERIFICATION_METHODS,
    VERIFICATION_RESULTS,
)
from casefiles.domain.state import CaseState


def _text(**kwargs) -> serializers.CharField:
    # The commands strip and check text themselves, with their own messages.
    return serializers.CharField(trim_whitespace=False, allow_blank=True, **kwargs)


def _texts(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=_text(), **kwargs)


def _refuse_unknown(data, fields) -> None:
    if isinstance(data, Mapping):
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [f"unknown field; allowed: {', '.join(fields)}"] for name in unknown}
            )


class Strict(serializers.Serializer):
    """Unknown fields are refused, not dropped: a misspelt field must not lose an edit."""

    def validate(self, attrs):
        _refuse_unknown(self.initial_data, self.fields)
        return attrs


class StrictNested(serializers.Serializer):
    """Strict for an object inside a request body (it has no initial_data of its own)."""

    def to_internal_value(self, data):
        _refuse_unknown(data, self.fields)
        return super().to_internal_value(data)


# --- input -----------------------------------------------------------------------------


class CaseOpenInput(Strict):
    title = _text()
    summary = _text(required=False, default="")
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=list(taxonomy.categories())),
        required=False,
        default=list,
    )
    places = _texts(required=False, default=list)
    incident_from = serializers.DateField(required=False, allow_null=True, default=None)
    incident_to = serializers.DateField(required=False, allow_null=True, default=None)


class CaseEditInput(Strict):
    """Only the fields sent are changed (null clears an optional field)."""

    title = _text(required=False)
    summary = _text(required=False, allow_null=True)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=list(taxonomy.categories())), required=False
    )
    places = _texts(required=False)
    incident_from = serializers.DateField(required=False, allow_null=True)
    incident_to = serializers.DateField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=workflow.OUTCOMES, required=False, allow_null=True)
    legal_qualification = _text(required=False, allow_null=True)


class SourceAttachInput(Strict):
    title = _text(
        required=False,
        default="",
        help_text="required without source_id; an ingested source's own title otherwise",
    )
    url = _text(required=False, default="")
    origins = _texts(
        required=False,
        default=list,
        help_text="originating organisations; sources sharing one count once",
    )
    excerpt = _text(required=False, default="")
    content_sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$", required=False, allow_null=True, default=None
    )
    published_on = serializers.DateField(required=False, allow_null=True, default=None)
    source_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="an ingested source's id, to attach it: its original, title, URL, "
        "publication date, origins and metadata are copied (unless given)",
    )


class NoteInput(Strict):
    text = _text()


class AssignInput(Strict):
    assignee = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="the user id of a documenter, legal reviewer or supervisor; null unassigns",
    )


class WaiverInput(Strict):
    reason = _text()
    to_state = serializers.ChoiceField(
        choices=[workflow.LEGAL_REVIEW],
        default=workflow.LEGAL_REVIEW,
        help_text="the state whose independent-sources criterion is waived",
    )


class TransitionInput(Strict):
    to_state = serializers.ChoiceField(choices=workflow.STATES)
    reason = _text()


class DecisionInput(Strict):
    reason = _text()


class ReasonInput(Strict):
    reason = _text()


class MergeDecisionInput(Strict):
    approve = serializers.BooleanField()
    reason = _text()


class IngestionUpload(Strict):
    file = serializers.FileField(allow_empty_file=True)


# --- input: sources, facts, legal review, persons, links --------------------------------


class GradeInput(Strict):
    reliability = serializers.ChoiceField(
        choices=list(RELIABILITY),
        help_text="of the source, A (completely reliable) to F (cannot be judged)",
    )
    credibility = serializers.ChoiceField(
        choices=list(CREDIBILITY),
        help_text="of the information, 1 (confirmed by other sources) to 6 (cannot be judged)",
    )
    reason = _text()


class ProvenanceLink(StrictNested):
    role = serializers.ChoiceField(
        choices=workflow.PROVENANCE_ROLES,
        help_text="captured, obtained, verified and "
        "documented name an origin; relayed and published add none",
    )
    organisation = _text()


class ProvenanceInput(Strict):
    chain = ProvenanceLink(many=True, help_text="replaces the source's recorded chain")


class VerificationInput(Strict):
    method = serializers.ChoiceField(choices=VERIFICATION_METHODS)
    result = serializers.ChoiceField(choices=VERIFICATION_RESULTS)
    notes = _text(required=False, default="")


class FactInput(Strict):
    text = _text()


class OriginLink(StrictNested):
    role = serializers.ChoiceField(
        choices=fact_rules.CHAIN_ROLES,
        help_text="captured, obtained and documented are first-hand; verified, relayed "
        "and published are later links",
    )
    organisation = _text()
    quote = _text(
        required=False,
        help_text="the passage of the same source that says so (checked like the span)",
    )
    start = serializers.IntegerField(required=False, min_value=0, max_value=2**53)
    end = serializers.IntegerField(required=False, min_value=0, max_value=2**53)


class FactSupportInput(Strict):
    source_id = serializers.UUIDField(help_text="an exhibit of this case with a stored text")
    quote = _text(help_text="the cited text, exactly as it is in the source's stored text")
    start = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**53,
        help_text="where the quote begins in the stored text (characters, from 0); "
        "without start and end the quote must occur exactly once",
    )
    end = serializers.IntegerField(
        required=False, min_value=0, max_value=2**53, help_text="where it ends (exclusive)"
    )
    text_sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        help_text="SHA-256 of the quote's UTF-8 bytes, checked when given",
    )
    chain = OriginLink(
        many=True,
        required=False,
        help_text="the span's origin chain, earliest first; the source's provenance when absent",
    )
    aggregate_incidents = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31,
        help_text="the span is an aggregate figure covering this many incidents",
    )
    aggregate_reason = _text(required=False, default="")


class SupportOriginInput(Strict):
    chain = OriginLink(many=True, help_text="replaces the span's origin chain, earliest first")


class SupportAggregateInput(Strict):
    incidents = serializers.IntegerField(min_value=0, max_value=2**31)
    reason = _text()


class QualificationInput(Strict):
    code = serializers.ChoiceField(
        choices=[(code, qualifications.title(code)) for code in qualifications.provisions()],
        help_text="a Rome Statute provision (art. 6, 7, 8(2)(a), (b), (c), (e)); a war crime "
        "must fit the case's conflict classification",
    )


class _Assessment(Strict):
    finding = serializers.ChoiceField(choices=qualifications.FINDINGS)
    standard = serializers.ChoiceField(
        choices=list(qualifications.standards()),
        required=False,
        allow_null=True,
        default=None,
        help_text="the standard of proof the finding is made on; default: the team's policy "
        f"default ({qualifications.default_standard()})",
    )
    fact_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=qualifications.FACTS_MAX,
        help_text="facts recorded in this case that the finding rests on, each once; at least "
        "one when the finding is met",
    )
    note = _text(required=False, default="")


class ElementInput(_Assessment):
    element = _text(help_text="an element id of the qualification's provision")


class ConflictInput(Strict):
    classification = serializers.ChoiceField(choices=qualifications.CLASSIFICATIONS)
    reason = _text(
        help_text="why: the parties, the territory, the facts the classification rests on"
    )


class LiabilityInput(Strict):
    person_id = serializers.UUIDField(help_text="a person of this case, role alleged_perpetrator")
    mode = serializers.ChoiceField(
        choices=[(code, liability.mode_title(code)) for code in liability.modes()]
    )
    qualification_id = serializers.UUIDField(help_text="a qualification recorded on this case")


class LiabilityElementInput(_Assessment):
    element = _text(help_text="an element id of the alleged mode of liability")


class PersonInput(Strict):
    role = serializers.ChoiceField(choices=PERSON_ROLES)
    name = _text(
        help_text="for a protected person this goes to the protected store only: "
        "the event records the pseudonym and a salted commitment"
    )
    pseudonym = _text(
        required=False, default="", help_text='default: the role and a number, e.g. "Witness 2"'
    )
    protected = serializers.BooleanField(required=False, default=False)


class RevealInput(Strict):
    reason = _text(
        help_text="why you need the name; recorded in the case's chain and "
        "exported, so never write the name itself here"
    )


class SplitInput(Strict):
    source_ids = serializers.ListField(
        child=serializers.UUIDField(), help_text="the sources the new case carries"
    )
    title = _text()
    reason = _text()


class LinkDecisionInput(Strict):
    reason = _text(
        required=False,
        default="",
        help_text='default: "same incident" (merge), "not the same incident" (dismiss)',
    )


# --- output ----------------------------------------------------------------------------


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class EventActor(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField()
    role = serializers.CharField()


class EventRecord(serializers.Serializer):
    """An event exactly as hashed (docs/event-format.md); views return the records as
    they are, this describes them."""

    case_id = serializers.UUIDField()
    version = serializers.IntegerField()
    type = serializers.CharField()
    schema = serializers.IntegerField()
    payload = serializers.DictField()
    actor = EventActor()
    occurred_at = serializers.CharField(help_text="RFC 3339 UTC, as hashed")
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class CommandResult(serializers.Serializer):
    case_id = serializers.UUIDField()
    version = serializers.IntegerField(help_text="the case's version after the command")
    replayed = serializers.BooleanField(
        help_text="true when an Idempotency-Key repeated an earlier request: its first "
        "result is returned and nothing new was written"
    )
    events = EventRecord(many=True, help_text="the events the command appended")


class SearchSnippet(serializers.Serializer):
    text = serializers.CharField(help_text="the passage, plain text (never HTML)")
    where = serializers.ChoiceField(choices=["case", "note", "source"])
    source_title = serializers.CharField(help_text="the source's title when where=source")
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="[start, end) character offsets of the matched words in text",
    )


class SearchHit(serializers.Serializer):
    rank = serializers.FloatField(
        allow_null=True, help_text="higher is better; null when only the reference matched"
    )
    snippet = SearchSnippet(allow_null=True)


def _source_document(extraction: dict | None) -> str | None:
    """The source stream a candidate case was extracted from (AllegationExtracted)."""
    return str(extraction["source_id"]) if extraction else None


class CaseSummary(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=workflow.STATES)
    categories = serializers.ListField(child=serializers.CharField())
    places = serializers.ListField(child=serializers.CharField())
    incident_from = serializers.DateField(allow_null=True)
    incident_to = serializers.DateField(allow_null=True)
    outcome = serializers.CharField(allow_null=True)
    assignee = serializers.SerializerMethodField()
    corroboration = serializers.CharField()
    independent_origins = serializers.IntegerField()
    source_count = serializers.IntegerField()
    version = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    opened_by = serializers.CharField()
    updated_at = serializers.DateTimeField()
    source_document_id = serializers.SerializerMethodField(
        help_text="the ingested document a candidate case was extracted from (candidates "
        "of one document: filter the list with ?source_document=); null for other cases"
    )
    merged_into = serializers.UUIDField(allow_null=True)
    restricted_to = serializers.CharField(
        help_text="the team that alone may see the case; empty when not restricted"
    )

    search = serializers.SerializerMethodField(
        help_text="with ?q=: the rank and the best-matching passage; null otherwise"
    )

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_source_document_id(self, case) -> str | None:
        return _source_document(case.extraction)

    @extend_schema_field(UserRef(allow_null=True))
    def get_assignee(self, case) -> dict | None:
        if case.assignee_id is None:
            return None
        return {"id": case.assignee_id, "username": case.assignee_name}

    @extend_schema_field(SearchHit(allow_null=True))
    def get_search(self, case) -> dict | None:
        if "snippets" not in self.context:
            return None
        snippet = self.context["snippets"].get(case.pk.hex)
        return {
            "rank": getattr(case, "search_rank", None),
            "snippet": snippet.as_dict() if snippet else None,
        }


class AttachedSource(serializers.Serializer):
    source_id = serializers.UUIDField()
    title = serializers.CharField()
    url = serializers.CharField()
    origins = serializers.ListField(child=serializers.CharField())
    excerpt = serializers.CharField()
    content_sha256 = serializers.CharField(allow_null=True)
    published_on = serializers.DateField(allow_null=True)
    attached_at = serializers.DateTimeField()
    attached_by = serializers.CharField()
    grade = serializers.DictField(
        allow_null=True, help_text="reliability, credibility, reason, by whom, when"
    )
    provenance = serializers.ListField(child=serializers.DictField())
    verifications = serializers.ListField(child=serializers.DictField())


class Note(serializers.Serializer):
    note_id = serializers.UUIDField()
    text = serializers.CharField()
    author = serializers.CharField()
    added_at = serializers.DateTimeField()


class Pending(serializers.Serializer):
    request_id = serializers.UUIDField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    requested_by = serializers.CharField()
    requested_at = serializers.DateTimeField()


class WaiverOut(serializers.Serializer):
    to_state = serializers.CharField()
    reason = serializers.CharField()
    waived_by = serializers.CharField()
    waived_at = serializers.DateTimeField()


class Link(serializers.Serializer):
    link_id = serializers.UUIDField()
    other_case_id = serializers.UUIDField()
    other_reference = serializers.CharField()
    relation = serializers.ChoiceField(
        choices=["same_incident", "shared_origin", "same_context", "unspecified"],
        help_text="same_incident: act, place and time agree; shared_origin: both sources "
        "trace to the same upstream origin; same_context: same area and period; "
        "unspecified: suggested before relations were recorded (LinkSuggested schema 1)",
    )
    reasons = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()


class Transition(serializers.Serializer):
    to_state = serializers.CharField()
    unmet = serializers.ListField(
        child=serializers.CharField(), help_text="entry criteria not met, in plain words"
    )


class FactCorroboration(serializers.Serializer):
    facts = serializers.IntegerField(help_text="recorded facts")
    independent_origins = serializers.IntegerField(
        help_text="independent first-hand origins of the weakest fact"
    )
    status = serializers.ChoiceField(
        choices=(workflow.UNCORROBORATED, workflow.SINGLE_ORIGIN, workflow.CORROBORATED)
    )
    label = serializers.CharField()


class CaseDetail(serializers.Serializer):
    """A case (its CaseState): live, or as it was (`as_of`), in the same shape."""

    id = serializers.UUIDField(source="case_id")
    reference = serializers.CharField()
    version = serializers.IntegerField()
    head_hash = serializers.CharField()
    state = serializers.ChoiceField(choices=workflow.STATES)
    title = serializers.CharField()
    summary = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    places = serializers.ListField(child=serializers.CharField())
    incident_from = serializers.DateField(allow_null=True)
    incident_to = serializers.DateField(allow_null=True)
    outcome = serializers.CharField(allow_null=True)
    legal_qualification = serializers.CharField()
    assignee = serializers.SerializerMethodField()
    opened_at = serializers.DateTimeField()
    opened_by = serializers.CharField()
    updated_at = serializers.DateTimeField()
    corroboration = serializers.CharField(
        help_text="from the documents' stated origins (kept for lists and filters)"
    )
    independent_origins = serializers.IntegerField()
    fact_corroboration = serializers.SerializerMethodField(
        help_text="from the facts and their cited spans: the weakest fact decides"
    )
    sources = AttachedSource(many=True)
    notes = Note(many=True)
    pending = Pending(allow_null=True)
    waivers = WaiverOut(many=True)
    links = Link(many=True)
    source_document_id = serializers.SerializerMethodField(
        help_text="the ingested document a candidate case was extracted from (candidates "
        "of one document: filter the list with ?source_document=); null for other cases"
    )
    merged_into = serializers.UUIDField(allow_null=True)
    restricted_to = serializers.CharField(
        allow_null=True, help_text="the team that alone may see the case (null: anyone)"
    )
    restriction_pending = serializers.DictField(
        allow_null=True, help_text="a pending request to restrict the case or lift it"
    )
    discarded = serializers.DictField(
        allow_null=True,
        help_text="while the candidate is discarded at intake: reason, discarded_by, "
        "discarded_by_id, discarded_at",
    )
    merge_pending = serializers.DictField(
        allow_null=True,
        help_text="a pending request to merge a linked case into this one (past intake): "
        "request_id, link_id, other_case_id, other_reference, reason, requested_by, "
        "requested_by_id, requested_at",
    )
    transitions = serializers.SerializerMethodField()
    extraction = serializers.DictField(allow_null=True)
    facts = serializers.ListField(child=serializers.DictField())
    qualifications = serializers.ListField(child=serializers.DictField())
    conflict = serializers.DictField(
        allow_null=True,
        help_text="the armed conflict's classification: {classification, reason, "
        "classified_by, classified_at}; null until recorded",
    )
    liabilities = serializers.ListField(
        child=serializers.DictField(),
        help_text="modes of liability alleged per perpetrator, with their elements' findings",
    )
    persons = serializers.ListField(
        child=serializers.DictField(),
        help_text="pseudonymous: a protected person's name is never here",
    )
    related = serializers.ListField(child=serializers.DictField())

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_source_document_id(self, case) -> str | None:
        return _source_document(case.extraction)

    @extend_schema_field(FactCorroboration)
    def get_fact_corroboration(self, case: CaseState) -> dict:
        return fact_rules.case_corroboration(case)

    @extend_schema_field(UserRef(allow_null=True))
    def get_assignee(self, case: CaseState) -> dict | None:
        if case.assignee_id is None:
            return None
        return {"id": case.assignee_id, "username": case.assignee}

    @extend_schema_field(Transition(many=True))
    def get_transitions(self, case: CaseState) -> list[dict]:
        """Where the workflow lets the case go from here, and what still blocks each."""
        return [
            {"to_state": target, "unmet": workflow.unmet_criteria(case, target)}
            for target in workflow.targets(case.state)
        ]


class PanelSpan(serializers.Serializer):
    support_id = serializers.UUIDField(allow_null=True, help_text="null: an unchecked excerpt")
    source_id = serializers.CharField()
    source = serializers.CharField(help_text="the source's title")
    quote = serializers.CharField()
    start = serializers.IntegerField(allow_null=True)
    end = serializers.IntegerField(allow_null=True)
    text_sha256 = serializers.CharField(allow_null=True)
    chain = serializers.ListField(child=serializers.DictField())
    origin = serializers.CharField(allow_null=True, help_text="the first-hand origin")
    aggregate = serializers.DictField(allow_null=True)
    aggregate_link = serializers.DictField(allow_null=True)
    withdrawn = serializers.DictField(allow_null=True)
    standing = serializers.ChoiceField(choices=tuple(fact_rules.STANDING_WORDS))
    standing_label = serializers.CharField()


class PanelRow(serializers.Serializer):
    text = serializers.CharField(
        help_text="the fact, or a source's excerpt when the case has no recorded facts"
    )
    sources = serializers.ListField(
        child=serializers.CharField(), help_text="titles of the supporting sources"
    )
    origins = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="the independent origins they reach: organisations sharing one origin "
        "are grouped",
    )
    status = serializers.ChoiceField(
        choices=(workflow.UNCORROBORATED, workflow.SINGLE_ORIGIN, workflow.CORROBORATED)
    )
    label = serializers.CharField(help_text='e.g. "corroborated by 2 independent origins"')
    fact_id = serializers.UUIDField(allow_null=True, help_text="null for an excerpt row")
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text='why spans count once or not at all, e.g. "both spans trace to HRMMU"',
    )
    spans = PanelSpan(many=True, help_text="the cited spans, counted or not, and why")


class RevealedIdentity(serializers.Serializer):
    person_id = serializers.UUIDField()
    name = serializers.CharField()


class Approval(serializers.Serializer):
    request_id = serializers.UUIDField()
    case_id = serializers.UUIDField()
    case_reference = serializers.CharField(source="case.reference")
    case_title = serializers.CharField(source="case.title")
    case_version = serializers.IntegerField(
        source="case.version", help_text="send it as If-Match to approve or reject"
    )
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    requested_by = serializers.CharField()
    requested_at = serializers.DateTimeField()


class SourceSummary(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    outlet = serializers.CharField()
    byline = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    url = serializers.CharField()
    language = serializers.CharField()
    media_type = serializers.CharField()
    bytes = serializers.IntegerField()
    filename = serializers.CharField()
    content_sha256 = serializers.CharField()
    ingested_at = serializers.DateTimeField()
    submitted_by = serializers.CharField()
    version = serializers.IntegerField()


class SourceCase(serializers.Serializer):
    case_id = serializers.UUIDField()
    reference = serializers.CharField(source="case.reference")
    title = serializers.CharField(source="case.title")
    excerpt = serializers.CharField()


class SourceDetail(SourceSummary):
    title_derived = serializers.BooleanField()
    published_reason = serializers.CharField()
    encoding = serializers.CharField()
    normalized_sha256 = serializers.CharField()
    text_sha256 = serializers.CharField()
    extractor_version = serializers.CharField()
    origins = serializers.ListField(child=serializers.DictField())
    variants = serializers.ListField(child=serializers.DictField())
    cases = SourceCase(
        many=True, source="attachments", help_text="the cases this source is attached to"
    )


class IngestionOut(serializers.Serializer):
    id = serializers.UUIDField()
    filename = serializers.CharField()
    bytes = serializers.IntegerField()
    content_sha256 = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    source_id = serializers.UUIDField(allow_null=True)
    case_references = serializers.ListField(child=serializers.CharField())
    submitted_by = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()
