"""Snapshots → period facts → daily rollup: the guide's May/June example and its edge cases."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from metrics.catalog import CATALOG, ratio_of_sums
from metrics.models import DailyRollup, PostDailyFact, PostSnapshot
from metrics.services.facts import deltas_from_snapshots, posts_refresh
from tests.factories import ContentCategoryFactory, PostCategoryFactory, PostFactory

BJ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=BJ)


def snapshot(post, when, **metrics):
    return PostSnapshot.objects.create(organization=post.organization, post=post, collected_at=when, **metrics)


def month_total(post, metric, year, month):
    facts = PostDailyFact.objects.filter(post=post, day__year=year, day__month=month)
    return facts.aggregate(total=Sum(metric))["total"]


@pytest.mark.django_db
def test_may_june_attribution(org):
    """Published 25 May; 5,000 reads collected 31 May, 8,000 on 30 June → 5,000 in May, 3,000 in June."""
    post = PostFactory(organization=org, published_at=at(2026, 5, 25))
    snapshot(post, at(2026, 5, 31), views=5000)
    snapshot(post, at(2026, 6, 30), views=8000)
    posts_refresh(org.pk, [post.pk])
    assert month_total(post, "views", 2026, 5) == 5000
    assert month_total(post, "views", 2026, 6) == 3000


@pytest.mark.django_db
def test_out_of_order_collections_give_the_same_facts(org):
    """The June file loaded before the May file: same facts once both are in."""
    post = PostFactory(organization=org, published_at=at(2026, 5, 25))
    snapshot(post, at(2026, 6, 30), views=8000)
    posts_refresh(org.pk, [post.pk])
    assert month_total(post, "views", 2026, 6) == 8000  # only June known so far: all of it counted in June
    snapshot(post, at(2026, 5, 31), views=5000)
    posts_refresh(org.pk, [post.pk])
    assert month_total(post, "views", 2026, 5) == 5000
    assert month_total(post, "views", 2026, 6) == 3000
    assert PostDailyFact.objects.filter(post=post).count() == 2


@pytest.mark.django_db
def test_three_collections_any_order_and_a_decrease(org):
    post = PostFactory(organization=org, published_at=at(2026, 3, 1))
    for when, likes in [(at(2026, 3, 20), 120), (at(2026, 3, 5), 100), (at(2026, 3, 12), 90)]:
        snapshot(post, when, likes=likes)
    posts_refresh(org.pk, [post.pk])
    facts = list(PostDailyFact.objects.filter(post=post).order_by("day").values_list("day", "likes", "decreased"))
    assert facts == [(date(2026, 3, 5), 100, False), (date(2026, 3, 12), -10, True), (date(2026, 3, 20), 30, False)]


def test_two_snapshots_on_one_day_use_the_last_one_and_missing_metrics_carry():
    """A metric missing on a day gives NULL that day (never zero) and the next delta is from its last value."""
    snaps = [
        {"collected_at": at(2026, 4, 1, 9), "views": 100, "likes": 5},
        {"collected_at": at(2026, 4, 1, 21), "views": 150, "likes": None},
        {"collected_at": at(2026, 4, 3, 9), "views": 200, "likes": 9},
    ]
    facts = deltas_from_snapshots(snaps, at(2026, 3, 31), BJ)
    gap = deltas_from_snapshots([*snaps, {"collected_at": at(2026, 4, 5), "views": 260},
                                 {"collected_at": at(2026, 4, 6), "views": 270, "likes": 12}], None, BJ)
    assert [(f["views"], f["likes"]) for f in gap[2:]] == [(60, None), (10, 3)]
    assert [(f["day"], f["views"], f["likes"]) for f in facts] == [
        (date(2026, 4, 1), 150, 5),  # each metric's last value of the day (likes: from 9:00)
        (date(2026, 4, 3), 50, 4),
    ]


def test_days_are_beijing_days():
    """23:30 UTC on 31 May is 07:30 on 1 June in Beijing: a June fact."""

    snaps = [{"collected_at": datetime(2026, 5, 31, 23, 30, tzinfo=UTC), "views": 10}]
    assert deltas_from_snapshots(snaps, None, BJ)[0]["day"] == date(2026, 6, 1)


@pytest.mark.django_db
def test_rollup_sums_facts_and_keeps_category_rows_apart(org):
    category = ContentCategoryFactory(organization=org, name="Education")
    a = PostFactory(organization=org, published_at=at(2026, 5, 1))
    b = PostFactory(organization=org, brand=a.brand, account=a.account, published_at=at(2026, 5, 1))
    PostCategoryFactory(organization=org, post=a, category=category)
    snapshot(a, at(2026, 5, 2), views=100, likes=10)
    snapshot(b, at(2026, 5, 2), views=300, likes=3)
    posts_refresh(org.pk, [a.pk, b.pk])
    all_posts = DailyRollup.objects.get(organization=org, category__isnull=True, day=date(2026, 5, 2))
    assert (all_posts.views, all_posts.likes, all_posts.posts) == (400, 13, 2)
    education = DailyRollup.objects.get(organization=org, category=category, day=date(2026, 5, 2))
    assert (education.views, education.likes, education.posts) == (100, 10, 1)
    a.brand.refresh_from_db()
    assert a.brand.data_version == 1


def test_ratio_of_sums_not_mean_of_ratios():
    """Post A: 10 likes / 100 views (10 %); post B: 10 likes / 900 views (1.1 %).
    Ratio of sums = 20 / 1000 = 2 %; the mean of ratios would be 5.56 %."""
    rate = CATALOG["engagement_rate"]
    sums = {"likes": 10 + 10, "shares": 0, "comments": 0, "views": 100 + 900}
    assert ratio_of_sums(rate, sums) == pytest.approx(0.02)
    mean_of_ratios = (10 / 100 + 10 / 900) / 2
    assert ratio_of_sums(rate, sums) != pytest.approx(mean_of_ratios)


def test_zero_denominator_is_empty_not_zero():
    assert ratio_of_sums(CATALOG["cpc"], {"cost": 100.0, "clicks": 0}) is None
    assert ratio_of_sums(CATALOG["cpc"], {"cost": 100.0}) is None
    assert ratio_of_sums(CATALOG["cpm"], {"cost": 50.0, "impressions": 10_000}) == pytest.approx(5.0)
