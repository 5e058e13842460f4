"""The demo organisation's export files and ``manifest.json``.

``generate_demo(out_dir, seed=7, end=date)`` writes ``<out>/<brand_slug>/<platform>/<files>`` and returns the
:class:`Manifest`. Files are listed in collection order: feed them in that order through the import path with
``--as-of`` = ``collected_at``.
"""

from __future__ import annotations

import hashlib
import json
import time as _time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from . import __version__
from .common import iso, now_shanghai, rng_for, unique_download_name
from .model import ORGANISATION, PLATFORMS, Config, Scenario, build_scenario
from .writers import ads as w_ads
from .writers import bilibili as w_bili
from .writers import short_video as w_sv
from .writers import wechat_oa as w_oa
from .writers import xiaohongshu as w_xhs

MANIFEST_FORMAT = "kpiboard-exportgen-manifest/1"

# kind -> (platform, file type, how the file name relates to the collection time)
KINDS: dict[str, tuple[str, str, str]] = {
    "wechat_oa_tendency": ("wechat_oa", "xls-biff8", "second"),  # tendency_<unix start>_<unix end = collection>.xls
    "wechat_oa_articles": ("wechat_oa", "csv", "second"),  # total_<unix>_<unix>.csv
    "wechat_oa_user_growth": ("wechat_oa", "xls-html", "none"),  # user_analysis.xls (HTML table)
    "wechat_oa_key_data": ("wechat_oa", "csv", "range"),  # 关键数据_<start>_<end>.csv (end = yesterday)
    "wechat_oa_ad_income": ("wechat_oa", "csv", "range"),  # 每日收入明细<start>至<end>.csv
    "wechat_oa_hot_articles": ("wechat_oa", "csv", "second"),  # 热门文章数据_<unix>.csv
    "wechat_channels_videos": ("wechat_channels", "csv", "none"),
    "douyin_works": ("douyin", "xlsx", "day"),  # 作品列表_<date>.xlsx (sometimes .CSV)
    "douyin_account_trend": ("douyin", "xlsx", "range"),
    "oceanengine_ad_report": ("douyin", "csv", "range"),
    "qianchuan_material_report": ("douyin", "csv", "range"),
    "kuaishou_works": ("kuaishou", "xlsx", "day"),
    "xiaohongshu_notes": ("xiaohongshu", "xlsx", "none"),
    "xiaohongshu_30d_views": ("xiaohongshu", "xlsx", "none"),
    "xiaohongshu_30d_interactions": ("xiaohongshu", "xlsx", "none"),
    "xiaohongshu_30d_publishing": ("xiaohongshu", "xlsx", "none"),
    "xiaohongshu_30d_followers": ("xiaohongshu", "xlsx", "none"),
    "bilibili_video_compare": ("bilibili", "csv", "none"),
    "bilibili_trend": ("bilibili", "csv", "none"),
    "weibo_posts": ("weibo", "xlsx", "day"),
}

PROMO_PRODUCT = {"douyin": "DOU+", "xiaohongshu": "薯条", "weibo": "粉丝头条", "wechat_channels": "微信豆加热", "kuaishou": "快手粉条"}


@dataclass
class FileEntry:
    path: str  # relative to the manifest's directory, POSIX separators
    brand: str
    platform: str
    kind: str
    collected_at: str  # ISO 8601, +08:00
    name_carries_collected_at: bool  # the file name alone gives the collection moment (to the second)
    name_time: str  # second | day | range | none: what time information the file name carries
    file_type: str  # xls-biff8 | xls-html | xlsx | csv (the real content, whatever the extension says)
    extension_matches: bool
    encoding: str | None
    rows: int  # data rows (all blocks / sheets)
    period_start: str | None = None
    period_end: str | None = None
    bytes: int = 0
    sha256: str = ""
    notes: str = ""


@dataclass
class Manifest:
    root: Path
    seed: int
    end: date
    config: dict
    organisation: dict
    brands: list[dict]
    files: list[FileEntry] = field(default_factory=list)
    paid_content: list[dict] = field(default_factory=list)
    anomalies: list[dict] = field(default_factory=list)
    generation_seconds: float = 0.0

    def __iter__(self):
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def path_of(self, entry: FileEntry) -> Path:
        return self.root / entry.path

    def to_dict(self) -> dict:
        return {
            "format": MANIFEST_FORMAT,
            "generator": {"name": "bench.exportgen", "version": __version__, "seed": self.seed, "end": self.end.isoformat(),
                          "config": self.config},
            "timezone": "Asia/Shanghai",
            "organisation": self.organisation,
            "brands": self.brands,
            "files": [asdict(f) for f in self.files],
            "paid_content": self.paid_content,
            "anomalies": self.anomalies,
            "totals": {"files": len(self.files), "rows": sum(f.rows for f in self.files), "bytes": sum(f.bytes for f in self.files)},
        }

    def save(self) -> Path:
        p = self.root / "manifest.json"
        p.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return p

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        path = Path(path)
        if path.is_dir():
            path = path / "manifest.json"
        d = json.loads(path.read_text(encoding="utf-8"))
        g = d["generator"]
        m = cls(path.parent, g["seed"], date.fromisoformat(g["end"]), g["config"], d["organisation"], d["brands"],
                [FileEntry(**f) for f in d["files"]], d["paid_content"], d["anomalies"])
        return m


