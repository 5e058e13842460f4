"""KPIs for any scope and period, with the previous period and the change beside each value.

Two levels, never mixed (DOMAIN.md §5, "account data vs post data"):

- **content** KPIs come from the posts' daily facts through the daily rollup. A base metric is the sum of its
  period deltas, Σ_{day ∈ period} delta(day), never a cumulative counter; a derived KPI is a ratio of sums from
  the catalog, Σ numerator / Σ denominator × scale, where each platform's numerator uses that platform's
  formula; a zero or missing denominator makes the KPI empty (None), not zero. ``posts_published`` counts the
  scope's posts whose ``published_at`` falls in the period.
- **account** KPIs come from ``AccountDailyFact``: ``followers_total`` is each account's last reported value in
  the period (summed over accounts; an unsettled last day still reports a level), ``peak_concurrent_viewers``
  the largest daily value, every other base metric the sum of the account's daily values over the period's
  *settled* days (a day the platform has not finished counting, ``unsettled``, is never summed), and
  ``follower_loss_gain_ratio`` = Σ followers_lost / Σ followers_gained. Account data has no paid kind, traffic,
  format, category or campaign: with one of those filters the account level is left empty and a note says why.

The daily sums are fetched once for the previous period and the period (``daily.DailyMatrix``); the period,
the previous period, each series bucket and each platform are slices of them, so every view of a number is the
same number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db.models import Max, Q, Sum

from metrics.catalog import ACCOUNT_COLUMN_METRICS, CATALOG, Agg, Level
from metrics.kpis.cache import cached
from metrics.kpis.daily import DailyMatrix, evaluate, nan_sum, to_list, to_value
from metrics.kpis.queries import (
    PER_POST_METRICS,
    Resolved,
    daily_sums_rows,
    input_keys,
    published_rows,
    raw_rows,
    resolve,
)
from metrics.kpis.scope import Period, Scope
from metrics.models import AccountDailyFact

POSTS_PUBLISHED = "posts_published"
ACCOUNT_DERIVED = ("follower_loss_gain_ratio",)
CONTENT_DEFAULT = (POSTS_PUBLISHED, *PER_POST_METRICS)
ACCOUNT_DEFAULT = (*ACCOUNT_COLUMN_METRICS, *ACCOUNT_DERIVED)


@dataclass
class KpiValue:
    """One KPI of a report: catalog labels, the formula, this period's value, the previous one and the change.

    change = value − previous; change_pct = (value − previous) / |previous| (None when previous is 0 or None).
    """

    key: str
    level: str
    label: str
    label_zh: str
    unit: str
    family: str
    stages: list[str]
    formula: str
    higher_is_better: bool
    value: float | None
    previous: float | None
    change: float | None
    change_pct: float | None
    formulas: dict[str, str] = field(default_factory=dict)  # per platform, where the formula differs


@dataclass
class Series:
    """A KPI series, column-wise: bucket i runs ``starts[i]`` … ``ends[i]`` and ``values[key][i]`` is its value;
    ``previous[key][i]`` is the value of the bucket at the same position of the previous period
    (``previous_starts[i]`` … ``previous_ends[i]``; None where the previous period has fewer buckets)."""

    granularity: str
    starts: list[date]
    ends: list[date]
    previous_starts: list[date | None]
    previous_ends: list[date | None]
    values: dict[str, list[float | None]]
    previous: dict[str, list[float | None]]


@dataclass
class KpiReport:
    scope: dict
    period: dict
    previous_period: dict
    content: list[KpiValue]
    account: list[KpiValue]
    content_series: Series | None
    account_series: Series | None
    notes: list[str] = field(default_factory=list)

    def kpi(self, key: str, level: str = Level.POST) -> KpiValue:
        for kpi in self.content if level == Level.POST else self.account:
            if kpi.key == key:
                return kpi
        raise KeyError(key)

    def value(self, key: str, level: str = Level.POST) -> float | None:
        return self.kpi(key, level).value


def split_levels(metrics: list[str] | tuple[str, ...] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The requested keys per level: (content keys, account keys). ``None``: every KPI of each level."""
    if not metrics:
        return CONTENT_DEFAULT, ACCOUNT_DEFAULT
    content = tuple(k for k in metrics if k in CONTENT_DEFAULT)
    account = tuple(k for k in metrics if k in ACCOUNT_DEFAULT)
    unknown = [k for k in metrics if k not in content and k not in account]
    if unknown:
        raise ValueError(f"not a KPI with period values: {', '.join(unknown)}")
    return content, account


