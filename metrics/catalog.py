"""The metric catalog: the one source of truth for every number kpiboard shows.

Importers map export columns to these keys, the KPI engine sums and divides them, dashboards and reports
take their labels and units from here. A metric is either a *base* metric (a counter the platforms report,
stored per snapshot and per period fact) or a *derived* KPI (a formula over base metrics, always computed
as a ratio of sums over the scope, never as a mean of per-post ratios).

Aggregations:
- ``sum``: the period value is the sum of period deltas (never of cumulative counters).
- ``last``: the value at the end of the period (e.g. total followers).
- ``max``: the largest value in the period (e.g. peak concurrent viewers).
- ``derived``: computed from other metrics by ``formula`` (numerator / denominator x scale).
- ``reported``: a figure the platform computes itself (a star rating, a rate it gives without its inputs);
  kept and shown as reported, never summed and never turned into a ratio of sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Platform(StrEnum):
    WECHAT_OA = "wechat_oa"
    WECHAT_CHANNELS = "wechat_channels"
    DOUYIN = "douyin"
    KUAISHOU = "kuaishou"
    XIAOHONGSHU = "xiaohongshu"
    BILIBILI = "bilibili"
    WEIBO = "weibo"


PLATFORM_LABELS: dict[str, tuple[str, str]] = {
    # key: (English, 简体中文)
    Platform.WECHAT_OA: ("WeChat Official Account", "微信公众号"),
    Platform.WECHAT_CHANNELS: ("WeChat Channels", "微信视频号"),
    Platform.DOUYIN: ("Douyin", "抖音"),
    Platform.KUAISHOU: ("Kuaishou", "快手"),
    Platform.XIAOHONGSHU: ("Xiaohongshu (RED)", "小红书"),
    Platform.BILIBILI: ("Bilibili", "哔哩哔哩"),
    Platform.WEIBO: ("Weibo", "微博"),
}

ALL_PLATFORMS: tuple[str, ...] = tuple(p.value for p in Platform)


class Family(StrEnum):
    FOLLOWER = "follower"
    IMPRESSION = "impression"
    ENGAGEMENT = "engagement"
    CONVERSION = "conversion"
    SENTIMENT = "sentiment"


class Stage(StrEnum):
    """Funnel stages, in order."""

    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    PURCHASE = "purchase"
    RETENTION = "retention"
    ADVOCACY = "advocacy"


STAGE_ORDER: tuple[str, ...] = tuple(s.value for s in Stage)

STAGE_LABELS = {
    Stage.AWARENESS: _("Awareness"),
    Stage.CONSIDERATION: _("Consideration"),
    Stage.PURCHASE: _("Purchase"),
    Stage.RETENTION: _("Retention"),
    Stage.ADVOCACY: _("Advocacy"),
}


class Unit(StrEnum):
    COUNT = "count"
    CNY = "cny"
    PERCENT = "percent"  # stored as a 0-1 fraction, shown as %
    SECONDS = "seconds"
    RATIO = "ratio"  # a plain ratio such as loss/gain, shown as a number
    STARS = "stars"  # Bilibili's click-through star rating, 0-5


class Agg(StrEnum):
    SUM = "sum"
    LAST = "last"
    MAX = "max"
    DERIVED = "derived"
    REPORTED = "reported"


class Level(StrEnum):
    POST = "post"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Metric:
    """One entry of the catalog."""

    key: str
    en: str
    zh: str
    unit: Unit
    family: Family
    stages: tuple[Stage, ...]
    agg: Agg
    platforms: tuple[str, ...] = ALL_PLATFORMS
    levels: tuple[Level, ...] = (Level.POST,)
    numerator: tuple[str, ...] = ()  # derived: summed inputs of the numerator
    denominator: tuple[str, ...] = ()  # derived: summed inputs of the denominator (empty: no division)
    scale: float = 1.0  # derived: multiply the ratio (1000 for CPM)
    higher_is_better: bool = True
    description: str = ""
    column: bool = False  # stored as its own column on snapshots and period facts (else in ``extra``)
    per_platform: dict[str, tuple[str, ...]] = field(default_factory=dict)  # numerator override per platform

    @property
    def is_derived(self) -> bool:
        return self.agg == Agg.DERIVED

    def label(self, language: str | None = None) -> str:
        return self.zh if (language or "").lower().startswith("zh") else self.en

    def numerator_for(self, platform: str | None) -> tuple[str, ...]:
        if platform and platform in self.per_platform:
            return self.per_platform[platform]
        return self.numerator

    def formula(self, platform: str | None = None) -> str:
        """The formula in words, e.g. ``(likes + shares + comments) / views``: shown next to the value."""
        num = " + ".join(self.numerator_for(platform))
        if len(self.numerator_for(platform)) > 1 and self.denominator:
            num = f"({num})"
        if not self.denominator:
            return num
        den = " + ".join(self.denominator)
        if len(self.denominator) > 1:
            den = f"({den})"
        text = f"{num} / {den}"
        return f"{text} × {self.scale:g}" if self.scale != 1 else text


S, F, A = Stage, Family, Agg
P = Platform
VIDEO = (P.WECHAT_CHANNELS, P.DOUYIN, P.KUAISHOU, P.XIAOHONGSHU, P.BILIBILI)
BOTH = (Level.POST, Level.ACCOUNT)

# Base metrics. ``column=True`` marks the counters stored as columns (summed by the KPI engine); the others
# live in the ``extra`` JSON of snapshots and facts and are read where a dashboard asks for them.
_BASE: list[Metric] = [
    # follower
    Metric("followers_total", "Followers", "粉丝总数", Unit.COUNT, F.FOLLOWER, (S.AWARENESS,), A.LAST,
           levels=(Level.ACCOUNT,), description="Followers at the end of the period."),
    Metric("followers_gained", "Follower gain", "新增关注", Unit.COUNT, F.FOLLOWER, (S.AWARENESS,), A.SUM,
           levels=BOTH, column=True, description="New follows (per post: follows after viewing it)."),
    Metric("followers_lost", "Follower loss", "取消关注", Unit.COUNT, F.FOLLOWER, (S.CONSIDERATION, S.RETENTION),
           A.SUM, levels=BOTH, column=True, higher_is_better=False,
           description="Unfollows: a negative KPI, watched per account and per content push."),
    Metric("followers_net", "Net follower gain", "净增关注", Unit.COUNT, F.FOLLOWER, (S.AWARENESS,), A.SUM,
           levels=(Level.ACCOUNT,), description="Follows minus unfollows as the platform reports it."),
    Metric("profile_visits", "Profile visits", "主页访问量", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.SUM,
           platforms=(P.DOUYIN, P.KUAISHOU, P.XIAOHONGSHU, P.WEIBO), levels=BOTH, column=True),
    # impression
    Metric("impressions", "Impressions", "曝光量", Unit.COUNT, F.IMPRESSION, (S.AWARENESS,), A.SUM, levels=BOTH,
           column=True, description="Showings of the content (not people)."),
    Metric("reach", "Reach", "触达人数", Unit.COUNT, F.IMPRESSION, (S.AWARENESS,), A.SUM, levels=BOTH, column=True,
           description="People who saw or read the content (WeChat 阅读人数)."),
    Metric("views", "Views / reads / plays", "阅读/播放量", Unit.COUNT, F.IMPRESSION, (S.AWARENESS,), A.SUM,
           levels=BOTH, column=True, description="Reads, views or plays (counts, not people)."),
    Metric("recipients", "Recipients", "送达人数", Unit.COUNT, F.IMPRESSION, (S.AWARENESS,), A.SUM,
           platforms=(P.WECHAT_OA,), column=True, description="Followers a push was delivered to."),
    Metric("stream_views", "Stream views", "直播观看人次", Unit.COUNT, F.IMPRESSION, (S.AWARENESS,), A.SUM,
           platforms=(P.WECHAT_CHANNELS, P.DOUYIN, P.KUAISHOU), levels=BOTH),
    Metric("peak_concurrent_viewers", "Peak concurrent viewers", "最高在线人数", Unit.COUNT, F.IMPRESSION,
           (S.AWARENESS,), A.MAX, platforms=(P.WECHAT_CHANNELS, P.DOUYIN, P.KUAISHOU), levels=BOTH),
    Metric("watch_seconds", "Total watch time", "总观看时长", Unit.SECONDS, F.IMPRESSION, (S.AWARENESS,), A.SUM,
           platforms=VIDEO, levels=BOTH, column=True,
           description="Seconds watched in all; an export's average watch time is multiplied by its plays."),
    Metric("completions", "Completed views", "完播次数", Unit.COUNT, F.IMPRESSION, (S.CONSIDERATION,), A.SUM,
           platforms=(P.WECHAT_OA, *VIDEO), column=True,
           description="Views watched or read to the end; from an export's completion rate × its views."),
    # engagement
    Metric("likes", "Likes", "点赞", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.SUM, levels=BOTH, column=True),
    Metric("comments", "Comments", "评论", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.SUM, levels=BOTH,
           column=True),
    Metric("shares", "Shares / reposts", "分享/转发", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION, S.ADVOCACY), A.SUM,
           levels=BOTH, column=True),
    Metric("collects", "Collects / favourites", "收藏", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.SUM,
           levels=BOTH, column=True),
    Metric("wows", "Wow (在看)", "在看", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION, S.ADVOCACY), A.SUM,
           platforms=(P.WECHAT_OA,), column=True),
    Metric("recommends", "Recommends (♡)", "推荐", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION, S.ADVOCACY), A.SUM,
           platforms=(P.WECHAT_CHANNELS,), column=True,
           description="Channels' ♡ 'recommend' signal: a different signal from its 👍 like (喜欢)."),
    Metric("coins", "Coins (投币)", "投币", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.SUM,
           platforms=(P.BILIBILI,), column=True),
    Metric("danmaku", "Danmaku (弹幕)", "弹幕", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.SUM,
           platforms=(P.BILIBILI, P.XIAOHONGSHU), column=True),
    Metric("private_messages", "Private chats", "私信", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.SUM,
           platforms=(P.WEIBO, P.DOUYIN, P.XIAOHONGSHU), levels=BOTH),
    Metric("rewards_cny", "Tips (赞赏)", "赞赏", Unit.CNY, F.ENGAGEMENT, (S.ADVOCACY,), A.SUM,
           platforms=(P.WECHAT_OA,)),
    # conversion
    Metric("clicks", "Clicks", "点击次数", Unit.COUNT, F.CONVERSION, (S.PURCHASE,), A.SUM, levels=BOTH, column=True,
           description="Clicks on the call to action (read-original, link, ad click)."),
    Metric("leads", "Leads", "线索", Unit.COUNT, F.CONVERSION, (S.PURCHASE,), A.SUM, levels=BOTH, column=True,
           description="People who left contact details."),
    Metric("conversions", "Conversions", "转化数", Unit.COUNT, F.CONVERSION, (S.PURCHASE,), A.SUM, levels=BOTH,
           column=True),
    Metric("orders", "Orders", "成交订单数", Unit.COUNT, F.CONVERSION, (S.PURCHASE,), A.SUM, levels=BOTH, column=True),
    Metric("purchases", "Paying customers", "购买人数", Unit.COUNT, F.CONVERSION, (S.PURCHASE,), A.SUM, levels=BOTH,
           column=True),
    Metric("refunds", "Refunds", "退款订单数", Unit.COUNT, F.CONVERSION, (S.RETENTION,), A.SUM, levels=BOTH,
           column=True, higher_is_better=False),
    Metric("repeat_purchases", "Repeat purchases", "复购订单数", Unit.COUNT, F.CONVERSION, (S.RETENTION,), A.SUM,
           levels=BOTH),
    Metric("gmv", "GMV", "成交金额", Unit.CNY, F.CONVERSION, (S.PURCHASE,), A.SUM, levels=BOTH, column=True),
    Metric("cost", "Cost / spend", "花费", Unit.CNY, F.CONVERSION, (S.PURCHASE,), A.SUM, levels=BOTH, column=True,
           higher_is_better=False),
    Metric("ad_revenue", "Ad revenue (流量主)", "流量主收入", Unit.CNY, F.CONVERSION, (S.PURCHASE,), A.SUM,
           platforms=(P.WECHAT_OA,), levels=(Level.ACCOUNT,)),
    # sentiment
    Metric("mentions", "Mentions", "提及量", Unit.COUNT, F.SENTIMENT, (S.ADVOCACY,), A.SUM, levels=(Level.ACCOUNT,),
           description="Posts by others that mention the brand (earned)."),
    Metric("sentiment_positive", "Positive mentions", "正面提及", Unit.COUNT, F.SENTIMENT, (S.ADVOCACY,), A.SUM,
           levels=(Level.ACCOUNT,)),
    Metric("sentiment_neutral", "Neutral mentions", "中性提及", Unit.COUNT, F.SENTIMENT, (S.ADVOCACY,), A.SUM,
           levels=(Level.ACCOUNT,)),
    Metric("sentiment_negative", "Negative mentions", "负面提及", Unit.COUNT, F.SENTIMENT, (S.ADVOCACY,), A.SUM,
           levels=(Level.ACCOUNT,), higher_is_better=False),
    Metric("posts_published", "Posts published", "发布数", Unit.COUNT, F.IMPRESSION, (S.AWARENESS,), A.SUM,
           levels=(Level.ACCOUNT,)),
    # reported by the platform as is
    Metric("cover_ctr_stars", "Cover+title click rating", "封标点击率(星级)", Unit.STARS, F.CONVERSION,
           (S.AWARENESS,), A.REPORTED, platforms=(P.BILIBILI,),
           description="Bilibili gives a star rating, not a rate; it is kept as a rating."),
    Metric("cover_ctr", "Cover click-through rate", "封面点击率", Unit.PERCENT, F.CONVERSION, (S.AWARENESS,),
           A.REPORTED, platforms=(P.DOUYIN, P.XIAOHONGSHU, P.BILIBILI),
           description="As the platform reports it (its impressions are not exported beside it)."),
    Metric("bounce_rate_2s", "2-second bounce rate", "2s跳出率", Unit.PERCENT, F.ENGAGEMENT, (S.AWARENESS,),
           A.REPORTED, platforms=(P.DOUYIN, P.BILIBILI), higher_is_better=False),
    Metric("completion_rate_5s", "5-second completion rate", "5s完播率", Unit.PERCENT, F.ENGAGEMENT,
           (S.AWARENESS,), A.REPORTED, platforms=(P.DOUYIN,)),
    Metric("avg_play_progress", "Average play progress", "平均播放进度", Unit.PERCENT, F.ENGAGEMENT,
           (S.CONSIDERATION,), A.REPORTED, platforms=(P.BILIBILI,)),
    Metric("search_rank", "Average search position", "排序位置", Unit.RATIO, F.IMPRESSION, (S.AWARENESS,),
           A.REPORTED, platforms=(P.WECHAT_OA,), higher_is_better=False),
    Metric("search_impressions", "Search impressions", "搜索展示次数", Unit.COUNT, F.IMPRESSION, (S.AWARENESS,),
           A.SUM, platforms=(P.WECHAT_OA,), levels=BOTH,
           description="Showings in WeChat search (搜一搜) results: a part of the impressions, not all of them."),
    Metric("search_clicks", "Search clicks", "搜索点击次数", Unit.COUNT, F.CONVERSION, (S.CONSIDERATION,), A.SUM,
           platforms=(P.WECHAT_OA,), levels=BOTH, description="Clicks from WeChat search (搜一搜) results."),
]

ENGAGEMENT_BY_PLATFORM: dict[str, tuple[str, ...]] = {
    # The guide's engagement = likes + shares + comments; each platform adds its own native actions.
    P.WECHAT_OA: ("likes", "shares", "comments", "wows", "collects"),
    P.WECHAT_CHANNELS: ("likes", "shares", "comments", "recommends"),
    P.DOUYIN: ("likes", "shares", "comments", "collects"),
    P.KUAISHOU: ("likes", "shares", "comments", "collects"),
    P.XIAOHONGSHU: ("likes", "shares", "comments", "collects"),
    P.BILIBILI: ("likes", "shares", "comments", "collects", "coins", "danmaku"),
    P.WEIBO: ("likes", "shares", "comments"),
}
GUIDE_ENGAGEMENT = ("likes", "shares", "comments")
ENGAGEMENT_INPUTS = tuple(dict.fromkeys(k for keys in ENGAGEMENT_BY_PLATFORM.values() for k in keys))

_DERIVED: list[Metric] = [
    Metric("engagement", "Engagement", "互动量", Unit.COUNT, F.ENGAGEMENT, (S.CONSIDERATION,), A.DERIVED,
           numerator=GUIDE_ENGAGEMENT, per_platform=dict(ENGAGEMENT_BY_PLATFORM), levels=BOTH,
           description="likes + shares + comments (the guide's definition), plus each platform's native actions."),
    Metric("engagement_rate", "Engagement rate", "互动率", Unit.PERCENT, F.ENGAGEMENT, (S.CONSIDERATION,),
           A.DERIVED, numerator=GUIDE_ENGAGEMENT, per_platform=dict(ENGAGEMENT_BY_PLATFORM), denominator=("views",),
           description="Engagement / views (not / impressions)."),
    Metric("ctr", "Click-through rate", "点击率", Unit.PERCENT, F.CONVERSION, (S.PURCHASE,), A.DERIVED,
           numerator=("clicks",), denominator=("views",), description="Clicks on the call to action / views."),
    Metric("cpm", "CPM", "千次展现成本", Unit.CNY, F.CONVERSION, (S.AWARENESS,), A.DERIVED,
           numerator=("cost",), denominator=("impressions",), scale=1000, higher_is_better=False),
    Metric("cpc", "CPC", "单次点击成本", Unit.CNY, F.CONVERSION, (S.PURCHASE,), A.DERIVED,
           numerator=("cost",), denominator=("clicks",), higher_is_better=False),
    Metric("lead_conversion_rate", "Lead conversion rate", "线索转化率", Unit.PERCENT, F.CONVERSION, (S.PURCHASE,),
           A.DERIVED, numerator=("leads",), denominator=("views",)),
    Metric("cost_per_lead", "Cost per lead", "线索成本", Unit.CNY, F.CONVERSION, (S.PURCHASE,), A.DERIVED,
           numerator=("cost",), denominator=("leads",), higher_is_better=False),
    Metric("cpa", "CPA", "获客成本", Unit.CNY, F.CONVERSION, (S.PURCHASE,), A.DERIVED,
           numerator=("cost",), denominator=("purchases",), higher_is_better=False,
           description="Cost / paying customers."),
    Metric("atv", "Average transaction value", "客单价", Unit.CNY, F.CONVERSION, (S.PURCHASE,), A.DERIVED,
           numerator=("gmv",), denominator=("orders",)),
    Metric("purchase_rate", "Purchase rate", "购买率", Unit.PERCENT, F.CONVERSION, (S.PURCHASE,), A.DERIVED,
           numerator=("purchases",), denominator=("clicks",)),
    Metric("refund_rate", "Refund rate", "退款率", Unit.PERCENT, F.CONVERSION, (S.RETENTION,), A.DERIVED,
           numerator=("refunds",), denominator=("orders",), higher_is_better=False),
    Metric("roi", "ROI (GMV / cost)", "投产比", Unit.RATIO, F.CONVERSION, (S.PURCHASE,), A.DERIVED,
           numerator=("gmv",), denominator=("cost",)),
    Metric("follower_loss_gain_ratio", "Follower loss / gain", "掉粉/涨粉比", Unit.RATIO, F.FOLLOWER,
           (S.CONSIDERATION, S.RETENTION), A.DERIVED, numerator=("followers_lost",),
           denominator=("followers_gained",), levels=BOTH, higher_is_better=False,
           description="Followers lost / followers gained: the higher, the worse."),
    Metric("completion_rate", "Completion rate", "完播率", Unit.PERCENT, F.ENGAGEMENT, (S.CONSIDERATION,),
           A.DERIVED, numerator=("completions",), denominator=("views",)),
    Metric("avg_watch_seconds", "Average watch time", "平均观看时长", Unit.SECONDS, F.ENGAGEMENT,
           (S.CONSIDERATION,), A.DERIVED, numerator=("watch_seconds",), denominator=("views",)),
    Metric("cost_per_follower", "Cost per follower", "涨粉成本", Unit.CNY, F.FOLLOWER, (S.AWARENESS,), A.DERIVED,
           numerator=("cost",), denominator=("followers_gained",), higher_is_better=False),
    Metric("open_rate", "Push read rate", "送达阅读率", Unit.PERCENT, F.IMPRESSION, (S.AWARENESS,), A.DERIVED,
           numerator=("views",), denominator=("recipients",), platforms=(P.WECHAT_OA,)),
]

CATALOG: dict[str, Metric] = {m.key: m for m in (*_BASE, *_DERIVED)}
BASE_METRICS: dict[str, Metric] = {m.key: m for m in _BASE}
DERIVED_METRICS: dict[str, Metric] = {m.key: m for m in _DERIVED}
COLUMN_METRICS: tuple[str, ...] = tuple(m.key for m in _BASE if m.column)
"""The base counters stored as columns on snapshots, period facts and the daily rollup."""

ACCOUNT_COLUMN_METRICS: tuple[str, ...] = (
    "followers_total", "followers_gained", "followers_lost", "followers_net", "impressions", "reach", "views",
    "likes", "comments", "shares", "collects", "clicks", "mentions", "sentiment_positive", "sentiment_neutral",
    "sentiment_negative", "posts_published", "stream_views", "peak_concurrent_viewers", "watch_seconds",
    "profile_visits", "cost", "gmv", "orders", "leads", "ad_revenue",
)
"""Metrics stored as columns on account daily facts."""


def get(key: str) -> Metric:
    """The catalog entry for ``key``; KeyError names the unknown key."""
    try:
        return CATALOG[key]
    except KeyError:
        raise KeyError(f"unknown metric {key!r}") from None


def metrics_for_platform(platform: str) -> list[Metric]:
    return [m for m in CATALOG.values() if platform in m.platforms]


def ratio_of_sums(metric: Metric, sums: dict[str, float | int | None], platform: str | None = None) -> float | None:
    """A derived KPI from summed inputs: sum(numerator inputs) / sum(denominator inputs) × scale.

    Missing inputs count as absent, not zero: when every numerator input is missing the KPI is empty (None);
    a zero or missing denominator gives None (an empty KPI, not zero and not an error).
    """
    num_values = [sums.get(k) for k in metric.numerator_for(platform)]
    if all(v is None for v in num_values):
        return None
    numerator = float(sum(v for v in num_values if v is not None))
    if not metric.denominator:
        return numerator * metric.scale
    den_values = [sums.get(k) for k in metric.denominator]
    if all(v is None for v in den_values):
        return None
    denominator = float(sum(v for v in den_values if v is not None))
    if denominator == 0:
        return None
    return numerator / denominator * metric.scale
