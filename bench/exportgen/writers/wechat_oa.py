"""WeChat Official Account (公众号) exports — EXPORTS.md section 1."""

from __future__ import annotations

import base64
import csv
import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import xlwt

from ..common import float32_noise, pct, rng_for, thousands, unix, write_csv
from ..model import WECHAT_CHANNELS_OF_READ, Account

TENDENCY_CHANNELS = (*WECHAT_CHANNELS_OF_READ, "全部")

ARTICLES_2026 = ["内容标题", "发表日期", "阅读人数", "分享人数", "阅读后关注人数", "送达人数", "送达完成率", "阅读完成率", "内容url"]
ARTICLES_2025 = ["内容标题", "发表时间", "总阅读人数", "总阅读次数", "总分享人数", "总分享次数", "阅读后关注人数", "送达人数",
                 "公众号消息阅读次数", "送达阅读率", "首次分享次数", "分享产生阅读次数", "首次分享率", "每次分享带来阅读次数",
                 "阅读完成率", "内容url"]
USER_GROWTH = ["时间", "新关注人数", "取消关注人数", "净增关注人数", "累积关注人数"]
KEY_DATA = ["日期", "当日粉丝数", "当日阅读数"]
INCOME = ["时间", "拉取量", "曝光量", "曝光率", "点击量", "点击率", "eCPM（元）", "收入（元）"]
HOT_ARTICLES = ["链接", "文章名", "展示次数", "点击次数", "曝光有点率", "排序位置", "文章搜索词"]
FREEZE_H = 7 * 24.0  # the 已通知内容 list stops updating 7 days after publication


def article_url(acct: Account, i: int) -> str:
    p = acct.posts.iloc[i]
    biz = base64.b64encode(str(3_000_000_000 + int(hashlib.md5(acct.handle.encode(), usedforsecurity=False).hexdigest()[:8], 16) % 999_999_999).encode()).decode()
    h = hashlib.sha256(p["uid"].encode()).hexdigest()
    return (f"http://mp.weixin.qq.com/s?__biz={biz}&mid={int(p['biz_mid'])}&idx={int(p['slot']) + 1}&sn={h[:32]}"
            f"&chksm={h[32:40]}{hashlib.md5(h.encode(), usedforsecurity=False).hexdigest()}{h[:36]}#rd")


def _range(at: datetime, days: int = 30) -> tuple[datetime, datetime]:
    return at - timedelta(days=days - 1), at


# ---------------------------------------------------------- tendency.xls ---
def tendency_name(at: datetime, days_n: int = 30) -> str:
    start, end = _range(at, days_n)
    return f"tendency_{unix(start)}_{unix(end)}.xls"


