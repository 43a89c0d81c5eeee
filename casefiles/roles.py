"""The four roles as Django groups. Permissions to *see* admin pages come from the
groups; what a person may *change* is decided by the command layer alone."""

from django.contrib.auth.models import Group, Permission

from casefiles.domain.actors import ROLES
from casefiles.security_log import silenced


def ensure_groups(**kwargs) -> None:
    """Create the role groups and give each read access to the case-file models.

    Runs after every migrate (post_migrate), so a fresh database has the roles. Not in
    the security log: it restores the same fixed baseline every time, and logging it
    would bury the changes people make among entries of migrate."""
    view = Permission.objects.filter(
        content_type__app_label="casefiles", codename__startswith="view_"
    )
    with silenced():
        for name in ROLES:
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.add(*view)
