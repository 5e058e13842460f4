"""Each post's facts summed over its life (``PostTotal``) stay exact through every write of facts, and the per-post
values the engine reads through them are the plain path's (Σ of the period's facts per post), number for number:
for a period that holds every fact, one that ends before the posts stop collecting, and posts with facts before
their publication day."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count, Max, Min, Sum

from metrics.catalog import COLUMN_METRICS
from metrics.choices import FactSource
from metrics.kpis import PaidMode, benchmarks, category_comparison, funnel, queries
from metrics.kpis.queries import PER_POST_METRICS, fetch_post_values, post_values_sql, resolve
from metrics.kpis.scope import Period, Scope
from metrics.models import Post, PostDailyFact, PostTotal
from metrics.services.facts import post_totals_rebuild, posts_refresh
from tests.kpis.conftest import at, snapshot
from tests.kpis.test_golden import june, scope

pytestmark = pytest.mark.django_db

EXPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "exports"
PERIODS = {
    "june": (dt.date(2026, 6, 1), dt.date(2026, 6, 30)),  # holds every fact of the June posts
    "may": (dt.date(2026, 5, 1), dt.date(2026, 5, 31)),  # "old" collects again on 30 June: after the end
    "may20-june": (dt.date(2026, 5, 20), dt.date(2026, 6, 30)),
    "june1-27": (dt.date(2026, 6, 1), dt.date(2026, 6, 27)),  # June posts collected on the 28th only: none
    "june28": (dt.date(2026, 6, 28), dt.date(2026, 6, 28)),
    "2026": (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
}


def expected_totals(organization_id: int) -> dict[int, dict]:
    """PostTotal as it must be: the facts of each post summed by the ORM."""
    rows = (PostDailyFact.objects.filter(organization_id=organization_id).order_by().values("post_id")
            .annotate(first_day=Min("day"), last_day=Max("day"), facts=Count("id"),
                      **{f"sum_{m}": Sum(m) for m in COLUMN_METRICS}))
    return {r["post_id"]: {"first_day": r["first_day"], "last_day": r["last_day"], "facts": r["facts"],
                           **{m: r[f"sum_{m}"] for m in COLUMN_METRICS}} for r in rows}


def expected_snapshot_figures(organization_id: int) -> dict[int, dict]:
    """The snapshot figures as the early-surge check reads them over all time, computed in Python."""
    out = {}
    for post in Post.objects.filter(organization_id=organization_id).prefetch_related("snapshots"):
        snaps = list(post.snapshots.all())
        window = [s for s in snaps if post.published_at is not None
                  and post.published_at <= s.collected_at <= post.published_at + dt.timedelta(hours=3)]

        def highest(rows, key):
            values = [getattr(r, key) for r in rows if getattr(r, key) is not None]
            return max(values) if values else None

        figures = {"published_at": post.published_at,
                   "last_collected_at": max((s.collected_at for s in snaps), default=None),
                   "early_collected_at": max((s.collected_at for s in window), default=None)}
        for key in PostTotal.EARLY_METRICS:
            figures[f"early_{key}"] = highest(window, key)
            figures[f"max_{key}"] = highest(snaps, key)
        out[post.pk] = figures
    return out


def assert_totals_exact(organization_id: int) -> None:
    rows = PostTotal.objects.filter(organization_id=organization_id).values()
    got = {t["post_id"]: {k: t[k] for k in ("first_day", "last_day", "facts", *COLUMN_METRICS)} for t in rows}
    assert got == expected_totals(organization_id)
    figures = expected_snapshot_figures(organization_id)
    for t in rows:
        assert {k: t[k] for k in figures[t["post_id"]]} == figures[t["post_id"]], t["post_id"]


def per_post(sc: Scope, period: Period, *, totals: bool | None, paid_mode=PaidMode.INCLUDE, keys=PER_POST_METRICS,
             post_ids=None) -> list[tuple]:
    sql, params = post_values_sql(sc, resolve(sc), period, keys, paid_mode, post_ids, totals=totals)
    _, rows = fetch_post_values(sql, params)
    return sorted(rows)


def assert_same_values(sc: Scope, **options) -> None:
    """The per-post rows through the totals (forced and automatic) equal the plain path's, for every period."""
    for start, end in PERIODS.values():
        period = Period(start, end)
        plain = per_post(sc, period, totals=False, **options)
        assert per_post(sc, period, totals=True, **options) == plain, (start, end)
        assert per_post(sc, period, totals=None, **options) == plain, (start, end)


