"""The import task's delivery rules, run in-process (eager Celery): sent only on commit, retried only for transient
database errors, the batch marked failed once the retries are spent. The same rules on a real worker and broker
are in test_worker.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files import File
from django.db import OperationalError, transaction

from metrics import tasks
from metrics.models import ImportBatch, PostSnapshot
from metrics.services.imports import import_batch_create
from metrics.services.imports import import_batch_run as real_import_batch_run
from tests.ingestion_load.conftest import at, table_counts
from tests.ingestion_load.files import qianchuan_csv, qianchuan_rows, xhs_notes

NOTES = [{"title": "秋冬护肤", "published": at(2026, 5, 25, 20), "views": 5000},
         {"title": "通勤妆容", "published": at(2026, 5, 27, 9), "views": 300}]


def _create(membership, brand, path: Path, **options) -> ImportBatch:
    with open(path, "rb") as fh:
        return import_batch_create(membership, brand, File(fh, name=path.name), **options)


@pytest.fixture
def retries_run_in_process():
    """Eager ``apply()`` runs the retries one after the other; with errors propagated it would stop at the first."""
    from kpiboard.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


@pytest.fixture
def sent(monkeypatch):
    """The messages the task would have put on the broker."""
    calls = []
    monkeypatch.setattr(tasks.import_batch_run_task, "delay", lambda *args: calls.append(args))
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_batch_created_in_a_transaction_that_rolls_back_enqueues_nothing(marketer, brand, tmp_path, media, sent):
    path = xhs_notes(tmp_path / "笔记列表明细表.xlsx", NOTES)

    class Cancelled(Exception):
        pass

    with pytest.raises(Cancelled), transaction.atomic():
        _create(marketer, brand, path)
        assert sent == []  # nothing is sent while the transaction is open
        raise Cancelled
    assert sent == [] and ImportBatch.objects.count() == 0
    with transaction.atomic():
        batch = _create(marketer, brand, path)
    assert sent == [(batch.pk, batch.organization_id)]


@pytest.mark.django_db(transaction=True)  # the task closes the broken connection, as a worker does
def test_a_dropped_connection_is_retried_and_the_retry_imports(marketer, brand, tmp_path, media, monkeypatch,
                                                               retries_run_in_process):
    calls = []

    def flaky(batch_id, organization_id):
        calls.append(batch_id)
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real_import_batch_run(batch_id, organization_id)

    monkeypatch.setattr(tasks, "import_batch_run", flaky)
    batch = _create(marketer, brand, xhs_notes(tmp_path / "笔记列表明细表.xlsx", NOTES), as_of=at(2026, 5, 31, 22),
                    enqueue=False)
    result = tasks.import_batch_run_task.apply(args=(batch.pk, batch.organization_id))
    assert result.successful() and result.get() == "succeeded"
    assert calls == [batch.pk] * 3
    batch.refresh_from_db()
    assert batch.status == "succeeded" and PostSnapshot.objects.count() == 2


@pytest.mark.django_db(transaction=True)  # the task closes the broken connection, as a worker does
def test_a_connection_that_stays_down_fails_the_batch_after_the_retries(marketer, brand, tmp_path, media,
                                                                         monkeypatch, retries_run_in_process):
    calls = []

    def down(batch_id, organization_id):
        calls.append(batch_id)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(tasks, "import_batch_run", down)
    batch = _create(marketer, brand, xhs_notes(tmp_path / "笔记列表明细表.xlsx", NOTES), enqueue=False)
    result = tasks.import_batch_run_task.apply(args=(batch.pk, batch.organization_id))
    assert result.failed()
    assert len(calls) == 1 + tasks.import_batch_run_task.max_retries
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "after 3 retries on a database error (OperationalError)" in batch.message
    assert "nothing was imported" in batch.message


@pytest.mark.django_db
def test_other_errors_are_not_retried_and_fail_the_batch_with_a_message(marketer, brand, tmp_path, media,
                                                                        monkeypatch):
    """A bug or bad data does not get better by retrying: one attempt, the batch failed, nothing written."""
    import metrics.services.imports as service

    attempts = []

    def broken(batch):
        attempts.append(batch.pk)
        raise ValueError("unexpected")

    monkeypatch.setattr(service, "_load", broken)
    batch = _create(marketer, brand, xhs_notes(tmp_path / "笔记列表明细表.xlsx", NOTES), enqueue=False)
    before = table_counts()
    result = tasks.import_batch_run_task.apply(args=(batch.pk, batch.organization_id))
    assert result.successful() and result.get() == "failed"
    assert attempts == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == "failed" and "unexpected error (ValueError)" in batch.message
    assert table_counts() == before


@pytest.mark.django_db
def test_a_finished_batch_delivered_again_is_not_loaded_again(marketer, brand, tmp_path, media):
    """At-least-once delivery: a second delivery of a finished batch's message changes nothing."""
    batch = _create(marketer, brand, xhs_notes(tmp_path / "笔记列表明细表.xlsx", NOTES), enqueue=False)
    assert tasks.import_batch_run_task.apply(args=(batch.pk, batch.organization_id)).get() == "succeeded"
    before = table_counts()
    assert tasks.import_batch_run_task.apply(args=(batch.pk, batch.organization_id)).get() == "succeeded"
    assert table_counts() == before
    batch.refresh_from_db()
    assert batch.attempts == 1


