"""Category comparison: the guide's Weibo analysis (DOMAIN.md §5, worked example) for any platform.

Per category, sub-category and variant: the number of posts, the median and mean of each chosen metric with
the n they were computed over, each post's index against its group's median, a small-sample flag, results per
effort hour, and paid content kept apart from organic unless asked.

Which posts, which values. The posts *published* in the period (Beijing days, both ends included) in scope,
that have at least one fact up to the period's end; each with its lifetime-to-date value as of the period's
end (Σ of its daily facts up to ``period.end``). A post counts once in each node of the tree above one of its
tags (a "Celebrity collaboration / Sun" post is also in "Celebrity collaboration" and in "Product promotion").
A derived metric's per-post value is that post's own ratio (its engagement / its views), with its platform's
engagement formula.

Median. ``percentile_cont(0.5)`` over the group's posts whose value of the metric is known (NULL = not
reported, skipped; zero counts): the middle value when n is odd, the mean of the two middle values when n is
even. PostgreSQL computes it in SQL; SQLite fetches the per-post values and uses ``statistics.median``, which
gives the same numbers (the golden tests run on both). Every median and mean is returned with its n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

import numpy as np
from django.conf import settings

from metrics.catalog import CATALOG
from metrics.kpis.cache import cached
from metrics.kpis.queries import (
    PER_POST_METRICS,
    GroupStats,
    Stat,
    category_ancestors,
    category_subtree,
    category_tree,
    group_stats,
    posts_queryset,
    resolve,
    row_columns,
)
from metrics.kpis.scope import PaidMode, Period, Scope
from metrics.models import Post

DEFAULT_METRICS = ("views", "likes", "comments", "shares", "collects", "engagement", "engagement_rate")

MEDIAN_DEFINITION = (
    "median = percentile_cont(0.5) over the group's posts with a known value: the middle value for an odd n, "
    "the mean of the two middle values for an even n (linear interpolation). Posts = those in scope published in "
    "the period (Beijing days, both ends included), each with its lifetime-to-date value as of the period's end "
    "(the sum of its daily facts up to the end date, never raw snapshots); a derived metric's value is the post's "
    "own ratio with its platform's formula. A post whose value is unknown (not reported) is left out; a reported "
    "0 counts. n is the number of posts the median and mean were computed over."
)


@dataclass
class MetricStats:
    """median / mean over the group's posts where the metric is known (n of them); sum = Σ values;
    per_effort_hour = Σ value / Σ effort hours over the posts with effort recorded (amounts only)."""

    median: float | None
    mean: float | None
    n: int
    sum: float | None = None
    per_effort_hour: float | None = None


@dataclass
class CategoryItem:
    """One post of a group: its values and its index against the group's median (value / median)."""

    post_id: int
    title: str
    published_at: datetime | None
    account_id: int
    platform: str
    paid: bool
    values: dict[str, float | None]
    index: dict[str, float | None]


@dataclass
class CategoryGroup:
    category_id: int | None  # None: all posts of the scope (the baseline)
    path: list[str]
    path_zh: list[str]
    depth: int
    segment: str  # "organic", "paid" or "all"
    n: int
    paid_n: int
    small_sample: bool
    effort_n: int
    effort_hours: float | None
    metrics: dict[str, MetricStats] = field(default_factory=dict)
    items: list[CategoryItem] | None = None
    top_items: list[CategoryItem] | None = None  # with ``items_sample``: the group's highest by the sample's metric


@dataclass
class CategoryComparison:
    scope: dict
    period: dict
    paid: str
    small_sample_threshold: int
    median_definition: str
    metrics: list[dict]
    overall: list[CategoryGroup]
    groups: list[CategoryGroup]


def _segment(paid_mode: PaidMode, paid_value) -> str:
    if paid_mode == PaidMode.SEPARATE:
        return "paid" if paid_value else "organic"
    return {PaidMode.EXCLUDE: "organic", PaidMode.ONLY: "paid"}.get(paid_mode, "all")


