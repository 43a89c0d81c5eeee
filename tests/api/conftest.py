import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from casefiles.commands.tokens import token_issue


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(users):
    """api["supervisor"] is a client authenticated by token as that fixture user."""

    class Clients(dict):
        def __missing__(self, name):
            client = APIClient()
            _, key = token_issue(user=users[name], issued_with="password")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            self[name] = client
            return client

    return Clients()


@pytest.fixture
def anon():
    return APIClient()
