"""The SQL under the engine (internal: the public functions are in the sibling modules).

Two sources, never raw snapshots for KPIs and medians:

- **Sums** read ``DailyRollup`` (the import keeps it in its own transaction): the period value of a base metric
  is the sum of its daily deltas. Without a category filter only the ``category IS NULL`` rows are read (they
  cover every post); with one, only the category rows of the category's subtree (never both). When a post
  carries two tags inside that subtree its rows would be counted twice, so the sums then come from
  ``PostDailyFact`` restricted to the distinct tagged posts instead (same numbers, slower).
- Where the scope filters nothing finer than brands, platforms, accounts and media types (no paid kind, traffic,
  format, campaign or category: ``Scope.post_only_filters`` empty), sums grouped by those and the day read
  ``AccountDayRollup`` instead: the same all-posts rows summed per account and day, ~15 times fewer rows. Posts
  published per day come from ``PublishedDay`` on the same condition, else from the posts (``published_rows``).
- **Per-post values** (medians, means, rankings, the index against a median) read ``PostDailyFact`` summed per
  post: the posts *published* in the period, each with its lifetime-to-date totals as of the period's end
  (``SUM`` of all its facts up to ``period.end``), so a post published on the 25th is compared on everything it
  earned until the end of the period, as the guide compares content items. Derived per-post values (engagement,
  engagement rate, …) are computed in SQL from that post's own sums with the catalog formula of the post's
  platform, identically on both databases. A post whose facts all lie inside the period (all of a period ending
  today) reads its sums from ``PostTotal`` (its facts summed over its life, kept by the import) instead of its
  facts: the same numbers, one row instead of ten (``post_values_sql``).

Medians: PostgreSQL computes ``percentile_cont(0.5) WITHIN GROUP (ORDER BY value)`` in the database; SQLite has
no ordered-set aggregates, so the same per-post rows are fetched with one query and ``statistics.median``
computes the same number in Python (tests run the golden values on both).
"""

# The SQL here is assembled from model table names, catalog keys and quoted identifiers only; every value
# (ids, dates, platform filters) travels as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from metrics.catalog import CATALOG, COLUMN_METRICS, Agg, Metric, Unit
from metrics.choices import MediaType, Traffic
from metrics.kpis.scope import PaidMode, Period, Scope
from metrics.models import (
    AccountDayRollup,
    ContentCategory,
    DailyRollup,
    Post,
    PostCategory,
    PostDailyFact,
    PostTotal,
    PublishedDay,
    SocialAccount,
)

# Scope fields and the column each filters, identical on Post, PostDailyFact and DailyRollup.
DIMENSIONS = (
    ("brand_ids", "brand_id"),
    ("platforms", "platform"),
    ("account_ids", "account_id"),
    ("media_types", "media_type"),
    ("paid_kinds", "paid_kind"),
    ("traffic", "traffic"),
    ("content_formats", "content_format"),
    ("campaign_ids", "campaign_id"),
)

def _inputs_are_columns(metric: Metric) -> bool:
    keys = set(metric.numerator) | set(metric.denominator)
    for platform_keys in metric.per_platform.values():
        keys |= set(platform_keys)
    return keys <= set(COLUMN_METRICS)


PER_POST_METRICS = tuple(
    k for k, m in CATALOG.items() if k in COLUMN_METRICS or (m.agg == Agg.DERIVED and _inputs_are_columns(m))
)
"""Metrics that have a per-post value (medians, means, rankings): the column counters and the derived KPIs
computed from them."""


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model) -> str:
    return qn(model._meta.db_table)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def input_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """The column metrics needed to compute ``keys`` (base metrics and the inputs of derived ones)."""
    needed: dict[str, None] = {}
    for key in keys:
        metric = CATALOG[key]
        if key in COLUMN_METRICS:
            needed[key] = None
            continue
        for k in (*metric.numerator, *metric.denominator, *(k for v in metric.per_platform.values() for k in v)):
            if k in COLUMN_METRICS:
                needed[k] = None
    return tuple(needed)


# --------------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Resolved:
    """What a scope needs looked up once: the category subtree and the competitors' accounts."""

    category_ids: tuple[int, ...] | None  # None: no category filter
    category_multi_tagged: bool
    competitor_account_ids: tuple[int, ...]


def resolve(scope: Scope) -> Resolved:
    category_ids = None
    multi = False
    if scope.category_id is not None:
        category_ids = category_subtree(scope.organization_id, scope.category_id)
        if len(category_ids) > 1:
            multi = (
                PostCategory.objects.filter(organization_id=scope.organization_id, category_id__in=category_ids)
                .values("post_id")
                .annotate(tags=Count("id"))
                .filter(tags__gt=1)
                .exists()
            )
    competitors: tuple[int, ...] = ()
    if not scope.include_competitors and scope.brand_ids:
        competitors = tuple(
            SocialAccount.objects.filter(
                organization_id=scope.organization_id, brand_id__in=scope.brand_ids, is_competitor=True
            ).values_list("id", flat=True)
        )
    return Resolved(category_ids, multi, competitors)