def write_tendency(acct: Account, at: datetime, path: Path, days_n: int = 30) -> dict:
    """Three blocks side by side in sheet ``New Sheet1``; column A and row 1 empty (BIFF8 via xlwt).

    The range ends at the download moment (today, unsettled) and spans ``days_n`` days (at most 3 months).
    """
    rng = rng_for(acct.seed, acct.brand.d.slug, "tendency", at.isoformat())
    start, end = _range(at, min(days_n, 92))
    days = [start.date() + timedelta(days=i) for i in range((end.date() - start.date()).days + 1)]
    days = [d for d in days if d in acct.day_index]
    period = f"({start:%Y.%m.%d}-{end:%Y.%m.%d})"
    readers = acct.final["readers"]
    mix = np.stack([acct.posts[f"mix_{j}"].to_numpy() for j in range(len(WECHAT_CHANNELS_OF_READ))], axis=1)  # P x 7

    block1, block2 = [], []
    chan_totals = np.zeros(len(TENDENCY_CHANNELS))
    for d in days:
        w = acct.day_weights(d, at)
        by_ch = (readers * w) @ mix  # 7 channels
        vals = [int(round(v)) for v in by_ch]
        total = int(round(sum(vals) * rng.uniform(0.95, 0.985)))  # 全部 = unique readers, less than the sum
        for ch, v in zip(TENDENCY_CHANNELS, [*vals, total], strict=True):
            block1.append((d.isoformat(), ch, v))
        chan_totals += np.array([*vals, total])
        published = int(acct.daily["posts"].iat[acct.day_index[d]]) if d < at.date() else int(
            ((acct.posts["published"].dt.date == d) & (acct.posts["published"] <= at)).sum())
        block2.append((d.isoformat(), int(round(float(acct.final["sharers"] @ w))), int(round(float(acct.final["read_original"] @ w))),
                       int(round(float(acct.final["favourites"] @ w))), published))
    # block 3: the period's top articles x channel (incl. 全部), sorted by readers
    g = acct.final["readers"] * (acct.frac(acct.hours(at)) - acct.frac(acct.hours(start.replace(hour=0, minute=0, second=0))))
    top = [i for i in np.argsort(-g, kind="stable")[:10] if g[i] >= 1]
    block3 = []
    for i in top:
        per = list(g[i] * mix[i]) + [g[i] * rng.uniform(0.95, 0.985)]
        pub = acct.posts["published"].iat[i]
        for j, ch in enumerate(TENDENCY_CHANNELS):
            v = int(round(per[j]))
            if v <= 0:
                continue
            share = v / chan_totals[j] if chan_totals[j] else 0.0
            block3.append((ch, pub.strftime("%Y%m%d"), acct.posts["title"].iat[i], v, float32_noise(min(share, 1.0))))
    block3.sort(key=lambda r: -r[3])

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("New Sheet1")
    ws.write(1, 1, f"数据趋势概况{period}")
    ws.write(1, 5, f"数据趋势概况{period}")
    ws.write(1, 11, f"数据来源概况{period}")
    for c, h in enumerate(["日期", "渠道", "阅读人数"]):
        ws.write(2, 1 + c, h)
    for c, h in enumerate(["日期", "分享人数", "跳转阅读原文人数", "微信收藏人数", "发表篇数"]):
        ws.write(2, 5 + c, h)
    for c, h in enumerate(["传播渠道", "发表日期", "内容标题", "阅读人数", "阅读人数占比"]):
        ws.write(2, 11 + c, h)
    for r, row in enumerate(block1):
        for c, v in enumerate(row):
            ws.write(3 + r, 1 + c, v)
    for r, row in enumerate(block2):
        for c, v in enumerate(row):
            ws.write(3 + r, 5 + c, v)
    for r, row in enumerate(block3):
        for c, v in enumerate(row):
            ws.write(3 + r, 11 + c, v)
    tmp = path.with_name(path.name + ".part")
    wb.save(str(tmp))
    tmp.replace(path)
    return {"rows": len(block1) + len(block2) + len(block3), "period": (days[0], days[-1])}


# ------------------------------------------------------ total_*.csv list ---
def articles_name(at: datetime, days_n: int = 30) -> str:
    start, end = _range(at, days_n)
    return f"total_{unix(start)}_{unix(end)}.csv"


