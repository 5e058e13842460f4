"""Measure the five KPI endpoints on the benchmark tenant, against a pandas baseline, and EXPLAIN the medians.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpiboard_bench_kpiengine CACHE_URL=redis://127.0.0.1:6379/11 \\
        DEBUG=false .venv/bin/python -m bench.kpis.run --requests 30 --explain

Every request goes through the whole Django stack (middleware, token authentication, the tenancy mixin,
parameter validation, the engine, JSON rendering) with ``django.test.Client``. *Cold*: the cache is emptied
before each request, so the engine computes everything; *warm*: the answer is in the cache (Redis when
CACHE_URL is set, as in production). p50/p95 over ``--requests`` requests per endpoint and period.

The pandas baseline loads the tenant's whole facts, posts, tags, snapshots and account facts into DataFrames
once (not timed) and then does, per endpoint, the same filtering and grouping in memory (same periods, same
medians); its p95 over the same number of runs is the yardstick of "≤ 3× pandas".
"""

# The baseline's COPY statements embed the organization id, an integer read from the database.
# ruff: noqa: S608
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from datetime import date, timedelta

import numpy as np

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kpiboard_bench_kpiengine"
ENDPOINTS = ("kpis", "funnel", "category-comparison", "benchmarks", "anomalies")
ENGAGEMENT = {  # metrics.catalog.ENGAGEMENT_BY_PLATFORM restricted to the generated columns
    "wechat_oa": ("likes", "shares", "comments", "collects"), "wechat_channels": ("likes", "shares", "comments"),
    "douyin": ("likes", "shares", "comments", "collects"), "kuaishou": ("likes", "shares", "comments", "collects"),
    "xiaohongshu": ("likes", "shares", "comments", "collects"),
    "bilibili": ("likes", "shares", "comments", "collects"), "weibo": ("likes", "shares", "comments"),
}
METRICS = ("views", "impressions", "likes", "comments", "shares", "collects", "clicks", "followers_gained", "cost")


def setup(args) -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiboard.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark runs on PostgreSQL (DATABASE_URL)")
    backend = type(cache).__name__
    if backend == "RedisCache":
        client = cache._cache.get_client()
        foreign = [k for k in client.scan_iter(count=1000) if b"kpiboard:kpi" not in k]
        if foreign:
            raise SystemExit(f"the cache's Redis database holds {len(foreign)} other keys: choose another "
                             f"CACHE_URL database (cache.clear() empties it)")


def percentile(values, q) -> float:
    return float(np.percentile(np.array(values), q))


# ---------------------------------------------------------------------------------------------- endpoints


def measure_endpoints(args, periods) -> dict:
    from django.core.cache import cache
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import Brand, Organization

    org = Organization.objects.get(slug="bench")
    brand = Brand.objects.get(organization=org, slug=args.brand)
    token = Token.objects.get(user__memberships__organization=org)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    results = {}
    for period_name, (start, end) in periods.items():
        for endpoint in ENDPOINTS:
            url = f"/api/v1/orgs/{org.slug}/{endpoint}/"
            params = {"brand": brand.id, "start": start.isoformat(), "end": end.isoformat()}
            cache.clear()
            response = client.get(url, params)  # not timed: imports, connection, first plans
            assert response.status_code == 200, response.content[:300]
            size = len(response.content)
            cold, warm = [], []
            for _ in range(args.requests):
                cache.clear()
                started = time.perf_counter()
                response = client.get(url, params)
                cold.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            client.get(url, params)
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(url, params)
                warm.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            results[(period_name, endpoint)] = {
                "cold_p50": percentile(cold, 50), "cold_p95": percentile(cold, 95),
                "warm_p50": percentile(warm, 50), "warm_p95": percentile(warm, 95), "bytes": size,
            }
            print(f"{period_name:6} {endpoint:20} cold p95 {results[(period_name, endpoint)]['cold_p95']:8.1f} ms  "
                  f"warm p95 {results[(period_name, endpoint)]['warm_p95']:6.1f} ms  ({size:,} bytes)", flush=True)
    return results


# ----------------------------------------------------------------------------------------- pandas baseline


def read_frame(sql: str, dtypes: dict | None = None, dates=()):
    import pandas as pd
    from django.db import connection

    buffer = io.StringIO()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", buffer)
    buffer.seek(0)
    # PostgreSQL's CSV writes booleans as t / f.
    frame = pd.read_csv(buffer, dtype=dtypes, parse_dates=list(dates), true_values=["t"], false_values=["f"])
    return frame


