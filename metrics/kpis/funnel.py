"""The funnel: KPIs grouped by stage (awareness → consideration → purchase → retention → advocacy), per
platform and in total, each stage with the content-quality KPI the guide recommends (DOMAIN.md §3).

Stage KPIs are the same numbers as ``kpi_report`` (a catalog metric sits in every stage its ``stages`` name,
content and account level kept apart by ``level``). Content-quality KPIs:

- awareness: average impressions, views and engagement per content item = mean over the posts *published* in
  the period of each post's lifetime-to-date value at the period's end (the median and n beside it); the
  funnel is the whole brand, so paid posts count here unless the scope filters them (``traffic=organic``);
- consideration: follower loss per push = Σ account followers_lost (settled days) / posts published in the
  period; follower loss / gain ratio = Σ followers_lost / Σ followers_gained (account level; the higher, the
  worse);
- purchase: CPA = Σ cost / Σ purchases (paying customers), a ratio of sums;
- retention: refund rate = Σ refunds / Σ orders; the guide warns retention is hard to measure on social
  (PIPL limits personal data), so it comes with that note;
- advocacy: average shares per content item (mean, median, n as for awareness); advocacy is mostly
  off-platform (earned content, word of mouth), said in a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from metrics.catalog import CATALOG, STAGE_LABELS, STAGE_ORDER, Level, Stage
from metrics.kpis.cache import cached
from metrics.kpis.daily import to_value
from metrics.kpis.kpis import (
    ACCOUNT_DEFAULT,
    CONTENT_DEFAULT,
    POSTS_PUBLISHED,
    AccountSums,
    ContentSums,
    KpiValue,
    kpi_value,
)
from metrics.kpis.queries import GroupStats, group_stats, resolve
from metrics.kpis.scope import PaidMode, Period, Scope

PER_ITEM = {Stage.AWARENESS: ("impressions", "views", "engagement"), Stage.ADVOCACY: ("shares",)}
STAGE_NOTES = {
    Stage.RETENTION: "Hard to measure on social platforms: PIPL limits the personal data needed to follow "
                     "customers; refund rate and follower loss after pushes are the proxies.",
    Stage.ADVOCACY: "Mostly off-platform (word of mouth, earned content); shares, mentions and earned content "
                    "volume are the proxies. NPS has known limits.",
}
STAGE_ZH = {Stage.AWARENESS: "认知", Stage.CONSIDERATION: "考虑", Stage.PURCHASE: "购买", Stage.RETENTION: "留存",
            Stage.ADVOCACY: "推荐"}


@dataclass
class QualityKpi:
    """A stage's content-quality KPI. ``mean``/``median``/``n`` are set for per-item averages (value = mean)."""

    key: str
    label: str
    label_zh: str
    formula: str
    unit: str
    higher_is_better: bool
    value: float | None
    median: float | None = None
    n: int | None = None


@dataclass
class FunnelStage:
    key: str
    label: str
    label_zh: str
    kpis: list[KpiValue]
    quality: list[QualityKpi]
    note: str = ""


@dataclass
class FunnelColumn:
    platform: str | None  # None: every platform of the scope
    stages: list[FunnelStage] = field(default_factory=list)


@dataclass
class Funnel:
    scope: dict
    period: dict
    previous_period: dict
    total: FunnelColumn
    platforms: list[FunnelColumn]


