"""The Django admin for documentation teams, supervisors and auditors.

Every write goes through casefiles.commands; the ModelAdmins themselves add, change and
delete nothing (see base.RecordAdmin)."""

from django.contrib import admin

from casefiles.admin import accounts, approvals, cases, records  # noqa: F401 - registers

# The index adds the workflow counts (casefiles/templatetags/casefiles_admin.py).
admin.site.index_template = "casefiles/admin/index.html"
