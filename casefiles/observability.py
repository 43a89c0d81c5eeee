"""Request ids and structured (JSON) logs: every line says which request and which user."""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

request_id_var = contextvars.ContextVar("request_id", default="-")
user_var = contextvars.ContextVar("user", default="-")
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy when it is well-formed, otherwise makes one, and
    returns it in the response so a person can quote it when reporting a problem."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        user_token = user_var.set("-")
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_var.set(user.get_username())
            response["X-Request-ID"] = request_id
            return response
        finally:
            request_id_var.reset(id_token)
            user_var.reset(user_token)


class ContextFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        record.user = user_var.get()
        return True


class JsonFormatter(logging.Formatter):
    FIELDS = ("case", "ingestion", "task", "status", "path", "method")

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user": getattr(record, "user", "-"),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
