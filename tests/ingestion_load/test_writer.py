"""The loader's writers: PostgreSQL's binary COPY staging stores exactly what its CSV staging stores, and the
plain-insert shortcut for daily figures is taken only when none of them can exist yet."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from metrics.catalog import COLUMN_METRICS
from metrics.ingestion import loader
from metrics.models import PostDailyFact
from tests.factories import BrandFactory
from tests.ingestion_load.files import _csv, qianchuan_csv, qianchuan_rows

pytestmark = pytest.mark.django_db(transaction=False)

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY")

HEADER = ["日期", "素材ID", "素材名称", "素材创建时间", "整体消耗", "整体成交金额", "整体成交订单数", "整体展现次数",
          "整体点击次数", "整体点击率", "整体转化率", "整体支付ROI", "整体成交订单成本", "3秒播放率", "完播率"]


def _report(path, days=4, materials=6):
    """A Qianchuan daily material report with rates, ``--`` cells (missing, never zero) and a zero rate."""
    rows = []
    for d in range(days):
        day = (dt.date(2026, 5, 1) + dt.timedelta(days=d)).isoformat()
        for m in range(materials):
            spent = m % 3 != 0
            rows.append([day, str(7376600000000000100 + m), f"素材_{m}", "2026-04-20 10:00:00",
                         f"{120.5 + m + d:.2f}" if spent else "0.00", f"{m * 33.25:.2f}", str(m), str(1000 * m + d),
                         str(10 * m), f"{m / 7:.2%}" if spent else "--", "0.00%" if m == 1 else f"{m / 9:.2%}",
                         f"{m / 3:.2f}", "--" if m in (0, 4) else f"{40 + m:.2f}", f"{30 + m:.2f}%",
                         "—" if d == 2 else f"{5 + m:.2f}%"])
    return _csv(path, [HEADER, *rows], "utf-8-sig")


def _facts(brand) -> dict:
    return {(f.post.natural_key, f.day): ({m: getattr(f, m) for m in COLUMN_METRICS}, f.extra)
            for f in PostDailyFact.objects.filter(brand=brand).select_related("post")}


@on_postgresql
def test_binary_and_csv_staging_store_the_same_rows(run_import, tmp_path, brand, monkeypatch):
    copies = []
    real = loader._binary_copy

    def spy(*args, **kwargs):
        copies.append(real(*args, **kwargs) is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "_binary_copy", spy)
    path = _report(tmp_path / "千川_素材分日报表.csv")
    binary = run_import(path)
    assert binary.status == "succeeded", binary.message
    assert copies and all(copies)  # ids, days and numbers only: the binary path

    monkeypatch.setattr(loader, "_binary_copy", lambda *args, **kwargs: None)
    other = BrandFactory(organization=brand.organization, name="Other", slug="other")
    csv = run_import(path, brand_=other)
    assert csv.status == "succeeded", csv.message

    by_binary, by_csv = _facts(brand), _facts(other)
    assert len(by_binary) == 24 and by_binary == by_csv
    spent = by_binary[("id:7376600000000000101", dt.date(2026, 5, 1))]
    assert spent[0]["cost"] == 121.5 and spent[0]["impressions"] == 1000
    assert spent[1]["conversion_rate"] == 0.0  # 0.00% is a zero, kept
    idle = by_binary[("id:7376600000000000100", dt.date(2026, 5, 1))]
    assert "ctr" not in (idle[1] or {}) and "cost_per_order" not in (idle[1] or {})  # -- is missing, not zero
    assert all(v[0]["likes"] is None for v in by_binary.values())  # a column the report lacks stays NULL


@on_postgresql
def test_binary_copy_round_trips_every_fixed_width_type():
    frame = pd.DataFrame({
        "post_id": np.array([1, 2**40, 3], dtype="int64"),
        "day": [dt.date(1999, 12, 31), dt.date(2000, 1, 1), dt.date(2026, 11, 23)],
        "extra": [None, None, None],
        "flag": [True, False, True],
        "views": [1.5, np.nan, -0.0],
    })
    names, types = ["post_id", "day", "extra", "flag", "views"], ["bigint", "date", "jsonb", "boolean",
                                                                   "double precision"]
    data = loader._binary_copy(frame, names, types)
    assert data is not None
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE t_copy (post_id bigint, day date, extra jsonb, flag boolean, "
                       "views double precision)")
        cursor.cursor.copy_expert(f"COPY t_copy ({', '.join(names)}) FROM STDIN WITH (FORMAT binary)",
                                  io.BytesIO(data))
        cursor.execute("SELECT post_id, day, extra, flag, NULLIF(views, 'NaN') FROM t_copy ORDER BY post_id")
        assert cursor.fetchall() == [(1, dt.date(1999, 12, 31), None, True, 1.5),
                                     (3, dt.date(2026, 11, 23), None, True, -0.0),
                                     (2**40, dt.date(2000, 1, 1), None, False, None)]


def test_binary_copy_declines_what_needs_a_variable_width():
    names, types = ["post_id", "extra"], ["bigint", "jsonb"]
    assert loader._binary_copy(pd.DataFrame({"post_id": [1, 2], "extra": [None, '{"a": 1}']}), names, types) is None
    assert loader._binary_copy(pd.DataFrame({"post_id": [1, None], "extra": [None, None]}), names, types) is None
    assert loader._binary_copy(pd.DataFrame({"post_id": [1, 2], "extra": [None, None]}), names, types) is not None


def _spy_new_rows(monkeypatch) -> list[bool]:
    flags: list[bool] = []
    writer = type(loader._writer())
    real = writer.post_facts

    def post_facts(self, session, values, reported, *, new_rows=False):
        flags.append(new_rows)
        return real(self, session, values, reported, new_rows=new_rows)

    monkeypatch.setattr(writer, "post_facts", post_facts)
    return flags


def test_daily_figures_of_new_posts_take_the_plain_insert(run_import, tmp_path, settings, monkeypatch):
    settings.KPIBOARD_IMPORT_CHUNK_ROWS = 10
    flags = _spy_new_rows(monkeypatch)
    batch = run_import(qianchuan_csv(tmp_path / "千川_素材分日报表.csv", qianchuan_rows(30, materials=5)))
    assert batch.status == "succeeded", batch.message
    assert flags == [True, True, True]  # every chunk: posts this load created, days no earlier chunk gave
    assert PostDailyFact.objects.count() == 30


def test_a_repeat_or_a_known_post_takes_the_upsert(run_import, tmp_path, settings, monkeypatch):
    settings.KPIBOARD_IMPORT_CHUNK_ROWS = 10
    rows = qianchuan_rows(30, materials=5)
    again = list(rows[2])
    again[3] = "999.00"
    flags = _spy_new_rows(monkeypatch)
    first = run_import(qianchuan_csv(tmp_path / "a.csv", [*rows, again]))
    assert first.status == "succeeded", first.message
    assert flags == [True, True, True, False]  # the last chunk repeats an earlier chunk's post and day
    assert PostDailyFact.objects.get(post__natural_key=f"id:{rows[2][1]}", day=rows[2][0]).cost == 999.0

    flags.clear()
    later = qianchuan_rows(35, materials=5)[25:]  # the last day again, and one new day, of the same materials
    second = run_import(qianchuan_csv(tmp_path / "b.csv", later))
    assert second.status == "succeeded", second.message
    assert flags == [False]  # the posts exist: their days may too
    assert PostDailyFact.objects.count() == 35


def test_deleting_an_account_deletes_its_facts_through_its_posts(run_import, tmp_path):
    batch = run_import(qianchuan_csv(tmp_path / "千川_素材分日报表.csv", qianchuan_rows(6, materials=3)))
    assert batch.status == "succeeded", batch.message
    fact = PostDailyFact.objects.select_related("account").first()
    kept = PostDailyFact.objects.exclude(account=fact.account).count()
    fact.account.delete()  # the facts' account has no cascade of its own: the posts' carries them away
    assert not PostDailyFact.objects.filter(account_id=fact.account_id).exists()
    assert PostDailyFact.objects.count() == kept