def load_frames(org_id: int) -> dict:
    """The tenant's whole data in memory (not timed)."""
    import pandas as pd

    from metrics.kpis.queries import category_ancestors, category_tree

    cat = "category"
    frames = {}
    frames["facts"] = read_frame(
        "SELECT post_id, brand_id, account_id, platform, media_type, traffic, day, "
        f"{', '.join(METRICS)} FROM metrics_postdailyfact WHERE organization_id = {org_id}",
        {"platform": cat, "media_type": cat, "traffic": cat}, dates=("day",))
    frames["posts"] = read_frame(
        "SELECT id AS post_id, brand_id, account_id, platform, media_type, traffic, "
        "published_at AT TIME ZONE 'Asia/Shanghai' AS published, effort_hours "
        f"FROM metrics_post WHERE organization_id = {org_id}",
        {"platform": cat, "media_type": cat, "traffic": cat}, dates=("published",))
    frames["posts"]["pub_day"] = frames["posts"]["published"].dt.normalize()
    tags = read_frame(f"SELECT post_id, category_id FROM metrics_postcategory WHERE organization_id = {org_id}")
    ancestors = category_ancestors(category_tree(org_id))
    pairs = pd.DataFrame([(c, a) for c, chain in ancestors.items() for a in chain], columns=["category_id", "node"])
    frames["tags"] = tags.merge(pairs, on="category_id")[["post_id", "node"]].drop_duplicates()
    frames["snapshots"] = read_frame(
        "SELECT post_id, collected_at AT TIME ZONE 'Asia/Shanghai' AS collected, views, likes, comments, shares "
        f"FROM metrics_postsnapshot WHERE organization_id = {org_id}", dates=("collected",))
    frames["accounts"] = read_frame(
        "SELECT account_id, brand_id, platform, day, unsettled, followers_total, followers_gained, followers_lost, "
        f"followers_net FROM metrics_accountdailyfact WHERE organization_id = {org_id}", dates=("day",))
    brands = read_frame(f"SELECT id AS brand_id, is_competitor FROM accounts_brand WHERE organization_id = {org_id}")
    frames["competitors"] = brands.loc[brands.is_competitor, "brand_id"].tolist()
    return frames


def _engagement(frame):
    import pandas as pd

    out = pd.Series(np.nan, index=frame.index)
    for platform, keys in ENGAGEMENT.items():
        rows = frame["platform"] == platform
        if rows.any():
            out[rows] = frame.loc[rows, list(keys)].sum(axis=1, min_count=1)
    return out


def _previous(start: date, end: date) -> tuple[date, date]:
    from metrics.kpis import Period

    p = Period(start, end).previous()
    return p.start, p.end


def _post_totals(f, posts, brands, start, end, organic=True):
    import pandas as pd

    ts, te = pd.Timestamp(start), pd.Timestamp(end)
    chosen = posts[posts.brand_id.isin(brands) & (posts.pub_day >= ts) & (posts.pub_day <= te)]
    if organic:
        chosen = chosen[(chosen.media_type != "paid") & (chosen.traffic != "paid")]
    facts = f["facts"]
    rows = facts[facts.post_id.isin(chosen.post_id) & (facts.day >= ts) & (facts.day <= te)]
    totals = rows.groupby("post_id")[list(METRICS)].sum(min_count=1)
    totals = totals.join(chosen.set_index("post_id")[["platform", "account_id", "effort_hours"]])
    totals["engagement"] = _engagement(totals)
    totals["engagement_rate"] = totals["engagement"] / totals["views"].replace(0, np.nan)
    return totals


def _stats(frame, by, columns):
    grouped = frame.groupby(by, observed=True)[list(columns)]
    return grouped.median(), grouped.mean(), grouped.count()


