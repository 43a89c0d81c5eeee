"""Who may see and do what in the admin.

The admin only decides what to *show*: it asks the domain (Actor.role_for) the same
question the command will ask, so a button appears only when the command would accept
the role. The command still decides; a refusal is shown as a message.
"""

from django.http import HttpRequest

from casefiles.domain.actors import AUDITOR, CASE_WRITERS, Actor
from casefiles.errors import PermissionDenied

_CACHE = "_casefiles_actor"


def actor_for(request: HttpRequest) -> Actor | None:
    """The signed-in user as an Actor (None for anonymous or deactivated users), built
    once per request because every permission check of a page needs it."""
    if not hasattr(request, _CACHE):
        try:
            actor = Actor.for_user(request.user)
        except PermissionDenied:
            actor = None
        setattr(request, _CACHE, actor)
    return getattr(request, _CACHE)


def holds_role(request: HttpRequest) -> bool:
    """Case files are visible to people with a role only (superuser status grants none)."""
    actor = actor_for(request)
    return actor is not None and bool(actor.roles)


def may(request: HttpRequest, allowed: tuple[str, ...]) -> bool:
    """Would a command that accepts `allowed` roles accept this user?"""
    actor = actor_for(request)
    if actor is None:
        return False
    try:
        actor.role_for("act", allowed)
    except PermissionDenied:
        return False
    return True


def may_see_identities(request: HttpRequest) -> bool:
    """Would identity_reveal accept this user? Clearance is individual (a permission, not
    a role); a cleared auditor may look too, since looking changes nothing and the look
    itself is recorded."""
    actor = actor_for(request)
    if actor is None or not actor.cleared:
        return False
    return AUDITOR in actor.roles or may(request, CASE_WRITERS)
