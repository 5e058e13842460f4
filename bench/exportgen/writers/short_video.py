"""WeChat Channels, Douyin, Kuaishou and Weibo post lists; Douyin account trend — EXPORTS.md sections 2, 3, 4, 7."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ..common import pct, rng_for, slash_date, write_csv
from ..model import Account
from ..xlsx import Workbook

CHANNELS_19 = ["视频描述", "视频ID", "发布时间", "完播率", "平均播放时长", "播放量", "推荐", "喜欢", "评论量", "分享量", "关注量",
               "转发聊天和朋友圈", "设为铃声", "设为状态", "设为朋友圈封面", "企微链接点击次数", "企微链接点击人数",
               "添加到通讯录次数", "添加到通讯录人数"]
DOUYIN_16 = ["作品名称", "发布时间", "体裁", "审核状态", "播放量", "完播率", "5s完播率", "封面点击率", "2s跳出率", "平均播放时长",
             "点赞量", "分享量", "评论量", "收藏量", "主页访问量", "粉丝增量"]
DOUYIN_TREND = ["日期", "投稿量", "总播放量", "总点赞量", "总分享量", "总评论量", "5秒完播率", "2秒跳出率", "封面点击率", "平均播放时长"]
KUAISHOU = ["作品", "发布时间", "播放量", "完播率", "点赞量", "评论量", "收藏量", "分享量", "涨粉量"]
WEIBO = ["博文", "发布时间", "阅读数", "转发", "评论", "点赞"]


def _drift(acct: Account, at: datetime, n: int, sd: float = 0.03) -> np.ndarray:
    """Small per-collection wobble of the rates (they are recomputed by the platform at every export)."""
    return np.exp(rng_for(acct.seed, acct.brand.d.slug, acct.platform, "drift", at.isoformat()).normal(0, sd, n))


# ------------------------------------------------------------ Channels ---
def channels_video_id(uid: str) -> str:
    h = hashlib.sha256(uid.encode()).digest() + hashlib.md5(uid.encode(), usedforsecurity=False).digest()
    return "export/UzFfAgtgekIEAQAAAAAA" + base64.urlsafe_b64encode(h).decode().rstrip("=")[:44]


def write_channels(acct: Account, at: datetime, path: Path, columns: int = 19, window_days: int = 30) -> dict:
    """视频号动态数据明细.csv: UTF-8 with BOM, one row per video, ``4.41%``, ``14.73秒``, ``2026/5/29``."""
    idx = acct.in_window(at, window_days)
    ms = ["plays", "recommends", "likes", "comments", "shares", "follows", "forwards", "ringtone", "status", "moments_cover",
          "wecom_clicks", "wecom_people", "contact_adds", "contact_people"]
    c = acct.cumulative(at, ms, idx=idx)
    drift = _drift(acct, at, len(idx))
    rows = []
    for k, i in enumerate(idx):
        p = acct.posts.iloc[i]
        young = (at - p["published"].to_pydatetime()) < timedelta(hours=2)
        comp = 0.0 if young else min(p["completion"] * drift[k], 1.0)
        avg = 0.0 if young else p["avg_play_s"] * drift[k]
        row = [p["title"], channels_video_id(p["uid"]), slash_date(p["published"]), pct(comp), f"{avg:.2f}秒",
               *(int(c[m][k]) for m in ms[:10]), *(int(c[m][k]) for m in ms[10:])]
        rows.append(row[:columns])
    n = write_csv(path, CHANNELS_19[:columns], rows, encoding="utf-8-sig")
    return {"rows": n, "encoding": "utf-8-sig", "columns": columns}


# -------------------------------------------------------------- Douyin ---
def _r6(x: float) -> float:
    return round(float(x), 6)


def write_douyin_works(acct: Account, at: datetime, path: Path, time_as_text: bool = False, window_days: int = 30) -> dict:
    """作品列表 (投稿列表 → 导出数据): xlsx, header row 1, 16 columns, 0-1 fractions with 6 decimals.

    发布时间 is an Excel datetime cell, or (``time_as_text``) the text ``YYYY-MM-DD HH:MM:SS`` some exports carry.
    """
    idx = acct.in_window(at, window_days)[:99]
    ms = ["plays", "likes", "shares", "comments", "collects", "profile_visits", "follows"]
    c = acct.cumulative(at, ms, idx=idx)
    drift = _drift(acct, at, len(idx))
    rows: list[list] = [DOUYIN_16]
    for k, i in enumerate(idx):
        p = acct.posts.iloc[i]
        pub = p["published"].to_pydatetime()
        age = at - pub
        status = "审核中" if age < timedelta(minutes=50) and p["status"] == "公开" else p["status"]
        img = p["format"] == "图文"
        plays = int(c["plays"][k])
        if plays == 0 or img:
            comp = c5 = bounce = 0.0
        else:
            comp = _r6(min(p["completion"] * drift[k], 1))
            c5 = _r6(min(p["completion5s"] * drift[k], 1))
            bounce = _r6(min(p["bounce2s"] / drift[k], 1))
        ctext = p["cover_ctr_text"]
        cover = ctext if ctext else _r6(min(p["cover_ctr"] * drift[k], 1))
        avg = _r6(p["avg_play_s"] * drift[k]) if plays else 0
        rows.append([p["title"], pub.strftime("%Y-%m-%d %H:%M:%S") if time_as_text else pub, p["format"], status, plays, comp, c5, cover, bounce, avg, int(c["likes"][k]),
                     int(c["shares"][k]), int(c["comments"][k]), int(c["collects"][k]), int(c["profile_visits"][k]),
                     int(c["follows"][k])])
    wb = Workbook("generic", created=at)
    wb.add_sheet("Sheet1", rows)
    wb.save(path)
    return {"rows": len(rows) - 1}


def write_douyin_trend(acct: Account, at: datetime, path: Path, days_n: int = 30) -> dict:
    """账号趋势表: one row per day (``days_n`` days up to yesterday); rates are play-weighted means of the posts' rates."""
    end = at.date() - timedelta(days=1)
    days = [d for d in (end - timedelta(days=days_n - 1 - i) for i in range(days_n)) if d in acct.day_index]
    posts = acct.posts
    plays_f = acct.final["plays"]
    rows: list[list] = [DOUYIN_TREND]
    for d in days:
        i = acct.day_index[d]
        w = acct.day_weights(d)
        pw = plays_f * w
        tot = float(pw.sum())

        def wmean(col: str) -> float:
            return _r6(float(pw @ posts[col].to_numpy()) / tot) if tot > 0 else 0.0  # noqa: B023

        dly = acct.daily
        rows.append([d.isoformat(), int(dly["posts"].iat[i]), int(round(dly["plays"].iat[i])), int(round(dly["likes"].iat[i])),
                     int(round(dly["shares"].iat[i])), int(round(dly["comments"].iat[i])), wmean("completion5s"),
                     wmean("bounce2s"), wmean("cover_ctr"), wmean("avg_play_s")])
    wb = Workbook("generic", created=at)
    wb.add_sheet("Sheet1", rows)
    wb.save(path)
    return {"rows": len(rows) - 1, "period": (days[0], days[-1])}


