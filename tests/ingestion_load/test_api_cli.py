"""The upload API (202 → poll → succeeded), errors.csv, the preview, mapping templates, tenant isolation of
imports, the ingest command's JSON line and exit codes, and the task time-limit rule."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Role
from metrics.models import ImportBatch, MappingTemplate, Post, PostSnapshot
from metrics.services.imports import headers_signature
from tests.factories import BrandFactory
from tests.ingestion_load.conftest import at, table_counts
from tests.ingestion_load.files import QIANCHUAN_HEADER, channels_csv, qianchuan_csv, qianchuan_rows, xhs_notes

pytestmark = pytest.mark.django_db

VIDEOS = [{"title": "新品试色", "id": "900001", "published": at(2026, 5, 29), "views": 8412, "likes": 233},
          {"title": "开箱", "id": "900002", "published": at(2026, 5, 30), "views": 120, "likes": 3}]


def upload(api, org, path, **data):
    with open(path, "rb") as fh:
        payload = {"file": SimpleUploadedFile(Path(path).name, fh.read()), **data}
    return api.post(reverse("import-batch-list", kwargs={"org_slug": org.slug}), payload, format="multipart")


@pytest.fixture
def api(client_as, media):
    return client_as(Role.MARKETER)


def test_upload_is_accepted_then_polled_to_success(api, org, brand, tmp_path, django_capture_on_commit_callbacks):
    path = channels_csv(tmp_path / "视频号动态数据明细.csv", VIDEOS)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, org, path, brand=brand.pk, as_of="2026-06-01T09:00:00", organization=999)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"] and body["status"] in ("pending", "running", "succeeded")
    detail = api.get(reverse("import-batch-detail", kwargs={"org_slug": org.slug, "pk": body["id"]})).json()
    assert detail["status"] == "succeeded", detail["message"]
    assert detail["progress"] == {"done": 2, "total": 2, "fraction": 1.0}
    assert (detail["platform"], detail["report"], detail["file_type"]) == ("wechat_channels", "posts", "csv")
    assert detail["encoding"] == "utf-8-sig"
    assert (detail["posts_created"], detail["snapshots"], detail["duplicate_of"]) == (2, 2, None)
    assert detail["as_of"].startswith("2026-06-01T09:00:00+08:00")
    batch = ImportBatch.objects.get(pk=body["id"])
    assert batch.organization_id == org.pk and batch.uploaded_by == api.membership.user
    listed = api.get(reverse("import-batch-list", kwargs={"org_slug": org.slug}), {"brand": brand.pk,
                                                                                      "status": "succeeded"})
    assert [b["id"] for b in listed.json()["results"]] == [body["id"]]
    assert api.get(reverse("import-batch-list", kwargs={"org_slug": org.slug}), {"status": "failed"}).json()[
        "results"] == []


def test_viewers_may_not_upload(client_as, org, brand, tmp_path, media):
    viewer = client_as(Role.VIEWER)
    response = upload(viewer, org, channels_csv(tmp_path / "v.csv", VIDEOS), brand=brand.pk)
    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(api, org, brand, tmp_path, settings):
    settings.KPIBOARD_IMPORT_MAX_BYTES = 100
    response = upload(api, org, channels_csv(tmp_path / "v.csv", VIDEOS * 5), brand=brand.pk)
    assert response.status_code == 400
    assert "largest file kpiboard accepts" in json.dumps(response.json(), ensure_ascii=False)
    assert ImportBatch.objects.count() == 0


def test_errors_csv_lists_every_error_with_a_bom(api, org, brand, tmp_path, django_capture_on_commit_callbacks):
    rows = qianchuan_rows(4, materials=2)
    rows[1][4] = "很多"  # 整体成交金额
    rows[3][0] = "not a date"
    path = qianchuan_csv(tmp_path / "千川.csv", rows)
    with django_capture_on_commit_callbacks(execute=True):
        batch_id = upload(api, org, path, brand=brand.pk).json()["id"]
    response = api.get(reverse("import-batch-errors-csv", kwargs={"org_slug": org.slug, "pk": batch_id}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == ["row", "column", "value", "message", "level"]
    found = [(r[0], r[1], r[2]) for r in table[1:]]
    assert found[:2] == [("3", "整体成交金额", "很多"), ("5", "日期", "not a date")]
    assert {r[0] for r in found} == {"3", "5"}


def test_the_same_file_in_two_organizations_imports_in_both_and_neither_sees_the_other(
        client_as, org, other_org, brand, tmp_path, media, django_capture_on_commit_callbacks):
    mine, theirs = client_as(Role.MARKETER), client_as(Role.MARKETER, organization=other_org)
    other_brand = BrandFactory(organization=other_org, slug="glow")
    path = channels_csv(tmp_path / "视频号动态数据明细.csv", VIDEOS)
    with django_capture_on_commit_callbacks(execute=True):
        a = upload(mine, org, path, brand=brand.pk).json()
    with django_capture_on_commit_callbacks(execute=True):
        b = upload(theirs, other_org, path, brand=other_brand.pk).json()
    batches = {batch.pk: batch for batch in ImportBatch.objects.all()}
    assert batches[a["id"]].status == batches[b["id"]].status == "succeeded"
    assert batches[b["id"]].duplicate_of_id is None and batches[b["id"]].posts_created == 2
    assert Post.objects.filter(organization=org).count() == Post.objects.filter(organization=other_org).count() == 2
    assert [x["id"] for x in mine.get(reverse("import-batch-list", kwargs={"org_slug": org.slug})).json()[
        "results"]] == [a["id"]]
    missing = mine.get(reverse("import-batch-detail", kwargs={"org_slug": org.slug, "pk": 987654321}))
    foreign = mine.get(reverse("import-batch-detail", kwargs={"org_slug": org.slug, "pk": b["id"]}))
    assert foreign.status_code == missing.status_code == 404 and foreign.content == missing.content
    foreign_csv = mine.get(reverse("import-batch-errors-csv", kwargs={"org_slug": org.slug, "pk": b["id"]}))
    assert foreign_csv.status_code == 404
    refused = upload(mine, org, path, brand=other_brand.pk)
    assert refused.status_code == 400


KUAISHOU_HEADERS = ["作品名", "发布于", "看过", "赞"]


def _odd_file(tmp_path, name="odd.csv", rows=(("夏日清单", "2026-06-01 10:00", "1200", "30"),)):
    path = tmp_path / name
    text = ",".join(KUAISHOU_HEADERS) + "\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


def test_preview_of_an_unknown_file_gives_the_mapping_form_data(api, org, tmp_path):
    path = _odd_file(tmp_path)
    with open(path, "rb") as fh:
        response = api.post(reverse("import-preview", kwargs={"org_slug": org.slug}),
                            {"file": SimpleUploadedFile("odd.csv", fh.read())}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "unknown"
    assert body["headers"] == KUAISHOU_HEADERS
    assert body["rows"][0][:2] == ["夏日清单", "2026-06-01 10:00"]
    assert body["signature"] == headers_signature(KUAISHOU_HEADERS)
    assert body["template"] is None and isinstance(body["guessed_mapping"], dict)


def test_preview_of_a_known_file_names_its_format(api, org, tmp_path):
    path = channels_csv(tmp_path / "视频号动态数据明细.csv", VIDEOS)
    with open(path, "rb") as fh:
        response = api.post(reverse("import-preview", kwargs={"org_slug": org.slug}),
                            {"file": SimpleUploadedFile(path.name, fh.read())}, format="multipart")
    body = response.json()
    assert body["status"] == "known"
    assert body["sections"][0]["format"] == "wechat_channels.posts"


def test_a_saved_mapping_template_is_used_by_later_uploads_with_the_same_headers(
        api, org, brand, tmp_path, django_capture_on_commit_callbacks):
    first = _odd_file(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        failed = upload(api, org, first, brand=brand.pk).json()
    assert ImportBatch.objects.get(pk=failed["id"]).status == "failed"
    url = reverse("mapping-template-list", kwargs={"org_slug": org.slug})
    created = api.post(url, {"name": "快手作品（自定义）", "platform": "kuaishou", "level": "post", "basis": "cumulative",
                             "headers": KUAISHOU_HEADERS, "organization": 999,
                             "mapping": {"作品名": "title", "发布于": "published_at", "看过": "views", "赞": "likes"}},
                       format="json")
    assert created.status_code == 201, created.content
    template = MappingTemplate.objects.get()
    assert template.organization_id == org.pk and template.signature == headers_signature(KUAISHOU_HEADERS)
    clash = api.post(url, {**created.json(), "name": "again"}, format="json")
    assert clash.status_code == 400
    later = _odd_file(tmp_path, "odd2.csv", rows=[("冬季清单", "2026-06-02 11:00", "900", "12"),
                                                 ("夏日清单", "2026-06-01 10:00", "1500", "31")])
    with django_capture_on_commit_callbacks(execute=True):
        body = upload(api, org, later, brand=brand.pk, as_of="2026-06-03T10:00").json()
    batch = ImportBatch.objects.get(pk=body["id"])
    assert batch.status == "succeeded", batch.message
    assert batch.mapping_template_id == template.pk and batch.platform == "kuaishou"
    assert PostSnapshot.objects.filter(post__title="夏日清单").get().views == 1500


def test_mapping_template_with_an_unknown_target_is_refused(api, org):
    response = api.post(reverse("mapping-template-list", kwargs={"org_slug": org.slug}),
                        {"name": "x", "platform": "kuaishou", "level": "post", "basis": "cumulative",
                         "headers": ["a"], "mapping": {"a": "no_such_metric"}}, format="json")
    assert response.status_code == 400


# ------------------------------------------------------------------------------------------------------ CLI


def ingest(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    lines = out.getvalue().strip().splitlines()
    return code, json.loads(lines[-1]), lines


def test_ingest_prints_one_json_line_and_exits_0(org, brand, tmp_path, media):
    path = xhs_notes(tmp_path / "笔记列表明细表.xlsx", [
        {"title": "秋冬护肤", "published": at(2026, 5, 25, 20), "views": 5000},
        {"title": "秋冬护肤", "published": at(2026, 5, 25, 20), "views": 5100},
    ])
    code, line, lines = ingest(str(path), "--org", org.slug, "--brand", brand.slug, "--as-of", "2026-05-31 22:00")
    assert code == 0
    assert set(line) == {"batch", "status", "platform", "report", "rows", "posts_created", "posts_updated",
                         "snapshots", "errors"}
    assert line["status"] == "succeeded" and line["platform"] == "xiaohongshu" and line["report"] == "notes"
    assert (line["rows"], line["posts_created"], line["posts_updated"], line["snapshots"]) == (2, 1, 0, 1)
    assert line["errors"] == [{"row": 3, "column": None, "message": line["errors"][0]["message"]}]
    assert ImportBatch.objects.get(pk=line["batch"]).as_of == at(2026, 5, 31, 22)
    code, again, _ = ingest(str(path), "--org", org.slug, "--brand", brand.slug)
    assert code == 0 and again["status"] == "succeeded" and again["snapshots"] == 0


def test_ingest_exits_1_when_the_batch_is_rejected(org, brand, tmp_path, media):
    header = ",".join(QIANCHUAN_HEADER)
    path = tmp_path / "千川.csv"
    path.write_text(f"{header}\r\n2026-05-01,,,--,--,--,--,--,--,--\r\n", encoding="utf-8")
    before = table_counts()
    code, line, _ = ingest(str(path), "--org", org.slug, "--brand", brand.slug, "--mode", "all_or_nothing")
    assert code == 1 and line["status"] == "failed" and line["errors"]
    assert table_counts() == before
    code, line, _ = ingest(str(path), "--org", org.slug, "--brand", "no-such-brand")
    assert code == 1 and line["batch"] is None and "no-such-brand" in line["errors"][0]["message"]


# ------------------------------------------------------------------------------------------------ tasks


def test_every_task_stops_before_half_the_visibility_timeout(settings):
    """A task still running when Redis's visibility timeout expires would be handed to a second worker."""
    from kpiboard.celery import app

    app.loader.import_default_modules()
    visibility = app.conf.broker_transport_options.get("visibility_timeout", settings.CELERY_BROKER_VISIBILITY_TIMEOUT)
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "metrics.import_batch_run" in tasks and "metrics.import_batches_sweep" in tasks
    for name, task in tasks.items():
        limit = task.time_limit or app.conf.task_time_limit
        assert limit is not None, f"{name} has no time limit"
        assert limit < visibility / 2, f"{name}: time limit {limit}s ≥ half the visibility timeout {visibility}s"
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        assert soft is None or soft < limit
    run = tasks["metrics.import_batch_run"]
    assert run.acks_late and run.reject_on_worker_lost and run.max_retries == 3
    assert settings.CELERY_BEAT_SCHEDULE["import-batches-sweep"]["task"] == "metrics.import_batches_sweep"


