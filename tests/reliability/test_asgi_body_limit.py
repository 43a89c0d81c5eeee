"""The body cap under ASGI (config/asgi.py): Django's ASGI handler reads a whole body
before any middleware runs, so the cap is enforced in front of it. Driven directly, as a
server would: scope, receive and send, counting how many body messages were read."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core import signals
from django.db import close_old_connections

from config.asgi import application

pytestmark = pytest.mark.django_db
CHUNK = 64 * 1024


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    # As Django's own test client does: the request signals would close the connection
    # that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class Client:
    """One connection's client side: the body as `http.request` messages, handed out one
    at a time (`read` counts them), and what the application sent back."""

    def __init__(self, chunks: list[bytes]):
        self.messages = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        self.read = 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        if self.read < len(self.messages):
            self.read += 1
            return self.messages[self.read - 1]
        # The body is complete and the client waits for the answer (Django listens for a
        # disconnect meanwhile and cancels that once it has answered).
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    @property
    def headers(self) -> dict:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {k.decode().lower(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def call(
    path: str,
    chunks: list[bytes],
    headers: dict,
    *,
    method: str = "POST",
    http_version: str = "1.1",
) -> Client:
    client = Client(chunks or [b""])
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": http_version,
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("192.0.2.10", 50000),
        "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            *((name.lower().encode(), value.encode()) for name, value in headers.items()),
        ],
    }

    async def run():
        # A safety net against a hang, not a measurement.
        await asyncio.wait_for(application(scope, client.receive, client.send), 120)

    # async_to_sync: the view's synchronous code runs in this thread, in the test's
    # database transaction.
    async_to_sync(run)()
    return client


def problem(client: Client, status: int) -> dict:
    assert client.status == status, client.body[:500]
    assert client.headers["content-type"] == "application/problem+json"
    body = json.loads(client.body)
    assert body["status"] == status
    return body


def test_a_declared_length_over_the_cap_is_413_before_a_byte_is_read():
    declared = 50 * 1_048_576
    client = call(
        "/api/cases/",
        [b"x" * CHUNK] * 10,
        {"Content-Type": "application/json", "Content-Length": str(declared)},
    )
    body = problem(client, 413)
    assert f"{declared:,} bytes" in body["detail"]
    assert client.read == 0
    # Uploads have their own, larger cap, and the same refusal past it.
    upload = call(
        "/api/ingestions/",
        [b"x" * CHUNK],
        {
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Length": str(settings.CASEFILES_MAX_UPLOAD_BYTES + 1),
        },
    )
    problem(upload, 413)
    assert upload.read == 0


def test_the_admin_gets_the_same_refusal_as_plain_text():
    client = call(
        "/admin/login/",
        [b"x" * CHUNK],
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(50 * 1_048_576),
        },
    )
    assert client.status == 413 and client.read == 0
    assert client.headers["content-type"].startswith("text/plain")


def test_chunked_and_malformed_lengths_are_refused_unread():
    chunked = call(
        "/api/cases/", [b"{}"], {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    )
    assert "Content-Length" in problem(chunked, 411)["detail"]
    assert chunked.read == 0
    for value in ("12abc", "-5", "１２"):
        malformed = call(
            "/api/cases/", [b"{}"], {"Content-Type": "application/json", "Content-Length": value}
        )
        problem(malformed, 400)
        assert malformed.read == 0


def test_a_body_without_a_declared_length_is_411_at_its_first_bytes():
    # HTTP/2 frames the body itself: no Content-Length, no Transfer-Encoding. It keeps
    # coming, 64 KiB at a time, far past the cap. DRF would read none of it (it reads a
    # declared length only), so it gets the chunked body's answer, from its first message.
    chunks = [b"x" * CHUNK] * 200  # 12.5 MiB
    client = call("/api/cases/", chunks, {"Content-Type": "application/json"}, http_version="2")
    assert "Content-Length" in problem(client, 411)["detail"]
    assert client.read == 1
    assert client.headers["connection"] == "close"


def test_a_body_longer_than_it_declared_is_read_only_up_to_the_cap():
    # A server that does not hold the client to its Content-Length: Django's handler reads
    # every message whatever the header says. Counting stops at the first one past the cap.
    cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    chunks = [b"x" * CHUNK] * 200  # 12.5 MiB
    client = call(
        "/api/cases/",
        chunks,
        {"Content-Type": "application/json", "Content-Length": "2"},
        http_version="2",
    )
    body = problem(client, 413)
    assert f"{cap:,} bytes" in body["detail"]
    assert client.read == cap // CHUNK + 1 < len(chunks)


@pytest.mark.parametrize("messages", [1, 3])
def test_a_request_within_the_cap_goes_through_unchanged(users, messages):
    raw = json.dumps({"username": "dora", "password": "x-dora", "name": "asgi"}).encode()
    # In one message or several, as a server may deliver it.
    chunks = [raw] if messages == 1 else [raw[:10], raw[10:20], raw[20:]]
    client = call(
        "/api/auth/token/",
        chunks,
        {"Content-Type": "application/json", "Content-Length": str(len(raw))},
    )
    assert client.status == 200, client.body
    assert client.read == messages
    issued = json.loads(client.body)
    assert issued["name"] == "asgi" and issued["token"]
    # No body at all, no length: not refused (HTTP/2 as well).
    for version in ("1.1", "2"):
        assert call("/api/cases/", [], {}, method="GET", http_version=version).status == 401