def change_of(value: float | None, previous: float | None) -> tuple[float | None, float | None]:
    if value is None or previous is None:
        return None, None
    change = value - previous
    return change, (change / abs(previous) if previous else None)


def kpi_value(key: str, level: str, value: float | None, previous: float | None,
              platforms: tuple[str, ...] = ()) -> KpiValue:
    metric = CATALOG[key]
    change, pct = change_of(value, previous)
    formulas = {}
    if metric.per_platform:
        for platform in platforms or sorted(metric.per_platform):
            formulas[platform] = metric.formula(platform)
    if level == Level.POST and key == POSTS_PUBLISHED:
        formula = "count of posts published in the period"
    elif metric.is_derived:
        formula = metric.formula()
    else:
        formula = f"Σ {key}" if metric.agg == Agg.SUM else f"{metric.agg.value}({key})"
    return KpiValue(
        key=key, level=str(level), label=metric.en, label_zh=metric.zh, unit=str(metric.unit),
        family=str(metric.family), stages=[str(s) for s in metric.stages], formula=formula,
        higher_is_better=metric.higher_is_better, value=value, previous=previous, change=change, change_pct=pct,
        formulas=formulas,
    )


# ----------------------------------------------------------------------------------------- content level


class ContentSums:
    """The rollup's daily sums of a scope per (day, platform), and posts published per (day, platform)."""

    def __init__(self, scope: Scope, resolved: Resolved, day_from: date, day_to: date, keys: tuple[str, ...]):
        self.keys = keys
        columns = list(input_keys(k for k in keys if k != POSTS_PUBLISHED))
        rows = daily_sums_rows(scope, resolved, day_from, day_to, columns) if columns else []
        published = []
        if POSTS_PUBLISHED in keys:
            published = published_rows(scope, resolved, Period(day_from, day_to))
        platforms = sorted({r[1] for r in rows} | {r[1] for r in published})
        self.matrix = DailyMatrix.from_rows(day_from, day_to, rows, columns, platforms)
        self.published = DailyMatrix.from_rows(day_from, day_to, published, [POSTS_PUBLISHED], platforms)

    def platforms(self) -> tuple[str, ...]:
        return tuple(self.matrix.platforms)

    def series(self, ranges: list[tuple[date, date]], platform: str | None = None) -> dict[str, np.ndarray]:
        """key → array of its value over each range, for one platform or all."""
        metrics = [CATALOG[k] for k in self.keys if k != POSTS_PUBLISHED]
        out = evaluate(metrics, self.matrix, self.matrix.sums(ranges), platform) if metrics else {}
        if POSTS_PUBLISHED in self.keys:
            counts = self.published.sums(ranges)[:, :, 0]
            if platform is not None:
                counts = counts[:, [i for p, i in self.published.platform_index.items() if p == platform]]
            out[POSTS_PUBLISHED] = np.nan_to_num(nan_sum(counts, axis=1)) if counts.shape[1] \
                else np.zeros(len(ranges))
        return {k: out[k] for k in self.keys}

    def values(self, start: date, end: date, platform: str | None = None) -> dict[str, float | None]:
        """Every key's value over days start … end, for one platform or all (None)."""
        return {k: to_value(v[0]) for k, v in self.series([(start, end)], platform).items()}


# ----------------------------------------------------------------------------------------- account level


