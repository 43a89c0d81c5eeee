"""Request bodies are refused by their declared size, before a byte of them is read.

Django reads a WSGI body only up to its Content-Length, so a declared length within the
cap bounds what is read, and a body without one is never read at all. What is left is
to refuse, at once: a declared length over the cap (413), a malformed one (400), and a
body sent without a length (Transfer-Encoding: chunked; 411) that would otherwise be
silently taken as empty. Documents are uploaded as multipart/form-data, which gets the
upload cap (CASEFILES_MAX_UPLOAD_BYTES); every other body DATA_UPLOAD_MAX_MEMORY_SIZE.
"""

from django.conf import settings
from django.http import HttpResponse

from casefiles.api.problems import problem_response


def body_cap(request) -> int | None:
    if request.content_type == "multipart/form-data":
        return settings.CASEFILES_MAX_UPLOAD_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def refuse(request, status: int, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(status, detail, instance=request.path)
    return HttpResponse(detail + "\n", status=status, content_type="text/plain; charset=utf-8")


class RequestSizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH", "")
        if declared.strip() == "":
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return refuse(request, 411, "send the body with a Content-Length; bodies "
                              "of unknown length (Transfer-Encoding) are not accepted")
            return self.get_response(request)
        if not (declared.isascii() and declared.isdigit()):
            return refuse(request, 400, f"Content-Length {declared[:40]!r} is not a number")
        cap = body_cap(request)
        if cap is not None and int(declared) > cap:
            return refuse(request, 413, f"the body is {int(declared):,} bytes; the limit for "
                          f"this request is {cap:,} bytes")
        return self.get_response(request)
