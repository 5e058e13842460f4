"""The scenario: brands, accounts, a year of posts with saturating growth curves, follower series, paid content, ads.

Every number an export shows is read from here, so the files agree with each other the way real ones do:
a post's lifetime-to-date counter at time ``t`` is ``floor(final * F(t - published))`` where ``F`` saturates
(most of it in the first days, a slow tail after), account-level daily trends are sums of the posts' daily
increments plus organic baselines, and follower series are gains minus losses (losses spike on push days).

Times are naive Beijing-time datetimes internally; ``hours`` are hours since the scenario start ``t0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from .common import daterange, festival_of, rng_for, season_factor, stable_int
from .text import KOL_NAMES, TitleMaker, material_name

HISTORY_DAYS = 60  # model days before the first weekly collection

PLATFORMS = ("wechat_oa", "wechat_channels", "douyin", "kuaishou", "xiaohongshu", "bilibili", "weibo")
WECHAT_CHANNELS_OF_READ = ("公众号消息", "聊天会话", "朋友圈", "公众号主页", "其他", "推荐", "搜一搜")
WECHAT_CHANNEL_MIX = np.array([0.16, 0.17, 0.06, 0.06, 0.03, 0.48, 0.04])


@dataclass(frozen=True)
class PlatformSpec:
    key: str
    posts_per_week: float
    views_median: float
    views_sigma: float
    tau_h: float  # growth time constant (hours)
    shape: float  # Weibull shape of the main curve
    tail_w: float  # share of the lifetime total that comes through a slow tail
    tail_days: float
    list_window_days: int  # how far back a weekly list export reaches
    hours: tuple[tuple[int, float], ...]  # (hour of day, weight) of publishing


SPECS: dict[str, PlatformSpec] = {
    "wechat_oa": PlatformSpec("wechat_oa", 2.4, 2600, 0.75, 16, 0.9, 0.05, 20, 30,
                              ((7, 1), (8, 1), (12, 2), (18, 1), (20, 4), (21, 3))),
    "wechat_channels": PlatformSpec("wechat_channels", 2.0, 2200, 1.05, 30, 0.8, 0.10, 25, 30,
                                    ((11, 1), (12, 2), (17, 2), (18, 3), (19, 3), (20, 2))),
    "douyin": PlatformSpec("douyin", 2.7, 7000, 1.3, 16, 0.75, 0.08, 20, 30,
                           ((11, 1), (12, 3), (17, 2), (18, 4), (19, 4), (20, 3), (21, 2))),
    "kuaishou": PlatformSpec("kuaishou", 1.6, 3500, 1.2, 20, 0.8, 0.08, 20, 30,
                             ((12, 2), (18, 3), (19, 3), (20, 3), (21, 2))),
    "xiaohongshu": PlatformSpec("xiaohongshu", 2.6, 2300, 1.2, 40, 0.7, 0.25, 45, 30,
                                ((8, 1), (12, 3), (18, 2), (19, 3), (20, 4), (21, 3), (22, 2))),
    "bilibili": PlatformSpec("bilibili", 1.1, 5500, 1.1, 36, 0.7, 0.25, 60, 60,
                             ((11, 1), (12, 2), (17, 3), (18, 4), (19, 2))),
    "weibo": PlatformSpec("weibo", 2.6, 5000, 1.0, 8, 0.9, 0.03, 10, 30,
                          ((9, 1), (10, 2), (11, 2), (12, 2), (15, 1), (18, 2), (20, 2))),
}


@dataclass
class BrandDef:
    slug: str
    name: str
    name_en: str
    category: str
    role: str  # client | competitor
    size: float  # reach multiplier
    followers: dict[str, int]
    activity: float = 1.0  # posting multiplier
    industry: str = ""  # as seed_demo names it (beauty / beverage)


BRANDS: tuple[BrandDef, ...] = (
    # slugs and names as in metrics/management/commands/seed_demo.py (DEMO_BRANDS)
    BrandDef("glow-lab", "光感实验室", "Glow Lab", "beauty", "client", 1.0,
             {"wechat_oa": 86000, "wechat_channels": 24000, "douyin": 410000, "kuaishou": 52000, "xiaohongshu": 128000,
              "bilibili": 36000, "weibo": 265000}),
    BrandDef("brew-house", "醇萃咖啡", "Brew House", "coffee", "client", 0.7,
             {"wechat_oa": 54000, "wechat_channels": 18000, "douyin": 230000, "kuaishou": 61000, "xiaohongshu": 72000,
              "bilibili": 15000, "weibo": 98000}, activity=0.9, industry="beverage"),
    BrandDef("lumi-beauty", "露米", "Lumi Beauty", "beauty", "competitor", 1.35,
             {"wechat_oa": 152000, "wechat_channels": 41000, "douyin": 760000, "kuaishou": 88000, "xiaohongshu": 215000,
              "bilibili": 52000, "weibo": 480000}, activity=1.05),
)

ORGANISATION = {"slug": "demo-agency", "name": "Demo Agency 示范代理", "kind": "agency"}  # as seed_demo's DEMO_ORG

ACCOUNT_NAMES = {
    "wechat_oa": "{name}{en}", "wechat_channels": "{name}{en}", "douyin": "{name}官方旗舰店", "kuaishou": "{name}官方旗舰店",
    "xiaohongshu": "{name}{en}", "bilibili": "{name}{en}官方", "weibo": "{name}{en}官方微博",
}


@dataclass
class Config:
    """Size knobs. Collections happen on a weekly grid of ``weeks`` weeks ending on ``end``; which exports are
    taken at a grid point depends on its age (``age`` 0 = the last collection, on ``end``):

    - post lists: weekly for the ``recent_weekly`` latest points, then every ``list_every`` weeks; a list reaches
      back to the previous list collection (at least the platform's usual 30 days), so every post is seen;
    - XHS 近30日 workbooks (fixed 30-day windows): every ``trend_every`` weeks; ``xhs_30d_kinds`` of the four
      (all four at the last point);
    - WeChat tendency / user growth / 关键数据 / 热门文章, Douyin and Bilibili trends: every ``long_trend_every``
      weeks, over ``long_trend_every`` weeks + 2 days (at most 92: the WeChat backend caps ranges at 3 months);
    - ad reports and WeChat ad income: every ``ads_every`` weeks over the same span (Ocean Engine: a week more,
      so that restated conversions overlap).

    ``scale`` multiplies posting rates. Profiles: :data:`PROFILES`.
    """

    profile: str = "demo"
    weeks: int = 52
    recent_weekly: int = 4
    list_every: int = 8
    trend_every: int = 4
    xhs_30d_kinds: tuple[str, ...] = ("views", "followers")
    long_trend_every: int = 12
    ads_every: int = 8
    scale: float = 1.0
    list_window_days: int | None = None  # override the platforms' usual list reach (30 days; Bilibili 60)
    ads: bool = True
    adhoc: bool = True  # extra collections a few hours after the bought-volume post

    @classmethod
    def for_profile(cls, name: str, **overrides) -> Config:
        base = dict(PROFILES[name])
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(profile=name, **base)


ALL_30D = ("views", "interactions", "publishing", "followers")
PROFILES: dict[str, dict] = {
    # ~430 files / ~39k rows: loads quickly through the per-file import path; a year of daily account data
    "demo": {},
    # every export every week, account trends monthly: ~1,800 files / ~56k rows (realism, import benchmarks)
    "full": {"recent_weekly": 52, "list_every": 1, "trend_every": 4, "xhs_30d_kinds": ALL_30D, "long_trend_every": 4,
             "ads_every": 1},
    # a month of collections for tests: ~130 files
    "tiny": {"weeks": 4, "recent_weekly": 4, "list_every": 1, "trend_every": 4, "xhs_30d_kinds": ALL_30D,
             "long_trend_every": 4, "ads_every": 2},
}


@dataclass
class Anomaly:
    kind: str
    brand: str
    platform: str
    note: str
    post_title: str | None = None
    published_at: datetime | None = None
    at: datetime | None = None


# ------------------------------------------------------------- accounts ---
class Account:
    """One brand account on one platform: its posts (a DataFrame) and daily series."""

    def __init__(self, brand: Brand, platform: str, t0: datetime, horizon: datetime, seed: int, cfg: Config):
        self.brand = brand
        self.platform = platform
        self.spec = SPECS[platform]
        self.t0 = t0
        self.horizon = horizon  # no post is published after this (the last collection)
        self.seed = seed
        self.cfg = cfg
        self.name = ACCOUNT_NAMES[platform].format(name=brand.d.name, en=brand.d.name_en.replace(" ", ""))
        self.handle = f"{brand.d.slug.split('-')[0]}_{platform}"
        self.followers_start = brand.d.followers[platform]
        self.flat_followers = False
        self.high_engagement = 1.0
        self.adhoc_collections: list[datetime] = []
        self.days = list(daterange(t0.date(), horizon.date()))
        self.day_index = {d: i for i, d in enumerate(self.days)}
        self.posts: pd.DataFrame = pd.DataFrame()
        self.final: dict[str, np.ndarray] = {}
        self.bait_extra: dict[str, np.ndarray] = {}
        self.bait_h = np.zeros(0)
        self._curve: tuple[np.ndarray, ...] | None = None

    # -- helpers
    def hours(self, dt: datetime) -> float:
        return (dt - self.t0).total_seconds() / 3600.0

    def rng(self, *purpose) -> np.random.Generator:
        return rng_for(self.seed, self.brand.d.slug, self.platform, *purpose)

    # -- growth curve
    def curve_params(self) -> tuple[np.ndarray, ...]:
        """(pub_h, tau_h, shape, tail_w, tail_h) as arrays; cached (call ``invalidate()`` after editing posts)."""
        c = self._curve
        if c is None:
            p = self.posts
            c = self._curve = tuple(p[k].to_numpy(dtype=np.float64) for k in ("pub_h", "tau_h", "shape", "tail_w", "tail_h"))
        return c

    def invalidate(self) -> None:
        self._curve = None

    def _frac_at(self, t_h, idx=None) -> np.ndarray:
        pub, tau, k, w, tail = self.curve_params()
        if idx is not None:
            pub, tau, k, w, tail = pub[idx], tau[idx], k[idx], w[idx], tail[idx]
        x = np.maximum(t_h - pub, 0.0)
        main = 1.0 - np.exp(-np.power(x / tau, k))
        slow = 1.0 - np.exp(-x / tail)
        return (1.0 - w) * main + w * slow

    def frac(self, t_h, idx=None) -> np.ndarray:
        """F(t - published) for every post (or the posts ``idx``) at hour ``t_h`` (a scalar or one per post)."""
        return self._frac_at(t_h, idx)

    def cumulative(self, at: datetime, metrics: list[str], idx=None, freeze_h: float | None = None) -> dict[str, np.ndarray]:
        """Lifetime-to-date integer counters at ``at`` (``freeze_h``: values stop updating that long after publication)."""
        t = self.hours(at)
        pub_h = self.curve_params()[0] if idx is None else self.curve_params()[0][idx]
        tt = np.minimum(t, pub_h + freeze_h) if freeze_h is not None else t
        f = self._frac_at(tt, idx)
        out = {}
        sel = slice(None) if idx is None else idx
        for m in metrics:
            v = self.final[m][sel] * f
            if m in self.bait_extra:
                ramp = np.clip((tt - self.bait_h[sel]) / 10.0, 0.0, 1.0)
                v = v + self.bait_extra[m][sel] * ramp
            out[m] = np.floor(v + 1e-9).astype(np.int64)
        return out

    def in_window(self, at: datetime, days: int) -> np.ndarray:
        """Indices of posts published in (at - days, at], newest first (list exports show newest first)."""
        pub_h = self.curve_params()[0]
        t = self.hours(at)
        idx = np.flatnonzero((pub_h <= t) & (pub_h > t - 24.0 * days))
        return idx[np.argsort(-pub_h[idx], kind="stable")]

    # -- daily series
    def build_daily(self) -> None:
        """Daily increments of every post metric, plus follower gains/losses (``self.daily``, indexed by date)."""
        n_days = len(self.days)
        bounds = np.array([24.0 * i for i in range(n_days + 1)]) + self.hours(datetime.combine(self.days[0], time()))
        P = len(self.posts)
        if P:
            F = np.stack([self.frac(b) for b in bounds], axis=1)  # P x (D+1)
            dF = np.diff(F, axis=1)
        else:
            dF = np.zeros((0, n_days))
        self._bounds = bounds
        cols = {}
        for m, fin in self.final.items():
            inc = fin @ dF if P else np.zeros(n_days)
            if m in self.bait_extra and P:
                ramp = np.clip((bounds[None, :] - self.bait_h[:, None]) / 10.0, 0, 1)
                inc = inc + self.bait_extra[m] @ np.diff(ramp, axis=1)
            cols[m] = inc
        df = pd.DataFrame(cols, index=pd.Index(self.days, name="date"))
        cnt = np.zeros(n_days, dtype=np.int64)  # posts published per day
        if P:
            for d in self.posts["published"].dt.date:
                cnt[self.day_index[d]] += 1
        df["posts"] = cnt
        self._daily_weights = dF
        self.daily = df
        self._build_followers()

    def _build_followers(self) -> None:
        rng = self.rng("followers")
        n = len(self.days)
        season = np.array([season_factor(d) for d in self.days])
        base = self.followers_start
        post_follows = self.daily["follows"].to_numpy() if "follows" in self.daily else np.zeros(n)
        organic = base * 0.0006 * season * rng.lognormal(0, 0.25, n)
        gains = organic + post_follows
        losses = base * 0.00035 * rng.lognormal(0, 0.3, n)
        push = self.daily["posts"].to_numpy() > 0
        spike = base * rng.uniform(0.0003, 0.0012, n) * (1.6 if self.platform == "wechat_oa" else 0.5)
        losses = losses + push * spike
        bad = push & (rng.random(n) < 0.06)  # a push that annoys: loss spike
        losses = losses + bad * base * rng.uniform(0.002, 0.006, n)
        if self.flat_followers:
            losses = gains * rng.uniform(0.9, 1.08, n)
        g = np.round(gains).astype(np.int64)
        lo = np.round(losses).astype(np.int64)
        self.daily["follow_gain"] = g
        self.daily["follow_loss"] = lo
        self.daily["followers"] = base + np.cumsum(g - lo)
        # profile visits (XHS 主页访客 and similar): a multiple of views plus a baseline
        views = self.daily[self.view_metric].to_numpy() if self.view_metric in self.daily else np.zeros(n)
        self.daily["profile_visits"] = np.round(views * 0.02 + base * 0.0015 * rng.lognormal(0, 0.2, n)).astype(np.int64)

    @property
    def view_metric(self) -> str:
        return {"wechat_oa": "readers", "weibo": "reads", "xiaohongshu": "views"}.get(self.platform, "plays")

    def day_values(self, d: date, metric: str, at: datetime | None = None) -> float:
        """Daily increment on ``d``; if ``at`` falls on ``d``, only up to ``at`` (an unsettled day)."""
        i = self.day_index.get(d)
        if i is None:
            return 0.0
        full = float(self.daily[metric].iat[i])
        if at is None or at.date() != d:
            return full
        if metric in self.final:
            f_at = self.frac(self.hours(at))
            f_start = self.frac(self._bounds[i])
            v = float(self.final[metric] @ (f_at - f_start))
            if metric in self.bait_extra:
                ra = np.clip((self.hours(at) - self.bait_h) / 10.0, 0, 1) - np.clip((self._bounds[i] - self.bait_h) / 10.0, 0, 1)
                v += float(self.bait_extra[metric] @ ra)
            return v
        return full * (at.hour * 3600 + at.minute * 60 + at.second) / 86400.0

    def day_weights(self, d: date, at: datetime | None = None) -> np.ndarray:
        """Per-post share of the lifetime total gained on day ``d`` (only up to ``at`` if ``at`` falls on ``d``)."""
        i = self.day_index[d]
        if at is not None and at.date() == d:
            return self.frac(self.hours(at)) - self.frac(self._bounds[i])
        return self._daily_weights[:, i]

    def gains(self, metric: str, t_from: datetime, t_to: datetime) -> np.ndarray:
        """Per-post gain of ``metric`` between two moments (floats)."""
        v = self.final[metric] * (self.frac(self.hours(t_to)) - self.frac(self.hours(t_from)))
        if metric in self.bait_extra:
            r = lambda t: np.clip((self.hours(t) - self.bait_h) / 10.0, 0, 1)  # noqa: E731
            v = v + self.bait_extra[metric] * (r(t_to) - r(t_from))
        return v

    def followers_at_day_end(self, d: date) -> int:
        i = self.day_index.get(d)
        if i is None:
            return self.followers_start if d < self.days[0] else int(self.daily["followers"].iat[-1])
        return int(self.daily["followers"].iat[i])


# -------------------------------------------------------------- posts ---
def _publish_times(acct: Account) -> list[tuple[datetime, int]]:
    """(publish time, slot in the push) for every post; WeChat OA posts come in pushes of 1-3 articles."""
    rng = acct.rng("schedule")
    spec = acct.spec
    rate = spec.posts_per_week * acct.cfg.scale * acct.brand.d.activity / 7.0
    hours, weights = zip(*spec.hours, strict=True)
    w = np.array(weights, dtype=float)
    w /= w.sum()
    out: list[tuple[datetime, int]] = []
    wechat = acct.platform == "wechat_oa"
    per_push = np.array([0.55, 0.30, 0.15])
    day_rate = rate / (per_push @ np.array([1, 2, 3])) if wechat else rate
    for d in acct.days:
        lam = day_rate
        fest = festival_of(d)
        if fest in ("618", "双11"):
            lam *= 1.3
        if fest == "春节":
            lam *= 0.35
        if d.weekday() >= 5 and acct.platform in ("wechat_oa", "weibo"):
            lam *= 0.6
        n = min(int(rng.poisson(lam)), 1 if wechat else 2)
        used = set()
        for _ in range(n):
            h = int(rng.choice(hours, p=w))
            while h in used:
                h = (h + 1) % 24
            used.add(h)
            dt = datetime.combine(d, time(h, int(rng.integers(60)), int(rng.integers(60))))
            if wechat:
                k = 1 + int(rng.choice(3, p=per_push))
                for slot in range(k):
                    out.append((dt, slot))
            else:
                out.append((dt, 0))
    out = [(dt, s) for dt, s in out if acct.t0 + timedelta(hours=2) <= dt <= acct.horizon - timedelta(minutes=40)]
    if not out or out[0][0] > acct.t0 + timedelta(days=4):  # something to show in the first export
        d = acct.t0.date() + timedelta(days=1 + int(rng.integers(2)))
        dt = datetime.combine(d, time(int(rng.choice(hours, p=w)), int(rng.integers(60)), int(rng.integers(60))))
        out.append((dt, 0))
    out.sort()
    return out


def _formats(acct: Account, rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    """体裁 and video length (seconds)."""
    p = acct.platform
    dur = np.zeros(n)
    if p == "douyin":
        fmt = rng.choice(["1min-视频", "1-3min视频", "图文"], size=n, p=[0.62, 0.26, 0.12])
        dur = np.where(fmt == "1min-视频", rng.uniform(9, 59, n), np.where(fmt == "1-3min视频", rng.uniform(61, 178, n), 0))
    elif p == "xiaohongshu":
        fmt = rng.choice(["图文", "视频"], size=n, p=[0.68, 0.32])
        dur = np.where(fmt == "视频", rng.uniform(15, 180, n), 0)
    elif p == "wechat_oa":
        fmt = rng.choice(["文章", "贴图", "视频"], size=n, p=[0.86, 0.1, 0.04])
    elif p == "bilibili":
        fmt = np.array(["视频"] * n)
        dur = rng.uniform(120, 900, n)
    elif p in ("kuaishou", "wechat_channels"):
        fmt = np.array(["视频"] * n)
        dur = rng.uniform(10, 150, n)
    else:
        fmt = rng.choice(["图文", "视频"], size=n, p=[0.8, 0.2])
        dur = np.where(fmt == "视频", rng.uniform(10, 120, n), 0)
    return list(fmt), dur


def build_posts(acct: Account) -> None:
    rng = acct.rng("posts")
    times = _publish_times(acct)
    n = len(times)
    spec = acct.spec
    brand = acct.brand.d
    tm = TitleMaker(acct.rng("titles"), brand.category, brand.name, acct.platform)
    published = [t for t, _ in times]
    slots = np.array([s for _, s in times])
    pub_d = [t.date() for t in published]
    season = np.array([season_factor(d) for d in pub_d])
    fmt, dur = _formats(acct, rng, n)

    z_v = rng.normal(0, 1, n)
    z_q = 0.5 * z_v + np.sqrt(0.75) * rng.normal(0, 1, n)
    acct_factor = acct.followers_start / 150000.0
    views = spec.views_median * brand.size * (0.45 + 0.55 * acct_factor ** 0.5) * season * np.exp(spec.views_sigma * z_v)
    if acct.platform == "wechat_oa":
        views *= np.array([1.0, 0.32, 0.16])[slots]
    viral = rng.random(n) < 0.025
    views = np.where(viral, views * rng.uniform(8, 40, n), views)
    promoted = np.zeros(n, dtype=bool)
    promo_cost = np.zeros(n)
    if brand.role == "client" and acct.platform in ("douyin", "xiaohongshu", "weibo", "wechat_channels", "kuaishou"):
        promoted = (rng.random(n) < 0.07) & ~viral
        boost = rng.uniform(1.5, 3.0, n)
        extra = views * (boost - 1)
        views = np.where(promoted, views * boost, views)
        cpv = {"douyin": 0.035, "xiaohongshu": 0.06, "weibo": 0.02, "wechat_channels": 0.05, "kuaishou": 0.03}[acct.platform]
        promo_cost = np.where(promoted, np.round(extra * cpv * rng.uniform(0.8, 1.25, n) / 50) * 50 + 100, 0)
    views = np.maximum(views, rng.uniform(3, 40, n))
    q = np.exp(0.35 * z_q + 0.25 * rng.normal(0, 1, n)) * acct.high_engagement
    q = np.where(viral, q * 1.2, q)
    q = np.where(promoted, q * 0.75, q)

    fin: dict[str, np.ndarray] = {}
    r = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    p = acct.platform
    df = pd.DataFrame({"published": pd.to_datetime(published), "format": fmt, "duration_s": dur, "slot": slots,
                       "viral": viral, "promoted": promoted, "promo_cost": promo_cost})
    if p == "wechat_oa":
        fin["readers"] = views
        fin["reads"] = views * r(1.12, 1.35)
        fin["sharers"] = views * 0.03 * q
        fin["shares"] = fin["sharers"] * r(1.1, 1.4)
        fin["favourites"] = views * 0.012 * q
        fin["follows"] = views * 0.004 * q
        has_link = rng.random(n) < 0.3
        fin["read_original"] = np.where(has_link, views * 0.008 * q, 0)
        mix = rng.dirichlet(WECHAT_CHANNEL_MIX * 40, n)  # per-article channel shares of readers
        for j in range(len(WECHAT_CHANNELS_OF_READ)):
            df[f"mix_{j}"] = mix[:, j]
        df["completion"] = np.clip(r(0.3, 0.62) * q ** 0.2, 0.05, 0.95)
        df["first_share_ratio"] = r(0.45, 0.8)
        df["delivery_rate"] = r(0.92, 0.985)
        push = df.groupby("published", sort=True).ngroup().to_numpy()  # articles of one push share its mid
        df["biz_mid"] = 2247480000 + int(rng.integers(0, 9000)) + push * 3
    elif p == "wechat_channels":
        fin["plays"] = views
        fin["recommends"] = views * 0.012 * q
        fin["likes"] = views * 0.018 * q
        fin["comments"] = views * 0.0035 * q
        fin["shares"] = views * 0.009 * q
        fin["follows"] = views * 0.0025 * q
        fin["forwards"] = views * 0.007 * q
        fin["ringtone"] = views * 0.0002 * rng.random(n)
        fin["status"] = views * 0.0003 * rng.random(n)
        fin["moments_cover"] = views * 0.0001 * rng.random(n)
        wecom = rng.random(n) < 0.35
        fin["wecom_clicks"] = np.where(wecom, views * 0.002, 0)
        fin["wecom_people"] = fin["wecom_clicks"] * 0.82
        fin["contact_adds"] = np.where(wecom, views * 0.0006, 0)
        fin["contact_people"] = fin["contact_adds"] * 0.9
        df["completion"] = np.clip(r(0.02, 0.22) * (60 / np.maximum(dur, 10)) ** 0.3 * q ** 0.3, 0.005, 0.9)
        df["avg_play_s"] = np.minimum(dur, dur * r(0.12, 0.4) + 3)
    elif p in ("douyin", "kuaishou"):
        fin["plays"] = views
        fin["likes"] = views * 0.028 * q
        fin["comments"] = fin["likes"] * r(0.05, 0.14)
        fin["shares"] = fin["likes"] * r(0.06, 0.2)
        fin["collects"] = fin["likes"] * r(0.08, 0.25)
        fin["profile_visits"] = views * 0.018 * q
        fin["follows"] = views * 0.0018 * q
        is_img = np.array([f == "图文" for f in fmt])
        df["completion"] = np.where(is_img, 0.0, np.clip(r(0.04, 0.3) * (45 / np.maximum(dur, 8)) ** 0.5 * q ** 0.3, 0.003, 0.85))
        df["completion5s"] = np.where(is_img, 0.0, np.clip(r(0.18, 0.55) * q ** 0.2, 0.02, 0.95))
        df["bounce2s"] = np.where(is_img, 0.0, np.clip(r(0.2, 0.55) / q ** 0.2, 0.05, 0.9))
        df["cover_ctr"] = np.clip(r(0.02, 0.14) * q ** 0.3, 0.001, 0.5)
        df["avg_play_s"] = np.where(is_img, r(2, 9), np.minimum(dur, dur * r(0.12, 0.45) + 1.5))
        if p == "douyin":
            df["status"] = rng.choice(["公开"] * 18 + ["自见", "私密"], size=n)
            df.loc[rng.random(n) < 0.01, "status"] = "已删除"
            df.loc[rng.random(n) < 0.006, "status"] = "未通过"
            cover_kind = rng.random(n)
            df["cover_ctr_text"] = np.where(is_img | (cover_kind < 0.3), "-", np.where(cover_kind < 0.38, "0.000000", ""))
    elif p == "xiaohongshu":
        fin["views"] = views
        ctr = np.clip(r(0.05, 0.26) * q ** 0.2, 0.01, 0.6)
        fin["impressions"] = views / ctr * r(0.8, 1.2)
        fin["likes"] = views * 0.045 * q
        fin["collects"] = fin["likes"] * r(0.3, 1.0)
        fin["comments"] = fin["likes"] * r(0.08, 0.25)
        fin["shares"] = fin["likes"] * r(0.05, 0.2)
        fin["follows"] = views * 0.004 * q
        is_vid = np.array([f == "视频" for f in fmt])
        fin["danmaku"] = np.where(is_vid & (rng.random(n) < 0.3), views * 0.001, 0)
        df["cover_ctr"] = ctr
        df["avg_watch_s"] = np.where(is_vid, np.minimum(dur, dur * r(0.1, 0.35) + 2), r(8, 60))
        df["zero_impressions"] = is_vid & (rng.random(n) < 0.05)
    elif p == "bilibili":
        fin["plays"] = views
        fin["likes"] = views * 0.035 * q
        fin["coins"] = views * 0.009 * q
        fin["favs"] = views * 0.018 * q
        fin["shares"] = views * 0.004 * q
        fin["comments"] = views * 0.004 * q
        fin["danmaku"] = views * 0.007 * q
        fin["follows"] = views * 0.0028 * q
        fin["unfollows"] = views * 0.0002 * rng.random(n)
        df["guest_share"] = r(0.72, 1.0)
        df["fan_view_rate"] = r(0.0, 0.06)
        df["stars"] = np.clip(np.round(r(2.4, 4.6) + 0.3 * z_q, 1), 1.0, 5.0)
        df["fan_stars"] = np.clip(np.round(df["stars"] - r(0.0, 1.6), 1), 1.0, 5.0)
        df["guest_stars"] = np.clip(np.round(df["stars"] + r(-0.2, 0.3), 1), 1.0, 5.0)
        df["bounce3s"] = r(0.12, 0.6)
        df["fan_bounce3s"] = df["bounce3s"] * r(0.3, 1.0)
        df["progress"] = np.clip(r(0.12, 0.5) * q ** 0.2, 0.03, 0.95)
    elif p == "weibo":
        fin["reads"] = views
        fin["likes"] = views * 0.012 * q
        fin["reposts"] = views * 0.0022 * q
        fin["comments"] = views * 0.003 * q
        fin["follows"] = views * 0.0008 * q

    # growth curves
    df["tau_h"] = spec.tau_h * rng.lognormal(0, 0.3, n)
    df["shape"] = spec.shape * rng.uniform(0.9, 1.1, n)
    df["tail_w"] = np.clip(spec.tail_w * rng.lognormal(0, 0.3, n), 0, 0.6)
    df["tail_h"] = spec.tail_days * 24 * rng.uniform(0.7, 1.3, n)
    df["pub_h"] = [acct.hours(t) for t in published]
    df["title"] = [tm.make(d) for d in pub_d]
    ids = rng.integers(10**15, 10**16 - 1, n)
    df["uid"] = [f"{acct.handle}-{i}" for i in ids]
    acct.posts = df
    acct.final = fin
    acct.bait_h = np.full(n, 1e12)
    acct.invalidate()


def inject_anomalies(scn: Scenario) -> None:
    """Three injected stories for the dashboards to find."""
    end = scn.horizon
    # 1. engagement bait: a Weibo post whose likes jump ~9x between two weekly exports, comments/reposts flat
    a = scn.brand("glow-lab").accounts["weibo"]
    idx = _post_near(a, end - timedelta(days=24), min_views=float(np.median(a.final["reads"])), any_format=True,
                     before=end - timedelta(days=16))
    if idx is not None:
        pub = a.posts["published"].iat[idx].to_pydatetime()
        after = [c for c in scn.collections[(a.brand.d.slug, "weibo")] if c > pub]
        jump_h = a.hours(after[0]) + 30.0 if after else a.posts["pub_h"].iat[idx] + 96.0  # between two weekly exports
        tm = TitleMaker(a.rng("bait-title"), "beauty", a.brand.d.name, "weibo")
        a.posts.loc[a.posts.index[idx], "title"] = tm.make(pub.date(), bait=True)
        extra = np.zeros(len(a.posts))
        extra[idx] = a.final["likes"][idx] * 8.0
        a.bait_extra = {"likes": extra}
        a.bait_h = np.full(len(a.posts), 1e12)
        a.bait_h[idx] = jump_h
        scn.anomalies.append(Anomaly("engagement_bait", a.brand.d.slug, "weibo",
                                     "likes jump ~9x between two weekly exports; comments and reposts stay flat",
                                     a.posts["title"].iat[idx], pub, a.t0 + timedelta(hours=jump_h)))
    # 2. bought volume: a Douyin post gaining ~90% of its counts in the first 3 hours
    a = scn.brand("brew-house").accounts["douyin"]
    idx = _post_near(a, end - timedelta(days=17), hours=(10, 14))
    if idx is not None:
        ix = a.posts.index[idx]
        a.posts.loc[ix, ["tau_h", "shape", "tail_w"]] = [1.2, 1.0, 0.02]
        a.invalidate()
        for m in a.final:
            a.final[m][idx] *= 6.0
        a.final["follows"][idx] *= 0.1  # bought plays bring no followers
        a.final["comments"][idx] *= 0.3
        pub = a.posts["published"].iat[idx].to_pydatetime()
        a.adhoc_collections = [pub + timedelta(hours=3, minutes=7, seconds=41), pub + timedelta(hours=26, minutes=2, seconds=9)]
        scn.anomalies.append(Anomaly("early_burst", a.brand.d.slug, "douyin",
                                     "~90% of plays and likes arrive in the first 3 hours (bought volume?); "
                                     "extra 作品列表 exports were taken 3 h and 26 h after publication",
                                     a.posts["title"].iat[idx], pub))
    # 3. high engagement, flat follower growth: the competitor's XHS account (set up in build_scenario)
    a = scn.brand("lumi-beauty").accounts["xiaohongshu"]
    scn.anomalies.append(Anomaly("engagement_without_growth", a.brand.d.slug, "xiaohongshu",
                                 "engagement rate ~2.5x its peers while net follower growth stays near zero"))


def _post_near(a: Account, when: datetime, hours: tuple[int, int] | None = None, min_views: float | None = None,
               any_format: bool = False, before: datetime | None = None) -> int | None:
    if not len(a.posts):
        return None
    pub = a.posts["published"]
    ok = pub.notna() if any_format else a.posts["format"] != "图文"
    if before is not None:
        ok &= pub <= pd.Timestamp(before)
    if min_views is not None:
        ok &= a.final[a.view_metric] >= min_views
    if hours:
        ok &= pub.dt.hour.between(*hours)
    cand = np.flatnonzero(ok.to_numpy())
    if not len(cand):
        cand = np.arange(len(a.posts))
    diffs = np.abs((pub.iloc[cand] - pd.Timestamp(when)).dt.total_seconds().to_numpy())
    return int(cand[int(np.argmin(diffs))])


# ---------------------------------------------------------------- ads ---
@dataclass
class AdGroup:
    id: str
    name: str
    start: date
    end: date
    budget: float  # yuan/day at season 1
    cpm: float
    ctr: float
    cvr: float


@dataclass
class Material:
    id: str
    name: str
    created: datetime
    start: date
    end: date
    budget: float
    ctr: float
    cvr: float  # orders / clicks
    aov: float  # average order value (ATV)
    play3s: float
    completion: float


class Ads:
    """Ocean Engine ad groups and Qianchuan materials of a client brand, with daily facts."""

    def __init__(self, brand: Brand, t0: datetime, horizon: datetime, seed: int):
        self.brand = brand
        rng = rng_for(seed, brand.d.slug, "ads")
        d0, d1 = t0.date(), horizon.date()
        self.days = list(daterange(d0, d1))
        short = brand.d.name
        always = [("品牌-信息流-常投", d0, 1800), ("新品-搜索-拉新", d0 + timedelta(days=40), 900)]
        seasonal = [("618-直播引流", (5, 15), (6, 20), 3500), ("双11-种草", (10, 8), (11, 13), 5200),
                    ("双11-直播引流", (10, 20), (11, 12), 6800), ("年货节-信息流", (1, 5), (2, 8), 2600)]
        spans: list[tuple[str, date, date, float]] = [(n, s, d1, b) for n, s, b in always]
        for name, (m0, dd0), (m1, dd1), b in seasonal:
            for yy in (d1.year - 1, d1.year):
                s, e = date(yy, m0, dd0), date(yy, m1, dd1)
                if e >= d0 and s <= d1:
                    spans.append((f"{short}-{name}", max(s, d0), min(e, d1), b))
        self.groups: list[AdGroup] = []
        for name, s, e, b in spans:
            gid = str(int(rng.integers(1_700_000_000_000_000, 1_799_999_999_999_999)))
            self.groups.append(AdGroup(gid, f"{name}-{s.strftime('%y%m%d')}", s, e, b * brand.d.size * rng.uniform(0.8, 1.2),
                                       rng.uniform(18, 55), rng.uniform(0.008, 0.035), rng.uniform(0.02, 0.09)))
        self.materials: list[Material] = []
        for i in range(34):
            start = d0 + timedelta(days=int(rng.integers(0, max((d1 - d0).days - 7, 1))))
            if i < 6:  # always some materials running at the end
                start = d1 - timedelta(days=int(rng.integers(3, 30)))
            life = int(rng.integers(14, 75))
            created = datetime.combine(start - timedelta(days=int(rng.integers(0, 4))),
                                       time(int(rng.integers(9, 23)), int(rng.integers(60)), int(rng.integers(60))))
            mid = str(int(rng.integers(7_300_000_000_000_000_000, 7_499_999_999_999_999_999)))
            self.materials.append(Material(mid, material_name(rng, brand.d.category, created.date(), i), created, start,
                                           min(start + timedelta(days=life), d1), rng.uniform(300, 2600) * brand.d.size,
                                           rng.uniform(0.006, 0.04), rng.uniform(0.01, 0.06),
                                           rng.uniform(59, 199) if brand.d.category == "beauty" else rng.uniform(29, 89),
                                           rng.uniform(0.25, 0.6), rng.uniform(0.03, 0.2)))
        self._rng_seed = seed

    def group_day(self, g: AdGroup, d: date) -> dict | None:
        if not (g.start <= d <= g.end):
            return None
        rng = rng_for(self._rng_seed, self.brand.d.slug, "ag", g.id, d.isoformat())
        spend = g.budget * season_factor(d) * rng.lognormal(0, 0.2)
        if rng.random() < 0.04:
            spend = 0.0  # paused for the day
        imp = int(spend / (g.cpm * rng.uniform(0.85, 1.15)) * 1000)
        clicks = int(rng.binomial(imp, min(g.ctr * rng.uniform(0.8, 1.2), 1))) if imp else 0
        conv = float(clicks * g.cvr * rng.uniform(0.7, 1.3))
        return {"spend": round(spend, 2), "impressions": imp, "clicks": clicks, "conv_final": conv,
                "deep_final": conv * rng.uniform(0.1, 0.35)}

    def material_day(self, m: Material, d: date) -> dict | None:
        if not (m.start <= d <= m.end):
            return None
        rng = rng_for(self._rng_seed, self.brand.d.slug, "mat", m.id, d.isoformat())
        age = (d - m.start).days
        life = max((m.end - m.start).days, 1)
        shape = np.sin(np.pi * min((age + 1) / (life + 1), 1.0)) ** 0.7  # ramps up, then fatigue
        spend = m.budget * season_factor(d) * shape * rng.lognormal(0, 0.35)
        if rng.random() < 0.06:
            spend = 0.0
        imp = int(spend / rng.uniform(0.02, 0.06)) if spend else int(rng.integers(0, 30))
        clicks = int(rng.binomial(imp, m.ctr)) if imp else 0
        orders = int(rng.binomial(clicks, min(m.cvr * season_factor(d) ** 0.3, 1))) if clicks else 0
        gmv = round(orders * m.aov * rng.uniform(0.85, 1.2), 2)
        return {"spend": round(spend, 2), "impressions": imp, "clicks": clicks, "orders": orders, "gmv": gmv,
                "play3s": m.play3s * rng.uniform(0.9, 1.1), "completion": m.completion * rng.uniform(0.85, 1.15)}


# ------------------------------------------------------------- brands ---
@dataclass
class Brand:
    d: BrandDef
    accounts: dict[str, Account] = field(default_factory=dict)
    ads: Ads | None = None
    kol: list[dict] = field(default_factory=list)


@dataclass
class Scenario:
    seed: int
    end: date
    t0: datetime
    horizon: datetime
    cfg: Config
    brands: list[Brand]
    collections: dict[tuple[str, str], list[datetime]]
    anomalies: list[Anomaly] = field(default_factory=list)

    def brand(self, slug: str) -> Brand:
        return next(b for b in self.brands if b.d.slug == slug)


def collection_schedule(seed: int, slug: str, platform: str, end: date, weeks: int) -> list[datetime]:
    """Weekly collection moments, the last one on ``end`` (morning, Beijing time); chronological."""
    rng = rng_for(seed, slug, platform, "collections")
    out = []
    for k in range(weeks):
        d = end - timedelta(days=7 * k)
        if k > 0 and rng.random() < 0.2:
            d -= timedelta(days=1)  # collected a day early that week
        secs = int(rng.integers(8 * 3600 + 1800, 11 * 3600 + 3599))
        out.append(datetime.combine(d, time()) + timedelta(seconds=secs))
    return sorted(out)


def is_client(brand: Brand) -> bool:
    return brand.d.role == "client"


def build_scenario(seed: int = 7, end: date | None = None, cfg: Config | None = None) -> Scenario:
    from .common import today_shanghai

    cfg = cfg or Config()
    end = end or today_shanghai()
    collections = {}
    for b in BRANDS:
        for p in PLATFORMS:
            collections[(b.slug, p)] = collection_schedule(seed, b.slug, p, end, cfg.weeks)
    # the accounts have history before the first collection: its lists, and the first trend windows with their
    # previous-period comparisons, are full
    first = min(c[0] for c in collections.values())
    t0 = datetime.combine(min(first.date(), end - timedelta(days=365)) - timedelta(days=HISTORY_DAYS), time())
    horizon = min(collections[(b.slug, p)][-1] for b in BRANDS for p in PLATFORMS)
    scn = Scenario(seed, end, t0, horizon, cfg, [], collections)
    for bd in BRANDS:
        brand = Brand(bd)
        for p in PLATFORMS:
            a = Account(brand, p, t0, collections[(bd.slug, p)][-1], seed, cfg)
            if bd.slug == "lumi-beauty" and p == "xiaohongshu":
                a.flat_followers = True
                a.high_engagement = 2.5
            build_posts(a)
            brand.accounts[p] = a
        scn.brands.append(brand)
    inject_anomalies(scn)
    for brand in scn.brands:
        for a in brand.accounts.values():
            a.build_daily()
        if is_client(brand) and cfg.ads:
            brand.ads = Ads(brand, t0, horizon, seed)
        brand.kol = build_kol(brand, seed, t0, horizon) if is_client(brand) else []
    return scn


def build_kol(brand: Brand, seed: int, t0: datetime, horizon: datetime) -> list[dict]:
    """KOL/KOC collaborations (paid, published on the influencers' accounts): a ledger with fees and reported results."""
    rng = rng_for(seed, brand.d.slug, "kol")
    names = KOL_NAMES[brand.d.category]
    out = []
    span = (horizon - t0).total_seconds()
    tm = TitleMaker(rng_for(seed, brand.d.slug, "kol-titles"), brand.d.category, brand.d.name, "xiaohongshu")
    for i in range(10):
        platform = str(rng.choice(["xiaohongshu", "xiaohongshu", "xiaohongshu", "douyin", "douyin", "bilibili", "weibo"]))
        tier, followers = [("头部", int(rng.integers(1_000_000, 6_000_000))), ("腰部", int(rng.integers(100_000, 1_000_000))),
                           ("KOC", int(rng.integers(5_000, 100_000)))][int(rng.choice(3, p=[0.15, 0.5, 0.35]))]
        pub = (t0 + timedelta(seconds=float(rng.uniform(0.05, 0.97) * span))).replace(microsecond=0)
        fee = round(followers * rng.uniform(0.02, 0.06) / 100) * 100 + 500
        views = followers * rng.uniform(0.05, 0.6) * season_factor(pub.date())
        suspicious = i == 3  # one collaboration with bought volume: many views, few comments
        if suspicious:
            views *= 4
        likes = views * rng.uniform(0.02, 0.06)
        comments = likes * (rng.uniform(0.01, 0.03) if suspicious else rng.uniform(0.06, 0.15))
        out.append({
            "kind": "kol_collaboration", "brand": brand.d.slug, "platform": platform,
            "kol_name": names[int(rng.integers(len(names)))], "kol_tier": tier, "kol_followers": followers,
            "title": tm.make(pub.date()) or f"{brand.d.name}合作笔记", "published_at": pub, "fee_cny": float(fee),
            "reported": {"views": int(views), "likes": int(likes), "comments": int(comments),
                         "collects": int(likes * rng.uniform(0.2, 0.8)), "shares": int(likes * rng.uniform(0.05, 0.2))},
            "suspected_bought_volume": suspicious,
            "order_id": str(int(rng.integers(10**11, 10**12))),
        })
    out.sort(key=lambda x: x["published_at"])
    return out


def seed_label(seed: int) -> str:
    return f"{seed}-{stable_int(seed) % 10000:04d}"
