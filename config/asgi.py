"""The ASGI entry point. Not what the deployment runs (gunicorn's WSGI workers, Dockerfile
and docker-compose.yml), but kept working and as safe: Django's ASGI handler reads a whole
request body before any middleware, so the body cap is enforced in front of it
(casefiles/request_limits.py, docs/operations.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.startup import make_static_root  # noqa: E402 - needs the settings module set

make_static_root()
django_application = get_asgi_application()

# Imported once Django is set up (the refusal is a problem document of the API).
from casefiles.request_limits import LimitBodyASGI  # noqa: E402

application = LimitBodyASGI(django_application)