def _metric_stats(stat: Stat) -> MetricStats:
    return MetricStats(median=stat.median, mean=stat.mean, n=stat.n, sum=stat.sum,
                       per_effort_hour=stat.per_effort_hour)


def metric_descriptions(keys) -> list[dict]:
    out = []
    for key in keys:
        metric = CATALOG[key]
        out.append({"key": key, "label": metric.en, "label_zh": metric.zh, "unit": str(metric.unit),
                    "formula": metric.formula() if metric.is_derived else key,
                    "formulas": {p: metric.formula(p) for p in sorted(metric.per_platform)}})
    return out


def check_metrics(metrics) -> tuple[str, ...]:
    keys = tuple(dict.fromkeys(metrics or DEFAULT_METRICS))
    unknown = [k for k in keys if k not in PER_POST_METRICS]
    if unknown:
        raise ValueError(f"no per-post value for: {', '.join(unknown)}")
    return keys


@cached("category_comparison", categories=True)
def category_comparison(scope: Scope, period: Period, metrics=DEFAULT_METRICS, *, paid: str = PaidMode.EXCLUDE,
                        with_items: bool = False, small_sample: int | None = None,
                        items_sample: tuple[str, int] | None = None,
                        items_depths: tuple[int, ...] | None = None) -> CategoryComparison:
    """Per category node: n posts, median and mean (with n) of each metric, small-sample flag, per effort hour.

    Formulas, per group G of posts (see the module docstring for which posts and values):
      median_G(m) = percentile_cont(0.5) of {m(p) : p ∈ G, m(p) known}; mean_G(m) = Σ m(p) / n_G(m);
      index(p, m) = m(p) / median_G(m) (None when the median is 0 or unknown);
      small_sample = |G| < ``small_sample`` (default settings.KPIBOARD_SMALL_SAMPLE);
      per_effort_hour_G(m) = Σ m(p) / Σ effort_hours(p) over p ∈ G with effort recorded.
    ``paid``: ``exclude`` (default: organic only), ``only``, ``separate`` (organic and paid groups side by
    side) or ``include`` (pooled; ``paid_n`` says how many are paid). ``scope.category_id`` limits the groups
    to that category's subtree. ``overall`` holds the same figures for every post in scope (the baseline a
    category is compared with). ``with_items`` adds each post and its index against its group's median;
    ``items_sample=(metric, n)`` keeps, of each group's posts, ``n`` spread evenly over the ranks of ``metric``
    (``spread_sample``) in ``items`` and its ``n`` highest by ``metric`` in ``top_items`` — what a page shows of a
    brand-year's 50,000 posts, and an answer small enough to come back from the cache quickly. ``items_depths``:
    only the groups at these depths of the tree get items (0: top-level categories; the overall groups are at -1),
    the others ``None`` — a page draws one level of the tree, a third of a brand-year's 28 groups.
    """
    keys = check_metrics(metrics)
    paid_mode = PaidMode(paid)
    threshold = small_sample if small_sample is not None else settings.KPIBOARD_SMALL_SAMPLE
    tree = category_tree(scope.organization_id)
    if scope.category_id is not None:
        allowed = set(category_subtree(scope.organization_id, scope.category_id, tree))
    else:
        allowed = set(tree)
    ancestors = {cid: tuple(a for a in chain if a in allowed) for cid, chain in category_ancestors(tree).items()}
    resolved = resolve(scope)
    group_by = ("paid",) if paid_mode == PaidMode.SEPARATE else ()
    stats = group_stats(scope, resolved, period, keys, group_by=group_by, by_category=ancestors,
                        paid_mode=paid_mode, with_rows=with_items)

    def build(key: tuple, gstats: GroupStats) -> CategoryGroup:
        node = key[-1]
        row = tree.get(node) if node != "*" else None
        path = row["path"].split(" / ") if row else []
        path_zh = _path_zh(tree, node) if row else []
        return CategoryGroup(
            category_id=node if row else None, path=path, path_zh=path_zh, depth=row["depth"] if row else -1,
            segment=_segment(paid_mode, key[0] if group_by else None), n=gstats.n, paid_n=gstats.paid_n,
            small_sample=gstats.n < threshold, effort_n=gstats.effort_n, effort_hours=gstats.effort_hours,
            metrics={k: _metric_stats(gstats.metrics[k]) for k in keys},
        )

    built = {k: build(k, g) for k, g in stats.items()}
    overall = [g for k, g in built.items() if k[-1] == "*"]
    groups = [g for k, g in built.items() if k[-1] != "*"]
    overall.sort(key=lambda g: g.segment)
    groups.sort(key=lambda g: (g.path, g.segment))
    if with_items:
        posts = _PostValues([g.rows for g in stats.values() if g.rows is not None], keys)
        members = [(built[k], g.post_ids) for k, g in stats.items()
                   if items_depths is None or built[k].depth in items_depths]
        _attach_items(scope, resolved, period, paid_mode, posts, members, items_sample)
    return CategoryComparison(
        scope=scope.as_dict(), period=period.as_dict(), paid=paid_mode.value, small_sample_threshold=threshold,
        median_definition=MEDIAN_DEFINITION, metrics=metric_descriptions(keys), overall=overall, groups=groups,
    )


