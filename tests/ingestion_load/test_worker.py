"""Imports on a real Celery worker (PostgreSQL + Redis, run by .ci/run): the API upload polled to success, the
same task started twice, a worker child killed mid-batch, a dropped database connection, the stuck-batch sweeper.

The worker is slowed down by ``KPIBOARD_IMPORT_TEST_CHUNK_DELAY`` (seconds per chunk, read by the loader at call
time) and small chunks (``KPIBOARD_IMPORT_CHUNK_ROWS``), so that there is a "mid-batch" to act in.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from metrics.models import DailyRollup, ImportBatch, Post, PostDailyFact, SocialAccount
from metrics.services.imports import PROGRESS_KEY, import_batch_create, import_batch_run, import_batches_requeue_stuck
from metrics.tasks import import_batch_run_task
from tests.factories import BrandFactory, OrganizationFactory
from tests.ingestion_load.files import qianchuan_csv, qianchuan_rows

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROWS, MATERIALS, CHUNK = 1_200, 40, 100  # 12 chunks of 40 materials × 30 days


@pytest.fixture
def report(tmp_path) -> Path:
    return qianchuan_csv(tmp_path / "千川_素材分日报表.csv", qianchuan_rows(ROWS, materials=MATERIALS))


@pytest.fixture
def worker(request, monkeypatch, tmp_path, settings):
    """A worker sharing this test's media folder, loading ``CHUNK`` rows per chunk with a pause after each."""
    media = tmp_path / "media"
    media.mkdir()
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    monkeypatch.setenv("KPIBOARD_IMPORT_CHUNK_ROWS", str(CHUNK))
    monkeypatch.setenv("KPIBOARD_IMPORT_TEST_CHUNK_DELAY", str(getattr(request, "param", 0.4)))
    settings.MEDIA_ROOT = media
    process = request.getfixturevalue("celery_worker_process")
    monkeypatch.delenv("KPIBOARD_IMPORT_TEST_CHUNK_DELAY")  # this process's own imports run at full speed
    return process


