"""Imports on a real Celery worker (PostgreSQL + Redis, run by .ci/run): the API upload polled to success, the
same task started twice, a worker child killed mid-batch, a dropped database connection, the stuck-batch sweeper.

The worker is slowed down by ``KPIBOARD_IMPORT_TEST_CHUNK_DELAY`` (seconds per chunk, read by the loader at call
time) and small chunks (``KPIBOARD_IMPORT_CHUNK_ROWS``), so that there is a "mid-batch" to act in.
"""

from __future__ import annotations

import contextlib
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
from django.db.models import Sum
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


@contextlib.contextmanager
def row_held(pk):
    """Another database session holds the batch row (``SELECT … FOR UPDATE``) until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                ImportBatch.objects.select_for_update().get(pk=pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join()


def batch_state(pk):
    return ImportBatch.objects.filter(pk=pk).values_list("status", flat=True).first()


def finished(pk, timeout=120.0):
    try:
        wait_for(lambda: batch_state(pk) in ("succeeded", "failed"), timeout, 0.1, f"batch {pk} to finish")
    except AssertionError:
        batch = ImportBatch.objects.get(pk=pk)
        raise AssertionError(f"batch {pk} did not finish: status {batch.status}, attempts {batch.attempts}, "
                             f"claimed by {batch.claimed_by!r}, progress {cache.get(PROGRESS_KEY.format(id=pk))}, "
                             f"active tasks {active_tasks()}") from None
    return ImportBatch.objects.get(pk=pk)


EMPTY = {"SocialAccount": 0, "Post": 0, "PostDailyFact": 0, "DailyRollup": 0}


def org_counts(org) -> dict[str, int]:
    return {model.__name__: model.objects.filter(organization=org).count()
            for model in (SocialAccount, Post, PostDailyFact, DailyRollup)}


def org_state(org) -> dict[str, object]:
    """Row counts and the loaded figures (sums of the facts and of the rollup): two runs that end in the same state
    agree on all of them."""
    facts = PostDailyFact.objects.filter(organization=org).aggregate(
        cost=Sum("cost"), gmv=Sum("gmv"), orders=Sum("orders"), impressions=Sum("impressions"), clicks=Sum("clicks"),
        views=Sum("views"))
    rollup = DailyRollup.objects.filter(organization=org, category__isnull=True).aggregate(
        rollup_cost=Sum("cost"), rollup_gmv=Sum("gmv"))
    return {**org_counts(org), **facts, **rollup}


def clean_run_state(report: Path) -> dict[str, object]:
    """The same file imported once, in this process, into a fresh organization: the state every run must reach."""
    org = OrganizationFactory(slug=f"clean-{time.monotonic_ns()}")
    batch = create_batch(BrandFactory(organization=org), report)
    assert import_batch_run(batch.pk, org.pk).status == "succeeded"
    return org_state(org)


def create_batch(brand, report: Path, **options) -> ImportBatch:
    with open(report, "rb") as fh:
        return import_batch_create(None, brand, File(fh, name=report.name), enqueue=False, **options)


def loading(pk, rows=1):
    """True once the batch's load transaction has loaded ``rows`` rows (its live progress, in the cache)."""
    progress = cache.get(PROGRESS_KEY.format(id=pk)) or {}
    return progress.get("done", 0) >= rows and batch_state(pk) == "running"


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
    assert org_state(org) == clean_run_state(report)


def test_a_worker_child_killed_mid_batch_is_redelivered_and_ends_like_a_clean_run(worker, org, brand, report):
    batch = create_batch(brand, report)
    import_batch_run_task.delay(batch.pk, org.pk)
    # Mid-load (chunk after chunk written inside the load's transaction), this test's own connection, another
    # connection to the database, sees none of the batch's rows.
    for chunks in (1, 2, 3, 4):
        wait_for(lambda chunks=chunks: loading(batch.pk, chunks * CHUNK), what=f"{chunks} chunk(s) to load")
        assert org_counts(org) == EMPTY
    (task,) = wait_for(active_tasks, what="the active task")
    os.kill(task["worker_pid"], signal.SIGKILL)
    assert org_counts(org) == EMPTY
    done = finished(batch.pk)
    assert done.status == "succeeded", done.message
    assert done.attempts == 2
    assert org_state(org) == clean_run_state(report)


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
    assert org_state(org) == clean_run_state(report)