def test_ingest_platform_option_forces_the_platform(org, brand, tmp_path, media):
    """--platform picks among the formats of that platform only: a Channels file forced to Douyin is refused with
    the reason (nothing written); forced to its own platform it imports."""
    path = channels_csv(tmp_path / "视频号动态数据明细.csv", VIDEOS)
    before = table_counts()
    code, line, _ = ingest(str(path), "--org", org.slug, "--brand", brand.slug, "--platform", "douyin")
    assert code == 1 and line["status"] == "failed" and line["errors"][0]["message"]
    assert table_counts() == before
    code, line, _ = ingest(str(path), "--org", org.slug, "--brand", brand.slug, "--platform", "wechat_channels",
                           "--as-of", "2026-06-01T09:00")
    assert code == 0 and (line["platform"], line["report"], line["posts_created"]) == ("wechat_channels", "posts", 2)


def test_ingest_refuses_a_bad_as_of_with_a_clear_message(org, brand, tmp_path, media):
    from django.core.management.base import CommandError

    path = channels_csv(tmp_path / "视频号动态数据明细.csv", VIDEOS)
    with pytest.raises(CommandError, match="--as-of: not a date and time"):
        call_command("ingest", str(path), "--org", org.slug, "--brand", brand.slug, "--as-of", "yesterday")
    assert ImportBatch.objects.count() == 0