@dataclass
class _Job:
    at: datetime
    brand: str
    platform: str
    kind: str
    name: str
    write: Callable[[Path], dict]
    extension_matches: bool = True
    notes: str = ""


def _jobs(scn: Scenario) -> list[_Job]:
    """Every export of every collection, in collection order (see :class:`~bench.exportgen.model.Config`)."""
    cfg = scn.cfg
    long_days = min(92, cfg.long_trend_every * 7 + 2)
    ocean_days, qc_days = cfg.ads_every * 7 + 7, cfg.ads_every * 7
    jobs: list[_Job] = []
    for brand in scn.brands:
        slug = brand.d.slug
        client = brand.d.role == "client"
        for p in PLATFORMS:
            acct = brand.accounts[p]
            cols = scn.collections[(slug, p)]
            rng = rng_for(scn.seed, slug, p, "jobs")
            n = len(cols)
            usual = cfg.list_window_days or acct.spec.list_window_days
            prev_list: datetime | None = None
            for k, c in enumerate(cols):
                age = n - 1 - k
                is_list = age < cfg.recent_weekly or age % cfg.list_every == 0
                is_trend = age % cfg.trend_every == 0
                is_long = age % cfg.long_trend_every == 0
                is_ads = age % cfg.ads_every == 0
                window = usual if prev_list is None else max(usual, (c - prev_list).days + 3)
                since_prev = len(acct.in_window(c, (c - prev_list).days + 1)) if prev_list else 2
                if is_list:
                    prev_list = c
                step = [0]

                def at(c=c, step=step, rng=rng) -> datetime:
                    """Downloads of one session come a minute or two apart."""
                    t = c + timedelta(seconds=step[0])
                    step[0] += int(rng.integers(40, 150))
                    return t

                if p == "wechat_oa":
                    if is_list:
                        gen = 2025 if (c.date() < date(2026, 1, 15) or rng.random() < 0.05) else 2026
                        t = at()
                        jobs.append(_Job(t, slug, p, "wechat_oa_articles", w_oa.articles_name(t, window),
                                         lambda path, a=acct, t=t, g=gen, w=window: w_oa.write_articles(a, t, path, g, w),
                                         notes=f"{gen} generation headers"))
                    if client and is_ads:
                        t = at()
                        jobs.append(_Job(t, slug, p, "wechat_oa_ad_income", w_oa.income_name(t, qc_days),
                                         lambda path, a=acct, t=t: w_oa.write_income(a, t, path, qc_days)))
                    if is_long:
                        for kind, name_fn, fn in (("wechat_oa_tendency", w_oa.tendency_name, w_oa.write_tendency),
                                                  ("wechat_oa_user_growth", lambda t, d: "user_analysis.xls", w_oa.write_user_analysis),
                                                  ("wechat_oa_key_data", w_oa.key_data_name, w_oa.write_key_data)):
                            t = at()
                            jobs.append(_Job(t, slug, p, kind, name_fn(t, long_days),
                                             lambda path, a=acct, t=t, fn=fn: fn(a, t, path, long_days)))
                        t = at()
                        jobs.append(_Job(t, slug, p, "wechat_oa_hot_articles", w_oa.hot_articles_name(t),
                                         lambda path, a=acct, t=t: w_oa.write_hot_articles(a, t, path)))
                elif p == "wechat_channels":
                    if is_list:
                        t = at()
                        ncol = 15 if k < 8 else 19
                        jobs.append(_Job(t, slug, p, "wechat_channels_videos", "视频号动态数据明细.csv",
                                         lambda path, a=acct, t=t, nc=ncol, w=window: w_sv.write_channels(a, t, path, nc, w),
                                         notes="older 15-column export" if ncol == 15 else ""))
                elif p == "douyin":
                    if is_list:
                        t = at()
                        as_csv = rng.random() < 0.08
                        as_text = rng.random() < 0.1
                        note = "; ".join(x for x in ("xlsx saved with a .CSV extension" if as_csv else "",
                                                     "发布时间 as text" if as_text else "") if x)
                        jobs.append(_Job(t, slug, p, "douyin_works", f"作品列表_{t.date().isoformat()}.{'CSV' if as_csv else 'xlsx'}",
                                         lambda path, a=acct, t=t, tx=as_text, w=window: w_sv.write_douyin_works(a, t, path, tx, w),
                                         extension_matches=not as_csv, notes=note))
                    if is_long:
                        t = at()
                        end = t.date() - timedelta(days=1)
                        jobs.append(_Job(t, slug, p, "douyin_account_trend", f"账号趋势表_{end - timedelta(days=long_days - 1)}_{end}.xlsx",
                                         lambda path, a=acct, t=t: w_sv.write_douyin_trend(a, t, path, long_days)))
                    if brand.ads is not None and is_ads:
                        t = at()
                        fmt = "xlsx" if k % 4 == 1 else "csv"
                        oname, qname = w_ads.ads_names(t, ocean_days, qc_days, fmt)
                        jobs.append(_Job(t, slug, p, "oceanengine_ad_report", oname,
                                         lambda path, b=brand, t=t, f=fmt: w_ads.write_oceanengine(b.ads, t, path, f, ocean_days)))
                        t = at()
                        enc = ("utf-8", "utf-8-sig", "gbk")[k % 3]
                        empty = "—" if k % 5 == 2 else "--"
                        jobs.append(_Job(t, slug, p, "qianchuan_material_report", qname,
                                         lambda path, b=brand, t=t, e=enc, em=empty: w_ads.write_qianchuan(b.ads, t, path, e, em, qc_days),
                                         notes=f"empty cells as {empty}"))
                elif p == "kuaishou":
                    if is_list:
                        t = at()
                        jobs.append(_Job(t, slug, p, "kuaishou_works", f"作品列表明细_{t.date().isoformat()}.xlsx",
                                         lambda path, a=acct, t=t, w=window: w_sv.write_kuaishou(a, t, path, w),
                                         notes="no real file known: GUESS layout"))
                elif p == "xiaohongshu":
                    if is_list:
                        t = at()
                        jobs.append(_Job(t, slug, p, "xiaohongshu_notes", "笔记列表明细表.xlsx",
                                         lambda path, a=acct, t=t, w=window: w_xhs.write_notes(a, t, path, w)))
                    if is_trend:
                        kinds = tuple(w_xhs.WORKBOOKS_30D) if age == 0 else cfg.xhs_30d_kinds
                        for kind in kinds:
                            t = at()
                            jobs.append(_Job(t, slug, p, f"xiaohongshu_30d_{kind}", w_xhs.WORKBOOKS_30D[kind][0],
                                             lambda path, a=acct, t=t, kd=kind: w_xhs.write_30d(a, t, kd, path)))
                elif p == "bilibili":
                    if is_list:
                        t = at()
                        if len(acct.in_window(t, 400)) >= 2:  # the comparison needs at least 2 videos
                            jobs.append(_Job(t, slug, p, "bilibili_video_compare", "近期稿件对比.csv",
                                             lambda path, a=acct, t=t, m=since_prev: w_bili.write_compare(a, t, path, m)))
                    if is_long:
                        t = at()
                        jobs.append(_Job(t, slug, p, "bilibili_trend", "历史累计数据趋势.csv",
                                         lambda path, a=acct, t=t: w_bili.write_trend(a, t, path, long_days)))
                elif p == "weibo":
                    if is_list:
                        t = at()
                        jobs.append(_Job(t, slug, p, "weibo_posts", f"博文数据_{t.date().isoformat()}.xlsx",
                                         lambda path, a=acct, t=t, w=window: w_sv.write_weibo(a, t, path, w),
                                         notes="no real file known: GUESS layout"))
            if cfg.adhoc:
                for t in getattr(acct, "adhoc_collections", []):
                    if t <= cols[-1]:
                        jobs.append(_Job(t, slug, p, "douyin_works", f"作品列表_{t.date().isoformat()}.xlsx",
                                         lambda path, a=acct, t=t: w_sv.write_douyin_works(a, t, path),
                                         notes="ad-hoc export a few hours after a post was published"))
    jobs.sort(key=lambda j: (j.at, j.brand, PLATFORMS.index(j.platform), j.kind))
    return jobs


