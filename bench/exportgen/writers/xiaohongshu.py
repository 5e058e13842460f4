"""Xiaohongshu (小红书) exports — EXPORTS.md section 5. Written in Apache POI's layout (see ``xlsx.Workbook('poi')``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from ..common import cn_date, cn_datetime_xhs, rng_for
from ..model import Account
from ..xlsx import Workbook

NOTICE = "最多导出排序后前1000条笔记"
NOTES_13 = ["笔记标题", "首次发布时间", "体裁", "曝光", "观看量", "封面点击率", "点赞", "评论", "收藏", "涨粉", "分享", "人均观看时长", "弹幕"]

WORKBOOKS_30D = {
    "views": ("近30日观看数据.xlsx", "账号总体观看数据"),
    "interactions": ("近30日互动数据.xlsx", "账号总体互动数据"),
    "publishing": ("近30日发布数据.xlsx", "账号总体发布数据"),
    "followers": ("近30日涨粉数据.xlsx", "账号总体涨粉数据"),
}


def notes_rows(acct: Account, at: datetime, window_days: int = 30) -> list[list]:
    idx = acct.in_window(at, window_days)[:1000]
    ms = ["impressions", "views", "likes", "comments", "collects", "follows", "shares", "danmaku"]
    c = acct.cumulative(at, ms, idx=idx)
    drift = np.exp(rng_for(acct.seed, acct.brand.d.slug, "xhs-drift", at.isoformat()).normal(0, 0.03, len(idx)))
    rows = []
    for k, i in enumerate(idx):
        p = acct.posts.iloc[i]
        views = float(c["views"][k])
        imp = 0.0 if p["zero_impressions"] else float(max(c["impressions"][k], views))
        ctr = 0.0 if imp == 0 else round(min(p["cover_ctr"] * drift[k], 1.0), 3)
        watch = float(int(round(p["avg_watch_s"] * drift[k]))) if views else 0.0
        rows.append([p["title"], cn_datetime_xhs(p["published"].to_pydatetime()), p["format"], imp, views, ctr,
                     float(c["likes"][k]), float(c["comments"][k]), float(c["collects"][k]), float(c["follows"][k]),
                     float(c["shares"][k]), watch, float(c["danmaku"][k])])
    return rows


def write_notes(acct: Account, at: datetime, path: Path, window_days: int = 30) -> dict:
    """笔记列表明细表.xlsx: notice row merged A1:M1, 13 headers on row 2, text dates, float metrics."""
    rows = notes_rows(acct, at, window_days)
    wb = Workbook("poi", created=at)
    wb.add_sheet("Sheet1", [[NOTICE] * 13, NOTES_13, *rows], merges=["A1:M1"], header_rows=2)
    wb.save(path)
    return {"rows": len(rows)}


def _series(acct: Account, days: list[date], metric: str) -> np.ndarray:
    return np.array([float(acct.daily[metric].iat[acct.day_index[d]]) if d in acct.day_index else 0.0 for d in days])


def _pct_change(cur: float, prev: float) -> float:
    return round(100.0 * (cur - prev) / prev, 1) if prev else 0.0


def write_30d(acct: Account, at: datetime, kind: str, path: Path) -> dict:
    """近30日…数据.xlsx: a snapshot sheet (指标 | 数值) and one trend sheet per metric (日期 | 数值, ``2026年10月01日``).

    The last day is not settled yet: its values are lower than they will end up.
    """
    rng = rng_for(acct.seed, acct.brand.d.slug, "xhs30", kind, at.isoformat())
    end = at.date() - timedelta(days=1)
    days = [end - timedelta(days=29 - i) for i in range(30)]
    prev = [d - timedelta(days=30) for d in days]
    unsettled = np.ones(30)
    unsettled[-1] = rng.uniform(0.55, 0.85)
    labels = [cn_date(d) for d in days]

    def ser(metric: str, rnd: int | None = 0) -> tuple[np.ndarray, float, float]:
        cur = _series(acct, days, metric) * unsettled
        pv = _series(acct, prev, metric)
        return (np.round(cur) if rnd == 0 else cur), float(np.round(cur).sum()), float(np.round(pv).sum())

    snapshot: list[list] = []
    trends: list[tuple[str, list]] = []
    if kind == "views":
        imp, imp_t, imp_p = ser("impressions")
        vw, vw_t, vw_p = ser("views")
        ctr = np.where(imp > 0, vw / np.maximum(imp, 1) * 100 * rng.uniform(0.9, 1.1, 30), 0)
        dur = rng.uniform(14, 32, 30)
        comp = rng.uniform(12, 30, 30)
        ctr_t = round(vw_t / imp_t * 100, 1) if imp_t else 0.0
        ctr_p = round(vw_p / imp_p * 100, 1) if imp_p else 0.0
        comp_t, comp_p = round(float(comp.mean()), 1), round(float(rng.uniform(12, 30)), 1)
        snapshot = [["曝光", imp_t], ["观看", vw_t], ["封面点击率(%)", ctr_t], ["平均观看时长(s)", round(float(dur.mean()), 1)],
                    ["总完播率(%)", comp_t], ["曝光环比(%)", _pct_change(imp_t, imp_p)], ["观看环比(%)", _pct_change(vw_t, vw_p)],
                    ["封面点击率环比(%)", _pct_change(ctr_t, ctr_p)], ["总完播率环比(%)", _pct_change(comp_t, comp_p)]]
        trends = [("曝光趋势", list(imp)), ("观看趋势", list(vw)), ("封面点击率趋势", [round(float(x), 1) for x in ctr]),
                  ("平均观看时长趋势", [round(float(x), 1) for x in dur]), ("完播率趋势", [round(float(x), 1) for x in comp])]
    elif kind == "interactions":
        for m, label in (("likes", "点赞"), ("comments", "评论"), ("collects", "收藏"), ("shares", "分享")):
            s, t, pv = ser(m)
            snapshot.append([label, t])
            trends.append((f"{label}趋势", list(s)))
        for m, label in (("likes", "点赞"), ("comments", "评论"), ("collects", "收藏"), ("shares", "分享")):
            _, t, pv = ser(m)
            snapshot.append([f"{label}环比(%)", _pct_change(t, pv)])
    elif kind == "publishing":
        pub = acct.posts["published"]
        fmt = acct.posts["format"]
        def count(ds: list[date], f: str | None) -> np.ndarray:
            out = np.zeros(len(ds))
            for j, d in enumerate(ds):
                m = (pub.dt.date == d) & (pub <= at)
                if f:
                    m &= fmt == f
                out[j] = float(m.sum())
            return out
        tot, vid, img = count(days, None), count(days, "视频"), count(days, "图文")
        snapshot = [["总发布", float(tot.sum())], ["发布视频", float(vid.sum())], ["发布图文", float(img.sum())],
                    ["总发布环比(%)", _pct_change(tot.sum(), count(prev, None).sum())]]
        trends = [("总发布趋势", list(tot)), ("发布视频趋势", list(vid)), ("发布图文趋势", list(img))]
    elif kind == "followers":
        g, gt, gp = ser("follow_gain")
        lo, lt, lp = ser("follow_loss")
        visits, vt, _ = ser("profile_visits")
        net = g - lo
        conv = np.where(visits > 0, g / np.maximum(visits, 1) * 100, 0)
        snapshot = [["净涨粉", gt - lt], ["新增关注", gt], ["取消关注", lt], ["主页访客", vt],
                    ["主页转粉率(%)", round(gt / vt * 100, 1) if vt else 0.0], ["净涨粉环比(%)", _pct_change(gt - lt, gp - lp)]]
        trends = [("净涨粉趋势", list(net)), ("新增关注趋势", list(g)), ("取消关注趋势", list(lo)), ("主页访客趋势", list(visits)),
                  ("主页转粉率趋势", [round(float(x), 1) for x in conv])]
    else:
        raise ValueError(kind)
    wb = Workbook("poi", created=at)
    wb.add_sheet(WORKBOOKS_30D[kind][1], [["指标", "数值"], *[[k, float(v)] for k, v in snapshot]], header_rows=1)
    for name, vals in trends:
        wb.add_sheet(name, [["日期", "数值"], *[[lab, float(v)] for lab, v in zip(labels, vals, strict=True)]], header_rows=1)
    wb.save(path)
    return {"rows": len(snapshot) + 30 * len(trends), "period": (days[0], days[-1])}