def spread_sample(items: list[CategoryItem], metric: str, size: int) -> list[CategoryItem]:
    """At most ``size`` of the items whose ``metric`` is known, spread evenly over their ranks by it (the lowest,
    the highest and evenly spaced ranks between, lowest first), so that a strip plot keeps the group's shape."""
    return _spread(sorted((i for i in items if i.values.get(metric) is not None), key=lambda i: i.values[metric]),
                   size)


def _spread(ranked: list, size: int) -> list:
    """At most ``size`` of ``ranked`` (sorted): the first, the last and evenly spaced ranks between."""
    if len(ranked) <= size:
        return ranked
    step = (len(ranked) - 1) / (size - 1)
    return [ranked[round(k * step)] for k in range(size)]


def _path_zh(tree: dict[int, dict], node: int) -> list[str]:
    names, current = [], node
    while current is not None and current in tree:
        names.append(tree[current]["name_zh"] or tree[current]["name"])
        current = tree[current]["parent_id"]
    return names[::-1]


def _attach_items(scope, resolved, period, paid_mode, posts: _PostValues, members, items_sample=None) -> None:
    """Each group's posts with their values and their index against the group's median (both databases).

    ``posts``: every post in scope with its values; ``members``: (group, ids of its posts) pairs, both from
    ``group_stats``'s statement. Items are sorted by their index on the first metric (highest first, unknown last,
    ties by post id). With ``items_sample=(metric, n)`` a group keeps ``top_items``, its ``n`` highest by ``metric``
    (ties in that order), and ``items``, ``spread_sample`` of its items. Each group is ordered and sampled on arrays
    and only the posts kept become items (titles read for those alone): as Python tuples, dicts and sort keys a
    brand-year's 45,000 posts in 28 groups took 1.3 s, and the page shows a few hundred of them.
    """
    first = posts.keys[0]
    chosen: list[tuple[CategoryGroup, np.ndarray, np.ndarray | None]] = []
    for group, post_ids in members:
        rows = posts.rows_of(post_ids)
        ranked = rows[_rank_order(posts.ids[rows], posts.column(first, rows), group.metrics[first].median)]
        if items_sample is None:
            chosen.append((group, ranked, None))
            continue
        metric, size = items_sample
        values = posts.column(metric, ranked)
        known = ~np.isnan(values)
        top = ranked[np.argsort(-np.where(known, values, 0.0), kind="stable")[:size]]  # unknown counts as 0
        ascending = ranked[known][np.argsort(values[known], kind="stable")]
        chosen.append((group, ascending[np.asarray(_spread(range(len(ascending)), size), dtype=np.intp)], top))
    if not chosen:
        return
    if items_sample is None:
        wanted = posts_queryset(scope, resolved, period, paid_mode).values("id")
    else:
        wanted = posts.ids[np.unique(np.concatenate([p for _g, *parts in chosen for p in parts]))].tolist()
    details = {p: (title, published) for p, title, published in Post.objects.filter(
        organization_id=scope.organization_id, id__in=wanted
    ).values_list("id", "title", "published_at")}
    for group, spread, top in chosen:
        group.items = posts.items(spread, group, details)
        if top is not None:
            group.top_items = posts.items(top, group, details)


