"""Throttling and login lockout behind reverse proxies: the client address comes from
the configured number of trusted proxies, the counters are shared by every process, and
a lockout backs off exponentially instead of lasting an hour."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from casefiles.client_address import client_address
from casefiles.lockout import backoff

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_counters(monkeypatch):
    cache.clear()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "3/minute")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1000/minute")
    yield
    cache.clear()


@pytest.fixture
def proxies(settings):
    """proxies(n): trust n reverse proxies (DRF reads its settings again on change)."""

    def trust(count: int) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return trust


def guess(client, forwarded_for=None, remote="203.0.113.9", username="aud"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(
        TOKEN, {"username": username, "password": "guess"}, format="json", **extra
    ).status_code


def test_default_trusts_no_proxy():
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    assert settings.AXES_CLIENT_IP_CALLABLE == "casefiles.client_address.client_address"


def test_rotating_forwarded_for_without_a_trusted_proxy_is_still_throttled(users):
    # The attack that found the hole: a new X-Forwarded-For on every request.
    anon = APIClient()
    statuses = [guess(anon, forwarded_for=f"198.51.100.{i}") for i in range(8)]
    assert statuses[:3] == [422, 422, 422]
    assert set(statuses[3:]) == {429}, statuses


def test_one_trusted_proxy_uses_the_address_it_appended(users, proxies):
    proxies(1)
    anon = APIClient()
    # What the client wrote (left) rotates; what the proxy appended (right) is the client.
    statuses = [
        guess(anon, forwarded_for=f"10.9.9.{i}, 198.51.100.7", remote="10.0.0.2") for i in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    # Another client behind the same proxy (same REMOTE_ADDR) has its own budget.
    assert guess(anon, forwarded_for="198.51.100.8", remote="10.0.0.2") == 422


def test_client_address_reads_the_same_entry_as_the_throttles(rf, proxies):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2, 3.3.3.3", REMOTE_ADDR="10.0.0.2")
    proxies(0)
    assert client_address(request) == "10.0.0.2"
    proxies(1)
    assert client_address(request) == "3.3.3.3"
    proxies(2)
    assert client_address(request) == "2.2.2.2"
    proxies(5)  # more proxies than entries: the leftmost
    assert client_address(request) == "1.1.1.1"
    # Not an address (a miscounted chain lets the client write it): the peer instead,
    # never a value the lockout's IP column refuses.
    proxies(1)
    bogus = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-ip\x00", REMOTE_ADDR="10.0.0.2")
    assert client_address(bogus) == "10.0.0.2"


def test_settings_refuse_a_bad_proxy_count():
    for value in ("-1", "one", "²"):
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "TRUSTED_PROXY_COUNT": value,
            },
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "TRUSTED_PROXY_COUNT" in result.stderr and "ImproperlyConfigured" in result.stderr


COUNTER = """
import django, json, sys
django.setup()
from rest_framework.test import APIClient
client = APIClient()
print(json.dumps([client.post("/api/auth/token/", {"username": "aud", "password": "guess"},
                              format="json").status_code for _ in range(3)]))
"""


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
    reason="needs REDIS_URL: without Redis each process counts on its own "
    "(locmem), which is what this test would show",
)
def test_processes_share_one_count(users):
    """Two processes (as two gunicorn workers are) draw on one budget of 3 a minute."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "API_THROTTLE_AUTH": "3/minute",
        "AXES_ENABLED": "0",
        "ALLOWED_HOSTS": "testserver",
    }
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        pytest.skip("the processes need the test database: PostgreSQL")
    statuses = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", COUNTER],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        statuses += json.loads(result.stdout.strip().splitlines()[-1])
    assert statuses == [422, 422, 422, 429, 429, 429], statuses


# Lockout by username with exponential back-off.


def test_backoff_doubles_and_is_capped(settings):
    settings.AXES_BACKOFF_BASE, settings.AXES_BACKOFF_MAX = 1, 900
    limit = 5
    assert backoff(4, limit) == timedelta(0)
    assert [backoff(n, limit).total_seconds() for n in range(5, 11)] == [1, 2, 4, 8, 16, 32]
    assert backoff(15, limit) == timedelta(seconds=900)
    assert backoff(10**9, limit) == timedelta(seconds=900)  # no huge power


def login(client, password, username="dora", **extra):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **extra
    ).status_code


def age_failures(username: str, seconds: float) -> None:
    """As if the last failure had happened `seconds` earlier."""
    for attempt in AccessAttempt.objects.filter(username=username):
        attempt.attempt_time -= timedelta(seconds=seconds)
        attempt.save(update_fields=["attempt_time"])