def pandas_kpis(f, brand, start, end):
    import pandas as pd

    prev_start, _ = _previous(start, end)
    facts = f["facts"]
    rows = facts[(facts.brand_id == brand) & (facts.day >= pd.Timestamp(prev_start)) & (facts.day <= pd.Timestamp(end))]
    sums = rows.groupby(["day", "platform"], observed=True)[list(METRICS)].sum(min_count=1)
    posts = f["posts"]
    published = posts[(posts.brand_id == brand) & (posts.pub_day >= pd.Timestamp(prev_start))
                      & (posts.pub_day <= pd.Timestamp(end))].groupby(["pub_day", "platform"], observed=True).size()
    acc = f["accounts"]
    account = acc[(acc.brand_id == brand) & (acc.day >= pd.Timestamp(prev_start)) & (acc.day <= pd.Timestamp(end))]
    account_sums = account[~account.unsettled].groupby(["day", "platform"])[
        ["followers_gained", "followers_lost", "followers_net"]].sum()
    last = account.sort_values("day").groupby("account_id")["followers_total"].last()
    return sums, published, account_sums, last


def pandas_category(f, brand, start, end):
    totals = _post_totals(f, f["posts"], [brand], start, end)
    columns = ("views", "likes", "comments", "shares", "collects", "engagement", "engagement_rate")
    tagged = totals.join(f["tags"].set_index("post_id"), how="inner")
    return _stats(tagged, "node", columns), totals[list(columns)].median()


def pandas_funnel(f, brand, start, end):
    sums = pandas_kpis(f, brand, start, end)
    totals = _post_totals(f, f["posts"], [brand], start, end, organic=False)
    return sums, _stats(totals, "platform", ("impressions", "views", "engagement", "shares"))


def pandas_benchmarks(f, brand, start, end):
    import pandas as pd

    brands = [brand, *f["competitors"]]
    totals = _post_totals(f, f["posts"], brands, start, end)
    per_account = _stats(totals, "account_id", ("engagement",))
    top = totals.nlargest(20, "engagement")
    facts = f["facts"]
    rows = facts[facts.brand_id.isin(brands) & (facts.day >= pd.Timestamp(start)) & (facts.day <= pd.Timestamp(end))
                 & (facts.traffic == "organic")]
    engagement = rows.groupby(["account_id", "platform"], observed=True)[["likes", "shares", "comments", "collects"]]\
        .sum(min_count=1)
    acc = f["accounts"]
    account = acc[acc.brand_id.isin(brands) & (acc.day >= pd.Timestamp(start)) & (acc.day <= pd.Timestamp(end))]
    follows = account[~account.unsettled].groupby("account_id")[["followers_gained", "followers_lost",
                                                                 "followers_net"]].sum()
    last = account.sort_values("day").groupby("account_id")["followers_total"].last()
    return per_account, top, engagement, follows, last


def pandas_anomalies(f, brand, start, end):
    import pandas as pd

    facts, posts = f["facts"], f["posts"]
    first_week = pd.Timestamp(start - timedelta(days=start.weekday()))
    rows = facts[(facts.brand_id == brand) & (facts.day >= first_week - pd.Timedelta(weeks=8))
                 & (facts.day <= pd.Timestamp(end))]
    weekly = rows.assign(week=rows.day - pd.to_timedelta(rows.day.dt.weekday, unit="D")).groupby(
        ["account_id", "week"])[["likes", "comments", "shares"]].sum()
    ratio = weekly["likes"] / weekly["comments"].replace(0, np.nan)
    rolling = ratio.groupby(level=0).transform(lambda s: s.shift(1).rolling(8, min_periods=4).median())
    shifted = ratio[(ratio >= 2 * rolling) | (ratio <= rolling / 2)]
    chosen = posts[(posts.brand_id == brand) & (posts.pub_day >= pd.Timestamp(start))
                   & (posts.pub_day <= pd.Timestamp(end))]
    snaps = f["snapshots"]
    snaps = snaps[snaps.post_id.isin(chosen.post_id)].merge(chosen[["post_id", "published"]], on="post_id")
    early = snaps[snaps.collected <= snaps.published + pd.Timedelta(hours=3)].groupby("post_id")[
        ["views", "likes"]].last()
    final = snaps[snaps.collected <= pd.Timestamp(end) + pd.Timedelta(days=1)].groupby("post_id")[
        ["views", "likes"]].last()
    surge = (early / final.loc[early.index]) >= 0.5
    acc = f["accounts"]
    account = acc[(acc.brand_id == brand) & (acc.day >= pd.Timestamp(start) - pd.Timedelta(days=56))
                  & (acc.day <= pd.Timestamp(end)) & ~acc.unsettled]
    pushes = chosen.groupby(["account_id", "pub_day"]).size()
    merged = account.set_index(["account_id", "day"]).join(pushes.rename("pushes"))
    baseline = merged[merged.pushes.isna()].groupby(level=0)["followers_lost"].median()
    return shifted, surge.any(axis=1).sum(), baseline