@pytest.mark.parametrize("worker", [0], indirect=True)
def test_batches_stuck_in_running_are_requeued_by_the_sweeper(worker, org, brand, report, settings):
    stale = timezone.now() - timedelta(minutes=settings.KPIBOARD_IMPORT_STUCK_MINUTES + 5)
    lost = create_batch(brand, report)  # its worker died: running, nobody holds its row
    held = create_batch(BrandFactory(organization=org), report)  # running and locked: a live (slow) load
    fresh = create_batch(BrandFactory(organization=org), report)  # pending, queued a moment ago
    ImportBatch.objects.filter(pk__in=[lost.pk, held.pk]).update(status="running", started_at=stale,
                                                                  heartbeat_at=stale, attempts=1)
    with row_held(held.pk):
        requeued = import_batches_requeue_stuck()
    assert requeued == [lost.pk]
    done = finished(lost.pk)
    assert done.status == "succeeded", done.message
    assert done.attempts == 2
    assert {batch_state(held.pk), batch_state(fresh.pk)} == {"running", "pending"}


@pytest.mark.parametrize("worker", [0], indirect=True)  # no pause between chunks: nothing is watched mid-batch
def test_a_bad_value_in_the_last_chunk_of_an_all_or_nothing_batch_commits_nothing(worker, org, brand, tmp_path):
    """The bad cell is in the file's last row, so the chunks before it are loaded inside the transaction first;
    the batch fails and none of them is committed."""
    rows = qianchuan_rows(ROWS, materials=MATERIALS)
    rows[-1][3] = "很多"  # 整体消耗 of the last row (file row ROWS + 1, below the header)
    path = qianchuan_csv(tmp_path / "千川_素材分日报表.csv", rows)
    batch = create_batch(brand, path, mode="all_or_nothing")
    import_batch_run_task.delay(batch.pk, org.pk)
    done = finished(batch.pk)
    assert done.status == "failed"
    assert "nothing was imported" in done.message
    assert [(e["row"], e["column"], e["value"]) for e in done.errors if e["level"] == "error"] == [
        (ROWS + 1, "整体消耗", "很多")]
    assert (done.posts_created, done.snapshots, done.facts) == (0, 0, 0)
    assert org_counts(org) == EMPTY


@pytest.mark.parametrize("worker", [0], indirect=True)  # no pause between chunks: nothing is watched mid-batch
def test_duplicate_natural_keys_inside_one_file_are_resolved_before_the_upsert(worker, org, brand, tmp_path):
    """PostgreSQL refuses an upsert that touches a row twice, so duplicates must be gone before it: the documented
    rule is that the later row of the file wins and the earlier one is a warning naming both rows. One duplicate
    sits in the same chunk as its original, the other in the last chunk, eleven chunks later."""
    rows = qianchuan_rows(ROWS, materials=MATERIALS)
    same_chunk, across = list(rows[10]), list(rows[20])
    same_chunk[3], across[3] = "999.00", "888.00"
    rows.insert(50, same_chunk)  # file row 52 repeats file row 12
    rows.append(across)  # file row ROWS + 3 repeats file row 22
    batch = create_batch(brand, qianchuan_csv(tmp_path / "千川_素材分日报表.csv", rows))
    import_batch_run_task.delay(batch.pk, org.pk)
    done = finished(batch.pk)
    assert done.status == "succeeded", done.message
    assert (done.posts_created, done.rows_ok, done.rows_skipped) == (MATERIALS, ROWS, 2)
    assert PostDailyFact.objects.filter(organization=org).count() == ROWS
    warnings = sorted((e["row"], e["message"]) for e in done.errors if e["level"] == "warning")
    assert [row for row, _ in warnings] == [12, 22]
    assert "row 52" in warnings[0][1] and f"row {ROWS + 3}" in warnings[1][1]
    facts = PostDailyFact.objects.filter(organization=org)
    assert facts.get(post__natural_key=f"id:{rows[10][1]}", day=rows[10][0]).cost == 999.0
    assert facts.get(post__natural_key=f"id:{rows[20][1]}", day=rows[20][0]).cost == 888.0