def test_lockout_backs_off_and_expires(client, settings, users):
    settings.AXES_ENABLED = True
    # A base of 10 s rather than the default 1 s: every "still locked" below has seconds
    # of margin, so a slow request (PostgreSQL, a busy machine) cannot outlast it.
    settings.AXES_BACKOFF_BASE = 10
    limit = settings.AXES_FAILURE_LIMIT
    # An anonymous attacker, a new address each time (no trusted proxy: REMOTE_ADDR).
    statuses = [login(client, "wrong", REMOTE_ADDR=f"198.51.100.{i}") for i in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]
    # Locked by username: the owner, from elsewhere, is refused for now...
    assert login(client, "x-dora", REMOTE_ADDR="192.0.2.1") == 429
    # ...hammering while locked is not counted (the back-off does not grow)...
    for _ in range(5):
        assert login(client, "wrong", REMOTE_ADDR="198.51.100.99") == 429
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == limit
    # ...and after 10 s it may try again.
    age_failures("dora", 11)
    # One more failure locks for 20 s: still locked after 11 s, free after 21 s.
    assert login(client, "wrong", REMOTE_ADDR="198.51.100.50") == 429
    age_failures("dora", 11)
    assert login(client, "x-dora", REMOTE_ADDR="192.0.2.1") == 429
    age_failures("dora", 10)
    # Then 40 s after the next failure.
    assert login(client, "wrong", REMOTE_ADDR="198.51.100.51") == 429
    age_failures("dora", 35)
    assert login(client, "x-dora", REMOTE_ADDR="192.0.2.1") == 429
    age_failures("dora", 6)
    # The owner signs in; success resets the count.
    assert login(client, "x-dora", REMOTE_ADDR="192.0.2.1") == 302
    assert not AccessAttempt.objects.filter(username="dora").exists()


def test_lockout_never_lasts_longer_than_the_cap(client, settings, users):
    settings.AXES_ENABLED = True
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", REMOTE_ADDR=f"198.51.100.{i}")
    # A long attack: 60 failures remembered, the back-off would be 2**55 s uncapped.
    AccessAttempt.objects.filter(username="dora").update(failures_since_start=60)
    age_failures("dora", settings.AXES_BACKOFF_MAX - 5)
    assert login(client, "x-dora") == 429
    age_failures("dora", 6)
    assert login(client, "x-dora") == 302


def test_lockout_is_per_username(client, settings, users):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong")
    assert login(client, "x-dora") == 429
    # The same address signs in as someone else: it is the account that is locked.
    assert login(client, "x-lena", username="lena") == 302


def test_failures_are_forgotten_after_the_memory(client, settings, users):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "wrong")
    age_failures("dora", settings.AXES_COOLOFF_TIME.total_seconds() + 1)
    # Four old failures and one new: below the limit, not locked.
    assert login(client, "wrong") == 200
    assert login(client, "x-dora") == 302


def locked_problem(response) -> dict:
    """The lockout's answer: 429 problem+json of its own type, with Retry-After."""
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:casefiles:problem:account-locked"
    assert "temporarily locked after repeated failed sign-ins" in body["detail"]
    assert "token" not in body
    return body


def test_a_locked_username_gets_429_with_retry_after_at_the_token_endpoint(
    settings, users, monkeypatch
):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "100/minute")
    settings.AXES_ENABLED = True
    settings.AXES_BACKOFF_BASE, settings.AXES_BACKOFF_MAX = 60, 900
    anon = APIClient()
    limit = settings.AXES_FAILURE_LIMIT
    for i in range(limit - 1):
        assert guess(anon, remote=f"198.51.100.{i}") == 422
    # The failure that reaches the limit is answered as the lockout it starts.
    reached = anon.post(TOKEN, {"username": "aud", "password": "guess"}, format="json")
    assert 55 <= int(reached["Retry-After"]) <= 60
    locked_problem(reached)
    # While locked, the right password and a wrong one get the same answer: it tells
    # nothing about the password just sent (it is not even checked).
    right = anon.post(TOKEN, {"username": "aud", "password": "x-aud"}, format="json")
    wrong = anon.post(TOKEN, {"username": "aud", "password": "guess-2"}, format="json")
    assert locked_problem(right) == locked_problem(wrong)
    assert right["Retry-After"] == wrong["Retry-After"]
    assert 1 <= int(right["Retry-After"]) <= 60
    # Retry-After counts down to the end of the back-off.
    age_failures("aud", 45)
    later = anon.post(TOKEN, {"username": "aud", "password": "x-aud"}, format="json")
    locked_problem(later)
    assert 10 <= int(later["Retry-After"]) <= 15
    # Hammering while locked was not counted: the back-off is still the first one.
    assert (
        sum(
            AccessAttempt.objects.filter(username="aud").values_list(
                "failures_since_start", flat=True
            )
        )
        == limit
    )
    # Once the back-off has passed, the right password gets a token.
    age_failures("aud", 15.1)
    issued = anon.post(TOKEN, {"username": "aud", "password": "x-aud"}, format="json")
    assert issued.status_code == 200 and "token" in issued.json()
    # A sign-in like the admin's: the failures are cleared, so one wrong password now is
    # an ordinary failure (422), not the next, longer lockout.
    assert not AccessAttempt.objects.filter(username="aud").exists()
    assert guess(anon) == 422


