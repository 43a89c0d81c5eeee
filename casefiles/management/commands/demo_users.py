import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from casefiles.domain.actors import ROLES
from casefiles.roles import ensure_groups

DEMO_USERS = {
    "documenter": "doc",
    "supervisor": "sup",
    "legal_reviewer": "legal",
    "auditor": "audit",
}


class Command(BaseCommand):
    help = "Create (or reset) one demo user per role and print their passwords. Demo only."

    @transaction.atomic
    def handle(self, *args, **options):
        ensure_groups()
        User = get_user_model()
        self.stdout.write("Demo users (sign in at http://127.0.0.1:8000/admin/):")
        for role in ROLES:
            username = DEMO_USERS[role]
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            self.stdout.write(f"  {role:<15} username: {username:<6} password: {password}")
