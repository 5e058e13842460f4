"""Douyin ad reports: 巨量引擎 (Ocean Engine) ad-group report and 巨量千川 (Qianchuan) material report — EXPORTS.md 3.4/3.5."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

from ..common import pct, write_csv
from ..model import Ads
from ..xlsx import Workbook

OCEAN_12 = ["时间", "广告组id", "广告组", "展示数", "点击数", "点击率(%)", "平均点击单价(元)", "平均千次展现费用(元)", "总花费(元)",
            "转化数", "转化成本", "转化率"]
OCEAN_DEEP = ["深度转化次数", "深度转化成本", "深度转化率"]
QIANCHUAN_15 = ["日期", "素材ID", "素材名称", "素材创建时间", "整体消耗", "整体成交金额", "整体成交订单数", "整体展现次数", "整体点击次数",
                "整体点击率", "整体转化率", "整体支付ROI", "整体成交订单成本", "3秒播放率", "完播率"]


def restated(final: float, age_days: float) -> int:
    """Conversions are attributed to the spend day and keep arriving for ~30 days (EXPORTS 3.4)."""
    return int(round(final * (1.0 - 0.4 * math.exp(-max(age_days, 0.0) / 3.0))))


def write_oceanengine(ads: Ads, at: datetime, path: Path, fmt: str = "csv", days: int = 14) -> dict:
    """Day x ad group for the last ``days`` days up to yesterday; overlapping windows restate conversions."""
    end = at.date() - timedelta(days=1)
    deep = fmt == "xlsx"
    rows = []
    for k in range(days):
        d = end - timedelta(days=days - 1 - k)
        for g in ads.groups:
            f = ads.group_day(g, d)
            if f is None:
                continue
            age = (at - datetime.combine(d, datetime.min.time())).total_seconds() / 86400 - 1
            conv = restated(f["conv_final"], age)
            sp, imp, clk = f["spend"], f["impressions"], f["clicks"]
            row = [d.isoformat(), g.id, g.name, imp, clk, round(100 * clk / imp, 2) if imp else 0.0,
                   round(sp / clk, 2) if clk else 0.0, round(sp / imp * 1000, 2) if imp else 0.0, sp, conv,
                   round(sp / conv, 2) if conv else 0.0, pct(conv / clk) if clk else "0.00%"]
            if deep:
                dc = restated(f["deep_final"], age)
                row += [dc, round(sp / dc, 2) if dc else 0.0, pct(dc / clk) if clk else "0.00%"]
            rows.append(row)
    header = OCEAN_12 + (OCEAN_DEEP if deep else [])
    if fmt == "xlsx":
        wb = Workbook("generic", created=at)
        wb.add_sheet("Sheet1", [header, *rows])
        wb.save(path)
        enc = None
    else:
        rows = [[f"{v:.2f}" if isinstance(v, float) else v for v in r] for r in rows]
        write_csv(path, header, rows, encoding="utf-8-sig", lineterminator="\r\n")
        enc = "utf-8-sig"
    return {"rows": len(rows), "period": (end - timedelta(days=days - 1), end), "encoding": enc}


def write_qianchuan(ads: Ads, at: datetime, path: Path, encoding: str = "utf-8", empty: str = "--", days: int = 7) -> dict:
    """Material report split by day (日期 column): CSV in UTF-8 / UTF-8-BOM / GBK, ``--`` or ``—`` for empty."""
    end = at.date() - timedelta(days=1)
    rows = []
    for k in range(days):
        d = end - timedelta(days=days - 1 - k)
        for m in ads.materials:
            f = ads.material_day(m, d)
            if f is None:
                continue
            sp, imp, clk, orders, gmv = f["spend"], f["impressions"], f["clicks"], f["orders"], f["gmv"]
            rows.append([d.isoformat(), m.id, m.name, m.created.strftime("%Y-%m-%d %H:%M:%S"), f"{sp:.2f}", f"{gmv:.2f}", orders,
                         imp, clk, pct(clk / imp) if imp else empty, pct(orders / clk) if clk else empty,
                         f"{gmv / sp:.2f}" if sp else empty, f"{sp / orders:.2f}" if orders else empty,
                         pct(f["play3s"]) if imp else empty, pct(f["completion"]) if imp else empty])
    n = write_csv(path, QIANCHUAN_15, rows, encoding=encoding, lineterminator="\r\n")
    return {"rows": n, "period": (end - timedelta(days=days - 1), end), "encoding": encoding}


def ads_names(at: datetime, ocean_days: int, qc_days: int, fmt: str) -> tuple[str, str]:
    end = at.date() - timedelta(days=1)
    return (f"巨量引擎_广告组报表_{end - timedelta(days=ocean_days - 1)}_{end}.{fmt}",
            f"千川素材报表_{end - timedelta(days=qc_days - 1)}_{end}.csv")