def default_end() -> date:
    """Today in Asia/Shanghai, or yesterday before noon (the last collections happen between 08:30 and 12:00 of
    ``end``; none may lie in the future of the import that replays them)."""
    now = now_shanghai()
    return now.date() if now.hour >= 12 else now.date() - timedelta(days=1)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def generate_demo(out_dir: str | Path, seed: int = 7, end: date | None = None, config: Config | None = None,
                  profile: str = "demo") -> Manifest:
    """Write the demo's export files under ``out_dir`` and its ``manifest.json``; return the manifest.

    ``profile``: ``demo`` (default, ~420 files), ``full`` (every export weekly, ~1,800 files) or ``tiny`` (a month,
    for tests); ``config`` overrides it entirely (``Config.for_profile(name, **overrides)``).
    """
    t_start = _time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    end = end or default_end()
    cfg = config or Config.for_profile(profile)
    scn = build_scenario(seed, end, cfg)
    taken: dict[Path, set[str]] = {}
    entries: list[FileEntry] = []
    for job in _jobs(scn):
        d = out / job.brand / job.platform
        if d not in taken:
            d.mkdir(parents=True, exist_ok=True)
            taken[d] = set()
        name = unique_download_name(d, job.name, taken[d])
        path = d / name
        info = job.write(path) or {}
        _, ftype, name_time = KINDS[job.kind]
        if job.kind == "oceanengine_ad_report" and name.endswith(".xlsx"):
            ftype = "xlsx"
        if job.kind == "douyin_works" and job.at.date().isoformat() not in name:
            name_time = "none"
        period = info.get("period")
        entries.append(FileEntry(
            path=path.relative_to(out).as_posix(), brand=job.brand, platform=job.platform, kind=job.kind,
            collected_at=iso(job.at), name_carries_collected_at=name_time == "second", name_time=name_time, file_type=ftype,
            extension_matches=job.extension_matches, encoding=info.get("encoding"), rows=int(info.get("rows", 0)),
            period_start=period[0].isoformat() if period else None, period_end=period[1].isoformat() if period else None,
            bytes=path.stat().st_size, sha256=_sha256(path), notes=job.notes,
        ))
    man = Manifest(out, seed, end, asdict(cfg), dict(ORGANISATION), _brands(scn), entries, _paid(scn), _anomalies(scn))
    man.generation_seconds = round(_time.perf_counter() - t_start, 2)
    man.save()
    return man