PANDAS = {"kpis": pandas_kpis, "funnel": pandas_funnel, "category-comparison": pandas_category,
          "benchmarks": pandas_benchmarks, "anomalies": pandas_anomalies}


def measure_pandas(args, periods, brand_id, org_id) -> dict:
    started = time.perf_counter()
    frames = load_frames(org_id)
    rows = len(frames["facts"])
    memory = sum(frame.memory_usage(deep=True).sum() for key, frame in frames.items() if key != "competitors")
    print(f"pandas: loaded {rows:,} facts and {len(frames['snapshots']):,} snapshots in "
          f"{time.perf_counter() - started:.0f} s ({memory / 1e9:.1f} GB in memory)", flush=True)
    results = {}
    for period_name, (start, end) in periods.items():
        for endpoint in ENDPOINTS:
            timings = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                PANDAS[endpoint](frames, brand_id, start, end)
                timings.append((time.perf_counter() - t0) * 1000)
            results[(period_name, endpoint)] = {"p50": percentile(timings, 50), "p95": percentile(timings, 95)}
            print(f"{period_name:6} {endpoint:20} pandas p95 {results[(period_name, endpoint)]['p95']:8.1f} ms",
                  flush=True)
    return results


# ------------------------------------------------------------------------------------------------ EXPLAIN


def explain(brand_id: int, org_id: int, periods) -> str:
    from metrics.kpis import PaidMode, Period, Scope
    from metrics.kpis.categories import DEFAULT_METRICS
    from metrics.kpis.queries import category_ancestors, category_tree, explain_group_stats

    scope = Scope(organization_id=org_id, brand_ids=(brand_id,))
    ancestors = category_ancestors(category_tree(org_id))
    out = []
    for name, (start, end) in periods.items():
        period = Period(start, end)
        out.append(f"### Category comparison medians, brand-{name} ({start} … {end})\n\n```\n"
                   + explain_group_stats(scope, period, DEFAULT_METRICS, by_category=ancestors,
                                         paid_mode=PaidMode.EXCLUDE) + "\n```\n")
    start, end = periods["year"]
    out.append(f"### Funnel per-item medians per platform, brand-year ({start} … {end})\n\n```\n"
               + explain_group_stats(scope, Period(start, end), ("impressions", "views", "engagement", "shares"),
                                     group_by=("platform",)) + "\n```\n")
    return "\n".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--brand", default="brand-0", help="slug of the brand asked about")
    parser.add_argument("--month", default="2026-05", help="the brand-month (YYYY-MM)")
    parser.add_argument("--year-end", type=date.fromisoformat, default=date(2026, 6, 30),
                        help="last day of the brand-year (365 days)")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the median queries")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    setup(args)
    import calendar

    from accounts.models import Brand

    year, month = (int(x) for x in args.month.split("-"))
    periods = {
        "month": (date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])),
        "year": (args.year_end - timedelta(days=364), args.year_end),
    }
    brand = Brand.objects.get(organization__slug="bench", slug=args.brand)
    print(f"load average before: {os.getloadavg()}", flush=True)
    endpoints = measure_endpoints(args, periods)
    baseline = {} if args.no_pandas else measure_pandas(args, periods, brand.id, brand.organization_id)
    print(f"load average after: {os.getloadavg()}", flush=True)
    print("\n| period | endpoint | cold p50 | cold p95 | warm p95 | pandas p95 | cold p95 / pandas p95 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for key, figures in endpoints.items():
        pandas_p95 = baseline.get(key, {}).get("p95")
        ratio = f"{figures['cold_p95'] / pandas_p95:.2f}×" if pandas_p95 else "–"
        print(f"| brand-{key[0]} | {key[1]} | {figures['cold_p50']:.0f} ms | {figures['cold_p95']:.0f} ms | "
              f"{figures['warm_p95']:.1f} ms | {f'{pandas_p95:.0f} ms' if pandas_p95 else '–'} | {ratio} |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"endpoints": {f"{k[0]}/{k[1]}": v for k, v in endpoints.items()},
                       "pandas": {f"{k[0]}/{k[1]}": v for k, v in baseline.items()},
                       "load_average": os.getloadavg()}, handle, indent=2)
    if args.explain:
        print("\n" + explain(brand.id, brand.organization_id, periods))


if __name__ == "__main__":
    sys.exit(main())
