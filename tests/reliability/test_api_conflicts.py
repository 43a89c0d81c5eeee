"""50 concurrent API clients issue conflicting edits, notes, transitions and decisions on
five cases for 10 s against gunicorn on PostgreSQL: no 5xx, every conflict a 409 or 412,
no write lost or doubled, the chains intact. `make soak` runs the same for 60 s
(bench/api_conflicts.py). Needs PostgreSQL (gunicorn's processes share the database)."""

import os
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from casefiles.models import Event

sys.path.insert(0, str(settings.BASE_DIR / "bench"))
import api_conflicts  # noqa: E402 - a bench/ script, found through the path above

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs a PostgreSQL DATABASE_URL",
    ),
]

SECONDS = 10


def test_conflicting_clients_get_no_5xx_and_lose_nothing():
    tokens, case_ids = api_conflicts.prepare(cases=5, clients=50)
    before = Event.objects.count()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    port = api_conflicts.free_port()
    with api_conflicts.gunicorn(url, port) as log:
        tally = api_conflicts.hammer(port, tokens, case_ids, SECONDS)
        server_errors = api_conflicts.server_errors(log)

    totals = tally.totals()
    assert not tally.unexpected, tally.unexpected[:10]
    assert server_errors == ""
    # The run did what it is for: writes went through and others collided.
    assert totals[412] > 0 and totals[409] + totals[412] > 0, totals
    assert tally.events_reported > 0, totals
    # Every 2xx's events are in the store, and nothing else was written.
    assert Event.objects.count() - before == tally.events_reported
    out = StringIO()
    call_command("verify_events", stdout=out)
    call_command("rebuild_projections", "--check", stdout=out)
    assert out.getvalue().count("OK") == 2, out.getvalue()
