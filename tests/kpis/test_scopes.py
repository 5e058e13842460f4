"""KPIs for every kind of scope and every granularity, hand-computed from the golden data set (conftest.py), plus
the empty-not-zero rules for zero denominators and the ratio-of-sums rule for CPA and refund rate.

The same assertions run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics.kpis import Period, Scope, category_comparison, funnel, kpi_report
from metrics.models import AccountDailyFact
from metrics.services.facts import posts_refresh
from tests.factories import BrandFactory, PostFactory, SocialAccountFactory
from tests.kpis.conftest import at, snapshot
from tests.kpis.test_golden import june, scope

approx = pytest.approx

pytestmark = pytest.mark.django_db

CONTENT = ("posts_published", "likes", "views", "engagement", "engagement_rate")


def values(report) -> dict:
    return {k.key: k.value for k in report.content}


# ------------------------------------------------------------------------------------------------ scopes


def test_account_scope(golden):
    """The Bilibili account alone: bili1's 10 likes, 400 views, engagement 10 + 2 + 3 + 1 + 5 + 7 = 28."""
    r = kpi_report(scope(golden, account_ids=(golden.bili.pk,)), june(), CONTENT)
    assert values(r) == {"posts_published": 1, "likes": 10, "views": 400, "engagement": 28,
                         "engagement_rate": approx(28 / 400)}
    weibo = kpi_report(scope(golden, account_ids=(golden.weibo.pk,)), june(), ("likes", "followers_total"))
    assert weibo.value("likes") == 102044
    assert weibo.value("followers_total", "account") == 10300


def test_media_type_scope(golden):
    """Paid media: the promoted post alone; owned media: everything else; earned: nothing, so empty (not 0)."""
    paid = kpi_report(scope(golden, media_types=("paid",)), june(), CONTENT)
    assert values(paid) == {"posts_published": 1, "likes": 99999, "views": 100000, "engagement": 99999,
                            "engagement_rate": approx(0.99999)}
    owned = kpi_report(scope(golden, media_types=("owned",)), june(), ("likes", "views"))
    assert (owned.value("likes"), owned.value("views")) == (2055, 19900)
    earned = kpi_report(scope(golden, media_types=("earned",)), june(), ("likes", "engagement_rate"))
    assert (earned.value("likes"), earned.value("engagement_rate")) == (None, None)


def test_paid_kind_scope(golden):
    """Paid kind "" (not paid) is every organic post; "promoted" the promoted one."""
    promoted = kpi_report(scope(golden, paid_kinds=("promoted",)), june(), ("likes",))
    assert promoted.value("likes") == 99999
    unpaid = kpi_report(scope(golden, paid_kinds=("",)), june(), ("likes",))
    assert unpaid.value("likes") == 2055
    assert unpaid.account == [] and any("paid_kinds" in n for n in unpaid.notes)


def test_content_format_scope(golden):
    """Short videos are bk1–bk5: likes 5 + 15 + 25 + 35 + 45, comments 5 × 2, shares 1 + … + 5."""
    r = kpi_report(scope(golden, content_formats=("short_video",)), june(),
                   (*CONTENT, "comments", "shares", "followers_total"))
    assert values(r) == {"posts_published": 5, "likes": 125, "views": 2500, "engagement": 150,
                         "engagement_rate": approx(150 / 2500), "comments": 10, "shares": 15}
    assert r.account == []  # account data has no content format
    both = kpi_report(scope(golden, content_formats=("short_video", "long_video")), june(), ("engagement",))
    assert both.value("engagement") == 150 + 28


def test_campaign_scope(golden):
    """Summer launch = sun1–sun3 and li1–li2: likes 600 + 120; engagement 120 + 240 + 360 + 60 + 84."""
    r = kpi_report(scope(golden, campaign_ids=(golden.campaign.pk,)), june(), CONTENT)
    assert values(r) == {"posts_published": 5, "likes": 720, "views": 8000, "engagement": 864,
                         "engagement_rate": approx(864 / 8000)}
    narrowed = kpi_report(scope(golden, campaign_ids=(golden.campaign.pk,), platforms=("bilibili",)), june(),
                          ("likes",))
    assert narrowed.value("likes") is None  # the campaign has no Bilibili post