def _per_item(stats: GroupStats | None, key: str) -> QualityKpi:
    metric = CATALOG[key]
    stat = stats.metrics.get(key) if stats else None
    return QualityKpi(
        key=f"avg_{key}_per_item", label=f"Average {metric.en.lower()} per content item",
        label_zh=f"单条内容平均{metric.zh}", unit=str(metric.unit), higher_is_better=True,
        formula=f"mean of each post's {key} (posts published in the period, lifetime-to-date at its end)",
        value=stat.mean if stat else None, median=stat.median if stat else None, n=stat.n if stat else 0,
    )


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _quality(stage: str, content: dict, account: dict, stats: GroupStats | None) -> list[QualityKpi]:
    if stage in PER_ITEM:
        return [_per_item(stats, key) for key in PER_ITEM[stage]]
    if stage == Stage.CONSIDERATION:
        ratio = CATALOG["follower_loss_gain_ratio"]
        return [
            QualityKpi(key="follower_loss_per_push", label="Follower loss per push", label_zh="单次推送掉粉",
                       formula="Σ followers_lost (account, settled days) / posts published", unit="count",
                       higher_is_better=False,
                       value=_ratio(account.get("followers_lost"), content.get(POSTS_PUBLISHED))),
            QualityKpi(key="follower_loss_gain_ratio", label=ratio.en, label_zh=ratio.zh, formula=ratio.formula(),
                       unit=str(ratio.unit), higher_is_better=False, value=account.get("follower_loss_gain_ratio")),
        ]
    key = {Stage.PURCHASE: "cpa", Stage.RETENTION: "refund_rate"}[stage]
    metric = CATALOG[key]
    return [QualityKpi(key=key, label=metric.en, label_zh=metric.zh, formula=metric.formula(), unit=str(metric.unit),
                       higher_is_better=metric.higher_is_better, value=content.get(key))]


def _column(platform, content_src, account_src, period, previous, stats) -> FunnelColumn:
    ranges = [(period.start, period.end), (previous.start, previous.end)]
    content = {k: (to_value(v[0]), to_value(v[1])) for k, v in content_src.series(ranges, platform).items()}
    account = {k: (to_value(v[0]), to_value(v[1])) for k, v in account_src.series(ranges, platform).items()}
    platforms = (platform,) if platform else ()
    kpis = [kpi_value(k, Level.POST, *content[k], platforms) for k in content_src.keys]
    kpis += [kpi_value(k, Level.ACCOUNT, *account[k], platforms) for k in account_src.keys]
    kpis = [k for k in kpis if k.value is not None or k.previous is not None]
    content_now = {k: v[0] for k, v in content.items()}
    account_now = {k: v[0] for k, v in account.items()}
    column = FunnelColumn(platform=platform)
    for stage in STAGE_ORDER:
        column.stages.append(FunnelStage(
            key=stage, label=str(STAGE_LABELS[Stage(stage)]), label_zh=STAGE_ZH[Stage(stage)],
            kpis=[k for k in kpis if stage in k.stages],
            quality=_quality(stage, content_now, account_now, stats), note=STAGE_NOTES.get(Stage(stage), ""),
        ))
    return column


@cached("funnel")
def funnel(scope: Scope, period: Period) -> Funnel:
    """The funnel of ``scope`` over ``period``: per stage its KPIs (value, previous, change) and its
    content-quality KPIs, in total and per platform (formulas in the module docstring)."""
    resolved = resolve(scope)
    previous = period.previous()
    account_keys = () if scope.post_only_filters else ACCOUNT_DEFAULT
    content_src = ContentSums(scope, resolved, previous.start, period.end, CONTENT_DEFAULT)
    account_src = AccountSums(scope, resolved, previous.start, period.end, account_keys)
    item_keys = tuple(dict.fromkeys(k for keys in PER_ITEM.values() for k in keys))
    stats = group_stats(scope, resolved, period, item_keys, group_by=("platform",), paid_mode=PaidMode.INCLUDE)
    platforms = sorted(set(content_src.platforms()) | {k[0] for k in stats if k[0] != "*"}
                       | set(account_src.matrix.platforms))
    if scope.platforms:
        platforms = [p for p in platforms if p in scope.platforms]
    return Funnel(
        scope=scope.as_dict(), period=period.as_dict(), previous_period=previous.as_dict(),
        total=_column(None, content_src, account_src, period, previous, stats.get(("*",))),
        platforms=[_column(p, content_src, account_src, period, previous, stats.get((p,))) for p in platforms],
    )