def category_tree(organization_id: int) -> dict[int, dict]:
    """All categories of the organization: id → {id, parent_id, name, name_zh, path, depth}."""
    rows = ContentCategory.objects.filter(organization_id=organization_id).values(
        "id", "parent_id", "name", "name_zh", "path", "depth"
    )
    return {row["id"]: row for row in rows}


def category_subtree(organization_id: int, category_id: int, tree: dict[int, dict] | None = None) -> tuple[int, ...]:
    """``category_id`` and its descendants (sub-categories and variants)."""
    tree = tree if tree is not None else category_tree(organization_id)
    children = defaultdict(list)
    for row in tree.values():
        children[row["parent_id"]].append(row["id"])
    found, todo = [], [category_id]
    while todo:
        current = todo.pop()
        if current in tree:
            found.append(current)
            todo.extend(children[current])
    return tuple(sorted(found))


def category_ancestors(tree: dict[int, dict]) -> dict[int, tuple[int, ...]]:
    """Each category → itself and its ancestors: a post tagged with a variant counts in its sub-category and
    category too (once, however many of its tags fall under the same node)."""
    out = {}
    for cid in tree:
        chain, current = [], cid
        while current is not None and current in tree and current not in chain:
            chain.append(current)
            current = tree[current]["parent_id"]
        out[cid] = tuple(chain)
    return out


def paid_condition(alias: str = "") -> str:
    """SQL that is true for a paid post: media type paid or paid traffic (PaidMode's definition)."""
    prefix = f"{alias}." if alias else ""
    return (f"({prefix}{qn('media_type')} = '{MediaType.PAID.value}' OR "
            f"{prefix}{qn('traffic')} = '{Traffic.PAID.value}')")


def paid_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}media_type": MediaType.PAID}) | Q(**{f"{prefix}traffic": Traffic.PAID})


def orm_filter(scope: Scope, resolved: Resolved, *, tagging: str | None) -> Q:
    """The scope as a Q for Post, PostDailyFact or DailyRollup (same column names).

    ``tagging``: the field holding the post id (``"id"`` on Post, ``"post_id"`` on PostDailyFact) when the
    category filter goes through the tagging table; None for DailyRollup, whose caller picks category rows.
    """
    q = Q(organization_id=scope.organization_id)
    for attr, column in DIMENSIONS:
        values = getattr(scope, attr)
        if values:
            q &= Q(**{f"{column}__in": values})
    if resolved.competitor_account_ids:
        q &= ~Q(account_id__in=resolved.competitor_account_ids)
    if tagging and resolved.category_ids is not None:
        q &= Q(**{f"{tagging}__in": PostCategory.objects.filter(
            organization_id=scope.organization_id, category_id__in=resolved.category_ids
        ).values("post_id")})
    return q


def posts_queryset(scope: Scope, resolved: Resolved, period: Period, paid_mode: PaidMode = PaidMode.INCLUDE):
    """Posts of the scope published in the period."""
    start, end = period.bounds()
    qs = Post.objects.filter(orm_filter(scope, resolved, tagging="id"), published_at__gte=start, published_at__lt=end)
    if paid_mode == PaidMode.EXCLUDE:
        qs = qs.exclude(paid_q())
    elif paid_mode == PaidMode.ONLY:
        qs = qs.filter(paid_q())
    return qs


COARSE_GROUPS = frozenset({"brand_id", "account_id", "platform", "media_type", "day"})
COARSE_ROLLUPS = True  # read AccountDayRollup and PublishedDay where they serve (tests compare both paths)


def coarse(scope: Scope, group_by: Sequence[str] = ()) -> bool:
    """Whether ``AccountDayRollup`` and ``PublishedDay`` answer for the scope grouped by ``group_by``: the scope
    filters and the grouping use only their dimensions (see the module doc)."""
    return COARSE_ROLLUPS and not scope.post_only_filters and COARSE_GROUPS.issuperset(group_by)


def daily_sums_rows(scope: Scope, resolved: Resolved, day_from: date, day_to: date, columns: Sequence[str],
                    group_by: Sequence[str] = ("day", "platform")) -> list[tuple]:
    """Σ of ``columns`` per ``group_by`` over days [day_from, day_to], from the rollup (see the module doc).

    Tuples (*group_by values, *sums), a sum None when no row reported the column. Read with a plain cursor:
    the ORM's per-value converters cost more than the query on a brand-year.
    """
    if not scope.brand_ids or not columns:
        return []
    if coarse(scope, group_by):
        qs = AccountDayRollup.objects.filter(orm_filter(scope, resolved, tagging=None))
    elif resolved.category_ids is None:
        qs = DailyRollup.objects.filter(orm_filter(scope, resolved, tagging=None), category__isnull=True)
    elif not resolved.category_multi_tagged:
        qs = DailyRollup.objects.filter(orm_filter(scope, resolved, tagging=None),
                                        category_id__in=resolved.category_ids)
    else:
        qs = PostDailyFact.objects.filter(orm_filter(scope, resolved, tagging="post_id"))
    qs = qs.filter(day__gte=day_from, day__lte=day_to).order_by().values(*group_by)
    qs = qs.annotate(**{f"sum_{c}": Sum(c) for c in columns})
    return raw_rows(qs, date_positions=[i for i, g in enumerate(group_by) if g == "day"])


