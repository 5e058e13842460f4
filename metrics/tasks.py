"""Celery tasks of the metrics app: thin wrappers (ids in, one service call) around ``metrics.services.imports``.

Delivery is at least once (``acks_late``; a worker lost mid-task puts the message back, ``reject_on_worker_lost``),
so the service makes a second run harmless: the batch row lock lets one run load a batch, and a finished batch is
not loaded again. Only transient database errors (a dropped connection) are retried here; every other problem
ends the batch as failed with a message.
"""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils.translation import gettext

from metrics.models import ImportBatch
from metrics.services.imports import import_batch_fail, import_batch_run, import_batches_requeue_stuck

HELD_RECHECKS = (3, 10, 30)  # seconds before looking again at a batch whose row another session holds
IMPORT_TIME_LIMIT = 25 * 60  # a 1 M-row report loads in well under a minute; 25 minutes is a runaway import
SWEEP_TIME_LIMIT = 5 * 60


def _time_limits(limit: int) -> tuple[int, int]:
    """(hard, soft) limits kept below half the broker's visibility timeout, so that Redis never hands a task that
    is still running to a second worker."""
    ceiling = settings.CELERY_BROKER_VISIBILITY_TIMEOUT // 2 - 60
    hard = max(60, min(limit, ceiling))
    return hard, max(30, hard - 60)


def _drop_broken_connections() -> None:
    """Before a retry: close the connection the error came through, so the next attempt opens a fresh one."""
    close_old_connections()
    if not connection.in_atomic_block:
        connection.close()


class ImportBatchTask(Task):
    """Records a batch as failed once its retries are spent (Saleor's job-row habit)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        batch_id, organization_id = (list(args) + [kwargs.get("batch_id"), kwargs.get("organization_id")])[:2]
        if batch_id is None or organization_id is None:
            return
        _drop_broken_connections()
        try:
            import_batch_fail(batch_id, organization_id, gettext(
                "The import failed after {retries} retries on a database error ({error}); nothing was imported. "
                "Upload the file again.").format(retries=self.request.retries, error=type(exc).__name__))
        except (OperationalError, InterfaceError):  # the database is still away: the sweeper will retry the batch
            pass


_IMPORT_HARD, _IMPORT_SOFT = _time_limits(IMPORT_TIME_LIMIT)
_SWEEP_HARD, _SWEEP_SOFT = _time_limits(SWEEP_TIME_LIMIT)


@shared_task(
    name="metrics.import_batch_run", base=ImportBatchTask, bind=True, acks_late=True, reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, retry_backoff_max=60, retry_jitter=True,
    max_retries=3, time_limit=_IMPORT_HARD, soft_time_limit=_IMPORT_SOFT,
)
def import_batch_run_task(self, batch_id: int, organization_id: int) -> str | None:
    """Run one import batch (``import_batch_run``); returns its status.

    When another database session holds the batch row, the run returns without loading. Usually that session is a
    live worker loading the batch (this message is a duplicate; the work is done once). But a worker killed with
    SIGKILL mid-load leaves its session behind for a moment (PostgreSQL ends it when it notices the closed socket,
    after the statement it was running), and the broker redelivers the message at once: the redelivered task
    then finds the row still locked, and it is the one that must do the work. So a batch found held and
    unfinished is looked at again after ``HELD_RECHECKS`` seconds; a finished one is left alone.
    """
    try:
        batch = import_batch_run(batch_id, organization_id)
    except (OperationalError, InterfaceError):
        _drop_broken_connections()
        raise
    held = batch is None or batch.status in (ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING)
    # (a batch handed back still pending or running exists; None may mean it was deleted)
    if held and (batch is not None or _batch_exists(batch_id, organization_id)) \
            and self.request.retries < len(HELD_RECHECKS):
        raise self.retry(countdown=HELD_RECHECKS[self.request.retries], max_retries=len(HELD_RECHECKS))
    return batch.status if batch is not None else None


def _batch_exists(batch_id: int, organization_id: int) -> bool:
    return ImportBatch.objects.filter(pk=batch_id, organization_id=organization_id).exists()


@shared_task(name="metrics.import_batches_sweep", acks_late=True, time_limit=_SWEEP_HARD,
             soft_time_limit=_SWEEP_SOFT)
def import_batches_sweep_task() -> list[int]:
    """Re-enqueue import batches that no worker is running (``import_batches_requeue_stuck``); every 5 minutes."""
    return import_batches_requeue_stuck()


WARM_TIME_LIMIT = 10 * 60
_WARM_HARD, _WARM_SOFT = _time_limits(WARM_TIME_LIMIT)


@shared_task(name="metrics.dashboards_warm", time_limit=_WARM_HARD, soft_time_limit=_WARM_SOFT, ignore_result=True)
def dashboards_warm_task(organization_id: int, versions: dict[str, int]) -> dict | None:
    """Warm the dashboards of the brands an import changed (``versions``: brand id → its data version then).

    Skipped when a brand's data has changed again since (a later import committed: its own warm-up follows, and
    the answers computed here would be cached under keys nobody asks for any more)."""
    from accounts.models import Brand
    from metrics.views.warm import AFTER_IMPORT_PRESETS, dashboards_warm

    wanted = {int(k): v for k, v in versions.items()}
    current = dict(Brand.objects.filter(organization_id=organization_id, pk__in=wanted)
                   .values_list("pk", "data_version"))
    if not wanted or current != wanted:
        return None
    return dashboards_warm(organization_id, list(wanted), presets=AFTER_IMPORT_PRESETS)


@shared_task(name="metrics.dashboards_warm_daily", time_limit=_SWEEP_HARD, soft_time_limit=_SWEEP_SOFT,
             ignore_result=True)
def dashboards_warm_daily_task() -> int:
    """Just after midnight (``CELERY_BEAT_SCHEDULE``): a new day moves every period preset, so no page of the day
    is cached yet. Enqueue one warm-up of every brand for the presets of ``AFTER_IMPORT_PRESETS`` per organization
    that has brands; returns how many were enqueued."""
    from accounts.models import Brand

    organizations = list(Brand.objects.order_by("organization_id").values_list("organization_id", flat=True)
                         .distinct())
    for organization_id in organizations:
        dashboards_warm_organization_task.delay(organization_id)
    return len(organizations)


@shared_task(name="metrics.dashboards_warm_organization", time_limit=_WARM_HARD, soft_time_limit=_WARM_SOFT,
             ignore_result=True)
def dashboards_warm_organization_task(organization_id: int) -> dict:
    """Render the overview and every brand's pages of one organization for ``AFTER_IMPORT_PRESETS``."""
    from metrics.views.warm import AFTER_IMPORT_PRESETS, dashboards_warm

    return dashboards_warm(organization_id, None, presets=AFTER_IMPORT_PRESETS)
