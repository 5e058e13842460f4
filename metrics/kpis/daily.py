"""Daily sums as arrays: one cell per (day, platform, column), NaN where nothing was reported.

The engine fetches the rollup's (or account facts') daily sums once for the previous period and the period, then
answers every question — the period, the previous period, each series bucket, each platform — by slicing and
summing this array. Summing keeps the catalog's rule that *missing is not zero*: the sum of cells that are all
missing is missing (NaN → None), a sum with at least one reported cell treats the missing ones as absent.
Metric formulas (``metric_values``) are evaluated on whole arrays: one call gives a KPI for every bucket.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import numpy as np

from metrics.catalog import Metric


def nan_sum(values: np.ndarray, axis) -> np.ndarray:
    """Σ over ``axis`` ignoring NaN; NaN where every summed cell is NaN."""
    known = ~np.isnan(values)
    total = np.where(known, values, 0.0).sum(axis=axis)
    return np.where(known.any(axis=axis), total, np.nan)


class DailyMatrix:
    """values[day, platform, column] for days ``day_from`` … ``day_to``."""

    def __init__(self, day_from: date, day_to: date, platforms: Sequence[str], columns: Sequence[str]):
        self.day_from = day_from
        self.days = (day_to - day_from).days + 1
        self.platforms = list(platforms)
        self.columns = list(columns)
        self.platform_index = {p: i for i, p in enumerate(self.platforms)}
        self.column_index = {c: i for i, c in enumerate(self.columns)}
        self.values = np.full((self.days, len(self.platforms), len(self.columns)), np.nan)

    @classmethod
    def from_rows(cls, day_from: date, day_to: date, rows: Iterable[Sequence], columns: Sequence[str],
                  platforms: Sequence[str] | None = None) -> DailyMatrix:
        """Rows of (day, platform, *column values); several rows of one day and platform are added up."""
        rows = list(rows)
        found = sorted({r[1] for r in rows}) if platforms is None else platforms
        matrix = cls(day_from, day_to, found, columns)
        if rows:
            days = np.fromiter(((r[0] - day_from).days for r in rows), dtype=np.int64, count=len(rows))
            plats = np.fromiter((matrix.platform_index[r[1]] for r in rows), dtype=np.int64, count=len(rows))
            data = np.array(rows, dtype=object)[:, 2:].astype(float).reshape(len(rows), len(columns))
            known = ~np.isnan(data)
            totals = np.zeros_like(matrix.values)
            seen = np.zeros(matrix.values.shape, dtype=bool)
            np.add.at(totals, (days, plats), np.where(known, data, 0.0))
            np.logical_or.at(seen, (days, plats), known)
            matrix.values = np.where(seen, totals, np.nan)
        return matrix

    def _index(self, day: date) -> int:
        return min(max((day - self.day_from).days, 0), self.days)

    def sums(self, ranges: Sequence[tuple[date, date]], how: str = "sum") -> np.ndarray:
        """[range, platform, column]: Σ (or max) over each day range (both ends included)."""
        out = np.full((len(ranges), len(self.platforms), len(self.columns)), np.nan)
        for i, (start, end) in enumerate(ranges):
            block = self.values[self._index(start):self._index(end + timedelta(days=1))]
            if block.shape[0]:
                if how == "max":
                    with np.errstate(all="ignore"):
                        known = ~np.isnan(block)
                        out[i] = np.where(known.any(axis=0), np.nanmax(np.where(known, block, -np.inf), axis=0),
                                          np.nan)
                else:
                    out[i] = nan_sum(block, axis=0)
        return out

    def column(self, sums: np.ndarray, key: str) -> np.ndarray:
        """[range, platform] of one column (all NaN when the column is not fetched)."""
        if key not in self.column_index:
            return np.full(sums.shape[:2], np.nan)
        return sums[:, :, self.column_index[key]]


def evaluate(metrics: Sequence[Metric], matrix: DailyMatrix, sums: np.ndarray,
             platform: str | None = None) -> dict[str, np.ndarray]:
    """Every metric over each range of ``sums`` ([range, platform, column]), for one platform or all.

    Base metric: Σ over platforms. Derived KPI: Σ_p numerator_p / Σ_p denominator_p × scale, where numerator_p
    uses platform p's formula; NaN (empty) when the numerator is unknown or the denominator is 0 or unknown.
    Σ over platforms then inputs equals Σ over inputs then platforms (missing stays missing either way), so
    only per-platform formulas need the platforms apart.
    """
    platforms = matrix.platforms if platform is None else [p for p in matrix.platforms if p == platform]
    idx = [matrix.platform_index[p] for p in platforms]
    empty = np.full(sums.shape[0], np.nan)
    if not idx:
        return {m.key: empty for m in metrics}
    selected = sums[:, idx, :]
    totals = nan_sum(selected, axis=1)  # [range, column]

    def inputs(block: np.ndarray, keys: Sequence[str]) -> np.ndarray:
        cols = [matrix.column_index[k] for k in keys if k in matrix.column_index]
        return nan_sum(block[..., cols], axis=-1) if cols else np.full(block.shape[:-1], np.nan)

    out = {}
    for metric in metrics:
        if not metric.is_derived:
            out[metric.key] = totals[:, matrix.column_index[metric.key]] if metric.key in matrix.column_index \
                else empty
            continue
        if metric.per_platform:
            per_platform = np.stack([inputs(selected[:, j, :], metric.numerator_for(p)) for j, p in
                                     enumerate(platforms)], axis=1)
            numerator = nan_sum(per_platform, axis=1)
        else:
            numerator = inputs(totals, metric.numerator)
        if not metric.denominator:
            out[metric.key] = numerator * metric.scale
            continue
        denominator = inputs(totals, metric.denominator)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[metric.key] = np.where((denominator != 0) & ~np.isnan(denominator),
                                       numerator / denominator * metric.scale, np.nan)
    return out


def to_list(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def to_value(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
