"""Bilibili (B站) exports — EXPORTS.md section 6."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ..common import cn_datetime_bili, pct, rng_for, write_csv
from ..model import Account

COMPARE_30 = ["视频标题", "发布时间", "播放量", "游客播放占比", "粉丝观看率", "封标点击率", "粉丝点击率", "游客点击率", "3秒跳出率",
              "粉丝3秒跳出率", "游客3秒跳出率", "互动率", "粉丝互动率", "游客互动率", "涨粉量", "播转粉率", "取关量", "点赞量", "点赞率",
              "评论量", "评论率", "弹幕量", "弹幕率", "收藏量", "收藏率", "投币量", "投币率", "转发量", "转发率", "平均播放进度"]
TREND = ["时间", "播放量", "累计粉丝", "点赞", "收藏", "硬币", "评论", "弹幕", "分享"]


def _p(x: float) -> str:
    return pct(x, 1, strip=True)


def _stars(x: float) -> str:
    s = f"{x:.1f}".rstrip("0").rstrip(".")
    return f"{s}星"


def write_compare(acct: Account, at: datetime, path: Path, at_least: int = 2) -> dict:
    """近期稿件对比.csv: 2-10 most recent videos, ``%`` strings, star ratings, ``-`` for a video published today.

    ``at_least``: the videos published since the previous export (the operator ticks them all, up to 10).
    """
    rng = rng_for(acct.seed, acct.brand.d.slug, "bili-compare", at.isoformat())
    recent = acct.in_window(at, 400)
    n = int(min(len(recent), max(rng.integers(2, 11), at_least)))
    n = max(min(n, 10), min(2, len(recent)))
    idx = recent[:n]
    ms = ["plays", "likes", "coins", "favs", "shares", "comments", "danmaku", "follows", "unfollows"]
    c = acct.cumulative(at, ms, idx=idx)
    drift = np.exp(rng.normal(0, 0.03, len(idx)))
    rows = []
    for k, i in enumerate(idx):
        p = acct.posts.iloc[i]
        pub = p["published"].to_pydatetime()
        v = {m: int(c[m][k]) for m in ms}
        plays = v["plays"]
        today = pub.date() == at.date()
        def rate(x: float, plays: int = plays) -> str:
            return _p(x / plays) if plays else "0%"

        inter = v["likes"] + v["comments"] + v["danmaku"] + v["favs"] + v["coins"] + v["shares"]
        stars = [_stars(p["stars"]), _stars(p["fan_stars"]), _stars(p["guest_stars"])]
        if today:
            row = [p["title"], cn_datetime_bili(pub), plays, "-", "-", *stars, "-", "-", "-", rate(inter), "-", "-", "-", "-", "-",
                   v["likes"], rate(v["likes"]), v["comments"], rate(v["comments"]), v["danmaku"], rate(v["danmaku"]),
                   v["favs"], rate(v["favs"]), v["coins"], rate(v["coins"]), v["shares"], rate(v["shares"]), "-"]
        else:
            guest = min(p["guest_share"] * drift[k], 1.0)
            fan_inter = inter / plays * rng.uniform(0.0, 1.6) if plays and guest < 0.999 else 0.0
            row = [p["title"], cn_datetime_bili(pub), plays, _p(guest), _p(p["fan_view_rate"] * drift[k]), *stars,
                   _p(p["bounce3s"] * drift[k]), _p(p["fan_bounce3s"]) if guest < 0.999 else "0%", _p(p["bounce3s"] * drift[k] * 1.01),
                   rate(inter), _p(fan_inter), _p(inter / plays * 1.05) if plays else "0%", v["follows"], rate(v["follows"]),
                   v["unfollows"], v["likes"], rate(v["likes"]), v["comments"], rate(v["comments"]), v["danmaku"], rate(v["danmaku"]),
                   v["favs"], rate(v["favs"]), v["coins"], rate(v["coins"]), v["shares"], rate(v["shares"]), _p(p["progress"] * drift[k])]
        rows.append(row)
    written = write_csv(path, COMPARE_30, rows, encoding="utf-8-sig")
    return {"rows": written, "encoding": "utf-8-sig"}


def write_trend(acct: Account, at: datetime, path: Path, days_n: int = 30) -> dict:
    """历史累计数据趋势.csv: one row per day (``days_n`` days up to yesterday) and a closing 合计 row."""
    end = at.date() - timedelta(days=1)
    days = [d for d in (end - timedelta(days=days_n - 1 - i) for i in range(days_n)) if d in acct.day_index]
    cols = ["plays", "likes", "favs", "coins", "comments", "danmaku", "shares"]
    rows, tot = [], np.zeros(len(cols), dtype=np.int64)
    for d in days:
        i = acct.day_index[d]
        vals = [int(round(acct.daily[m].iat[i])) for m in cols]
        tot += np.array(vals)
        rows.append([d.isoformat(), vals[0], int(acct.daily["followers"].iat[i]), *vals[1:]])
    rows.append(["合计", int(tot[0]), rows[-1][2] if rows else 0, *(int(x) for x in tot[1:])])
    n = write_csv(path, TREND, rows, encoding="utf-8-sig")
    return {"rows": n, "period": (days[0], days[-1]), "encoding": "utf-8-sig"}
