"""Who may read: anyone holding one of the four roles. What a person may *change* is
decided by the command layer alone (auditors included: it refuses them)."""

from rest_framework.permissions import BasePermission

from casefiles.domain.actors import ROLES, Actor


class HasRole(BasePermission):
    message = "reading case files needs one of the roles " + ", ".join(ROLES)

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF turns this into 401 (no credentials were accepted)
        # Built once per request: the views hand it to the commands.
        request.actor = Actor.for_user(user)
        return bool(request.actor.roles)
