"""Golden values, computed by hand from the data set in conftest.py, for every engine function.

The same assertions run on SQLite (``make test``) and on PostgreSQL (``DATABASE_URL=postgres://…``, the second
pass of ``.ci/run``): medians come from ``percentile_cont`` there and from Python here, and must agree.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from metrics.kpis import Period, Scope, benchmarks, category_comparison, funnel, kpi_report
from tests.kpis.conftest import JUNE

approx = pytest.approx

pytestmark = pytest.mark.django_db


def june(granularity="day"):
    return Period(*JUNE, granularity)


def scope(g, **filters):
    return Scope(organization_id=g.org.pk, brand_ids=(g.brand.pk,), **filters)


def group(result, *path, segment=None):
    found = [x for x in result.groups if x.path == list(path) and (segment is None or x.segment == segment)]
    assert len(found) == 1, [(x.path, x.segment) for x in result.groups]
    return found[0]


def overall(result, segment):
    return next(x for x in result.overall if x.segment == segment)


def test_runs_on_the_database_under_test():
    """Documents which median implementation this run exercises."""
    assert connection.vendor in ("sqlite", "postgresql")


# ----------------------------------------------------------------------------------------------- KPIs


def test_sums_are_period_deltas_not_cumulative(golden):
    """June likes = 1150 + 125 + 600 + 120 + 99999 (paid) + 10 (Bilibili) + 50 (old post's June delta) = 102,054;
    the old post's cumulative 150 likes never count in full in June."""
    r = kpi_report(scope(golden), june())
    assert r.value("likes") == 102054
    assert r.value("views") == 119900  # 6000 + 2500 + 6000 + 2000 + 100000 + 400 + (8000 − 5000)
    assert r.value("comments") == 108
    assert r.value("shares") == 193
    assert r.value("posts_published") == 18


def test_engagement_uses_each_platforms_formula_and_rates_are_ratios_of_sums(golden):
    """Weibo: likes + shares + comments = 102044 + 191 + 105; Bilibili adds collects, coins and danmaku:
    10 + 2 + 3 + 1 + 5 + 7 = 28. Engagement rate = Σ engagement / Σ views, not a mean of post rates."""
    r = kpi_report(scope(golden), june())
    assert r.value("engagement") == 102368
    assert r.value("engagement_rate") == approx(102368 / 119900)
    assert set(r.kpi("engagement").formulas) >= {"weibo", "bilibili"}


def test_zero_or_missing_denominator_is_empty(golden):
    r = kpi_report(scope(golden), june())
    assert r.value("cpc") is None  # no cost, no clicks
    assert r.value("ctr") is None  # clicks never reported: empty, not 0
    assert r.value("cpa") is None


def test_paid_kept_apart_by_traffic_filter(golden):
    """Organic traffic only: the promoted post's 99,999 likes and 100,000 views are out."""
    r = kpi_report(scope(golden, traffic=("organic",)), june())
    assert r.value("likes") == 2055
    assert r.value("views") == 19900
    assert r.value("engagement") == 2369
    assert r.value("engagement_rate") == approx(2369 / 19900)


def test_previous_period_and_change(golden):
    """Weibo organic views: June 19,500; May (the previous whole month) 5,000 → change +14,500, +290 %."""
    r = kpi_report(scope(golden, platforms=("weibo",), traffic=("organic",)), june())
    views = r.kpi("views")
    assert (views.value, views.previous, views.change) == (19500, 5000, 14500)
    assert views.change_pct == approx(2.9)
    assert r.previous_period == {"start": "2026-05-01", "end": "2026-05-31", "days": 31, "granularity": "day"}
    likes = r.kpi("likes")
    assert (likes.value, likes.previous, likes.change_pct) == (2045, 100, approx(19.45))


def test_account_level_followers_last_value_and_settled_sums(golden):
    """Followers = last reported value (10,300 on 30 June); gained/lost/net exclude the unsettled 30 June."""
    r = kpi_report(scope(golden), june())
    assert r.value("followers_total", "account") == 10300
    assert r.value("followers_gained", "account") == 300
    assert r.value("followers_lost", "account") == 30
    assert r.value("followers_net", "account") == 270
    assert r.value("follower_loss_gain_ratio", "account") == approx(0.1)
    total = r.kpi("followers_total", "account")
    assert (total.previous, total.change) == (9900, 400)
    assert any("unsettled" in note for note in r.notes)


def test_series_buckets_and_previous_buckets(golden):
    """Weekly buckets (ISO weeks clipped to June) add up to the period; bucket i of May sits beside bucket i."""
    r = kpi_report(scope(golden, platforms=("weibo",), traffic=("organic",)), june("week"))
    series = r.content_series
    assert (series.starts[0], series.ends[0], series.ends[-1]) == (date(2026, 6, 1), date(2026, 6, 7),
                                                                  date(2026, 6, 30))
    assert sum(v or 0 for v in series.values["views"]) == 19500
    assert (series.previous_starts[0], series.previous_ends[0]) == (date(2026, 5, 1), date(2026, 5, 3))
    assert series.values["views"][-1] == 3000  # 29–30 June: the old post's June collection
    assert series.previous["views"][0] is None and sum(v or 0 for v in series.previous["views"]) == 5000
    assert r.account_series is None  # a traffic filter has no meaning for account data
    account = kpi_report(scope(golden), june("week")).account_series
    followers = account.values["followers_total"]
    assert followers[0] == 10000 and followers[-1] == 10300  # the last value inside each week
    assert followers[1] is None  # nothing reported 8–14 June
    assert account.values["followers_gained"][-1] is None  # 30 June is unsettled


def test_an_unsettled_day_is_shown_not_summed(golden):
    r = kpi_report(scope(golden), Period(date(2026, 6, 30), date(2026, 6, 30)))
    assert r.value("followers_total", "account") == 10300
    assert r.value("followers_gained", "account") is None


def test_category_scope_reads_category_rows_only(golden):
    """Category filter: Education's subtree (11 posts) — never the NULL rows added on top."""
    education = golden.categories["Education"]
    r = kpi_report(scope(golden, category_id=education.pk, traffic=("organic",)), june())
    assert r.value("likes") == 1275  # 1150 + 125
    assert r.value("views") == 8500
    assert r.account == []  # account data has no category
    brand_image = golden.categories["Education / Brand image"]
    r = kpi_report(scope(golden, category_id=brand_image.pk), june())
    assert r.value("likes") == 1150 + 99999  # the promoted post is tagged Brand image too


def test_category_subtree_with_posts_tagged_twice_counts_them_once(golden):
    """A post tagged with both Education and Brand image is one post in Education, not two."""
    from tests.factories import PostCategoryFactory

    post = golden.posts["bi1"]
    PostCategoryFactory(organization=golden.org, post=post, category=golden.categories["Education"])
    from metrics.services.facts import posts_refresh

    posts_refresh(golden.org.pk, [post.pk])
    education = golden.categories["Education"]
    r = kpi_report(scope(golden, category_id=education.pk, traffic=("organic",)), june())
    assert r.value("likes") == 1275


# ----------------------------------------------------------------------------------- category comparison


def test_category_medians_odd_and_even_counts(golden):
    result = category_comparison(scope(golden), june())
    brand_image = group(result, "Education", "Brand image")
    assert brand_image.n == 6 and not brand_image.small_sample
    likes = brand_image.metrics["likes"]
    assert (likes.median, likes.n) == (35, 6)  # even: (30 + 40) / 2
    assert likes.mean == approx(1150 / 6)
    assert brand_image.metrics["comments"].median == 3.5  # (3 + 4) / 2
    assert brand_image.metrics["shares"].median == 1  # 0, 0, 1, 1, 2, 100
    assert brand_image.metrics["engagement"].median == 39.5  # (34 + 45) / 2 of 11, 22, 34, 45, 57, 1106
    assert brand_image.metrics["engagement"].mean == approx(212.5)
    assert brand_image.metrics["engagement_rate"].median == approx(0.0395)
    assert brand_image.metrics["collects"].n == 0 and brand_image.metrics["collects"].median is None
    knowledge = group(result, "Education", "Beauty knowledge")
    assert (knowledge.n, knowledge.metrics["likes"].median, knowledge.metrics["likes"].mean) == (5, 25, 25)
    assert knowledge.metrics["engagement"].median == 30  # odd: 8, 19, 30, 41, 52
    education = group(result, "Education")
    assert (education.n, education.metrics["likes"].median) == (11, 30)  # 6th of 11
    assert education.metrics["likes"].mean == approx(1275 / 11)


def test_variants_roll_up_and_small_sample_flag(golden):
    result = category_comparison(scope(golden), june(), ["likes"])
    sun = group(result, "Product promotion", "Celebrity collaboration", "Sun")
    li = group(result, "Product promotion", "Celebrity collaboration", "Li")
    celebrity = group(result, "Product promotion", "Celebrity collaboration")
    assert (sun.n, sun.small_sample, sun.metrics["likes"].median) == (3, True, 200)
    assert (li.n, li.small_sample, li.metrics["likes"].median) == (2, True, 60)
    assert (celebrity.n, celebrity.small_sample, celebrity.metrics["likes"].median) == (5, False, 100)
    assert celebrity.metrics["likes"].mean == approx(144)
    assert result.small_sample_threshold == 5
    assert group(result, "Product promotion").path_zh == ["Product promotion"]
    strict = category_comparison(scope(golden), june(), ["likes"], small_sample=6)
    assert group(strict, "Education", "Beauty knowledge").small_sample  # 5 < 6


def test_small_sample_threshold_comes_from_settings(golden, settings):
    settings.KPIBOARD_SMALL_SAMPLE = 7
    result = category_comparison(scope(golden), june(), ["likes"])
    assert result.small_sample_threshold == 7
    assert group(result, "Education", "Brand image").small_sample  # 6 < 7


def test_overall_baseline(golden):
    """All 17 organic posts published in June: the 9th of the sorted likes is 40."""
    result = category_comparison(scope(golden), june(), ["likes"])
    base = overall(result, "organic")
    assert (base.n, base.metrics["likes"].median, base.path) == (17, 40, [])


def test_index_against_category_median(golden):
    result = category_comparison(scope(golden), june(), ["likes", "engagement"], with_items=True)
    brand_image = group(result, "Education", "Brand image")
    by_title = {item.title: item for item in brand_image.items}
    assert by_title["bi6"].index["likes"] == approx(1000 / 35)
    assert by_title["bi1"].index["likes"] == approx(10 / 35)
    assert by_title["bi6"].index["engagement"] == approx(1106 / 39.5)
    assert brand_image.items[0].title == "bi6"  # sorted by the first metric's index
    education = group(result, "Education")
    assert {i.title: i for i in education.items}["bi6"].index["likes"] == approx(1000 / 30)


def test_paid_never_mixed_unless_asked(golden):
    default = category_comparison(scope(golden), june(), ["likes"])
    assert group(default, "Education", "Brand image").n == 6
    assert {g.segment for g in default.groups} == {"organic"}

    separate = category_comparison(scope(golden), june(), ["likes"], paid="separate")
    assert group(separate, "Education", "Brand image", segment="organic").n == 6
    paid = group(separate, "Education", "Brand image", segment="paid")
    assert (paid.n, paid.metrics["likes"].median) == (1, 99999)
    assert (overall(separate, "paid").n, overall(separate, "organic").n) == (1, 17)

    pooled = category_comparison(scope(golden), june(), ["likes"], paid="include")
    brand_image = group(pooled, "Education", "Brand image")
    assert (brand_image.n, brand_image.paid_n, brand_image.metrics["likes"].median) == (7, 1, 40)

    only = category_comparison(scope(golden), june(), ["likes"], paid="only")
    assert [g.path for g in only.groups] == [["Education"], ["Education", "Brand image"]]


def test_per_effort_hour(golden):
    """Brand image: bi1–bi3 took 2 hours each → (10 + 20 + 30) likes / 6 hours = 10 likes per hour."""
    result = category_comparison(scope(golden), june(), ["likes", "engagement", "engagement_rate"])
    brand_image = group(result, "Education", "Brand image")
    assert (brand_image.effort_n, brand_image.effort_hours) == (3, 6)
    assert brand_image.metrics["likes"].per_effort_hour == approx(10)
    assert brand_image.metrics["engagement"].per_effort_hour == approx(67 / 6)
    assert brand_image.metrics["engagement_rate"].per_effort_hour is None  # a rate has no per-hour value
    assert group(result, "Education", "Beauty knowledge").metrics["likes"].per_effort_hour is None


def test_category_scope_limits_the_groups_to_its_subtree(golden):
    celebrity = golden.categories["Product promotion / Celebrity collaboration"]
    result = category_comparison(scope(golden, category_id=celebrity.pk), june(), ["likes"])
    assert [g.path[-1] for g in result.groups] == ["Celebrity collaboration", "Li", "Sun"]
    assert overall(result, "organic").n == 5


# --------------------------------------------------------------------------------------------- funnel


def test_funnel_stages_and_quality_kpis(golden):
    f = funnel(scope(golden), june())
    assert [s.key for s in f.total.stages] == ["awareness", "consideration", "purchase", "retention", "advocacy"]
    awareness = f.total.stages[0]
    quality = {q.key: q for q in awareness.quality}
    views = quality["avg_views_per_item"]
    assert views.n == 18  # every post published in June (paid included: the funnel is the whole brand)
    assert views.value == approx(116900 / 18)
    assert views.median == 1000
    assert quality["avg_impressions_per_item"].value is None  # impressions never reported
    consideration = {q.key: q for q in f.total.stages[1].quality}
    assert consideration["follower_loss_per_push"].value == approx(30 / 18)
    assert consideration["follower_loss_gain_ratio"].value == approx(0.1)
    assert {q.key for q in f.total.stages[2].quality} == {"cpa"}
    assert f.total.stages[3].note and f.total.stages[4].note
    likes = next(k for k in f.total.stages[1].kpis if k.key == "likes" and k.level == "post")
    assert likes.value == 102054
    assert any(k.key == "followers_gained" and k.level == "account" for k in awareness.kpis)


def test_funnel_per_platform(golden):
    f = funnel(scope(golden), june())
    columns = {c.platform: c for c in f.platforms}
    assert set(columns) == {"weibo", "bilibili"}
    bili_awareness = {q.key: q for q in columns["bilibili"].stages[0].quality}
    assert (bili_awareness["avg_engagement_per_item"].value, bili_awareness["avg_engagement_per_item"].n) == (28, 1)
    weibo_consideration = {q.key: q for q in columns["weibo"].stages[1].quality}
    assert weibo_consideration["follower_loss_per_push"].value == approx(30 / 17)
    weibo_likes = next(k for k in columns["weibo"].stages[1].kpis if k.key == "likes" and k.level == "post")
    assert weibo_likes.value == 102044


# ------------------------------------------------------------------------------------------ benchmarks


def test_benchmarks_account_level(golden):
    b = benchmarks(Scope(golden.org.pk, (golden.brand.pk, golden.rival.pk)), june())
    rows = {r.handle: r for r in b.account_level}
    glow, rival = rows["glow_weibo"], rows["rival_weibo"]
    assert (glow.followers, glow.followers_net, glow.posts, glow.engagement) == (10300, 270, 16, 2341)
    assert (glow.engagement_per_post.median, glow.engagement_per_post.n) == (48.5, 16)
    assert (rival.followers, rival.followers_net, rival.posts, rival.engagement) == (50000, 1000, 2, 720)
    assert (rival.engagement_per_post.median, rival.is_competitor) == (360, True)
    assert rival.rank["followers"] == 1 and glow.rank["followers"] == 2
    assert glow.rank["engagement"] == 1 and rival.rank["engagement_per_post"] == 1
    assert rows["glow_bili"].rank["followers"] is None and rows["glow_bili"].rank["engagement"] == 1


def test_benchmarks_content_level(golden):
    b = benchmarks(Scope(golden.org.pk, (golden.brand.pk, golden.rival.pk)), june(), top=5)
    top = [(p.title, p.values["engagement"], p.is_competitor) for p in b.content_level]
    assert top == [("bi6", 1106, False), ("c1", 600, True), ("sun3", 360, False), ("sun2", 240, False),
                   ("sun1", 120, False)]
    assert b.content_level[0].date == date(2026, 6, 6)
    assert b.content_level[0].account == golden.weibo.display_name