class AccountSums:
    """Account daily facts of a scope: settled-day sums and maxima per (day, platform), last followers."""

    SUMMED = tuple(k for k in ACCOUNT_COLUMN_METRICS if CATALOG[k].agg == Agg.SUM)
    MAXED = tuple(k for k in ACCOUNT_COLUMN_METRICS if CATALOG[k].agg == Agg.MAX)

    def __init__(self, scope: Scope, resolved: Resolved, day_from: date, day_to: date, keys: tuple[str, ...]):
        self.keys = keys
        self.day_from = day_from
        rows, followers = [], []
        if keys and scope.brand_ids:
            qs = account_facts(scope, resolved).filter(day__gte=day_from, day__lte=day_to).order_by()
            settled = Q(unsettled=False)
            aggregates = {f"s_{k}": Sum(k, filter=settled) for k in self.SUMMED}
            aggregates |= {f"m_{k}": Max(k) for k in self.MAXED}
            rows = raw_rows(qs.values("day", "platform").annotate(**aggregates), date_positions=[0])
            if "followers_total" in keys:
                followers = raw_rows(qs.filter(followers_total__isnull=False)
                                     .values_list("day", "platform", "account_id", "followers_total"),
                                     date_positions=[0])
        platforms = sorted({r[1] for r in rows} | {r[1] for r in followers})
        columns = [*self.SUMMED, *self.MAXED]
        self.matrix = DailyMatrix.from_rows(day_from, day_to, rows, columns, platforms)
        # followers_total: [day, account] of reported values, and each account's platform.
        accounts = sorted({r[2] for r in followers})
        self.account_platform = {r[2]: r[1] for r in followers}
        self.account_index = {a: i for i, a in enumerate(accounts)}
        self.followers = np.full((self.matrix.days, len(accounts)), np.nan)
        for day, _, account, total in followers:
            self.followers[(day - day_from).days, self.account_index[account]] = total
        self.all_columns = DailyMatrix(day_from, day_from, platforms, [*columns, "followers_total"])

    def _sums(self, ranges: list[tuple[date, date]]) -> np.ndarray:
        summed = self.matrix.sums(ranges)
        maxed = self.matrix.sums(ranges, how="max")
        n_sum = len(self.SUMMED)
        out = np.concatenate([summed[:, :, :n_sum], maxed[:, :, n_sum:],
                              np.full((len(ranges), len(self.matrix.platforms), 1), np.nan)], axis=2)
        if self.followers.shape[1]:
            # Each account's last reported value inside the range, summed per platform.
            days = self.matrix.days
            reported_on = np.where(~np.isnan(self.followers), np.arange(days)[:, None], -1)
            last_report = np.maximum.accumulate(reported_on, axis=0)  # [day, account]: last day ≤ it with a value
            platform_of = np.array([self.matrix.platform_index[self.account_platform[a]]
                                    for a in sorted(self.account_index, key=self.account_index.get)])
            for i, (start, end) in enumerate(ranges):
                first, stop = max((start - self.day_from).days, 0), min((end - self.day_from).days, days - 1)
                if stop < first:
                    continue
                last = last_report[stop]
                inside = last >= first
                if inside.any():
                    totals = np.zeros(len(self.matrix.platforms))
                    np.add.at(totals, platform_of[inside], self.followers[last[inside], np.flatnonzero(inside)])
                    seen = np.zeros(len(self.matrix.platforms), dtype=bool)
                    seen[platform_of[inside]] = True
                    out[i, :, -1] = np.where(seen, totals, np.nan)
        return out

    def series(self, ranges: list[tuple[date, date]], platform: str | None = None) -> dict[str, np.ndarray]:
        sums = self._sums(ranges)
        summed = [CATALOG[k] for k in self.keys if CATALOG[k].agg != Agg.MAX]
        out = evaluate(summed, self.all_columns, sums, platform) if summed else {}
        for key in self.keys:
            metric = CATALOG[key]
            if metric.agg == Agg.MAX:
                column = self.all_columns.column(sums, key)
                if platform is not None:
                    column = column[:, [i for p, i in self.all_columns.platform_index.items() if p == platform]]
                with np.errstate(all="ignore"):
                    known = ~np.isnan(column)
                    out[key] = (np.where(known.any(axis=1), np.nanmax(np.where(known, column, -np.inf), axis=1),
                                         np.nan) if column.shape[1] else np.full(len(ranges), np.nan))
        return {k: out[k] for k in self.keys}

    def values(self, start: date, end: date, platform: str | None = None) -> dict[str, float | None]:
        return {k: to_value(v[0]) for k, v in self.series([(start, end)], platform).items()}


def account_facts(scope: Scope, resolved: Resolved):
    """AccountDailyFact rows of the scope's brands, platforms, accounts and media types."""
    qs = AccountDailyFact.objects.filter(organization_id=scope.organization_id, brand_id__in=scope.brand_ids)
    if scope.platforms:
        qs = qs.filter(platform__in=scope.platforms)
    if scope.account_ids:
        qs = qs.filter(account_id__in=scope.account_ids)
    if scope.media_types:
        qs = qs.filter(account__media_type__in=scope.media_types)
    if resolved.competitor_account_ids:
        qs = qs.exclude(account_id__in=resolved.competitor_account_ids)
    return qs


