"""The REST API: the second face of the command layer (docs/api.md)."""

from django.urls import path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from casefiles.api import (
    approvals,
    auth,
    cases,
    compartments,
    converters,  # noqa: F401 - registers <case:…>
    facts,
    legal,
    links,
    log,
    persons,
    schema,
    sources,
)
from casefiles.commands.base import corrections

app_name = "api"

urlpatterns = [
    path("schema/", schema.SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("auth/tokens/", auth.TokensView.as_view(), name="tokens"),
    path("auth/tokens/<uuid:token_id>/", auth.TokenRevokeView.as_view(), name="token-revoke"),
    path("cases/", cases.CaseListView.as_view(), name="cases"),
    path("cases/<case:case_id>/", cases.CaseView.as_view(), name="case"),
    path("cases/<case:case_id>/events/", cases.CaseEventsView.as_view(), name="case-events"),
    path("cases/<case:case_id>/sources/", cases.CaseSourcesView.as_view(), name="case-sources"),
    path("cases/<case:case_id>/notes/", cases.CaseNotesView.as_view(), name="case-notes"),
    path(
        "cases/<case:case_id>/assignment/",
        cases.CaseAssignmentView.as_view(),
        name="case-assignment",
    ),
    path("cases/<case:case_id>/waivers/", cases.CaseWaiversView.as_view(), name="case-waivers"),
    path(
        "cases/<case:case_id>/transitions/",
        cases.CaseTransitionsView.as_view(),
        name="case-transitions",
    ),
    path(
        "cases/<case:case_id>/sources/<uuid:source_id>/grade/",
        sources.SourceGradeView.as_view(),
        name="case-source-grade",
    ),
    path(
        "cases/<case:case_id>/sources/<uuid:source_id>/provenance/",
        sources.SourceProvenanceView.as_view(),
        name="case-source-provenance",
    ),
    path(
        "cases/<case:case_id>/sources/<uuid:source_id>/verifications/",
        sources.SourceVerificationsView.as_view(),
        name="case-source-verifications",
    ),
    path("cases/<case:case_id>/facts/", facts.FactsView.as_view(), name="case-facts"),
    path(
        "cases/<case:case_id>/facts/<uuid:fact_id>/support/",
        facts.FactSupportView.as_view(),
        name="case-fact-support",
    ),
    *(
        path(
            f"cases/<case:case_id>/facts/<uuid:fact_id>/support/<uuid:support_id>/{action}/",
            view.as_view(),
            name=f"case-support-{action}",
        )
        for action, view in (
            ("origin", facts.SupportOriginView),
            ("aggregate", facts.SupportAggregateView),
            ("link", facts.AggregateLinkView),
            ("withdraw", facts.SupportWithdrawView),
        )
    ),
    path(
        "cases/<case:case_id>/corroboration/",
        facts.CorroborationView.as_view(),
        name="case-corroboration",
    ),
    path(
        "cases/<case:case_id>/qualifications/",
        legal.QualificationsView.as_view(),
        name="case-qualifications",
    ),
    path(
        "cases/<case:case_id>/qualifications/<uuid:qualification_id>/elements/",
        legal.ElementsView.as_view(),
        name="case-qualification-elements",
    ),
    path(
        "cases/<case:case_id>/conflict/",
        legal.ConflictView.as_view(),
        name="case-conflict",
    ),
    path(
        "cases/<case:case_id>/liabilities/",
        legal.LiabilitiesView.as_view(),
        name="case-liabilities",
    ),
    path(
        "cases/<case:case_id>/liabilities/<uuid:liability_id>/elements/",
        legal.LiabilityElementsView.as_view(),
        name="case-liability-elements",
    ),
    path("cases/<case:case_id>/persons/", persons.PersonsView.as_view(), name="case-persons"),
    path(
        "cases/<case:case_id>/persons/<uuid:person_id>/reveal/",
        persons.PersonRevealView.as_view(),
        name="case-person-reveal",
    ),
    path(
        "cases/<case:case_id>/restriction/",
        compartments.RestrictionView.as_view(),
        name="case-restriction",
    ),
    path(
        "cases/<case:case_id>/restriction/decision/",
        compartments.RestrictionDecisionView.as_view(),
        name="case-restriction-decision",
    ),
    # One endpoint per correction, from its declaration (casefiles.commands.base).
    *[
        path(
            f"cases/<case:case_id>/{correction.items}/<uuid:{correction.key}>/{correction.verb}/",
            cases.correction_view(correction),
            name=f"case-{correction.verb}",
        )
        for correction in corrections()
    ],
    path("cases/<case:case_id>/split/", links.SplitView.as_view(), name="case-split"),
    path("cases/<case:case_id>/discard/", cases.CaseDiscardView.as_view(), name="case-discard"),
    path("cases/<case:case_id>/restore/", cases.CaseRestoreView.as_view(), name="case-restore"),
    path(
        "cases/<case:case_id>/merge/decision/",
        links.MergeDecisionView.as_view(),
        name="case-merge-decision",
    ),
    path(
        "cases/<case:case_id>/links/<uuid:link_id>/merge/",
        links.LinkMergeView.as_view(),
        name="case-link-merge",
    ),
    path(
        "cases/<case:case_id>/links/<uuid:link_id>/dismiss/",
        links.LinkDismissView.as_view(),
        name="case-link-dismiss",
    ),
    path("approvals/", approvals.ApprovalListView.as_view(), name="approvals"),
    path("approvals/<uuid:request_id>/approve/", approvals.ApproveView.as_view(), name="approve"),
    path("approvals/<uuid:request_id>/reject/", approvals.RejectView.as_view(), name="reject"),
    path("sources/", sources.SourceListView.as_view(), name="sources"),
    path("sources/<uuid:source_id>/", sources.SourceView.as_view(), name="source"),
    path(
        "sources/<uuid:source_id>/original/",
        sources.SourceOriginalView.as_view(),
        name="source-original",
    ),
    path("ingestions/", sources.IngestionCreateView.as_view(), name="ingestions"),
    path("ingestions/<uuid:ingestion_id>/", sources.IngestionView.as_view(), name="ingestion"),
    path("log/checkpoint", log.CheckpointView.as_view(), name="log-checkpoint"),
    path("log/tree-heads/<int:size>", log.TreeHeadView.as_view(), name="log-tree-head"),
    path("log/proof", log.ProofView.as_view(), name="log-proof"),
    path("log/inclusion", log.InclusionView.as_view(), name="log-inclusion"),
    path("log/cosignatures", log.CosignaturesView.as_view(), name="log-cosignatures"),
]