def test_totals_are_the_sums_of_the_facts(golden):
    """``posts_refresh`` (what the golden import path runs) leaves one row per post with facts: Σ per column,
    count, first and last day; no row for a post without facts."""
    assert_totals_exact(golden.org.pk)
    old = PostTotal.objects.get(post=golden.posts["old"])
    assert (old.first_day, old.last_day, old.facts, old.views, old.likes) == (
        dt.date(2026, 5, 31), dt.date(2026, 6, 30), 2, 8000, 150)
    assert not PostTotal.objects.filter(facts_before_publication=True).exists()
    assert (old.published_at, old.last_collected_at, old.early_collected_at, old.max_views) == (
        golden.posts["old"].published_at, max(s.collected_at for s in golden.posts["old"].snapshots.all()), None,
        8000)


@pytest.mark.parametrize("paid_mode", list(PaidMode))
def test_per_post_values_equal_the_plain_path(golden, paid_mode):
    """Every per-post metric of every post, for each period (inside, before and around the facts), paid mode and
    scope (brand, platform, category, with competitors), is the same through the totals as from the facts."""
    assert_same_values(scope(golden), paid_mode=paid_mode)
    assert_same_values(scope(golden, platforms=("weibo",)), paid_mode=paid_mode)
    assert_same_values(scope(golden, category_id=golden.categories["Education"].pk), paid_mode=paid_mode)
    both = Scope(organization_id=golden.org.pk, brand_ids=(golden.brand.pk, golden.rival.pk), include_competitors=True)
    assert_same_values(both, paid_mode=paid_mode)
    assert_same_values(scope(golden), paid_mode=paid_mode, post_ids=[golden.posts["old"].pk, golden.posts["bi1"].pk])


def test_a_period_ending_before_the_last_collection_sums_the_facts(golden):
    """May: "old" (published 25 May) collects again on 30 June, after the period: it is a straggler, summed from
    its May facts (5,000 views), not its lifetime total (8,000)."""
    may = Period(*PERIODS["may"])
    rows = per_post(scope(golden), may, totals=True, keys=("views",))
    assert [(r[0], r[-1]) for r in rows] == [(golden.posts["old"].pk, 5000.0)]
    days = [connection.ops.adapt_datefield_value(d) for d in (may.start, may.end)]
    assert queries._stragglers(scope(golden), *_where(golden, may), None, *days) == [golden.posts["old"].pk]
    june_rows = per_post(scope(golden), Period(*PERIODS["may20-june"]), totals=True, keys=("views",))
    assert {r[0]: r[-1] for r in june_rows}[golden.posts["old"].pk] == 8000.0


def _where(golden, period):
    """The posts' conditions of ``post_values_sql`` for the golden brand (what ``_stragglers`` is handed)."""
    start, end = period.bounds()
    ops = connection.ops
    return ([f"p.{queries.qn('organization_id')} = %s", f"p.{queries.qn('brand_id')} IN (%s)",
             f"p.{queries.qn('published_at')} >= %s AND p.{queries.qn('published_at')} < %s"],
            [golden.org.pk, golden.brand.pk, ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(end)])


def test_a_later_import_keeps_the_totals_exact_and_the_answers_equal(golden):
    """A second import (new collections of two posts, one after June, one correcting a count down) rewrites
    their totals in its own transaction: the totals stay the facts' sums, June's answers through the totals are
    the plain path's, and "bi1" — now collecting after June — still shows only its June counts in June."""
    bi1, sun1 = golden.posts["bi1"], golden.posts["sun1"]
    snapshot(bi1, at(2026, 7, 5), likes=25, comments=3, shares=1, views=1800)
    snapshot(sun1, at(2026, 6, 29), likes=90, comments=10, shares=10, views=1900)  # a count corrected down
    posts_refresh(golden.org.pk, [bi1.pk, sun1.pk])
    assert_totals_exact(golden.org.pk)
    assert PostTotal.objects.get(post=bi1).last_day == dt.date(2026, 7, 5)
    june_likes = {r[0]: r[-1] for r in per_post(scope(golden), june(), totals=True, keys=("likes",))}
    assert (june_likes[bi1.pk], june_likes[sun1.pk]) == (10.0, 90.0)
    july = {r[0]: r[-1] for r in per_post(scope(golden), Period(*PERIODS["may20-june"]), totals=True, keys=("likes",))}
    assert july[bi1.pk] == 10.0
    assert_same_values(scope(golden))
    assert_same_values(scope(golden), paid_mode=PaidMode.EXCLUDE)


