"""Request bodies are refused by their declared size, before a byte of them is read, under
WSGI (gunicorn, the deployment) and ASGI alike.

WSGI: Django reads a body only up to its Content-Length, so a declared length within the
cap bounds what is read, and a body without one is never read at all. What is left is to
refuse, at once: a declared length over the cap (413), a malformed one (400), and a body
sent without a length (Transfer-Encoding: chunked; 411) that would otherwise be silently
taken as empty. That is RequestSizeMiddleware.

ASGI: Django's ASGIHandler reads the whole body (every `http.request` message, whatever
Content-Length says) into a temporary file before any middleware runs, so the middleware
would refuse a 2 GB upload only after receiving it. `LimitBodyASGI` wraps the application
(config/asgi.py) and decides first, by the same rule: the same 400/411/413 for what the
headers declare, before the body is read. Then it counts the bytes as they arrive: a
body that comes without a declared length (HTTP/2 and HTTP/3 frame bodies without either
header) is 411 at its first bytes, as a chunked one is, because DRF, under ASGI as under
WSGI, reads only a declared length and would take it as empty; a body longer than it
declared (a server that does not hold the client to it) is 413 at the first message past
the cap. Either way the rest is never read.

Documents are uploaded as multipart/form-data, which gets the upload cap
(CASEFILES_MAX_UPLOAD_BYTES); every other body DATA_UPLOAD_MAX_MEMORY_SIZE.
"""

from django.conf import settings
from django.core.exceptions import RequestAborted
from django.http import HttpResponse

from casefiles.api.problems import problem_response


def body_cap(content_type: str) -> int | None:
    if content_type == "multipart/form-data":
        return settings.CASEFILES_MAX_UPLOAD_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large(size: int, cap: int, *, declared: bool) -> tuple[int, str]:
    what = f"the body is {size:,} bytes" if declared else f"the body passed {cap:,} bytes"
    return 413, f"{what}; the limit for this request is {cap:,} bytes"


def refusal(declared: str, transfer_encoding: str, content_type: str) -> tuple[int, str] | None:
    """(status, detail) for a body refused by its headers alone, else None."""
    if declared.strip() == "":
        if transfer_encoding:
            return 411, (
                "send the body with a Content-Length; bodies of unknown length "
                "(Transfer-Encoding) are not accepted"
            )
        return None
    if not (declared.isascii() and declared.isdigit()):
        return 400, f"Content-Length {declared[:40]!r} is not a number"
    cap = body_cap(content_type)
    if cap is not None and int(declared) > cap:
        return too_large(int(declared), cap, declared=True)
    return None


def refuse(path: str, status: int, detail: str) -> HttpResponse:
    if path.startswith("/api/"):
        return problem_response(status, detail, instance=path)
    return HttpResponse(detail + "\n", status=status, content_type="text/plain; charset=utf-8")


class RequestSizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = refusal(
            request.META.get("CONTENT_LENGTH", ""),
            request.META.get("HTTP_TRANSFER_ENCODING", ""),
            request.content_type,
        )
        if refused is not None:
            return refuse(request.path, *refused)
        return self.get_response(request)


class BodyRefused(RequestAborted):
    """Raised from `receive` to stop Django's ASGI handler reading: it takes RequestAborted
    for a client that went away and returns without answering; the wrapper answers."""


UNKNOWN_LENGTH = (
    411,
    "send the body with a Content-Length; bodies of unknown length are not accepted",
)


class LimitBodyASGI:
    """The body cap in front of Django's ASGI application (see the module's docstring)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        path = scope.get("path", "")
        declared = headers.get("content-length", "")
        refused = refusal(declared, headers.get("transfer-encoding", ""), content_type)
        if refused is not None:
            return await self.answer(send, refuse(path, *refused))
        cap = body_cap(content_type)
        received = 0
        stopped: tuple[int, str] | None = None

        async def counted_receive():
            nonlocal received, stopped
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if not declared.strip() and received:
                    stopped = UNKNOWN_LENGTH
                elif cap is not None and received > cap:
                    stopped = too_large(received, cap, declared=False)
                if stopped is not None:
                    raise BodyRefused()
            return message

        try:
            await self.app(scope, counted_receive, send)
        except BodyRefused:
            pass  # (Django returns on RequestAborted; another application might not.)
        if stopped is not None:
            await self.answer(send, refuse(path, *stopped))

    @staticmethod
    async def answer(send, response: HttpResponse) -> None:
        """Send a small, complete response. The body is left unread: `Connection: close`
        tells the server not to wait for it."""
        response["Content-Length"] = str(len(response.content))
        response["X-Content-Type-Options"] = "nosniff"
        response["Connection"] = "close"
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in response.items()
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.content})