def _brands(scn: Scenario) -> list[dict]:
    out = []
    for b in scn.brands:
        accts = []
        for p in PLATFORMS:
            a = b.accounts[p]
            accts.append({"platform": p, "name": a.name, "handle": a.handle, "followers_start": a.followers_start,
                          "followers_end": int(a.daily["followers"].iat[-1]), "posts": len(a.posts)})
        out.append({"slug": b.d.slug, "name": b.d.name, "name_en": b.d.name_en, "category": b.d.category,
                    "industry": b.d.industry or b.d.category, "role": b.d.role, "is_competitor": b.d.role == "competitor",
                    "accounts": accts})
    return out


def _paid(scn: Scenario) -> list[dict]:
    out: list[dict] = []
    for b in scn.brands:
        for p in PLATFORMS:
            a = b.accounts[p]
            for i in range(len(a.posts)):
                if not a.posts["promoted"].iat[i]:
                    continue
                out.append({"kind": "promoted_post", "brand": b.d.slug, "platform": p, "product": PROMO_PRODUCT.get(p, "加热"),
                            "title": a.posts["title"].iat[i], "published_at": iso(a.posts["published"].iat[i].to_pydatetime()),
                            "cost_cny": float(a.posts["promo_cost"].iat[i])})
        for k in b.kol:
            e = dict(k)
            e["published_at"] = iso(k["published_at"])
            out.append(e)
        if b.ads is not None:
            for g in b.ads.groups:
                out.append({"kind": "ad_group", "brand": b.d.slug, "platform": "douyin", "tool": "巨量引擎", "id": g.id,
                            "name": g.name, "start": g.start.isoformat(), "end": g.end.isoformat()})
            for m in b.ads.materials:
                out.append({"kind": "ad_material", "brand": b.d.slug, "platform": "douyin", "tool": "巨量千川", "id": m.id,
                            "name": m.name, "created_at": iso(m.created), "start": m.start.isoformat(), "end": m.end.isoformat()})
    out.sort(key=lambda e: (e.get("published_at") or e.get("created_at") or e.get("start") or "", e["brand"], e["kind"]))
    return out


def _anomalies(scn: Scenario) -> list[dict]:
    return [{"kind": a.kind, "brand": a.brand, "platform": a.platform, "note": a.note, "post_title": a.post_title,
             "published_at": iso(a.published_at) if a.published_at else None, "at": iso(a.at) if a.at else None}
            for a in scn.anomalies]
