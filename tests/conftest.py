import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from casefiles.domain.actors import Actor


def make_user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="x-" + username, is_staff=True)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def users(db):
    return {
        "documenter": make_user("dora", "documenter"),
        "documenter2": make_user("dmitri", "documenter"),
        "legal": make_user("lena", "legal_reviewer"),
        "supervisor": make_user("sam", "supervisor"),
        "supervisor2": make_user("sofia", "supervisor"),
        "auditor": make_user("aud", "auditor"),
        "both": make_user("bo", "documenter", "supervisor"),
    }


@pytest.fixture
def actors(users):
    return {name: Actor.for_user(user) for name, user in users.items()}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Lockout is on in every deployment; tests that exercise it turn it back on
    # (tests/test_deploy.py). Elsewhere client.login() has no request for axes to inspect.
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _isolated_blobs_and_eager_tasks(settings, tmp_path):
    """Each test gets its own blob store, and tasks run in-process unless a test starts
    a real worker (tests/test_worker.py)."""
    from casefiles.commands import ingestion
    from config.celery import app

    settings.CASEFILES_BLOB_DIR = tmp_path / "blobs"
    # Each test's database starts empty; so does the allegation cache ingestion keeps.
    ingestion._ALLEGATIONS.clear()
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager
