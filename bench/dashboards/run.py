"""Server time of every dashboard page at the KPI engine's benchmark scale.

    # 1. the data: the KPI engine's generator (bench/kpis/generate.py) into this benchmark's own database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpiboard_bench_kpiengine_dashboards \\
        .venv/bin/python -m bench.dashboards.run --generate --posts 1000000
    # 2. later runs reuse it (CACHE_URL: the engine's cache in Redis, as in production; a database of its own,
    #    since every cold run empties it)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpiboard_bench_kpiengine_dashboards \\
        CACHE_URL=redis://127.0.0.1:6379/12 .venv/bin/python -m bench.dashboards.run

Each page is requested through Django's test client as the bench tenant's owner (what the server does for a
request: middleware, view, engine, templates, Plotly figures; no network, no browser), for three periods, with
the KPI cache empty ("cold": the engine computes everything) and again right after ("warm": the engine's answers
come from the cache, keyed by the brands' data versions). The figures are the median of ``--repeat`` runs; the
budget is 300 ms per page (the issue's "server time for any dashboard page"). Results are printed as a Markdown
table for bench/README.md and written to bench/out/dashboards.json.

The data ends today (``--end`` defaults to today, Beijing time) so that the period presets the pages offer hold
data. The generator drops and recreates the database named in DATABASE_URL, which its safety rule wants named
``kpiboard_bench_kpiengine_…``; the default here is ``kpiboard_bench_kpiengine_dashboards``, so the KPI engine's
own benchmark database is never touched. DEBUG is off, as in production (Django would otherwise keep every SQL
statement in memory).

One data set for both benchmarks (10 M snapshots take ~20 minutes to generate): generate the KPI engine's
database with its last day today, run ``bench.kpis.run`` on it with ``--month``/``--year-end`` inside the data, and
point this benchmark at the same DATABASE_URL (without ``--generate``); see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kpiboard_bench_kpiengine_dashboards"
BUDGET_MS = 300
PERIODS = ("last_30_days", "last_90_days", "this_year")


def pages(brand: str, competitor: str, post_id: int, category_id: int) -> list[tuple[str, str]]:
    """(page name, URL without the period) of every dashboard page."""
    return [
        ("overview", "/dashboard/"),
        ("brand dashboard", f"/brands/{brand}/dashboard/"),
        ("category comparison", f"/brands/{brand}/categories/"),
        ("category drill-down", f"/brands/{brand}/categories/?category={category_id}"),
        ("content explorer", f"/brands/{brand}/content/"),
        ("content explorer, by engagement", f"/brands/{brand}/content/?sort=-engagement"),
        ("post detail", f"/content/posts/{post_id}/"),
        ("benchmark: account level", f"/brands/{brand}/competitors/"),
        ("benchmark: content level", f"/brands/{brand}/competitors/?tab=content"),
        ("competitor's dashboard", f"/brands/{competitor}/dashboard/"),
    ]


def with_period(url: str, period: str) -> str:
    return url + ("&" if "?" in url else "?") + f"period={period}"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiboard.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def measure(client, url: str, repeat: int) -> tuple[float, float, int]:
    """(cold ms, warm ms, response bytes): medians over ``repeat`` runs."""
    from django.core.cache import cache

    cold, warm, size = [], [], 0
    for _ in range(repeat):
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        cold.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        started = time.perf_counter()
        response = client.get(url)
        warm.append((time.perf_counter() - started) * 1000)
        size = len(response.content)
    return statistics.median(cold), statistics.median(warm), size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", action="store_true", help="(re)create the data with bench/kpis/generate.py")
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts to generate (the KPI engine's scale)")
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last day of data (default: today)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--periods", nargs="*", default=list(PERIODS))
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…/kpiboard_bench_kpiengine_…")
    os.environ.setdefault("DEBUG", "false")
    if args.generate:
        from bench.kpis import generate

        end = args.end
        if end is None:
            from datetime import datetime
            from zoneinfo import ZoneInfo

            end = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        os.environ["DATABASE_URL"] = url
        generate.main(["--posts", str(args.posts), "--end", end.isoformat(), "--verify", "0"])
    else:
        setup_django(url)

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import Brand, Membership
    from metrics.models import ContentCategory, Post

    setup_test_environment()  # the test client's host and the response context
    membership = Membership.objects.select_related("user", "organization").get(organization__slug="bench", role="owner")
    org = membership.organization
    brand = Brand.objects.filter(organization=org, is_competitor=False).order_by("slug").first()
    competitor = Brand.objects.filter(organization=org, is_competitor=True).order_by("slug").first()
    post = Post.objects.filter(organization=org, brand=brand).order_by("-published_at").first()
    category = (  # the top-level category with the most tagged posts: the drill-down with the most to show
        ContentCategory.objects.filter(organization=org, parent__isnull=True, children__isnull=False)
        .annotate(n=Count("children__taggings"))
        .order_by("-n")
        .first()
    )
    client = Client()
    client.force_login(membership.user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM metrics_post WHERE organization_id = %s", [org.pk])
        posts = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM metrics_postsnapshot WHERE organization_id = %s", [org.pk])
        snapshots = cursor.fetchone()[0]
    print(
        f"tenant {org.slug}: {posts:,} posts, {snapshots:,} snapshots; brand {brand.slug} "
        f"({Post.objects.filter(organization=org, brand=brand).count():,} posts)",
        flush=True,
    )

    client.get(with_period(f"/brands/{brand.slug}/dashboard/", "last_30_days"))  # imports, template compilation
    results = []
    for period in args.periods:
        for name, path in pages(brand.slug, competitor.slug, post.pk, category.pk):
            target = with_period(path, period)
            cold, warm, size = measure(client, target, args.repeat)
            results.append(
                {
                    "page": name,
                    "period": period,
                    "url": target,
                    "cold_ms": round(cold, 1),
                    "warm_ms": round(warm, 1),
                    "bytes": size,
                }
            )
            flag = "" if cold <= BUDGET_MS else "  > budget"
            print(
                f"{period:<14} {name:<34} cold {cold:7.1f} ms   warm {warm:7.1f} ms   {size / 1024:6.0f} kB{flag}",
                flush=True,
            )

    from django.core.cache import cache

    from metrics.views.warm import dashboards_warm

    cache.clear()
    warming = dashboards_warm(org.pk, [brand.pk])
    print(f"\ndashboards_warm of one brand (overview + 4 pages, last 30 days): {warming['seconds']:.1f} s", flush=True)

    print("\n| page | period | cold (ms) | warm (ms) | page size |\n|---|---|---:|---:|---:|")
    for row in results:
        print(
            f"| {row['page']} | {row['period']} | {row['cold_ms']:.0f} | {row['warm_ms']:.0f} | "
            f"{row['bytes'] / 1024:.0f} kB |"
        )
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "dashboards.json").write_text(
        json.dumps(
            {
                "posts": posts,
                "snapshots": snapshots,
                "repeat": args.repeat,
                "budget_ms": BUDGET_MS,
                "results": results,
                "warming": warming,
            },
            indent=2,
        )
    )
    worst_cold = max(r["cold_ms"] for r in results)
    worst_warm = max(r["warm_ms"] for r in results)
    print(f"\nslowest page: cold {worst_cold:.0f} ms, warm {worst_warm:.0f} ms (budget {BUDGET_MS} ms)")
    return 0 if worst_warm <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