def test_a_batch_created_in_a_transaction_that_rolls_back_enqueues_nothing(org, brand, report, settings, tmp_path):
    """The task is sent on commit (``transaction.on_commit``): a rolled-back upload leaves no message on the broker
    (a worker would otherwise look for a batch that does not exist); a committed one leaves exactly one."""
    import json

    import redis

    from kpiboard.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    queue = app.conf.task_default_queue
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    app.control.purge()

    class Cancelled(Exception):
        pass

    with pytest.raises(Cancelled), transaction.atomic():
        with open(report, "rb") as fh:
            import_batch_create(None, brand, File(fh, name=report.name))
        assert broker.llen(queue) == 0  # not sent while the transaction is open
        raise Cancelled
    assert ImportBatch.objects.count() == 0
    assert broker.llen(queue) == 0
    try:
        with transaction.atomic(), open(report, "rb") as fh:
            batch = import_batch_create(None, brand, File(fh, name=report.name))
        assert broker.llen(queue) == 1
        message = json.loads(broker.lindex(queue, 0))
        assert message["headers"]["task"] == "metrics.import_batch_run"
        assert message["headers"]["argsrepr"] == repr((batch.pk, org.pk))
    finally:
        app.control.purge()


def _worker_children(worker) -> list[int]:
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


@pytest.mark.parametrize("worker", [0], indirect=True)
@pytest.mark.parametrize("bomb", ["zip", "xml"])
def test_a_bomb_uploaded_through_the_api_fails_without_the_worker_growing_100_mb(
        worker, client_as, org, brand, tmp_path, bomb):
    """A 256 MB zip bomb (256 KB on disk) and a billion-laughs workbook, uploaded like any file: the batch fails with
    the reason, nothing is written, and no worker process's peak resident size (VmHWM) grows by 100 MB."""
    from tests.ingestion.helpers import write_billion_laughs_xlsx, write_zip_bomb

    if bomb == "zip":
        path = write_zip_bomb(tmp_path / "作品列表.xlsx", size=256 * 1024 * 1024)
    else:
        path = write_billion_laughs_xlsx(tmp_path / "作品列表.xlsx")
    children = _worker_children(worker)
    assert children, "the worker has no pool processes"
    before = {pid: _peak_rss_mb(pid) for pid in children}
    api = client_as(Role.MARKETER)
    with open(path, "rb") as fh:
        response = api.post(reverse("import-batch-list", kwargs={"org_slug": org.slug}),
                            {"file": SimpleUploadedFile(path.name, fh.read()), "brand": brand.pk}, format="multipart")
    assert response.status_code == 202, response.content
    done = finished(response.json()["id"])
    assert done.status == "failed"
    assert ("zip bomb" if bomb == "zip" else "<!DOCTYPE>/<!ENTITY>") in done.message
    assert org_counts(org) == EMPTY
    assert _worker_children(worker) == children  # no pool process died (and was replaced) on the way
    growth = {pid: _peak_rss_mb(pid) - before[pid] for pid in children}
    assert max(growth.values()) < 100, growth


@pytest.mark.parametrize("worker", [0], indirect=True)
def test_a_redelivered_task_that_finds_the_row_still_held_runs_the_batch_once_it_is_free(worker, org, brand, report):
    """After a SIGKILL, the killed worker's database session may hold the batch row a moment longer than the broker
    takes to redeliver the message. Here another session holds it (as the dead worker's would) while the message
    arrives, and lets go two seconds later: the batch is still loaded, once, to the state of a clean run."""
    batch = create_batch(brand, report)
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", started_at=now, heartbeat_at=now, attempts=1)
    with row_held(batch.pk):  # as the dead worker's session would
        import_batch_run_task.delay(batch.pk, org.pk)
        time.sleep(2)  # the task has found the row held by now
        assert batch_state(batch.pk) == "running" and org_counts(org) == EMPTY
    done = finished(batch.pk)
    assert done.status == "succeeded", done.message
    assert done.attempts == 2
    assert org_state(org) == clean_run_state(report)