def test_facts_before_publication(golden):
    """A daily figure dated before the post's publication day (Beijing) flags the total; a period starting on the
    publication day then leaves that figure out, as the plain path does."""
    li1 = golden.posts["li1"]
    day = li1.published_at.astimezone(at(2026, 6, 1).tzinfo).date()
    PostDailyFact.objects.create(
        organization=golden.org, post=li1, brand=golden.brand, account=li1.account, platform=li1.platform,
        media_type=li1.media_type, paid_kind=li1.paid_kind, traffic=li1.traffic, content_format=li1.content_format,
        campaign_id=li1.campaign_id, day=day - dt.timedelta(days=3), source=FactSource.DAILY, likes=7, views=70)
    post_totals_rebuild(golden.org.pk, [li1.pk])
    assert_totals_exact(golden.org.pk)
    assert PostTotal.objects.get(post=li1).facts_before_publication
    assert list(PostTotal.objects.filter(facts_before_publication=True).values_list("post_id", flat=True)) == [li1.pk]
    around = Period(day, dt.date(2026, 6, 30))
    plain = per_post(scope(golden), around, totals=False, keys=("likes", "views"))
    assert per_post(scope(golden), around, totals=True, keys=("likes", "views")) == plain
    assert {r[0]: r[-2] for r in plain}[li1.pk] == 50.0  # not 57: the earlier figure is outside
    assert_same_values(scope(golden))


def test_deleting_a_post_deletes_its_total(golden):
    post = golden.posts["bk1"]
    assert PostTotal.objects.filter(post=post).exists()
    post.delete()
    assert not PostTotal.objects.filter(post_id=post.pk).exists()
    assert_totals_exact(golden.org.pk)


def _answers(golden):
    sc = scope(golden)
    both = Scope(organization_id=golden.org.pk, brand_ids=(golden.brand.pk, golden.rival.pk))
    out = []
    for period in (june(), Period(*PERIODS["may"]), Period(*PERIODS["may20-june"])):
        out.append(asdict(category_comparison(sc, period, paid=PaidMode.SEPARATE, with_items=True,
                                              use_cache=False)))
        out.append(asdict(funnel(sc, period, use_cache=False)))
        out.append(asdict(benchmarks(both, period, paid="include", top=5, use_cache=False)))
    return out


def test_endpoints_equal_the_plain_path(golden, monkeypatch):
    """The category comparison (with items), the funnel and the benchmarks are the same whether the engine reads
    the totals (the default here: few stragglers) or sums every period's facts (the plain path forced)."""
    through_totals = _answers(golden)
    monkeypatch.setattr(queries, "TOTALS_MAX_STRAGGLERS", -1)  # any straggler count is too many: plain path
    assert _answers(golden) == through_totals


# ------------------------------------------------------------------------------------- through the loader


IMPORTS = [
    "wechat_oa/total_1774668963_1777260963.csv",  # article list: cumulative snapshots
    "wechat_oa/tendency_1780787939_1783293539.xls",  # reads trend: daily figures (and snapshots)
    "wechat_oa/数据明细（《人民日报》讲透“反内卷”：不是反竞争）.xls",  # one article's daily detail
    "douyin/千川_素材分日报表.csv",  # ad materials per day
    "douyin/作品列表_2026-06-05.xlsx",  # works list: cumulative snapshots
    "xiaohongshu/笔记列表明细表__ryanmind-ai-brief-starter.xlsx",
]


@pytest.mark.django_db(transaction=True)  # each import commits, as in production (PostgreSQL's staging tables)
def test_every_import_keeps_the_totals_exact(run_import, brand):
    """Cumulative lists, daily reports (which replace a post's snapshot facts) and a re-import, each through the
    whole import service: after every batch the totals are the facts' sums, and the per-post values through them
    are the plain path's for periods inside and across the data."""
    for name in [*IMPORTS, IMPORTS[0]]:
        batch = run_import(EXPORTS / name, as_of=at(2026, 7, 1, 22))
        assert batch.status in ("succeeded", "partial"), (name, batch.message)
        assert_totals_exact(brand.organization_id)
    assert PostTotal.objects.filter(organization_id=brand.organization_id).count() == len(
        expected_totals(brand.organization_id)) > 0
    facts = PostDailyFact.objects.filter(brand=brand)
    assert facts.filter(source=FactSource.DAILY).exists() and facts.filter(source=FactSource.DELTA).exists()
    assert PostTotal.objects.filter(brand=brand, facts__gt=1).exists()
    days = sorted(facts.values_list("day", flat=True).distinct())
    published = sorted(d.date() for d in Post.objects.filter(brand=brand, published_at__isnull=False)
                       .values_list("published_at", flat=True))
    sc = Scope(organization_id=brand.organization_id, brand_ids=(brand.pk,))
    edges = {days[0], days[len(days) // 2], days[-1], published[0], published[len(published) // 2], published[-1]}
    stragglers = 0
    for start in sorted(edges):
        for end in sorted(edges):
            if start <= end:
                period = Period(start, end)
                plain = per_post(sc, period, totals=False)
                assert per_post(sc, period, totals=True) == plain, (start, end)
                stragglers += PostTotal.objects.filter(brand=brand, first_day__lte=end, last_day__gt=end).exists()
    assert stragglers  # some periods end while posts still collect
