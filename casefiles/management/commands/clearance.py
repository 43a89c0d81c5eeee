from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from casefiles.commands.clearance import PERMISSION, clearance_grant, clearance_revoke
from casefiles.domain.actors import CLEARANCE
from casefiles.errors import CaseFileError


class Command(BaseCommand):
    help = (
        "Grant, revoke or list clearance for protected identities. Every grant and "
        "revocation is written to the security log with the operator's name."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        for name in ("grant", "revoke"):
            sub = actions.add_parser(name, help=f"{name} clearance")
            sub.add_argument("username")
            sub.add_argument(
                "--operator", required=True, help="who runs this command (recorded as `by`)"
            )
            sub.add_argument("--reason", required=True, help="why (recorded)")
        actions.add_parser("list", help="who holds the clearance, and through what")

    def handle(self, *args, **options):
        if options["action"] == "list":
            return self._list()
        User = get_user_model()
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        change = clearance_grant if options["action"] == "grant" else clearance_revoke
        try:
            entry = change(user=user, operator=options["operator"], reason=options["reason"])
        except CaseFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{entry.get_action_display()}: {entry.subject} ({PERMISSION}), "
            f"by {entry.by}, logged as security log entry {entry.pk}"
        )

    def _list(self):
        app_label, codename = CLEARANCE
        grant = Q(content_type__app_label=app_label, codename=codename)
        users = (
            get_user_model()
            .objects.filter(
                Q(user_permissions__in=_permissions(grant))
                | Q(groups__permissions__in=_permissions(grant))
            )
            .distinct()
            .order_by("username")
        )
        for user in users:
            direct = user.user_permissions.filter(grant).exists()
            groups = list(
                user.groups.filter(permissions__in=_permissions(grant)).values_list(
                    "name", flat=True
                )
            )
            via = (["granted"] if direct else []) + [f"group {name}" for name in groups]
            self.stdout.write(
                f"{user.username}: {', '.join(via)}" + ("" if user.is_active else " (deactivated)")
            )


def _permissions(grant):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(grant)
