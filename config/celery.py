import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casefiles")
# CELERY_* settings live in config/settings.py; with no broker configured they make
# tasks run eagerly in-process (the embedded default used by `make demo`).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
