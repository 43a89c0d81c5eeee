"""Every change of who may do what is in the append-only security log, whichever way it
is made: the admin's user pages, the ORM from a shell or a script, either side of a
many-to-many relation, clear(), account flags, deletion. The attacker here is an
insider: an administrator who quietly gives themselves (or a friend) access."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from casefiles.commands.clearance import clearance_grant
from casefiles.models import SecurityLogEntry
from casefiles.security_log import OUTSIDE_A_REQUEST

pytestmark = pytest.mark.django_db


def entries(**filters):
    return list(
        SecurityLogEntry.objects.filter(**filters)
        .order_by("id")
        .values_list("action", "subject_kind", "subject", "permission", "by")
    )


def last_id() -> int:
    return SecurityLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="casefiles", codename=codename)


@pytest.fixture
def team(db):
    return Group.objects.create(name="kharkiv-team")


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", password="x-root")


def change_form(user: User, **changes) -> dict:
    """What the admin's user change page posts, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "user_permissions": [str(pk) for pk in user.user_permissions.values_list("pk", flat=True)],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "api_tokens-TOTAL_FORMS": "0",
        "api_tokens-INITIAL_FORMS": "0",
        "api_tokens-MIN_NUM_FORMS": "0",
        "api_tokens-MAX_NUM_FORMS": "1000",
    }
    data.update({key: value for key, value in changes.items() if value is not None})
    return {key: value for key, value in data.items() if value != ""}


def test_an_administrator_granting_themselves_access_through_the_admin_is_logged(
    client, admin_user, team
):
    access = permission("access_restricted")
    client.force_login(admin_user)
    response = client.post(
        f"/admin/auth/user/{admin_user.pk}/change/",
        change_form(admin_user, groups=[str(team.pk)], user_permissions=[str(access.pk)]),
    )
    assert response.status_code == 302, response.content[:2000]
    admin_user.refresh_from_db()
    assert admin_user.has_perm("casefiles.access_restricted")
    assert entries(by="root") == [
        ("group_joined", "user", "root", "group kharkiv-team", "root"),
        ("permission_granted", "user", "root", "casefiles.access_restricted", "root"),
    ]
    entry = SecurityLogEntry.objects.get(action="group_joined")
    assert entry.by_id == admin_user.pk and entry.subject_id == admin_user.pk

    # Taken away again on the same page: logged too.
    client.post(
        f"/admin/auth/user/{admin_user.pk}/change/",
        change_form(admin_user, groups=[], user_permissions=[]),
    )
    assert entries(action__in=["group_left", "permission_revoked"]) == [
        ("group_left", "user", "root", "group kharkiv-team", "root"),
        ("permission_revoked", "user", "root", "casefiles.access_restricted", "root"),
    ]


def test_changes_outside_a_request_are_logged_from_either_side(users, team):
    dora, start = users["documenter"], last_id()
    team.user_set.add(dora)  # the group's side of the relation
    dora.groups.remove(team)  # the user's side
    access = permission("access_restricted")
    access.user_set.add(dora)  # the permission's side
    team.permissions.add(access)
    assert entries(id__gt=start) == [
        ("group_joined", "user", "dora", "group kharkiv-team", OUTSIDE_A_REQUEST),
        ("group_left", "user", "dora", "group kharkiv-team", OUTSIDE_A_REQUEST),
        ("permission_granted", "user", "dora", "casefiles.access_restricted", OUTSIDE_A_REQUEST),
        (
            "permission_granted",
            "group",
            "kharkiv-team",
            "casefiles.access_restricted",
            OUTSIDE_A_REQUEST,
        ),
    ]


def test_clear_logs_each_membership_and_grant_that_goes(users, team):
    dora = users["documenter"]
    dora.groups.add(team)
    before = SecurityLogEntry.objects.count()
    dora.groups.clear()
    left = entries(action="group_left", subject="dora")
    assert sorted(what for _, _, _, what, _ in left) == ["group documenter", "group kharkiv-team"]
    assert SecurityLogEntry.objects.count() == before + 2
    team.permissions.add(permission("access_restricted"))
    team.permissions.clear()
    assert entries(action="permission_revoked", subject_kind="group") == [
        (
            "permission_revoked",
            "group",
            "kharkiv-team",
            "casefiles.access_restricted",
            OUTSIDE_A_REQUEST,
        )
    ]


def test_administrator_status_activation_and_deletion_are_logged(users, team):
    lena, start = users["legal"], last_id()
    lena.groups.add(team)
    lena.is_superuser = True
    lena.save()
    lena.is_active = False
    lena.save()
    lena.is_active = True
    lena.is_superuser = False
    lena.save()
    lena.save()  # nothing changed: nothing logged
    lena.delete()
    assert [
        (action, what)
        for action, _, subject, what, _ in entries(id__gt=start)
        if action != "group_joined"
    ] == [
        ("administrator_made", "is_superuser"),
        ("account_deactivated", "is_active"),
        ("administrator_unmade", "is_superuser"),
        ("account_reactivated", "is_active"),
        ("account_deleted", "groups: kharkiv-team, legal_reviewer"),
    ]


def test_a_new_account_and_a_deleted_team_are_logged(team, users):
    User.objects.create_user("newcomer", password="x")
    team.user_set.add(users["documenter"])
    team.delete()
    assert entries(
        action__in=["account_created", "group_deleted"], subject__in=["newcomer", "kharkiv-team"]
    ) == [
        ("account_created", "user", "newcomer", "account", OUTSIDE_A_REQUEST),
        ("group_deleted", "group", "kharkiv-team", "members: dora", OUTSIDE_A_REQUEST),
    ]


def test_a_change_rolled_back_leaves_no_entry_and_an_entry_never_outlives_it(users, team):
    before = SecurityLogEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        users["documenter"].groups.add(team)
        raise RuntimeError("the change fails after the membership was written")
    assert SecurityLogEntry.objects.count() == before
    assert not users["documenter"].groups.filter(pk=team.pk).exists()
    users["documenter"].groups.add(team)
    assert SecurityLogEntry.objects.count() == before + 1


def test_every_failed_sign_in_is_kept_not_only_counted(client, users, settings):
    from axes.models import AccessFailureLog

    settings.AXES_ENABLED = True
    for password in ("wrong-1", "x-dora"):  # a failure, then a success clears the count
        client.post("/admin/login/?next=/admin/", {"username": "dora", "password": password})
    failures = list(AccessFailureLog.objects.values_list("username", "locked_out"))
    assert failures == [("dora", False)]


def test_clearance_is_logged_once_with_its_reason(users, admin_user):
    clearance_grant(user=users["documenter"], by=admin_user, reason="witness interviews")
    assert entries(subject="dora", action__in=["clearance_granted", "permission_granted"]) == [
        ("clearance_granted", "user", "dora", "casefiles.reveal_identity", "root")
    ]


def test_the_role_baseline_set_by_migrate_is_not_logged(db):
    from casefiles.roles import ensure_groups

    Group.objects.get(name="auditor").permissions.clear()
    cleared = SecurityLogEntry.objects.count()
    assert cleared > 0  # the clear was a change by someone: logged
    ensure_groups()
    assert SecurityLogEntry.objects.count() == cleared