def test_organization_scope_sums_its_brands(golden):
    """Several brands in one scope: Glow's 102,054 likes and Rival's 600 (a brand, not flagged accounts)."""
    both = kpi_report(Scope(golden.org.pk, (golden.brand.pk, golden.rival.pk)), june(), ("likes", "posts_published"))
    assert (both.value("likes"), both.value("posts_published")) == (102054 + 600, 20)


def test_empty_brand_list_is_an_empty_answer_not_every_brand(golden):
    r = kpi_report(Scope(golden.org.pk, ()), june(), ("likes", "posts_published"))
    assert r.value("likes") is None
    assert r.value("posts_published") == 0


# ------------------------------------------------------------------------------------------ granularity


def test_day_granularity(golden):
    """Daily buckets: every June post was collected on 28 June (16,500 organic Weibo views), the old post's
    second collection on 30 June (+3,000); 1 May sits beside 1 June."""
    r = kpi_report(scope(golden, platforms=("weibo",), traffic=("organic",)), june("day"), ("views",))
    s = r.content_series
    assert len(s.starts) == 30 and s.starts == s.ends
    by_day = dict(zip(s.starts, s.values["views"], strict=True))
    assert by_day[date(2026, 6, 28)] == 16500 and by_day[date(2026, 6, 30)] == 3000
    assert [d for d, v in by_day.items() if v is not None] == [date(2026, 6, 28), date(2026, 6, 30)]
    assert (s.previous_starts[0], s.previous_ends[-1]) == (date(2026, 5, 1), date(2026, 5, 30))


def test_month_granularity_and_previous_quarter(golden):
    """Q2 by month: April nothing, May the old post's 5,000 views, June 19,500; a whole quarter is compared
    with the previous quarter (Q1, no data: empty, and so no change)."""
    period = Period(date(2026, 4, 1), date(2026, 6, 30), "month")
    r = kpi_report(scope(golden, platforms=("weibo",), traffic=("organic",)), period, ("views",))
    s = r.content_series
    assert s.starts == [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
    assert s.ends == [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
    assert s.values["views"] == [None, 5000, 19500]
    assert r.previous_period == {"start": "2026-01-01", "end": "2026-03-31", "days": 90, "granularity": "month"}
    views = r.kpi("views")
    assert (views.value, views.previous, views.change, views.change_pct) == (24500, None, None, None)


def test_quarter_granularity_over_a_year(golden):
    """2026 by quarter: everything falls in Q2 (5,000 + 19,500); the previous period is 2025."""
    period = Period(date(2026, 1, 1), date(2026, 12, 31), "quarter")
    r = kpi_report(scope(golden, platforms=("weibo",), traffic=("organic",)), period, ("views",))
    s = r.content_series
    assert s.starts == [date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]
    assert s.ends == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]
    assert s.values["views"] == [None, 24500, None, None]
    assert s.previous_starts[0] == date(2025, 1, 1)
    assert r.previous_period["start"] == "2025-01-01" and r.previous_period["end"] == "2025-12-31"


def test_partial_quarter_buckets_are_clipped_to_the_period(golden):
    period = Period(date(2026, 5, 15), date(2026, 6, 30), "quarter")
    r = kpi_report(scope(golden, platforms=("weibo",), traffic=("organic",)), period, ("views",))
    assert (r.content_series.starts, r.content_series.ends) == ([date(2026, 5, 15)], [date(2026, 6, 30)])
    assert r.content_series.values["views"] == [24500]


def test_change_against_zero_has_no_percentage(golden):
    """Education published 11 posts in June and none in May: change +11, no percentage (÷ 0); its likes have
    no May value at all, so no change either."""
    education = golden.categories["Education"]
    r = kpi_report(scope(golden, category_id=education.pk, traffic=("organic",)), june(),
                   ("posts_published", "likes"))
    published = r.kpi("posts_published")
    assert (published.value, published.previous, published.change, published.change_pct) == (11, 0, 11, None)
    likes = r.kpi("likes")
    assert (likes.value, likes.previous, likes.change, likes.change_pct) == (1275, None, None, None)


# ------------------------------------------------------------------------------- empty, never zero or error


def test_a_zero_denominator_is_empty_not_zero_and_not_an_error(org):
    """Views reported as 0 (not missing): the engagement rate is empty; followers gained 0: the loss / gain
    ratio is empty; the engagement itself (no denominator) is still 6."""
    brand = BrandFactory(organization=org, slug="zero-views")
    account = SocialAccountFactory(organization=org, brand=brand, platform="weibo")
    post = PostFactory(organization=org, brand=brand, account=account, platform="weibo", published_at=at(2026, 6, 3))
    snapshot(post, at(2026, 6, 4), likes=5, comments=1, shares=0, views=0, clicks=0, cost=0)
    posts_refresh(org.pk, [post.pk])
    AccountDailyFact.objects.create(organization=org, account=account, brand=brand, platform="weibo",
                                    day=date(2026, 6, 4), followers_gained=0, followers_lost=5)
    r = kpi_report(Scope(org.pk, (brand.pk,)), june(),
                   ("views", "engagement", "engagement_rate", "ctr", "cpc", "follower_loss_gain_ratio"))
    assert r.value("views") == 0
    assert r.value("engagement") == 6
    assert r.value("engagement_rate") is None
    assert r.value("ctr") is None and r.value("cpc") is None
    assert r.value("follower_loss_gain_ratio", "account") is None
    assert r.content_series.values["engagement_rate"][3] is None  # 4 June's bucket too
    comparison = category_comparison(Scope(org.pk, (brand.pk,)), june(), ["shares", "engagement_rate"],
                                     with_items=True)
    base = comparison.overall[0]
    assert (base.metrics["shares"].median, base.metrics["shares"].n) == (0, 1)
    assert (base.metrics["engagement_rate"].median, base.metrics["engagement_rate"].n) == (None, 0)
    assert base.items[0].index == {"shares": None, "engagement_rate": None}  # no typical value to divide by


def test_cpa_and_refund_rate_are_ratios_of_sums_in_kpis_and_funnel(org):
    """Two posts: cost 300 / 3 customers and 300 / 1 customer. CPA = 600 / 4 = 150 (the mean of the posts'
    CPAs would be 200); refund rate = (1 + 3) refunds / (10 + 10) orders = 0.2."""
    brand = BrandFactory(organization=org, slug="cpa")
    account = SocialAccountFactory(organization=org, brand=brand, platform="douyin")
    posts = []
    for day, purchases, refunds in ((3, 3, 1), (4, 1, 3)):
        post = PostFactory(organization=org, brand=brand, account=account, platform="douyin",
                           published_at=at(2026, 6, day))
        snapshot(post, at(2026, 6, day + 1), views=1000, cost=300, purchases=purchases, orders=10, refunds=refunds)
        posts.append(post)
    posts_refresh(org.pk, [p.pk for p in posts])
    period = june()
    r = kpi_report(Scope(org.pk, (brand.pk,)), period, ("cost", "purchases", "cpa", "refund_rate"))
    assert (r.value("cost"), r.value("purchases")) == (600, 4)
    assert r.value("cpa") == approx(150)
    assert r.value("refund_rate") == approx(0.2)
    f = funnel(Scope(org.pk, (brand.pk,)), period)
    stages = {s.key: s for s in f.total.stages}
    assert {q.key: q.value for q in stages["purchase"].quality} == {"cpa": approx(150)}
    assert {q.key: q.value for q in stages["retention"].quality} == {"refund_rate": approx(0.2)}
    douyin = {s.key: s for s in next(c for c in f.platforms if c.platform == "douyin").stages}
    assert douyin["purchase"].quality[0].value == approx(150)
