"""Clearance for protected identities is an explicit grant, never superuser status; every
grant and revocation is in the append-only security log."""

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from casefiles.commands.clearance import clearance_grant, clearance_revoke
from casefiles.commands.exports import export_recorded
from casefiles.domain.actors import Actor
from casefiles.errors import InvalidCommand, PermissionDenied
from casefiles.models import Event, SecurityLogEntry
from tests.api.test_cases import problem
from tests.api.test_evaluation import PROTECTED_NAME, reveal, worked  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def clearance_log():
    """The clearance entries (role and account changes are in the same log)."""
    return SecurityLogEntry.objects.filter(action__startswith="clearance_")


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password="x-root")


def superuser(user):
    user.is_superuser = True
    user.save()
    return User.objects.get(pk=user.pk)


def looks(case_id) -> int:
    return Event.objects.filter(case_id=case_id, type="IdentityRevealed").count()


def test_a_superuser_documenter_without_a_grant_cannot_reveal(api, users, worked):  # noqa: F811
    superuser(users["documenter"])
    assert not Actor.for_user(User.objects.get(username="dora")).cleared
    body = problem(reveal(api["documenter"], worked), 403, "permission-denied")
    assert "has no clearance" in body["detail"] and PROTECTED_NAME not in str(body)
    assert looks(worked.case_id) == 0


def test_a_superuser_auditor_exports_redacted_only(users, worked, settings, tmp_path):  # noqa: F811
    settings.CASEFILES_SIGNING_KEY = tmp_path / "signing" / "ed25519.key"
    actor = Actor.for_user(superuser(users["auditor"]))
    assert not actor.cleared
    out = io.BytesIO()
    manifest = export_recorded(actor, worked.case_id, out=out)
    assert manifest["kind"] == "redacted"
    assert b"protected/identities.json" not in out.getvalue()
    assert PROTECTED_NAME.encode() not in out.getvalue()
    with pytest.raises(PermissionDenied, match="no clearance"):
        export_recorded(actor, worked.case_id, out=io.BytesIO(), kind="complete")


def test_grant_allows_and_is_logged_then_revoke_refuses_and_is_logged(api, users, worked, root):  # noqa: F811
    dora = users["documenter"]
    granted = clearance_grant(user=dora, by=root, reason="leads the witness interviews")
    response = reveal(api["documenter"], worked)
    assert response.status_code == 200 and response.json()["name"] == PROTECTED_NAME
    revoked = clearance_revoke(user=dora, by=root, reason="left the team")
    problem(reveal(api["documenter"], worked), 403, "permission-denied")
    assert looks(worked.case_id) == 1
    entries = list(
        clearance_log()
        .order_by("id")
        .values("action", "permission", "subject_id", "subject", "by_id", "by", "reason")
    )
    assert entries == [
        {
            "action": "clearance_granted",
            "permission": "casefiles.reveal_identity",
            "subject_id": dora.pk,
            "subject": "dora",
            "by_id": root.pk,
            "by": "root",
            "reason": "leads the witness interviews",
        },
        {
            "action": "clearance_revoked",
            "permission": "casefiles.reveal_identity",
            "subject_id": dora.pk,
            "subject": "dora",
            "by_id": root.pk,
            "by": "root",
            "reason": "left the team",
        },
    ]
    assert granted.occurred_at <= revoked.occurred_at


def test_a_group_holding_the_permission_is_an_explicit_grant(users):
    group = Group.objects.create(name="witness-protection")
    group.permissions.add(Permission.objects.get(codename="reveal_identity"))
    users["legal"].groups.add(group)
    assert Actor.for_user(users["legal"]).cleared
    assert not Actor.for_user(users["documenter"]).cleared


