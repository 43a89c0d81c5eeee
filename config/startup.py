"""Start-up steps of the web server (config/wsgi.py, config/asgi.py), which importing the
settings no longer does: nothing is created when config.settings is imported."""

from pathlib import Path

from django.conf import settings


def make_static_root() -> None:
    """WhiteNoise serves STATIC_ROOT and warns at start-up when it is missing (before the
    first collectstatic, or under DEBUG, where the apps' own folders are served): made
    here, when a server starts, so that warning means what it says."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
