import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casefiles")
# CELERY_* settings live in config/settings.py; with no broker configured they make
# tasks run eagerly in-process (the embedded default used by `make demo`).
app.config_from_object("django.conf:settings", namespace="CELERY")
if app.conf.task_always_eager and not app.conf.broker_url:
    # Eager tasks still take a producer from the pool: an in-memory transport keeps kombu
    # from warning that no hostname was supplied for a broker nobody configured.
    app.conf.broker_url = "memory://localhost/"
app.autodiscover_tasks()