def published_rows(scope: Scope, resolved: Resolved, period: Period,
                   group_by: Sequence[str] = ("day", "platform")) -> list[tuple]:
    """Posts of the scope published in the period per ``group_by`` (``day``: the publication day in
    ``settings.TIME_ZONE``): tuples (*group_by values, count), from ``PublishedDay`` where it serves, else from the
    posts (``posts_queryset``)."""
    if not scope.brand_ids:
        return []
    dates = [i for i, g in enumerate(group_by) if g == "day"]
    if coarse(scope, group_by):
        qs = PublishedDay.objects.filter(orm_filter(scope, resolved, tagging=None), day__gte=period.start,
                                         day__lte=period.end)
        return raw_rows(qs.order_by().values(*group_by).annotate(n=Sum("posts")), date_positions=dates)
    qs = posts_queryset(scope, resolved, period).order_by()
    if "day" in group_by:
        qs = qs.annotate(day=TruncDate("published_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
    return raw_rows(qs.values(*group_by).annotate(n=Count("id")), date_positions=dates)


def raw_rows(qs, date_positions: Sequence[int] = ()) -> list[tuple]:
    """Run a values() queryset with a plain cursor: tuples in the values()/annotate() order."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if date_positions and rows and any(isinstance(rows[0][i], str) for i in date_positions):
        rows = [tuple(date.fromisoformat(v[:10]) if i in date_positions else v for i, v in enumerate(r))
                for r in rows]  # SQLite hands back dates of an aggregate query as text
    return rows


def daily_sums(scope: Scope, resolved: Resolved, day_from: date, day_to: date, columns: Sequence[str],
               group_by: Sequence[str] = ("day", "platform")) -> list[dict]:
    """``daily_sums_rows`` as dicts (group_by names and column names as keys)."""
    names = [*group_by, *columns]
    return [dict(zip(names, row, strict=True))
            for row in daily_sums_rows(scope, resolved, day_from, day_to, columns, group_by)]


# ------------------------------------------------------------------------------------------ metric algebra


def combine(metric: Metric, sums_by_platform: dict[str, dict[str, float | None]]) -> float | None:
    """A metric's value over several platforms' sums.

    Base metric: Σ over platforms (None when no platform reported it). Derived KPI: a ratio of sums where each
    platform's numerator uses that platform's formula (engagement on Bilibili adds coins and danmaku, on Weibo
    it is likes + shares + comments) and the denominators are summed: Σ_p num_p / Σ_p den_p × scale. A zero or
    missing denominator gives None (an empty KPI). With one platform this is ``catalog.ratio_of_sums``.
    """
    if not metric.is_derived:
        values = [s.get(metric.key) for s in sums_by_platform.values()]
        values = [v for v in values if v is not None]
        return float(sum(values)) if values else None
    numerators, denominators = [], []
    for platform, sums in sums_by_platform.items():
        num = [sums.get(k) for k in metric.numerator_for(platform)]
        if any(v is not None for v in num):
            numerators.append(sum(v for v in num if v is not None))
        den = [sums.get(k) for k in metric.denominator]
        if any(v is not None for v in den):
            denominators.append(sum(v for v in den if v is not None))
    if not numerators:
        return None
    numerator = float(sum(numerators))
    if not metric.denominator:
        return numerator * metric.scale
    if not denominators or sum(denominators) == 0:
        return None
    return numerator / float(sum(denominators)) * metric.scale


def _sum_sql(keys: Sequence[str], col) -> str:
    if len(keys) == 1:
        return col(keys[0])
    nulls = " AND ".join(f"{col(k)} IS NULL" for k in keys)
    total = " + ".join(f"COALESCE({col(k)}, 0)" for k in keys)
    return f"(CASE WHEN {nulls} THEN NULL ELSE {total} END)"


def metric_sql(key: str, col=None, platform_col: str = "platform") -> str:
    """SQL for one post's value of ``key`` from that post's summed columns (a derived KPI with the formula of
    the post's platform; NULL when its inputs are all missing or its denominator is 0 or missing)."""
    col = col or (lambda k: qn(f"t_{k}"))
    metric = CATALOG[key]
    if not metric.is_derived:
        return col(key)
    if metric.per_platform:
        branches = " ".join(
            f"WHEN '{platform}' THEN {_sum_sql(keys, col)}" for platform, keys in sorted(metric.per_platform.items())
        )
        numerator = f"(CASE {qn(platform_col)} {branches} ELSE {_sum_sql(metric.numerator, col)} END)"
    else:
        numerator = _sum_sql(metric.numerator, col)
    if not metric.denominator:
        return f"({numerator} * {metric.scale!r})" if metric.scale != 1 else numerator
    denominator = _sum_sql(metric.denominator, col)
    scale = f" * {metric.scale!r}" if metric.scale != 1 else ""
    return f"({numerator} * 1.0 / NULLIF({denominator}, 0){scale})"


def per_hour_applies(key: str) -> bool:
    """Per effort hour only makes sense for amounts (counts, CNY, seconds), not for rates."""
    metric = CATALOG[key]
    return not metric.denominator and metric.unit in (Unit.COUNT, Unit.CNY, Unit.SECONDS)


# ---------------------------------------------------------------------------------------- per-post values


def _in(values: Sequence, params: list) -> str:
    params.extend(values)
    return "(" + ", ".join(["%s"] * len(values)) + ")"


TOTALS_MAX_STRAGGLERS = 1_000
"""At most this many posts of a period may need their facts summed for ``post_values_sql`` to read the per-post
totals (``PostTotal``); beyond it the period's facts are summed as one range (see ``post_values_sql``)."""


def post_values_sql(scope: Scope, resolved: Resolved, period: Period, keys: Sequence[str],
                    paid_mode: PaidMode = PaidMode.INCLUDE, post_ids: Sequence[int] | None = None, *,
                    totals: bool | None = None) -> tuple[str, list]:
    """One row per post published in the period (with at least one fact up to its end) and its values.

    Columns: post_id, platform, account_id, brand_id, paid (0/1), effort (hours or NULL), and ``v_<key>`` per
    metric key: the post's lifetime-to-date value at ``period.end``, i.e. Σ of its facts on the period's days
    (every fact up to the end, but for a fact dated before the post's publication day and the period's start).
    ``post_ids`` narrows to those posts.

    Two ways to the same sums. A post whose facts all lie inside the period (``PostTotal.first_day`` ≥ start and
    ``last_day`` ≤ end: every post of a period that ends today) has its ``PostTotal`` row as its sums; the others
    (the *stragglers*: facts after the period's end, or before its start) have their facts in the period summed
    by post id. That reads ~50,000 totals instead of ~550,000 facts for a brand-year ending today. A period
    further in the past has many stragglers (every post still collecting after its end), and then one range of
    the facts is cheaper: ``totals=None`` (the default) looks the stragglers up and picks the totals when there
    are at most ``TOTALS_MAX_STRAGGLERS`` (a short ``post_ids`` list reads its posts' facts directly);
    True / False force one way (tests show both give the same numbers).
    """
    ops = connection.ops
    start, end = period.bounds()
    params: list = []
    cols = input_keys(keys)
    p, f = "p", "f"
    where = [f"{p}.{qn('organization_id')} = %s"]
    params.append(scope.organization_id)
    if not scope.brand_ids:
        where.append("1 = 0")
    for attr, column in DIMENSIONS:
        values = getattr(scope, attr)
        if values:
            where.append(f"{p}.{qn(column)} IN {_in(values, params)}")
    where.append(f"{p}.{qn('published_at')} >= %s AND {p}.{qn('published_at')} < %s")
    params += [ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(end)]
    if resolved.competitor_account_ids:
        where.append(f"{p}.{qn('account_id')} NOT IN {_in(resolved.competitor_account_ids, params)}")
    if resolved.category_ids is not None:
        params.append(scope.organization_id)
        where.append(
            f"{p}.{qn('id')} IN (SELECT {qn('post_id')} FROM {table(PostCategory)} WHERE {qn('organization_id')} = %s"
            f" AND {qn('category_id')} IN {_in(resolved.category_ids, params)})"
        )
    if post_ids is not None:
        where.append(f"{p}.{qn('id')} IN {_in(list(post_ids), params)}" if post_ids else "1 = 0")
    if paid_mode == PaidMode.EXCLUDE:
        where.append(f"NOT {paid_condition(p)}")
    elif paid_mode == PaidMode.ONLY:
        where.append(paid_condition(p))
    sums = ", ".join(f"SUM({f}.{qn(c)}) AS {qn('t_' + c)}" for c in cols) or "0 AS t_none"
    day_from, day_to = ops.adapt_datefield_value(period.start), ops.adapt_datefield_value(period.end)
    stragglers = None
    if totals is None and post_ids is not None and len(post_ids) <= TOTALS_MAX_STRAGGLERS:
        totals = False  # a few posts' facts are read by post id (``uniq_fact_post_day``): no lookup needed
    if totals is not False and scope.brand_ids and post_ids != []:
        # forced (True): look them all up; else give up past STRAGGLER_SCAN or TOTALS_MAX_STRAGGLERS of them
        stragglers = _stragglers(scope, where, params, post_ids, day_from, day_to,
                                 scan=None if totals else STRAGGLER_SCAN)
        if not totals and stragglers is not None and len(stragglers) > TOTALS_MAX_STRAGGLERS:
            stragglers = None
    if stragglers is not None:
        per_post, per_post_params = _totals_per_post(scope, cols, sums, stragglers, post_ids, day_from, day_to)
    else:
        # The facts are summed per post first and joined to the posts after: one hash aggregate on the post id over
        # a range of the covering (organization, brand, day) index (an index-only scan), instead of joining every
        # fact row to its post and grouping by the post's columns (30 % slower on a brand-year: 550,000 facts).
        # A post has no facts before its publication day and a fact carries its post's brand, so the day and brand
        # bounds select every fact of the posts asked for (and some of posts published earlier, which the join
        # drops).
        fact_where = [f"{f}.{qn('organization_id')} = %s", f"{f}.{qn('day')} >= %s", f"{f}.{qn('day')} <= %s"]
        per_post_params = [scope.organization_id, day_from, day_to]
        fact_where.append(f"{f}.{qn('brand_id')} IN {_in(scope.brand_ids, per_post_params)}"
                          if scope.brand_ids else "1 = 0")
        if post_ids is not None:
            fact_where.append(f"{f}.{qn('post_id')} IN {_in(list(post_ids), per_post_params)}"
                              if post_ids else "1 = 0")
        per_post = _facts_per_post(sums, fact_where)
    totals_cols = ", ".join(f"s.{qn('t_' + c)}" for c in cols) or "s.t_none"
    rows = (
        f"SELECT {p}.{qn('id')} AS post_id, {p}.{qn('platform')} AS platform, {p}.{qn('account_id')} AS account_id, "
        f"{p}.{qn('brand_id')} AS brand_id, CASE WHEN {paid_condition(p)} THEN 1 ELSE 0 END AS paid, "
        f"CAST({p}.{qn('effort_hours')} AS DOUBLE PRECISION) AS effort, {totals_cols} "
        f"FROM {table(Post)} {p} JOIN ({per_post}) s ON s.post_id = {p}.{qn('id')} "
        f"WHERE {' AND '.join(where)}"
    )
    values = ", ".join(f"{metric_sql(k)} AS {qn('v_' + k)}" for k in keys)
    sql = (f"SELECT post_id, platform, account_id, brand_id, paid, effort{', ' if values else ''}{values} "
           f"FROM ({rows}) t")
    return sql, per_post_params + params


STRAGGLER_SCAN = 5_000
"""``_stragglers`` reads at most this many totals ending after the period (a period far enough in the past has
every recent post among them: then the period's facts are summed as one range without looking further)."""


def _stragglers(scope: Scope, where: list[str], params: list, post_ids: Sequence[int] | None, day_from, day_to,
                scan: int | None = STRAGGLER_SCAN) -> list[int] | None:
    """The posts of the period (``where``/``params``: the posts' conditions of ``post_values_sql``) with a fact
    inside the period and one outside it, or None when there are too many to be worth it.

    Outside means after its end (still collecting then: read from the (organization, brand, last_day) index, at
    most ``STRAGGLER_SCAN`` of them) or before its start, which for a post published in the period means before
    its publication day (the few ``facts_before_publication`` totals, a partial index). Each candidate is then
    checked against the period's posts. One statement. ``scan=None``: no limit (never None). ``day_from`` and
    ``day_to``: the period's days as the database takes them."""
    t = "t"
    head_params: list = [scope.organization_id]
    head = (f"FROM {table(PostTotal)} {t} WHERE {t}.{qn('organization_id')} = %s "
            f"AND {t}.{qn('brand_id')} IN {_in(scope.brand_ids, head_params)}")
    if post_ids is not None:
        head += f" AND {t}.{qn('post_id')} IN {_in(list(post_ids), head_params)}"
    posts = f"SELECT p.{qn('id')} FROM {table(Post)} p WHERE {' AND '.join(where)}"
    sql = (
        f"SELECT x.post_id, 1, CASE WHEN x.first_day <= %s AND x.post_id IN ({posts}) THEN 1 ELSE 0 END FROM ("
        f"SELECT {t}.{qn('post_id')} AS post_id, {t}.{qn('first_day')} AS first_day {head} "
        f"AND {t}.{qn('last_day')} > %s{'' if scan is None else f' LIMIT {int(scan)}'}) x "
        f"UNION ALL SELECT {t}.{qn('post_id')}, 2, CASE WHEN {t}.{qn('first_day')} < %s "
        f"AND {t}.{qn('post_id')} IN ({posts}) THEN 1 ELSE 0 END {head} "
        f"AND {t}.{qn('facts_before_publication')} = TRUE AND {t}.{qn('last_day')} >= %s"
    )
    all_params = [day_to, *params, *head_params, day_to, day_from, *params, *head_params, day_from]
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        rows = cursor.fetchall()
    if scan is not None and sum(1 for r in rows if r[1] == 1) >= scan:
        return None
    return sorted({r[0] for r in rows if r[2]})


def _totals_per_post(scope: Scope, cols: Sequence[str], sums: str, stragglers: list[int],
                     post_ids: Sequence[int] | None, day_from, day_to) -> tuple[str, list]:
    """post_id and ``t_<column>`` per post: the ``PostTotal`` row of each post whose facts all lie in the period,
    Σ of the facts in the period for each straggler (see ``post_values_sql``)."""
    t, f = "t", "f"
    params: list = [scope.organization_id]
    brands = _in(scope.brand_ids, params)
    columns = ", ".join(f"{t}.{qn(c)} AS {qn('t_' + c)}" for c in cols) or "0 AS t_none"
    sql = (f"SELECT {t}.{qn('post_id')} AS post_id, {columns} FROM {table(PostTotal)} {t} "
           f"WHERE {t}.{qn('organization_id')} = %s AND {t}.{qn('brand_id')} IN {brands} "
           f"AND {t}.{qn('first_day')} >= %s AND {t}.{qn('last_day')} <= %s")
    params += [day_from, day_to]
    if post_ids is not None:
        sql += f" AND {t}.{qn('post_id')} IN {_in(list(post_ids), params)}"
    if stragglers:
        params.append(scope.organization_id)
        straggling = [f"{f}.{qn('organization_id')} = %s", f"{f}.{qn('post_id')} IN {_in(stragglers, params)}",
                      f"{f}.{qn('day')} >= %s", f"{f}.{qn('day')} <= %s"]
        params += [day_from, day_to]
        sql += " UNION ALL " + _facts_per_post(sums, straggling)
    return sql, params


def _facts_per_post(sums: str, conditions: list[str]) -> str:
    """post_id and the ``sums`` of the facts (alias ``f``) meeting ``conditions``, per post."""
    return (f"SELECT f.{qn('post_id')} AS post_id, {sums} FROM {table(PostDailyFact)} f "
            f"WHERE {' AND '.join(conditions)} GROUP BY f.{qn('post_id')}")


@dataclass
class Stat:
    """Median, mean, sum and n of one metric over a group's posts (posts where the metric is known)."""

    median: float | None = None
    mean: float | None = None
    n: int = 0
    sum: float | None = None
    per_effort_hour: float | None = None


@dataclass
class GroupStats:
    n: int = 0  # posts in the group
    paid_n: int = 0  # of which paid
    effort_n: int = 0  # posts with effort recorded
    effort_hours: float | None = None
    metrics: dict[str, Stat] = field(default_factory=dict)
    top_post_ids: list[int] = field(default_factory=list)  # overall groups, when ``top`` was asked
    post_ids: list[int] | None = None  # with ``with_rows``: the group's posts, in no order
    rows: dict[str, list] | None = None  # with ``with_rows``, overall groups: their posts' ``row_columns``


def row_columns(keys: Sequence[str]) -> tuple[str, ...]:
    """The per-post columns ``group_stats(with_rows=True)`` returns for the overall groups."""
    return ("post_id", "paid", "account_id", "platform", *(f"v_{k}" for k in keys))


GroupKey = tuple


def group_stats(scope: Scope, resolved: Resolved, period: Period, keys: Sequence[str], *,
                group_by: Sequence[str] = (), by_category: dict[int, tuple[int, ...]] | None = None,
                paid_mode: PaidMode = PaidMode.INCLUDE, top: tuple[str, int] | None = None,
                with_rows: bool = False) -> dict[GroupKey, GroupStats]:
    """Per-post statistics per group, plus the overall group (key ``("*", …segment)``).

    ``group_by``: columns of the per-post rows (``platform``, ``account_id``, ``paid``). ``by_category``: the
    category → ancestors map: each post then counts once in every node above one of its tags (key = node id).
    The group key is ``(*group_by values, node)``; the overall key replaces the node / group values by "*"
    except ``paid`` (kept so that paid and organic are never pooled in ``PaidMode.SEPARATE``).

    median = percentile_cont(0.5) over the posts' values (the middle value for an odd n, the mean of the two
    middle values for an even n); mean = arithmetic mean; both ignore posts where the metric is unknown; n is
    the number of posts with a known value; per_effort_hour = Σ value / Σ effort hours over the posts whose
    effort is recorded. ``top=(key, n)``: the overall groups also list the ids of their ``n`` posts with the
    highest ``key`` (unknown values last, ties by id), from the same per-post rows (no second pass).
    ``with_rows``: every group also lists the ids of its posts (``post_ids``) and the overall groups their per-post
    rows (``rows``: ``row_columns``, one list per column, in the same order), from the same statement: a caller that
    needs each post's values as well as the statistics (the category comparison's items) gets them without
    computing the per-post values and probing the tags of every post a second time.
    """
    if not scope.brand_ids:
        return {}
    sql, params = post_values_sql(scope, resolved, period, keys, paid_mode)
    if is_postgresql():
        return _group_stats_postgresql(sql, params, keys, group_by, by_category, scope.organization_id, top,
                                       with_rows)
    return _group_stats_python(sql, params, keys, group_by, by_category, scope.organization_id, top, with_rows)


def _overall_key(group_by: Sequence[str], row_values: Sequence) -> tuple:
    return tuple(v if g == "paid" else "*" for g, v in zip(group_by, row_values, strict=True))


def _tags(organization_id: int, post_ids: Iterable[int], ancestors: dict[int, tuple[int, ...]]) -> dict[int, set]:
    """post id → the category nodes it counts in (its tags and their ancestors)."""
    post_ids = list(post_ids)
    nodes: dict[int, set] = defaultdict(set)
    for start in range(0, len(post_ids), 5000):
        chunk = post_ids[start:start + 5000]
        for post_id, category_id in PostCategory.objects.filter(
            organization_id=organization_id, post_id__in=chunk
        ).values_list("post_id", "category_id"):
            nodes[post_id].update(ancestors.get(category_id, ()))
    return nodes


def fetch_post_values(sql: str, params: list) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return names, cursor.fetchall()


def _group_stats_python(sql, params, keys, group_by, by_category, organization_id,
                        top=None, with_rows=False) -> dict[GroupKey, GroupStats]:
    """SQLite: the per-post rows in one query, the statistics in Python (``statistics.median`` interpolates
    the two middle values of an even count exactly as ``percentile_cont(0.5)`` does)."""
    names, rows = fetch_post_values(sql, params)
    index = {n: i for i, n in enumerate(names)}
    grouped = any(g != "paid" for g in group_by)
    members: dict[GroupKey, list[tuple]] = defaultdict(list)
    tags = _tags(organization_id, (r[0] for r in rows), by_category) if by_category is not None else {}
    for row in rows:
        values = tuple(row[index[g]] for g in group_by)
        overall = _overall_key(group_by, values)
        if by_category is not None:
            members[(*overall, "*")].append(row)
            for node in tags.get(row[0], ()):
                members[(*values, node)].append(row)
        else:
            members[overall].append(row)
            if grouped:
                members[values].append(row)
    effort_at, paid_at = index["effort"], index["paid"]
    out = {}
    for key, group in members.items():
        efforts = [float(r[effort_at]) for r in group if r[effort_at] is not None and r[effort_at] > 0]
        stats = GroupStats(n=len(group), paid_n=sum(1 for r in group if r[paid_at]), effort_n=len(efforts),
                           effort_hours=float(sum(efforts)) if efforts else None)
        for k in keys:
            column = index[f"v_{k}"]
            known = [float(r[column]) for r in group if r[column] is not None]
            stat = Stat(n=len(known))
            if known:
                stat.median = float(statistics.median(known))
                stat.mean = float(statistics.fmean(known))
                stat.sum = float(sum(known))
            if per_hour_applies(k):
                pairs = [(float(r[column]), float(r[effort_at])) for r in group
                         if r[column] is not None and r[effort_at] is not None and r[effort_at] > 0]
                hours = sum(h for _, h in pairs)
                stat.per_effort_hour = sum(v for v, _ in pairs) / hours if hours else None
            stats.metrics[k] = stat
        is_overall = all(v == "*" or g == "paid" for g, v in zip((*group_by, "node"), key, strict=False))
        if top is not None and is_overall:
            column = index[f"v_{top[0]}"]
            ranked = sorted(group, key=lambda r: (r[column] is None, -(r[column] or 0), r[0]))
            stats.top_post_ids = [r[0] for r in ranked[:top[1]]]
        if with_rows:
            stats.post_ids = [r[0] for r in group]
            if is_overall:
                stats.rows = {c: [r[index[c]] for r in group] for c in row_columns(keys)}
        out[key] = stats
    return out


def _aggregates_sql(keys: Sequence[str]) -> str:
    parts = ["COUNT(*)", "SUM(paid)", "COUNT(CASE WHEN effort > 0 THEN 1 END)",
             "SUM(CASE WHEN effort > 0 THEN effort END)"]
    for k in keys:
        v = qn(f"v_{k}")
        parts += [f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {v})", f"AVG({v})", f"COUNT({v})", f"SUM({v})"]
        if per_hour_applies(k):
            parts.append(f"SUM({v}) FILTER (WHERE effort > 0) / NULLIF(SUM(effort) FILTER "
                         f"(WHERE effort > 0 AND {v} IS NOT NULL), 0)")
        else:
            parts.append("NULL")
    return ", ".join(parts)


def postgresql_stats_query(sql, params, keys, group_by, by_category, organization_id,
                           top=None, with_rows=False) -> tuple[str, list, int]:
    """The PostgreSQL statement of ``group_stats``: (query, params, number of group-key columns).

    The per-post rows are materialised once (``vals``) and aggregated for the overall group and for each group
    with ``percentile_cont(0.5) WITHIN GROUP (ORDER BY value)``, in one round trip.
    """
    aggregates = _aggregates_sql(keys)
    # Group values travel as text so that the overall row ('*') and the grouped rows share a column type.
    as_text = [g if g == "paid" else f"vals.{g}::text" for g in group_by]
    overall = [g if g == "paid" else "'*'" for g in group_by]
    paid_only = [g for g in group_by if g == "paid"]
    if by_category is not None:
        overall.append("'*'")
    if top is not None:
        ranked = qn(f"v_{top[0]}")
        top_sql = f", (array_agg(post_id ORDER BY ({ranked} IS NULL), {ranked} DESC, post_id))[1:{int(top[1])}]"
        aggregates_overall, aggregates = aggregates + top_sql, aggregates + ", NULL::bigint[]"
    else:
        aggregates_overall = aggregates
    if with_rows:
        # Every aggregate of a group is fed its rows in the same order: the overall groups' arrays line up.
        columns = row_columns(keys)
        aggregates_overall += "".join(f", array_agg(vals.{qn(c)})" for c in columns)
        aggregates += ", array_agg(vals.post_id)" + ", NULL" * (len(columns) - 1)
    parts = [f"SELECT {''.join(c + ', ' for c in overall)}{aggregates_overall} FROM vals"
             + (" GROUP BY paid" if paid_only else "")]
    all_params = list(params)
    if by_category is not None:
        pairs = [(cat, node) for cat, nodes in by_category.items() for node in nodes]
        if pairs:
            values = ", ".join(["(%s, %s)"] * len(pairs))
            all_params += [x for pair in pairs for x in pair] + [organization_id]
            group_cols = ", ".join([*(f"vals.{g}" for g in group_by), "g.node"])
            parts.append(
                f"SELECT {''.join(c + ', ' for c in as_text)}g.node::text, {aggregates} FROM vals JOIN ("
                f"SELECT DISTINCT t.{qn('post_id')} AS post_id, c.node FROM {table(PostCategory)} t "
                f"JOIN (VALUES {values}) AS c(cat, node) ON c.cat = t.{qn('category_id')} "
                f"WHERE t.{qn('organization_id')} = %s AND t.{qn('post_id')} IN (SELECT post_id FROM vals)) g "
                f"ON g.post_id = vals.post_id GROUP BY {group_cols}"
            )
    elif any(g != "paid" for g in group_by):
        parts.append(f"SELECT {', '.join(as_text)}, {aggregates} FROM vals GROUP BY {', '.join(group_by)}")
    query = f"WITH vals AS MATERIALIZED ({sql}) " + " UNION ALL ".join(f"({part})" for part in parts)
    return query, all_params, len(overall)


def _group_stats_postgresql(sql, params, keys, group_by, by_category, organization_id, top=None, with_rows=False):
    query, all_params, width = postgresql_stats_query(sql, params, keys, group_by, by_category, organization_id,
                                                      top, with_rows)
    with connection.cursor() as cursor:
        cursor.execute(query, all_params)
        rows = cursor.fetchall()
    out = {}
    for row in rows:
        rest = row[width:]
        if not rest[0]:
            continue  # the overall row of an empty set: no group, as on SQLite
        stats = GroupStats(n=rest[0], paid_n=int(rest[1] or 0), effort_n=rest[2],
                           effort_hours=None if rest[3] is None else float(rest[3]))
        for i, k in enumerate(keys):
            median, mean, n, total, per_hour = rest[4 + 5 * i: 9 + 5 * i]
            stats.metrics[k] = Stat(
                median=None if median is None else float(median), mean=None if mean is None else float(mean),
                n=n, sum=None if total is None else float(total),
                per_effort_hour=None if per_hour is None else float(per_hour),
            )
        extra = rest[4 + 5 * len(keys):]
        if top is not None:
            stats.top_post_ids = list(extra[0] or [])
            extra = extra[1:]
        if with_rows:
            stats.post_ids = extra[0] or []
            if extra[1] is not None:  # an overall group
                stats.rows = dict(zip(row_columns(keys), extra, strict=True))
        out[tuple(_parse_key(v) for v in row[:width])] = stats
    return out


def _parse_key(value):
    if isinstance(value, str) and value != "*" and value.lstrip("-").isdigit():
        return int(value)
    return value


def explain_group_stats(scope: Scope, period: Period, keys: Sequence[str], *, group_by: Sequence[str] = (),
                        by_category: dict[int, tuple[int, ...]] | None = None,
                        paid_mode: PaidMode = PaidMode.INCLUDE) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the exact statement ``group_stats`` runs on PostgreSQL (benchmarks)."""
    from metrics.kpis.cache import analytic_session

    with analytic_session():
        resolved = resolve(scope)
        sql, params = post_values_sql(scope, resolved, period, keys, paid_mode)
        query, all_params, _ = postgresql_stats_query(sql, params, keys, group_by, by_category,
                                                      scope.organization_id)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, all_params)
            return "\n".join(r[0] for r in cursor.fetchall())