# ------------------------------------------------------------ Kuaishou ---
def write_kuaishou(acct: Account, at: datetime, path: Path, window_days: int = 30) -> dict:
    """作品列表明细 (no real file known; headers from one importer): xlsx, header row 1."""
    idx = acct.in_window(at, window_days)
    ms = ["plays", "likes", "comments", "collects", "shares", "follows"]
    c = acct.cumulative(at, ms, idx=idx)
    drift = _drift(acct, at, len(idx))
    rows: list[list] = [KUAISHOU]
    for k, i in enumerate(idx):
        p = acct.posts.iloc[i]
        rows.append([p["title"], p["published"].strftime("%Y-%m-%d %H:%M:%S"), int(c["plays"][k]),
                     pct(min(p["completion"] * drift[k], 1)) if c["plays"][k] else "0.00%", int(c["likes"][k]),
                     int(c["comments"][k]), int(c["collects"][k]), int(c["shares"][k]), int(c["follows"][k])])
    wb = Workbook("generic", created=at)
    wb.add_sheet("作品列表", rows)
    wb.save(path)
    return {"rows": len(rows) - 1}


# --------------------------------------------------------------- Weibo ---
def write_weibo(acct: Account, at: datetime, path: Path, window_days: int = 30) -> dict:
    """Posts list (no official file known; headers 博文, 发布时间, 阅读数, 转发, 评论, 点赞): xlsx, header row 1."""
    idx = acct.in_window(at, window_days)
    c = acct.cumulative(at, ["reads", "reposts", "comments", "likes"], idx=idx)
    rows: list[list] = [WEIBO]
    for k, i in enumerate(idx):
        p = acct.posts.iloc[i]
        rows.append([p["title"], p["published"].strftime("%Y-%m-%d %H:%M"), int(c["reads"][k]), int(c["reposts"][k]),
                     int(c["comments"][k]), int(c["likes"][k])])
    wb = Workbook("generic", created=at)
    wb.add_sheet("博文数据", rows)
    wb.save(path)
    return {"rows": len(rows) - 1}
