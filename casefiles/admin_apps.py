from django.contrib.admin.apps import AdminConfig


class CaseFilesAdminConfig(AdminConfig):
    """django.contrib.admin with our site (optional TOTP), see casefiles/admin_site.py.
    Kept apart from the site: an AppConfig module must not import models."""

    default_site = "casefiles.admin_site.CaseFilesAdminSite"
