"""Login lockout by username with exponential back-off (a django-axes handler).

After AXES_FAILURE_LIMIT failures for a username, that username is refused for
AXES_BACKOFF_BASE seconds, then twice as long after each further failure, never longer
than AXES_BACKOFF_MAX. Failures are remembered for AXES_COOLOFF_TIME (from
AXES_FAILURE_MEMORY_HOURS) after the last one, so the back-off keeps growing for someone
who keeps guessing, while one burst of wrong passwords from anyone (the username is
public; behind a proxy every client may share an address) locks its owner out for
seconds, not an hour.

django-axes ties "how long failures count" and "how long a lockout lasts" to the one
cool-off; here the cool-off is the memory and the lockout ends after the back-off.
"""

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials, get_failure_limit
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def backoff(failures: int, limit: int) -> timedelta:
    """How long a username stays locked after its `failures`-th failure."""
    if failures < limit:
        return timedelta(0)
    # Capped exponent: 2**(failures - limit) would be a huge integer for a long attack.
    exponent = min(failures - limit, 40)
    seconds = min(settings.AXES_BACKOFF_BASE * 2**exponent, settings.AXES_BACKOFF_MAX)
    return timedelta(seconds=seconds)


class BackoffHandler(AxesDatabaseHandler):
    def locked_until(self, request, credentials=None):
        """The end of the current lockout, or None if there is none."""
        limit = get_failure_limit(request, credentials)
        moment = getattr(request, "axes_attempt_time", None) or timezone.now()
        ends = []
        for attempts in self.get_user_attempts(request, credentials):
            row = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            if row["last"] is not None and (row["failures"] or 0) >= limit:
                ends.append(row["last"] + backoff(row["failures"], limit))
        until = max(ends, default=None)
        return until if until is not None and moment < until else None

    def is_locked(self, request, credentials=None) -> bool:
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        return self.locked_until(request, credentials) is not None


def seconds_locked(request, username: str) -> int:
    """Whole seconds until `username`'s lockout ends (at least 1), for a request that
    django-axes has just refused: the token request's Retry-After."""
    handler = AxesProxyHandler.get_implementation()
    until = (
        handler.locked_until(request, get_credentials(username))
        if isinstance(handler, BackoffHandler)
        else None
    )
    if until is None:
        # Refused at the very moment the back-off ended: try again at once, not "0".
        return 1
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def token_signed_in(request, user) -> None:
    """A token request that succeeded (password, and code if the account has a device) is
    a sign-in like the admin's: django-axes logs it and, with AXES_RESET_ON_SUCCESS, clears
    the username's failures, so the owner's success is not followed by a lockout at the
    next single wrong password."""
    AxesProxyHandler.user_logged_in(sender=None, request=request, user=user)