def write_articles(acct: Account, at: datetime, path: Path, generation: int = 2026, days_n: int = 30) -> dict:
    """Per-article list (已通知内容 → 下载数据明细): lifetime-to-date, frozen 7 days after publication."""
    start, _ = _range(at, days_n)
    idx = acct.in_window(at, days_n)
    ms = ["readers", "reads", "sharers", "shares", "follows"]
    cum = acct.cumulative(at, ms, idx=idx, freeze_h=FREEZE_H)
    rows = []
    for k, i in enumerate(idx):
        p = acct.posts.iloc[i]
        pub = p["published"].to_pydatetime()
        delivered = int(acct.followers_at_day_end(pub.date() - timedelta(days=1)) * p["delivery_rate"])
        readers, reads = int(cum["readers"][k]), int(cum["reads"][k])
        msg_reads = int(reads * p["mix_0"])
        share_reads = int(reads * (p["mix_1"] + p["mix_2"]))
        first_shares = int(cum["shares"][k] * p["first_share_ratio"])
        frozen_at = min(at, pub + timedelta(hours=FREEZE_H))  # everything in the row stops moving with the freeze
        completion = p["completion"] * rng_for(acct.seed, p["uid"], frozen_at.isoformat()).uniform(0.97, 1.03)
        if generation == 2026:
            rows.append([p["title"], pub.strftime("%Y%m%d"), readers, int(cum["sharers"][k]), int(cum["follows"][k]), delivered,
                         repr(float32_noise(msg_reads / delivered if delivered else 0.0, 6)),
                         repr(float(np.float64(round(completion, 15)))), article_url(acct, i)])
        else:
            shares = int(cum["shares"][k])
            rows.append([p["title"], pub.strftime("%Y-%m-%d"), thousands(readers), thousands(reads), thousands(int(cum["sharers"][k])),
                         thousands(shares), int(cum["follows"][k]), thousands(delivered), thousands(msg_reads),
                         pct(msg_reads / delivered if delivered else 0), first_shares, thousands(share_reads),
                         pct(first_shares / msg_reads if msg_reads else 0), f"{share_reads / shares:.2f}" if shares else "0",
                         pct(completion), article_url(acct, i)])
    if generation == 2026:
        n = write_csv(path, ARTICLES_2026, rows, encoding="utf-8-sig", preamble=["数据来源概况"])
        enc = "utf-8-sig"
    else:
        n = write_csv(path, ARTICLES_2025, rows, encoding="gb18030")
        enc = "gb18030"
    return {"rows": n, "period": (start.date(), at.date()), "encoding": enc, "generation": generation}


# ----------------------------------------------------- user_analysis.xls ---
def write_user_analysis(acct: Account, at: datetime, path: Path, days_n: int = 30) -> dict:
    """用户增长 download: an HTML table saved as .xls; one row per day up to yesterday; values as strings."""
    end = at.date() - timedelta(days=1)
    days = [end - timedelta(days=days_n - 1 - i) for i in range(days_n)]
    days = [d for d in days if d in acct.day_index]
    trs = []
    for d in days:
        i = acct.day_index[d]
        g = int(acct.daily["follow_gain"].iat[i])
        lo = int(acct.daily["follow_loss"].iat[i])
        cum = int(acct.daily["followers"].iat[i])
        trs.append(f"<tr><td>{d.isoformat()}</td><td>{g}</td><td>{lo}</td><td>{g - lo}</td><td>{cum}</td></tr>")
    html = ('<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel" '
            'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            "</head>\n<body>\n<table border=\"1\">\n"
            "<tr><td colspan=\"5\">用户增长</td></tr>\n"
            "<tr>" + "".join(f"<td>{h}</td>" for h in USER_GROWTH) + "</tr>\n" + "\n".join(trs) + "\n</table>\n</body>\n</html>\n")
    path.write_bytes(html.encode("utf-8"))
    return {"rows": len(trs), "period": (days[0], days[-1]), "encoding": "utf-8"}


# --------------------------------------------------------- 关键数据 csv ---
def key_data_name(at: datetime, days_n: int = 30) -> str:
    end = at.date() - timedelta(days=1)
    return f"关键数据_{end - timedelta(days=days_n - 1)}_{end}.csv"


def _search_daily(acct: Account, d: date) -> float:
    return float((acct.final["readers"] * acct.posts["mix_6"].to_numpy()) @ acct.day_weights(d))