# ---------------------------------------------------------------------------------------------- report


def _series(source, period: Period, previous: Period, platform: str | None = None) -> Series:
    current, before = period.buckets(), previous.buckets()
    values = source.series(current, platform)
    paired = before[:len(current)]
    earlier = source.series(paired, platform) if paired else {k: np.array([]) for k in source.keys}
    pad = [None] * (len(current) - len(paired))
    return Series(
        granularity=str(period.granularity), starts=[s for s, _ in current], ends=[e for _, e in current],
        previous_starts=[s for s, _ in paired] + pad, previous_ends=[e for _, e in paired] + pad,
        values={k: to_list(v) for k, v in values.items()},
        previous={k: to_list(v) + pad for k, v in earlier.items()},
    )


def compute_kpis(scope: Scope, period: Period, metrics=None, *, series: bool = True) -> KpiReport:
    """The uncached report (``kpi_report`` is the cached entry point)."""
    content_keys, account_keys = split_levels(metrics)
    previous = period.previous()
    resolved = resolve(scope)
    notes = ["Account-level sums exclude unsettled days (days the platform has not finished counting)."]
    if scope.post_only_filters and account_keys:
        notes.append("Account-level KPIs are empty: account data has no "
                     + ", ".join(scope.post_only_filters) + ".")
        account_keys = ()
    content = ContentSums(scope, resolved, previous.start, period.end, content_keys)
    account = AccountSums(scope, resolved, previous.start, period.end, account_keys)
    ranges = [(period.start, period.end), (previous.start, previous.end)]
    content_values, account_values = content.series(ranges), account.series(ranges)
    platforms = scope.platforms or content.platforms()

    def kpis(keys, level, values):
        return [kpi_value(k, level, to_value(values[k][0]), to_value(values[k][1]), platforms) for k in keys]

    return KpiReport(
        scope=scope.as_dict(), period=period.as_dict(), previous_period=previous.as_dict(),
        content=kpis(content_keys, Level.POST, content_values),
        account=kpis(account_keys, Level.ACCOUNT, account_values),
        content_series=_series(content, period, previous) if series and content_keys else None,
        account_series=_series(account, period, previous) if series and account_keys else None,
        notes=notes,
    )


@cached("kpis")
def kpi_report(scope: Scope, period: Period, metrics: list[str] | tuple[str, ...] | None = None) -> KpiReport:
    """KPIs of ``scope`` over ``period`` and its previous period, with a series per ``period.granularity``.

    Content KPIs: base metric = Σ_{day ∈ period} delta(day) from the daily rollup (category NULL rows, or the
    category subtree's rows); derived KPI = Σ numerator / Σ denominator × scale with each platform's numerator
    formula; a zero or missing denominator gives None. Account KPIs: followers_total = Σ_accounts last value in
    the period, other sums over settled days only. change = value − previous; change_pct = change / |previous|.
    ``metrics``: catalog keys to compute (default: every KPI of both levels). Cached per organization, scope,
    period and the brands' data versions.
    """
    return compute_kpis(scope, period, metrics)


@cached("kpi_platform_series")
def kpi_platform_series(scope: Scope, period: Period, metrics: tuple[str, ...],
                        platforms: tuple[str, ...]) -> dict[str, Series]:
    """Each platform's content series of ``metrics``: for every p in ``platforms`` the same ``Series`` as
    ``kpi_report(scope.narrowed(platforms=(p,)), period, metrics).content_series`` (same formulas, each platform's
    own), from one read of the rollup for all of them instead of one per platform (a brand dashboard's trend
    chart). A platform without data gets a series of empty values."""
    content_keys, _account = split_levels(metrics)
    previous = period.previous()
    content = ContentSums(scope, resolve(scope), previous.start, period.end, content_keys)
    return {p: _series(content, period, previous, p) for p in platforms}


def kpi_totals(scope: Scope, period: Period, metrics: list[str] | tuple[str, ...]) -> dict[str, float | None]:
    """Just the values of ``metrics`` over ``period`` (targets, exports): the same formulas as ``kpi_report``;
    a key of both levels takes its content-level value."""
    report = kpi_report(scope, period, tuple(metrics))
    values = {k.key: k.value for k in report.account}
    values.update({k.key: k.value for k in report.content})
    return values
