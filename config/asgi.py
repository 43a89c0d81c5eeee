import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.startup import make_static_root  # noqa: E402 - needs the settings module set

make_static_root()
application = get_asgi_application()
