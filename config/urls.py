from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from casefiles import health, second_factor
from casefiles.admin import exports as admin_exports
from casefiles.api import converters  # noqa: F401 - registers <case:…>
from casefiles.api import exports as api_exports
from casefiles.api import problems as api_problems

admin.site.site_header = _("Case files")
admin.site.site_title = _("Case files")

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Before "admin/" and "api/": their catch-all patterns would otherwise claim these.
    path(
        "admin/casefiles/casefile/<uuid:case_id>/export/",
        admin.site.admin_view(admin_exports.export_download),
        name="casefiles-export-case",
    ),
    path("api/signing-key/", api_exports.SigningKeyView.as_view(), name="signing-key"),
    path(
        "api/cases/<case:case_id>/exports/",
        api_exports.CaseExportsView.as_view(),
        name="case-exports",
    ),
    path("api/exports/<uuid:export_id>/", api_exports.ExportJobView.as_view(), name="export"),
    path(
        "api/exports/<uuid:export_id>/download/",
        api_exports.ExportDownloadView.as_view(),
        name="export-download",
    ),
    path("health/", health.health, name="health"),
    path("health/ready/", health.ready, name="health-ready"),
    # Django's set_language view: the admin's language switch posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    # The passkey ceremonies (django-otp-webauthn's views, the sign-in step bound to the
    # user waiting after their password).
    path("admin/webauthn/", include(second_factor.webauthn_urls)),
    path("admin/", admin.site.urls),
    path("api/", include("casefiles.api.urls")),
    # Last: anything else under /api/ is a problem document, in DEBUG too.
    re_path(r"^api/", api_problems.api_not_found),
]

handler404 = "casefiles.api.problems.page_not_found"
