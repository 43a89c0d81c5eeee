import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


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
            token = Token.objects.create(user=users[name])
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            self[name] = client
            return client

    return Clients()


@pytest.fixture
def anon():
    return APIClient()