def _rank_order(post_ids: np.ndarray, values: np.ndarray, median: float | None) -> np.ndarray:
    """Positions ordering ``values`` by their index against ``median`` (value / median): highest first, unknown
    last, ties by post id — Python's order of ``(index is None, -(index or 0), post id)``."""
    if median is None or median == 0:
        return np.argsort(post_ids, kind="stable")  # no index at all: by post id
    index = values / median
    unknown = np.isnan(index)
    return np.lexsort((post_ids, -np.where(unknown, 0.0, index), unknown))


class _PostValues:
    """The posts of ``group_stats``'s overall groups (``rows``, one dict of ``row_columns`` per group): their ids
    and values as arrays (one column per metric key, NaN where unknown), the rest as read."""

    def __init__(self, parts: list[dict[str, list]], keys: Sequence[str]):
        self.keys = tuple(keys)
        self.columns = {c: list(chain.from_iterable(part[c] for part in parts)) for c in row_columns(keys)}
        self.ids = np.array(self.columns["post_id"], dtype=np.int64)
        self.values = np.array([self.columns[f"v_{k}"] for k in keys], dtype=float).reshape(len(keys), -1).T
        self._by_id = np.argsort(self.ids)
        self._dicts: dict[int, dict[str, float | None]] = {}

    def rows_of(self, post_ids: list[int]) -> np.ndarray:
        """The rows of ``post_ids`` (posts of the same statement: all of them are here)."""
        return self._by_id[np.searchsorted(self.ids, np.asarray(post_ids, dtype=np.int64), sorter=self._by_id)]

    def column(self, key: str, rows: np.ndarray) -> np.ndarray:
        if key not in self.keys:
            return np.full(len(rows), np.nan)
        return self.values[rows, self.keys.index(key)]

    def items(self, rows: np.ndarray, group: CategoryGroup, details: dict) -> list[CategoryItem]:
        """``CategoryItem`` of each row. index = value / the group's median, None when either is unknown or the
        median is 0 (no typical value to compare with); the division of whole columns is Python's float division."""
        medians = np.array([np.nan if m in (None, 0) else m for m in (group.metrics[k].median for k in self.keys)])
        values = self.values[rows]
        index = values / medians  # NaN where either is unknown
        c = self.columns
        out = []
        for row, row_values, row_index in zip(rows.tolist(), _floats(values), _floats(index), strict=True):
            if row not in self._dicts:  # one dict per post, however many groups list it
                self._dicts[row] = dict(zip(self.keys, row_values, strict=True))
            post_id = c["post_id"][row]
            title, published = details.get(post_id, ("", None))
            out.append(CategoryItem(
                post_id=post_id, title=title, published_at=published, account_id=c["account_id"][row],
                platform=c["platform"][row], paid=bool(c["paid"][row]), values=self._dicts[row],
                index=dict(zip(self.keys, row_index, strict=True)),
            ))
        return out


def _floats(matrix: np.ndarray) -> list[list[float | None]]:
    """The rows of ``matrix`` as lists of Python floats, None for NaN."""
    return np.where(np.isnan(matrix), None, matrix).tolist()