@pytest.mark.django_db
def test_a_task_for_another_organizations_batch_does_nothing(marketer, brand, other_org, tmp_path, media):
    """Tasks take the organization explicitly; a batch id paired with another tenant is not found."""
    batch = _create(marketer, brand, xhs_notes(tmp_path / "笔记列表明细表.xlsx", NOTES), enqueue=False)
    assert tasks.import_batch_run_task.apply(args=(batch.pk, other_org.pk)).get() is None
    batch.refresh_from_db()
    assert batch.status == "pending" and table_counts()["Post"] == 0


@pytest.mark.django_db
def test_a_batch_found_held_by_another_session_is_looked_at_again(marketer, brand, tmp_path, media, monkeypatch,
                                                                  retries_run_in_process):
    """The run returns without loading when another session holds the batch row (a live worker, or the session a
    killed worker left behind): the task looks again later instead of leaving the batch unfinished."""
    calls = []

    def held_once(batch_id, organization_id):
        calls.append(batch_id)
        if len(calls) == 1:
            return ImportBatch.objects.get(pk=batch_id)  # as when the claim found the row locked
        return real_import_batch_run(batch_id, organization_id)

    monkeypatch.setattr(tasks, "import_batch_run", held_once)
    batch = _create(marketer, brand, xhs_notes(tmp_path / "笔记列表明细表.xlsx", NOTES), enqueue=False)
    result = tasks.import_batch_run_task.apply(args=(batch.pk, batch.organization_id))
    assert result.get() == "succeeded"
    assert calls == [batch.pk, batch.pk]
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("succeeded", 1)


# -------------------------------------------------------------------------------- dashboards warmed after an import


@pytest.mark.django_db(transaction=True)
def test_a_committed_import_enqueues_the_dashboards_warm_up_where_a_worker_runs(run_import, tmp_path, brand,
                                                                                  settings, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.dashboards_warm_task, "delay", lambda *args: sent.append(args))
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker and a worker: the import enqueues, the worker warms
    batch = run_import(qianchuan_csv(tmp_path / "千川_素材分日报表.csv", qianchuan_rows(6, materials=3)))
    assert batch.status == "succeeded", batch.message
    brand.refresh_from_db()
    assert sent == [(brand.organization_id, {str(brand.pk): brand.data_version})]

    sent.clear()
    again = run_import(qianchuan_csv(tmp_path / "bad.csv", [["not a date", "x"]]))
    assert again.status == "failed" and sent == []  # nothing committed, nothing to warm

    settings.CELERY_TASK_ALWAYS_EAGER = True  # no worker: the import does not render pages itself
    run_import(qianchuan_csv(tmp_path / "more.csv", qianchuan_rows(9, materials=3)))
    assert sent == []


@pytest.mark.django_db
def test_the_warm_up_renders_the_pages_and_skips_a_brand_changed_since(run_import, tmp_path, brand, monkeypatch):
    from metrics.views import warm

    batch = run_import(qianchuan_csv(tmp_path / "千川_素材分日报表.csv", qianchuan_rows(6, materials=3)))
    assert batch.status == "succeeded", batch.message
    brand.refresh_from_db()
    rendered = []
    real = warm.dashboards_warm
    monkeypatch.setattr(warm, "dashboards_warm", lambda *args, **kw: rendered.append(args) or real(*args, **kw))

    stale = {str(brand.pk): brand.data_version - 1}  # a later import has committed since this one was enqueued
    assert tasks.dashboards_warm_task(brand.organization_id, stale) is None and rendered == []

    done = tasks.dashboards_warm_task(brand.organization_id, {str(brand.pk): brand.data_version})
    assert rendered == [(brand.organization_id, [brand.pk])]
    # the overview and the brand's dashboard, categories, content and benchmark, for each of the four periods
    assert done["pages"] == 5 * len(warm.AFTER_IMPORT_PRESETS) == 20


@pytest.mark.django_db
def test_each_new_day_warms_every_organizations_dashboards(run_import, tmp_path, brand, marketer, client,
                                                             monkeypatch, settings):
    """Just after midnight the beat enqueues one warm-up per organization with brands; each renders the overview
    and every brand's pages for the day's presets, whose answers then stay cached for the day: the overview is
    served without reading the rollups."""
    from celery.schedules import crontab
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from metrics.views.warm import AFTER_IMPORT_PRESETS
    from tests.factories import BrandFactory, OrganizationFactory

    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-warm-daily"]
    assert entry["task"] == tasks.dashboards_warm_daily_task.name
    assert entry["schedule"] == crontab(hour=0, minute=5) and settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert settings.KPIBOARD_KPI_CACHE_SECONDS > 24 * 3600
    batch = run_import(qianchuan_csv(tmp_path / "千川_素材分日报表.csv", qianchuan_rows(6, materials=3)))
    assert batch.status == "succeeded", batch.message
    OrganizationFactory()  # no brand: nothing to warm
    other = BrandFactory().organization_id
    sent = []
    monkeypatch.setattr(tasks.dashboards_warm_organization_task, "delay", lambda *args: sent.append(args))
    assert tasks.dashboards_warm_daily_task() == 2
    assert sorted(sent) == sorted([(brand.organization_id,), (other,)])

    cache.clear()
    done = tasks.dashboards_warm_organization_task(brand.organization_id)
    assert done["pages"] == 5 * len(AFTER_IMPORT_PRESETS) == 20
    client.force_login(marketer.user)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/dashboard/", {"period": "last_30_days"})
    assert page.status_code == 200 and brand.name in page.content.decode()
    assert not any("rollup" in q["sql"] for q in ctx.captured_queries)
