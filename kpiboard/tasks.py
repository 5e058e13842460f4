"""Tasks of the project itself: ``ping`` proves the broker → worker → shared cache wiring end to end."""

import socket

from celery import shared_task
from django.core.cache import cache


@shared_task(name="kpiboard.ping", acks_late=True)
def ping(token: str) -> str:
    """Record in the shared cache which worker answered ``token``."""
    host = socket.gethostname()
    cache.set(f"kpiboard:ping:{token}", host, timeout=300)
    return host
