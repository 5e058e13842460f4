"""The Celery application. Without a broker URL tasks run eagerly in-process (the embedded mode)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiboard.settings")

app = Celery("kpiboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["kpiboard"])