def write_key_data(acct: Account, at: datetime, path: Path, days_n: int = 30) -> dict:
    """``"日期","当日粉丝数","当日阅读数"``: every field quoted; days without data are missing."""
    rng = rng_for(acct.seed, acct.brand.d.slug, "keydata", at.isoformat())
    end = at.date() - timedelta(days=1)
    rows = []
    for k in range(days_n):
        d = end - timedelta(days=days_n - 1 - k)
        if d not in acct.day_index:
            continue
        reads = int(round(_search_daily(acct, d) + rng.poisson(25)))
        fans = int(rng.binomial(reads, 0.025)) if reads else 0
        if reads < 5 or rng.random() < 0.09:
            continue
        rows.append([d.isoformat(), str(fans), str(reads)])
    n = write_csv(path, KEY_DATA, rows, quoting=csv.QUOTE_ALL)
    return {"rows": n, "period": (end - timedelta(days=days_n - 1), end), "encoding": "utf-8"}


# ------------------------------------------------------ 每日收入明细 csv ---
def income_name(at: datetime, days_n: int = 7) -> str:
    end = at.date() - timedelta(days=1)
    return f"每日收入明细{end - timedelta(days=days_n - 1)}至{end}.csv"


def write_income(acct: Account, at: datetime, path: Path, days_n: int = 7) -> dict:
    """流量主 daily revenue: thousands separators in quotes, percents, newest day first."""
    rng = rng_for(acct.seed, acct.brand.d.slug, "income", at.isoformat())
    end = at.date() - timedelta(days=1)
    rows = []
    for k in range(days_n):
        d = end - timedelta(days=k)
        if d not in acct.day_index:
            continue
        reads = float(acct.daily["reads"].iat[acct.day_index[d]])
        pulls = int(reads * rng.uniform(1.1, 1.6) + rng.integers(200, 900))
        exp = int(pulls * rng.uniform(0.11, 0.155))
        clicks = int(rng.binomial(exp, rng.uniform(0.0, 0.008)))
        ecpm = round(float(rng.uniform(1.5, 9.0)), 2)
        income = round(exp * ecpm / 1000, 2)
        rows.append([d.isoformat(), thousands(pulls), thousands(exp), pct(exp / pulls if pulls else 0), thousands(clicks),
                     pct(clicks / exp if exp else 0), f"{ecpm:.2f}", f"{income:.2f}"])
    n = write_csv(path, INCOME, rows)
    return {"rows": n, "period": (end - timedelta(days=days_n - 1), end), "encoding": "utf-8"}


# ------------------------------------------------------ 热门文章数据 csv ---
def hot_articles_name(at: datetime) -> str:
    return f"热门文章数据_{unix(at)}.csv"


def write_hot_articles(acct: Account, at: datetime, path: Path) -> dict:
    """搜一搜 hot articles: all fields quoted, ``12.12%``, a decimal rank, keywords joined with full-width commas."""
    rng = rng_for(acct.seed, acct.brand.d.slug, "hot", at.isoformat())
    g = acct.gains("readers", at - timedelta(days=30), at) * acct.posts["mix_6"].to_numpy()
    top = [i for i in np.argsort(-g, kind="stable")[:10] if g[i] >= 3]
    words = ["护肤", "精华", "面霜", "防晒", "敏感肌", "成分"] if acct.brand.d.category == "beauty" else ["咖啡", "拿铁", "冷萃", "挂耳", "咖啡豆", "美式"]
    rows = []
    for i in top:
        clicks = int(g[i])
        ctr = rng.uniform(0.04, 0.19)
        shows = int(clicks / ctr)
        kw = list(dict.fromkeys([acct.brand.d.name, *rng.choice(words, size=2, replace=False).tolist()]))
        rows.append([article_url(acct, i), acct.posts["title"].iat[i], str(shows), str(clicks), pct(clicks / shows if shows else 0),
                     f"{rng.uniform(3, 20):.2f}", "，".join(kw)])
    n = write_csv(path, HOT_ARTICLES, rows, quoting=csv.QUOTE_ALL)
    return {"rows": n, "period": ((at - timedelta(days=30)).date(), at.date()), "encoding": "utf-8"}