def wait_for(condition, timeout=60.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def batch_state(pk):
    return ImportBatch.objects.filter(pk=pk).values_list("status", flat=True).first()


def finished(pk, timeout=120.0):
    wait_for(lambda: batch_state(pk) in ("succeeded", "failed"), timeout, 0.1, f"batch {pk} to finish")
    return ImportBatch.objects.get(pk=pk)


def org_counts(org) -> dict[str, int]:
    return {model.__name__: model.objects.filter(organization=org).count()
            for model in (SocialAccount, Post, PostDailyFact, DailyRollup)}


def clean_run_counts(report: Path) -> dict[str, int]:
    """The same file imported once, in this process, into a fresh organization: the state every run must reach."""
    org = OrganizationFactory(slug=f"clean-{time.monotonic_ns()}")
    brand = BrandFactory(organization=org)
    with open(report, "rb") as fh:
        batch = import_batch_create(None, brand, File(fh, name=report.name), enqueue=False)
    assert import_batch_run(batch.pk, org.pk).status == "succeeded"
    return org_counts(org)


def create_batch(brand, report: Path) -> ImportBatch:
    with open(report, "rb") as fh:
        return import_batch_create(None, brand, File(fh, name=report.name), enqueue=False)


def loading(pk):
    """The live progress while the batch's load transaction runs (None before it started)."""
    progress = cache.get(PROGRESS_KEY.format(id=pk)) or {}
    return progress.get("done", 0) > 0 and batch_state(pk) == "running"


def active_tasks():
    from kpiboard.celery import app

    replies = app.control.inspect(timeout=1.0).active() or {}
    return [task for tasks in replies.values() for task in tasks]


def test_upload_through_the_api_and_poll_progress_to_success(worker, client_as, org, brand, report):
    api = client_as(Role.MARKETER)
    with open(report, "rb") as fh:
        response = api.post(reverse("import-batch-list", kwargs={"org_slug": org.slug}),
                            {"file": SimpleUploadedFile(report.name, fh.read()), "brand": brand.pk},
                            format="multipart")
    assert response.status_code == 202, response.content
    url = reverse("import-batch-detail", kwargs={"org_slug": org.slug, "pk": response.json()["id"]})
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = api.get(url).json()
        seen.append((body["status"], body["progress"]["fraction"]))
        if body["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert body["status"] == "succeeded", body["message"]
    assert body["progress"] == {"done": ROWS, "total": ROWS, "fraction": 1.0}
    assert any(status == "running" and fraction is not None and 0 < fraction < 1 for status, fraction in seen), seen
    assert (body["posts_created"], body["facts"]) == (MATERIALS, ROWS)


def test_the_same_batch_started_twice_at_once_does_the_work_once(worker, org, brand, report):
    batch = create_batch(brand, report)
    import_batch_run_task.delay(batch.pk, org.pk)
    import_batch_run_task.delay(batch.pk, org.pk)
    wait_for(lambda: loading(batch.pk), what="the load to start")
    # One task holds the batch row; the other found it locked (or finished) and returned at once.
    wait_for(lambda: len(active_tasks()) == 1 and batch_state(batch.pk) == "running", 30, 0.2,
             "the second task to return while the first loads")
    done = finished(batch.pk)
    assert done.status == "succeeded", done.message
    assert done.attempts in (1, 2)
    assert org_counts(org) == clean_run_counts(report)


def test_a_worker_child_killed_mid_batch_is_redelivered_and_ends_like_a_clean_run(worker, org, brand, report):
    batch = create_batch(brand, report)
    import_batch_run_task.delay(batch.pk, org.pk)
    wait_for(lambda: loading(batch.pk), what="the load to start")
    # Mid-load, another connection sees none of the batch's rows.
    assert org_counts(org) == {"SocialAccount": 0, "Post": 0, "PostDailyFact": 0, "DailyRollup": 0}
    (task,) = wait_for(active_tasks, what="the active task")
    os.kill(task["worker_pid"], signal.SIGKILL)
    assert org_counts(org)["PostDailyFact"] == 0
    done = finished(batch.pk)
    assert done.status == "succeeded", done.message
    assert done.attempts == 2
    assert org_counts(org) == clean_run_counts(report)


def test_a_dropped_database_connection_is_retried_to_success(worker, org, brand, report):
    batch = create_batch(brand, report)
    import_batch_run_task.delay(batch.pk, org.pk)
    wait_for(lambda: loading(batch.pk), what="the load to start")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state IN ('idle in transaction', 'active')")
        assert cursor.fetchall(), "no worker connection in a transaction to terminate"
    done = finished(batch.pk)
    assert done.status == "succeeded", done.message
    assert done.attempts >= 2
    assert org_counts(org) == clean_run_counts(report)


@pytest.mark.parametrize("worker", [0], indirect=True)
def test_batches_stuck_in_running_are_requeued_by_the_sweeper(worker, org, brand, report, settings):
    stale = timezone.now() - timedelta(minutes=settings.KPIBOARD_IMPORT_STUCK_MINUTES + 5)
    lost = create_batch(brand, report)  # its worker died: running, nobody holds its row
    held = create_batch(BrandFactory(organization=org), report)  # running and locked: a live (slow) load
    fresh = create_batch(BrandFactory(organization=org), report)  # pending, queued a moment ago
    ImportBatch.objects.filter(pk__in=[lost.pk, held.pk]).update(status="running", started_at=stale,
                                                                  heartbeat_at=stale, attempts=1)
    locked, release = threading.Event(), threading.Event()

    def hold_row():
        try:
            with transaction.atomic():
                ImportBatch.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_row)
    holder.start()
    try:
        assert locked.wait(10)
        requeued = import_batches_requeue_stuck()
    finally:
        release.set()
        holder.join()
    assert requeued == [lost.pk]
    done = finished(lost.pk)
    assert done.status == "succeeded", done.message
    assert done.attempts == 2
    assert {batch_state(held.pk), batch_state(fresh.pk)} == {"running", "pending"}
