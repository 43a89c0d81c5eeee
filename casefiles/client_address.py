"""The client's address, as throttles and the login lockout see it.

Behind N trusted reverse proxies the client is the address the outermost of them saw:
the N-th entry from the right of X-Forwarded-For (each proxy appends the address it
received the request from). Everything left of it was written by the client and is not
believed. With no trusted proxy (TRUSTED_PROXY_COUNT=0, the default) X-Forwarded-For is
ignored entirely and REMOTE_ADDR is the client.
"""

import ipaddress

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str | None:
    """DRF's own reading (REST_FRAMEWORK["NUM_PROXIES"], set from TRUSTED_PROXY_COUNT),
    so throttles and django-axes count the same address. An entry that is not an IP
    address (a misconfigured proxy count lets the client write it) falls back to the
    peer's address: the lockout stores addresses in an IP column."""
    remote = request.META.get("REMOTE_ADDR")
    candidate = BaseThrottle().get_ident(request)
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate
