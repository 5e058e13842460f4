"""Bulk-load one tenant with N posts, ~10.5 N snapshots and the facts and rollup derived from them, into a
PostgreSQL benchmark database, with COPY (never the ORM row by row).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpiboard_bench_kpiengine \\
        .venv/bin/python -m bench.kpis.generate --posts 1000000

The database named in DATABASE_URL is dropped and recreated, then migrated. The tenant ("bench") is an agency
with 8 own brands and 2 competitor brands, each with one account per platform and two influencer accounts,
posting over the two years before ``--end`` (default 2026-06-30); post ids follow publication order, as
imports create them. Each post is collected at +2 h, +1, 2, 3, 5,
7, 14, 30, 60, 90 and 180 days (when that is not after ``--end``): 10.46 snapshots per post on average. The
cumulative counts follow 1 − exp(−t/36 h); 0.3 % of posts get 70 % of their counts in the first 2 hours (bought
volume), so the anomaly endpoint has work to do.

Facts are the differences between consecutive snapshots (each snapshot falls on its own Beijing day: posts
are published between 07:00 and 21:00), exactly what ``metrics.services.facts.deltas_from_snapshots`` gives
(``--verify`` re-derives a sample of posts with it and compares). Snapshots and facts are computed by
PostgreSQL itself (``INSERT … SELECT`` over a per-post table of random final counts × the collection offsets):
formatting 20 M rows of floats as COPY text in Python took longer than the database needs to build them. The rollup is built by the real
``rollup_rebuild`` SQL and the per-post totals by the import's ``post_totals_rebuild``. Secondary indexes and unique constraints are dropped during the load and recreated
after it (building an index once is much faster than maintaining it row by row), and FK triggers are off
during COPY (``session_replication_role = replica``); the schema ends up exactly as the migrations made it.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np

from bench import pg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kpiboard_bench_kpiengine"
OFFSETS_H = np.array([2, 24, 48, 72, 120, 168, 336, 720, 1440, 2160, 4320], dtype=np.int64)
PLATFORMS = ("wechat_oa", "wechat_channels", "douyin", "kuaishou", "xiaohongshu", "bilibili", "weibo")
PLATFORM_WEIGHTS = np.array([0.12, 0.1, 0.2, 0.1, 0.22, 0.08, 0.18])
FORMATS = {
    "wechat_oa": ("article",), "wechat_channels": ("short_video", "livestream"),
    "douyin": ("short_video", "livestream"), "kuaishou": ("short_video", "skit_episode"),
    "xiaohongshu": ("image_note", "short_video"), "bilibili": ("long_video",), "weibo": ("post", "short_video"),
}
CATEGORY_TREE = {
    "Education": {"Brand image": {}, "Beauty knowledge": {}},
    "Audience engage": {"Lottery": {}, "Trendy topics": {}},
    "Product promotion": {"Plain products": {}, "Celebrity collaboration": {"Li": {}, "Sun": {}, "Zhao": {}, "Mi": {}}},
}
OWN_BRANDS, COMPETITOR_BRANDS = 8, 2
CHUNK = 100_000  # posts per generation pass: ~1.05 M snapshot rows in memory at a time
BIG_TABLES = ("metrics_post", "metrics_postcategory", "metrics_postsnapshot", "metrics_postdailyfact",
              "metrics_dailyrollup", "metrics_posttotal")
TZ_OFFSET = timedelta(hours=8)


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


def recreate_database(url: str) -> None:
    pg.recreate_database(url, "kpiboard_bench_kpiengine")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiboard.settings")
    import django

    django.setup()


def base_objects(seed_rng):
    """Organization, brands, accounts, categories, campaigns and a member with an API token (ORM: few rows)."""
    from rest_framework.authtoken.models import Token

    from accounts.models import Brand, Membership, Organization, Role, User
    from campaigns.models import Campaign
    from metrics.models import ContentCategory, SocialAccount

    org = Organization.objects.create(name="Bench Agency", slug="bench", kind=Organization.Kind.AGENCY)
    user = User.objects.create_user("bench@kpiboard.local", "bench-password-1")
    Membership.objects.create(organization=org, user=user, role=Role.OWNER)
    Token.objects.create(user=user)
    brands, accounts, campaigns = [], [], {}
    for b in range(OWN_BRANDS + COMPETITOR_BRANDS):
        competitor = b >= OWN_BRANDS
        brand = Brand.objects.create(organization=org, name=f"{'Rival' if competitor else 'Brand'} {b}",
                                     slug=f"brand-{b}", is_competitor=competitor)
        brands.append(brand)
        for platform in PLATFORMS:
            accounts.append(SocialAccount.objects.create(
                organization=org, brand=brand, platform=platform, handle=f"b{b}_{platform}",
                display_name=f"品牌{b} {platform}", is_competitor=competitor))
        if not competitor:
            for platform in ("xiaohongshu", "douyin"):
                accounts.append(SocialAccount.objects.create(
                    organization=org, brand=brand, platform=platform, handle=f"b{b}_kol_{platform}", kind="kol",
                    media_type="paid"))
            campaigns[brand.id] = [Campaign.objects.create(organization=org, brand=brand, name=f"Campaign {b}-{i}",
                                                           slug=f"c{b}-{i}").id for i in range(4)]
    leaves = []

    def add(tree, parent=None):
        for name, children in tree.items():
            node = ContentCategory.objects.create(organization=org, name=name, parent=parent)
            if children:
                add(children, node)
            else:
                leaves.append(node.id)

    add(CATEGORY_TREE)
    return org, brands, accounts, campaigns, leaves


def index_definitions(cursor) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(table, constraint name, definition) of unique constraints and CREATE INDEX statements of plain
    secondary indexes of the big tables (primary keys stay)."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)", [list(BIG_TABLES)])
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND i.indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))", [list(BIG_TABLES)])
    return constraints, [r[0] for r in cursor.fetchall()]


def drop_indexes(cursor, constraints, indexes) -> None:
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for definition in indexes:
        name = definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0]
        cursor.execute(f"DROP INDEX {name}")


def create_indexes(cursor, constraints, indexes, started) -> None:
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        log(f"  constraint {name}", started)
    for definition in indexes:
        cursor.execute(definition)
    log(f"  {len(indexes)} indexes", started)


def copy(cursor, table: str, columns: list[str], frame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N", columns=columns)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buffer)


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """UTC epoch seconds → 'YYYY-MM-DD HH:MM:SS+00' text for COPY."""
    return np.char.add(seconds.astype("datetime64[s]").astype(str), "+00")


SNAPSHOT_SQL = """
INSERT INTO metrics_postsnapshot (organization_id, created_at, updated_at, {metric_cols}, post_id, collected_at,
                                  batch_id, extra)
SELECT %(org)s, %(now)s, %(now)s, {metric_values}, s.post_id, s.published_at + o.hours * interval '1 hour',
       NULL, '{{}}'
FROM bench_post_stats s CROSS JOIN bench_offsets o
WHERE s.published_at + o.hours * interval '1 hour' <= %(end)s
ORDER BY s.post_id, o.hours
"""

# A fact is the difference between a snapshot and the post's previous one (each on its own Beijing day): the
# same cumulative values minus those of the previous offset, computed side by side instead of by a window sort.
FACT_SQL = """
INSERT INTO metrics_postdailyfact (organization_id, created_at, updated_at, {metric_cols}, post_id, brand_id,
    account_id, platform, media_type, paid_kind, traffic, content_format, campaign_id, day, interval_start, source,
    decreased, extra)
SELECT %(org)s, %(now)s, %(now)s, {deltas}, s.post_id, p.brand_id, p.account_id, p.platform, p.media_type,
       p.paid_kind, p.traffic, p.content_format, p.campaign_id,
       ((s.published_at + o.hours * interval '1 hour') AT TIME ZONE 'Asia/Shanghai')::date,
       s.published_at + COALESCE(o.prev_hours, 0) * interval '1 hour', 'delta', false, NULL
FROM bench_post_stats s JOIN metrics_post p ON p.id = s.post_id CROSS JOIN bench_offsets o
WHERE s.published_at + o.hours * interval '1 hour' <= %(end)s
"""

# Each post's final counts, drawn in SQL: views log-normal (Box–Muller), the others as rates of it.
STATS_SQL = """
CREATE UNLOGGED TABLE bench_post_stats AS
SELECT id AS post_id, published_at, platform, media_type = 'paid' AS paid,
       round(exp(7.5 + 1.4 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))) AS views,
       0.01 + 0.07 * random() AS like_rate, 0.05 + 0.15 * random() AS comment_rate,
       0.02 + 0.08 * random() AS share_rate, random() < 0.003 AS bought
FROM metrics_post
"""

FINALS = {
    "views": "s.views",
    "impressions": "CASE WHEN s.platform IN ('douyin', 'kuaishou', 'xiaohongshu') THEN round(s.views * 3.1) END",
    "likes": "round(s.views * s.like_rate)",
    "comments": "round(s.views * s.like_rate * s.comment_rate)",
    "shares": "round(s.views * s.like_rate * s.share_rate)",
    "collects": "CASE WHEN s.platform <> 'weibo' THEN round(s.views * s.like_rate * 0.2) END",
    "clicks": "round(s.views * 0.01)",
    "followers_gained": "round(s.views * 0.001)",
    "cost": "CASE WHEN s.paid THEN s.views * 0.05 END",
}


def generate(args, started) -> None:
    import pandas as pd
    from django.db import connection

    from metrics.catalog import COLUMN_METRICS

    rng = np.random.default_rng(args.seed)
    org, brands, accounts, campaigns, leaves = base_objects(rng)
    log(f"organization {org.slug} (id {org.id}): {len(brands)} brands, {len(accounts)} accounts", started)
    account_of = {(a.brand_id, a.platform, a.kind == "kol"): a.id for a in accounts}
    brand_ids = np.array([b.id for b in brands])
    end_local = datetime.combine(args.end, datetime.min.time()) + timedelta(hours=23)
    end_utc = int((end_local - TZ_OFFSET).replace(tzinfo=UTC).timestamp())
    first_day_utc = end_utc - args.days * 86400
    now = "2026-07-01 00:00:00+00"
    metric_cols = list(COLUMN_METRICS)

    with connection.cursor() as cursor:
        constraints, indexes = index_definitions(cursor)
        drop_indexes(cursor, constraints, indexes)
        cursor.execute("SET session_replication_role = replica")  # no FK triggers during the load
        cursor.execute("SET work_mem = '1GB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        raw = cursor.cursor  # the psycopg2 cursor, for copy_expert
        post_cols = ["id", "organization_id", "created_at", "updated_at", "brand_id", "account_id", "platform",
                     "natural_key", "platform_post_id", "url", "title", "published_at", "content_format",
                     "media_type", "paid_kind", "traffic", "cost", "effort_hours", "campaign_id", "status"]
        tag_cols = ["id", "organization_id", "created_at", "updated_at", "post_id", "category_id"]
        tag_id = 0
        # Posts get their ids as imports first see them, i.e. roughly in publication order (brands interleaved):
        # sorted publication times keep that physical order, as a real tenant's tables have it.
        day_offset = rng.integers(0, args.days, args.posts)
        local_seconds = rng.integers(7 * 3600, 21 * 3600, args.posts)  # 07:00–21:00 Beijing: +2 h stays that day
        midnight_local_utc = first_day_utc - (first_day_utc + 8 * 3600) % 86400
        publication = np.sort(midnight_local_utc + day_offset * 86400 + local_seconds)
        for start in range(0, args.posts, CHUNK):
            n = min(CHUNK, args.posts - start)
            ids = np.arange(start + 1, start + n + 1)
            brand_idx = rng.integers(0, len(brands), n)
            platform_idx = rng.choice(len(PLATFORMS), n, p=PLATFORM_WEIGHTS)
            kol = (rng.random(n) < 0.08) & (brand_idx < OWN_BRANDS) & np.isin(platform_idx, (2, 4))
            promoted = (rng.random(n) < 0.05) & ~kol & (brand_idx < OWN_BRANDS)
            paid = kol | promoted
            platforms = np.array(PLATFORMS)[platform_idx]
            account_ids = np.array([account_of[(brands[b].id, PLATFORMS[p], bool(k))]
                                    for b, p, k in zip(brand_idx, platform_idx, kol, strict=True)])
            published = publication[start:start + n]
            format_pick = rng.integers(0, 2, n)
            formats = np.array([FORMATS[p][f % len(FORMATS[p])] for p, f in zip(platforms, format_pick, strict=True)])
            in_campaign = (rng.random(n) < 0.3) & (brand_idx < OWN_BRANDS)
            campaign_pick = rng.integers(0, 4, n)
            campaign = [str(campaigns[brands[b].id][c]) if take else "\\N"
                        for b, c, take in zip(brand_idx, campaign_pick, in_campaign, strict=True)]
            effort = np.where(rng.random(n) < 0.2, np.char.mod("%.1f", rng.uniform(0.5, 8, n)), "\\N")
            posts = pd.DataFrame({
                "id": ids, "organization_id": org.id, "created_at": now, "updated_at": now,
                "brand_id": brand_ids[brand_idx], "account_id": account_ids, "platform": platforms,
                "natural_key": np.char.add("id:", ids.astype(str)), "platform_post_id": ids.astype(str), "url": "",
                "title": np.char.add("post ", ids.astype(str)), "published_at": timestamps(published),
                "content_format": formats, "media_type": np.where(paid, "paid", "owned"),
                "paid_kind": np.where(kol, "influencer", np.where(promoted, "promoted", "")),
                "traffic": np.where(paid, "paid", "organic"), "cost": "\\N", "effort_hours": effort,
                "campaign_id": campaign, "status": "",
            })
            copy(raw, "metrics_post", post_cols, posts)
            # Tags: 70 % one leaf, 10 % two leaves, 20 % untagged.
            draw = rng.random(n)
            first = np.array(leaves)[rng.integers(0, len(leaves), n)]
            second = np.array(leaves)[rng.integers(0, len(leaves), n)]
            tagged, two = draw < 0.8, (draw < 0.1) & (second != first)
            tag_posts = np.concatenate([ids[tagged], ids[two]])
            tags = pd.DataFrame({"id": np.arange(tag_id + 1, tag_id + len(tag_posts) + 1), "organization_id": org.id,
                                 "created_at": now, "updated_at": now, "post_id": tag_posts,
                                 "category_id": np.concatenate([first[tagged], second[two]])})
            tag_id += len(tag_posts)
            copy(raw, "metrics_postcategory", tag_cols, tags)
            log(f"posts {start + n:,} / {args.posts:,} (COPY)", started)

        cursor.execute("ANALYZE metrics_post")
        cursor.execute("SELECT setseed(%s)", [((args.seed % 1000) / 1000.0)])
        cursor.execute(STATS_SQL)
        curve = 1 - np.exp(-OFFSETS_H / 36.0)
        curve = curve / curve[-1]
        bought = np.concatenate([[0.7], 0.7 + 0.3 * curve[1:]])  # 70 % in the first 2 hours
        cursor.execute("CREATE UNLOGGED TABLE bench_offsets (hours int, share float8, bought_share float8, "
                       "prev_hours int, prev_share float8, prev_bought_share float8)")
        cursor.executemany("INSERT INTO bench_offsets VALUES (%s, %s, %s, %s, %s, %s)", [
            (int(OFFSETS_H[i]), float(curve[i]), float(bought[i]), int(OFFSETS_H[i - 1]) if i else None,
             float(curve[i - 1]) if i else 0.0, float(bought[i - 1]) if i else 0.0) for i in range(len(OFFSETS_H))])

        def cumulative(key: str, prefix: str = "") -> str:
            share = f"(CASE WHEN s.bought THEN o.{prefix}bought_share ELSE o.{prefix}share END)"
            if key == "cost":
                return f"round((({FINALS[key]}) * {share})::numeric, 2)::float8"
            return f"round(({FINALS[key]}) * {share})"

        values = ", ".join(cumulative(k) if k in FINALS else "NULL" for k in metric_cols)
        end_ts = datetime.fromtimestamp(end_utc, UTC)
        cursor.execute(SNAPSHOT_SQL.format(metric_cols=", ".join(metric_cols), metric_values=values),
                       {"org": org.id, "now": now, "end": end_ts})
        log(f"snapshots: {cursor.rowcount:,} (INSERT … SELECT)", started)
        deltas = ", ".join(f"{cumulative(k)} - {cumulative(k, 'prev_')}" if k in FINALS else "NULL"
                           for k in metric_cols)
        cursor.execute(FACT_SQL.format(metric_cols=", ".join(metric_cols), deltas=deltas),
                       {"org": org.id, "now": now, "end": end_ts})
        facts = cursor.rowcount
        log(f"facts: {facts:,} (INSERT … SELECT: each snapshot minus the previous one)", started)
        cursor.execute("DROP TABLE bench_post_stats, bench_offsets")
        account_facts(raw, org, accounts, args, rng, now)
        cursor.execute("ANALYZE")  # without statistics the planner joins facts and tags by nested loop
        log("rollup (rollup_rebuild: one INSERT … SELECT for all posts, one per tagged category, then the coarse "
            "per-account rollup)", started)
        from metrics.services.facts import rollup_rebuild

        # Still without FK triggers: checking 4 foreign keys per rollup row would cost more than the sums.
        rollup_rebuild(org.id, [b.id for b in brands])
        log("post totals (post_totals_rebuild: the facts summed per post, the snapshot figures)", started)
        from metrics.services.facts import post_totals_rebuild

        post_totals_rebuild(org.id)
        log("publication days (published_days_rebuild: posts per account and publication day)", started)
        from metrics.services.facts import published_days_rebuild

        published_days_rebuild(org.id, [b.id for b in brands])
        cursor.execute("SET session_replication_role = DEFAULT")
        log("recreating constraints and indexes", started)
        create_indexes(cursor, constraints, indexes, started)
        for table in (*BIG_TABLES, "metrics_accountdailyfact"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (our table names)
                           f"COALESCE((SELECT MAX(id) FROM {table}), 1))")
        cursor.execute("RESET work_mem")
        cursor.execute("VACUUM ANALYZE")  # also sets the visibility map: index-only scans
        cursor.execute("SELECT (SELECT COUNT(*) FROM metrics_postsnapshot), (SELECT COUNT(*) FROM metrics_dailyrollup)")
        snapshots, rollup_rows = cursor.fetchone()
    log(f"done: {args.posts:,} posts, {snapshots:,} snapshots, {facts:,} facts, {tag_id:,} tags, "
        f"{rollup_rows:,} rollup rows", started)


def account_facts(raw, org, accounts, args, rng, now) -> None:
    import pandas as pd

    from metrics.catalog import ACCOUNT_COLUMN_METRICS

    days = np.arange(np.datetime64(args.end) - args.days + 1, np.datetime64(args.end) + 1)
    rows = []
    next_id = 1
    for account in accounts:
        gained = rng.poisson(40, len(days)).astype(float)
        lost = rng.poisson(8, len(days)).astype(float)
        total = 20000 + np.cumsum(gained - lost)
        frame = pd.DataFrame({"id": np.arange(next_id, next_id + len(days)), "day": days.astype(str),
                              "followers_total": total, "followers_gained": gained, "followers_lost": lost,
                              "followers_net": gained - lost})
        frame["account_id"], frame["brand_id"], frame["platform"] = account.id, account.brand_id, account.platform
        frame["unsettled"] = "f"
        if account.platform == "xiaohongshu":
            frame.loc[frame.index[-1], "unsettled"] = "t"
        rows.append(frame)
        next_id += len(days)
    data = pd.concat(rows)
    data["organization_id"], data["created_at"], data["updated_at"] = org.id, now, now
    data["batch_id"], data["extra"] = None, None
    for key in ACCOUNT_COLUMN_METRICS:
        if key not in data:
            data[key] = np.nan
    columns = ["id", "organization_id", "created_at", "updated_at", *ACCOUNT_COLUMN_METRICS, "account_id",
               "brand_id", "platform", "day", "unsettled", "batch_id", "extra"]
    copy(raw, "metrics_accountdailyfact", columns, data)


def verify(sample: int, started) -> None:
    """Re-derive the facts of ``sample`` random posts with the import's own function and compare."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from metrics.catalog import COLUMN_METRICS
    from metrics.models import Post, PostDailyFact, PostSnapshot
    from metrics.services.facts import deltas_from_snapshots

    tz = ZoneInfo(settings.TIME_ZONE)
    ids = list(Post.objects.order_by("?").values_list("id", flat=True)[:sample])
    for post in Post.objects.filter(id__in=ids):
        snaps = list(PostSnapshot.objects.filter(post=post).values("collected_at", *COLUMN_METRICS))
        expected = deltas_from_snapshots(snaps, post.published_at, tz)
        stored = list(PostDailyFact.objects.filter(post=post).order_by("day").values("day", *COLUMN_METRICS))
        assert len(expected) == len(stored), post.id
        for e, s in zip(expected, stored, strict=True):
            assert e["day"] == s["day"], (post.id, e["day"], s["day"])
            for key in COLUMN_METRICS:
                a, b = e[key], s[key]
                assert (a is None and b is None) or abs(a - b) < 1e-6, (post.id, key, a, b)
    log(f"verified the facts of {len(ids)} posts against deltas_from_snapshots", started)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730, help="publication dates spread over this many days")
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument("--seed", type=int, default=20260630)
    parser.add_argument("--verify", type=int, default=200, help="posts whose facts are re-derived and compared")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("the benchmark needs PostgreSQL: set DATABASE_URL=postgres://…/kpiboard_bench_kpiengine")
    started = time.monotonic()
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    log("database recreated and migrated", started)
    generate(args, started)
    if args.verify:
        verify(args.verify, started)


if __name__ == "__main__":
    sys.exit(main())