def test_only_another_administrator_changes_a_clearance(users, root):
    with pytest.raises(PermissionDenied, match="for administrators"):
        clearance_grant(user=users["documenter"], by=users["supervisor"])
    with pytest.raises(PermissionDenied, match="own clearance"):
        clearance_grant(user=root, by=root)
    with pytest.raises(InvalidCommand, match="exactly one"):
        clearance_grant(user=users["documenter"])
    clearance_grant(user=users["documenter"], by=root)
    with pytest.raises(InvalidCommand, match="already holds"):
        clearance_grant(user=users["documenter"], by=root)
    with pytest.raises(InvalidCommand, match="holds no clearance"):
        clearance_revoke(user=users["legal"], by=root)
    assert clearance_log().count() == 1


def test_the_security_log_refuses_update_and_delete(users, root):
    entry = clearance_grant(user=users["documenter"], by=root, reason="r")
    table = SecurityLogEntry._meta.db_table
    for statement in (f"UPDATE {table} SET reason = 'rewritten'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SecurityLogEntry.objects.filter(pk=entry.pk).update(by="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.delete()
    assert clearance_log().get().reason == "r"


def test_operators_grant_revoke_and_list_with_the_management_command(users):
    out = io.StringIO()
    call_command(
        "clearance", "grant", "lena", "--operator", "olga", "--reason", "court", stdout=out
    )
    assert "Clearance granted: lena" in out.getvalue()
    call_command("clearance", "list", stdout=out)
    assert "lena: granted" in out.getvalue()
    call_command(
        "clearance", "revoke", "lena", "--operator", "olga", "--reason", "done", stdout=out
    )
    assert not Actor.for_user(users["legal"]).cleared
    assert list(clearance_log().order_by("id").values_list("action", "by", "by_id")) == [
        ("clearance_granted", "operator olga", None),
        ("clearance_revoked", "operator olga", None),
    ]
    with pytest.raises(CommandError, match="no user"):
        call_command("clearance", "grant", "nobody", "--operator", "olga", "--reason", "x")


def test_the_admin_shows_holders_and_grants_through_the_logged_command(client, users, root):
    client.force_login(root)
    page = client.get("/admin/auth/user/")
    assert page.status_code == 200 and b"Identity clearance" in page.content
    response = client.post(
        "/admin/auth/user/",
        {"action": "grant_clearance", "_selected_action": [users["legal"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Actor.for_user(users["legal"]).cleared
    assert clearance_log().get().by == "root"
    assert b"granted" in client.get("/admin/auth/user/").content
    log = client.get("/admin/casefiles/securitylogentry/")
    assert log.status_code == 200 and b"lena" in log.content
    # The user form does not offer the clearance (it would bypass the log), and saving
    # the form keeps the clearance the user holds.
    form = client.get(f"/admin/auth/user/{users['legal'].pk}/change/")
    permission = Permission.objects.get(codename="reveal_identity")
    assert f'value="{permission.pk}"'.encode() not in form.content
    legal = users["legal"]
    saved = client.post(
        f"/admin/auth/user/{legal.pk}/change/",
        {
            "username": "lena",
            "is_active": "on",
            "is_staff": "on",
            "groups": list(legal.groups.values_list("pk", flat=True)),
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
            "api_tokens-TOTAL_FORMS": "0",
            "api_tokens-INITIAL_FORMS": "0",
        },
    )
    assert saved.status_code == 302, saved.content[:2000]
    assert Actor.for_user(User.objects.get(pk=legal.pk)).cleared
    response = client.post(
        "/admin/auth/user/",
        {"action": "revoke_clearance", "_selected_action": [legal.pk]},
        follow=True,
    )
    assert not Actor.for_user(User.objects.get(pk=legal.pk)).cleared
    assert clearance_log().count() == 2


def test_auditors_see_the_security_log_and_documenters_do_not(client, users, root):
    clearance_grant(user=users["legal"], by=root)
    client.force_login(users["auditor"])
    assert b"lena" in client.get("/admin/casefiles/securitylogentry/").content
    client.force_login(users["documenter"])
    assert client.get("/admin/casefiles/securitylogentry/").status_code == 403