def test_after_the_lockout_a_device_owner_needs_password_and_code(settings, users, monkeypatch):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "100/minute")
    settings.AXES_ENABLED = True
    settings.AXES_BACKOFF_BASE = 60
    device = TOTPDevice.objects.create(user=users["auditor"], name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    anon = APIClient()
    for i in range(settings.AXES_FAILURE_LIMIT):
        guess(anon, remote=f"198.51.100.{i}")
    # Password and code while locked: the same 429, and the code is not used up.
    locked_problem(
        anon.post(TOKEN, {"username": "aud", "password": "x-aud", "otp": code}, format="json")
    )
    age_failures("aud", 61)
    issued = anon.post(TOKEN, {"username": "aud", "password": "x-aud", "otp": code}, format="json")
    assert issued.status_code == 200, issued.content
    assert issued.json()["issued_with"] == "password+otp"


def test_the_throttle_and_the_lockout_say_which_they_are(settings, users):
    # The throttle (3 a minute from this address, the fixture): about:blank, "throttled".
    anon = APIClient()
    for _ in range(3):
        guess(anon)
    throttled = anon.post(
        TOKEN, {"username": "aud", "password": "guess"}, format="json", REMOTE_ADDR="203.0.113.9"
    )
    assert throttled.status_code == 429 and "Retry-After" in throttled
    body = throttled.json()
    assert body["type"] == "about:blank" and "throttled" in body["detail"]
    assert "locked" not in body["detail"]
    # The lockout, from another address: its own type and detail (above).
    settings.AXES_ENABLED = True
    cache.clear()
    statuses = [guess(anon, remote=f"198.51.100.{i}") for i in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[-1] == 429
    locked = locked_problem(
        anon.post(
            TOKEN, {"username": "aud", "password": "x-aud"}, format="json", REMOTE_ADDR="192.0.2.7"
        )
    )
    assert "throttled" not in locked["detail"]


# The failure memory's environment variable was renamed; the old name is not ignored.

# The memory as configured, then what the start-up checks (run by migrate, runserver and
# check) say about it.
SHOW_MEMORY = """
from django.conf import settings
from django.core import checks
print(settings.AXES_COOLOFF_TIME)
print([f"{m.id}: {m.msg}" for m in checks.run_checks() if m.id == "casefiles.W102"])
"""


def memory(**env) -> tuple[str, str]:
    from tests.test_deploy import run_django

    for name in ("AXES_COOLOFF_HOURS", "AXES_FAILURE_MEMORY_HOURS"):
        env.setdefault(name, "")  # (an empty variable counts as unset)
    result = run_django(SHOW_MEMORY, **env)
    assert result.returncode == 0, result.stderr
    hours, warnings = result.stdout.strip().splitlines()[-2:]
    return hours, warnings


def test_the_old_name_of_the_failure_memory_is_honoured_with_a_warning():
    assert memory() == ("1 day, 0:00:00", "[]")
    assert memory(AXES_FAILURE_MEMORY_HOURS="3") == ("3:00:00", "[]")
    # An older deployment's variable still takes effect, and start-up says so.
    hours, warnings = memory(AXES_COOLOFF_HOURS="2")
    assert hours == "2:00:00"
    assert (
        "casefiles.W102: AXES_COOLOFF_HOURS is the old name of AXES_FAILURE_MEMORY_HOURS"
        in warnings
    )
    # Both set: the new name wins, and the old one is named as ignored.
    hours, warnings = memory(AXES_COOLOFF_HOURS="2", AXES_FAILURE_MEMORY_HOURS="3")
    assert hours == "3:00:00"
    assert "casefiles.W102: AXES_COOLOFF_HOURS is set but ignored" in warnings


def test_a_failure_memory_that_is_not_a_positive_number_is_refused():
    from tests.test_deploy import run_django

    # 0 would be "never forget" to django-axes; inf and nan are no durations.
    for name, value in (
        ("AXES_FAILURE_MEMORY_HOURS", "x"),
        ("AXES_COOLOFF_HOURS", "0"),
        ("AXES_FAILURE_MEMORY_HOURS", "inf"),
    ):
        result = run_django("", **{name: value})
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert f"{name}={value!r}" in result.stderr
