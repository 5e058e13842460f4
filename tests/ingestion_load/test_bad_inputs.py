"""The bad-input list through the whole service: each hostile or broken upload ends as a failed batch whose message
says what is wrong, and not one row is written (the data tables are exactly as before).

The parsing layer's own tests (tests/ingestion/test_safety.py) check the same files against ``parse_file``; here
the point is what a user sees on the batch and that the database is untouched.
"""

from __future__ import annotations

import io
import os

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files import File

from metrics.models import AccountDailyFact, ImportBatch
from metrics.services.imports import import_batch_create
from tests.ingestion.helpers import (
    sheet_xml,
    write_billion_laughs_xlsx,
    write_lying_zip,
    write_ole2,
    write_xlsx,
    write_zip_bomb,
)
from tests.ingestion_load.conftest import at, table_counts
from tests.ingestion_load.files import xhs_notes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "exports")


def _xxe(path):
    prolog = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    return write_xlsx(path, sheet_xml([["时间", "播放量", "硬币"], ["&xxe;", 1, 2]], prolog=prolog).replace(
        "&amp;xxe;", "&xxe;"))


def _many_entries(path):
    return write_xlsx(path, sheet_xml([["时间", "播放量", "硬币"], ["2026-06-01", 1, 2]]),
                      extra={f"xl/media/image{i}.png": b"x" for i in range(10_001)})


def _cut(source, keep):
    def build(path):
        data = open(os.path.join(FIXTURES, source), "rb").read()
        path.write_bytes(data[:keep(len(data))])
        return path
    return build


def _bytes(data):
    def build(path):
        path.write_bytes(data)
        return path
    return build


def _unknown(path):
    path.write_text("品牌,渠道代码,备注\n某品牌,A1,测试\n", encoding="utf-8")
    return path


BAD_INPUTS = {
    # name: (file name, builder, expected code in the batch's error, text the message must contain)
    "zip bomb": ("作品列表.xlsx", lambda p: write_zip_bomb(p, size=256 * MB), "zip bomb"),
    "zip bomb lying about its size": ("作品列表.xlsx", lambda p: write_lying_zip(p, real=8 * MB, declared=200_000),
                                      "larger than its header declares"),
    "too many zip entries": ("作品列表.xlsx", _many_entries, "entries in the archive"),
    "XML entity bomb": ("作品列表.xlsx", write_billion_laughs_xlsx, "<!DOCTYPE>/<!ENTITY>"),
    "external XML entity": ("作品列表.xlsx", _xxe, "DTD or XML entities"),
    "password-protected xlsx": ("作品列表.xlsx", lambda p: write_ole2(p, "EncryptedPackage"), "password-protected"),
    "corrupt xlsx": ("作品列表.xlsx", _cut("douyin/作品列表_2026-06-05.xlsx", lambda n: n // 2), "damaged"),
    "corrupt xls": ("tendency.xls", _cut("wechat_oa/tendency_1780787939_1783293539.xls", lambda n: 1024), "damaged"),
    "Word document named .xls": ("report.xls", lambda p: write_ole2(p, "WordDocument"), "not an Excel workbook"),
    "PDF named .csv": ("export.csv", _bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), "PDF"),
    "binary named .csv": ("export.csv", _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + bytes(range(256))),
                          "binary"),
    "unknown layout": ("export.csv", _unknown, "No table with known export headers"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_a_bad_input_fails_with_its_message_and_writes_nothing(run_import, tmp_path, case):
    name, build, text = BAD_INPUTS[case]
    path = build(tmp_path / name)
    before = table_counts()
    batch = run_import(path)
    assert batch.status == ImportBatch.Status.FAILED
    assert text in batch.message, batch.message
    (error,) = batch.errors
    assert error["level"] == "error" and error["message"]
    assert batch.rows_error == 1
    assert (batch.posts_created, batch.posts_updated, batch.snapshots, batch.facts) == (0, 0, 0, 0)
    assert table_counts() == before
    assert batch.finished_at is not None


def test_an_unknown_layout_names_the_closest_export_and_offers_the_mapping(run_import, tmp_path):
    path = tmp_path / "视频号.csv"
    path.write_text("视频描述,发布时间,播放量,点赞数,评论量\n新品,2026/6/1,100,3,1\n", encoding="utf-8")
    batch = run_import(path)
    assert batch.status == ImportBatch.Status.FAILED
    assert "wechat_channels.posts" in batch.message and "推荐、喜欢" in batch.message  # closest + missing columns
    assert "mapping" in batch.message  # and how to go on: map the columns once
    assert set(table_counts().values()) == {0}


def test_more_rows_than_the_setting_allows(run_import, tmp_path, settings):
    settings.KPIBOARD_IMPORT_MAX_ROWS = 5
    rows = [{"title": f"笔记 {i}", "published": at(2026, 5, 1 + i), "views": i} for i in range(8)]
    batch = run_import(xhs_notes(tmp_path / "笔记列表明细表.xlsx", rows))
    assert batch.status == ImportBatch.Status.FAILED
    assert "more than 5 rows" in batch.message
    assert set(table_counts().values()) == {0}


def test_a_file_over_the_size_setting_creates_no_batch(marketer, brand, tmp_path, settings, media):
    settings.KPIBOARD_IMPORT_MAX_BYTES = 1024
    path = xhs_notes(tmp_path / "笔记列表明细表.xlsx", [{"title": "a", "published": at(2026, 5, 1)}])
    with open(path, "rb") as fh, pytest.raises(ValidationError) as exc:
        import_batch_create(marketer, brand, File(fh, name=path.name), enqueue=False)
    assert "the largest file kpiboard accepts is 1 KB" in str(exc.value)
    assert ImportBatch.objects.count() == 0


def test_an_empty_file_creates_no_batch(marketer, brand, media):
    with pytest.raises(ValidationError, match="The file is empty"):
        import_batch_create(marketer, brand, File(io.BytesIO(b""), name="export.csv"), enqueue=False)
    assert ImportBatch.objects.count() == 0


def test_formulas_are_stored_as_their_cached_values_never_run(run_import, tmp_path):
    """A formula cell imports as the value Excel saved with it; one without a saved value is missing (not 0)."""
    rows = [["时间", "播放量", "硬币", "点赞"],
            ["2026-06-01", ("=", "SUM(B3:B4)*1000", 1234), 5, ("=", "B2*2", None)],
            ["2026-06-02", 10, 6, 7]]
    batch = run_import(write_xlsx(tmp_path / "trend.xlsx", sheet_xml(rows)))
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.message
    facts = list(AccountDailyFact.objects.order_by("day").values_list("views", "likes"))
    assert facts == [(1234, None), (10, 7)]


def test_an_all_or_nothing_batch_with_one_bad_cell_writes_nothing(run_import, tmp_path):
    rows = [{"title": f"笔记 {i}", "published": at(2026, 5, 1 + i), "views": 10 + i} for i in range(4)]
    path = xhs_notes(tmp_path / "笔记列表明细表.xlsx", rows)
    wb = openpyxl.load_workbook(path)
    wb.active.cell(3, 5, "十")  # the first note's 观看量
    wb.save(path)
    batch = run_import(path, mode="all_or_nothing")
    assert batch.status == ImportBatch.Status.FAILED and "nothing was imported" in batch.message
    assert [(e["row"], e["column"], e["value"]) for e in batch.errors] == [(3, "观看量", "十")]
    assert set(table_counts().values()) == {0}
