"""Anomaly flags: a healthy account raises none; each variant of it raises exactly its own flag.

The healthy Weibo account publishes one post every Monday 10:00 from 5 January to 9 March 2026 (10 weeks). Each
post has an hourly snapshot 2 hours after publication (10 % of its final counts) and a snapshot the next day:
1,000 likes, 200 comments, 100 shares, 10,000 views (likes per comment 5, per share 10). Its account facts cover
every day: 20 followers gained, 5 lost, net 15, total growing from 10,000. The period is 2–15 March 2026.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from metrics.kpis import AnomalyThresholds, Period, Scope, anomalies
from metrics.models import AccountDailyFact
from metrics.services.facts import posts_refresh
from tests.factories import BrandFactory, PostFactory, SocialAccountFactory
from tests.kpis.conftest import at, snapshot

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15))
BAIT_MONDAY = date(2026, 3, 9)


def build(org, variant: str | None = None):
    brand = BrandFactory(organization=org, slug=f"anomaly-{variant or 'clean'}")
    account = SocialAccountFactory(organization=org, brand=brand, platform="weibo", handle="steady_weibo",
                                   display_name="Steady 微博")
    posts = []
    monday = date(2026, 1, 5)
    while monday <= BAIT_MONDAY:
        likes, comments, shares, views = 1000, 200, 100, 10000
        if variant == "bait" and monday == BAIT_MONDAY:
            likes = 10000  # "like this post if you like the team": likes alone jump
        if variant == "bait_stops" and monday < BAIT_MONDAY:
            likes = 10000  # weeks of bait (or bought likes) that end with the last post
        early = 0.1
        if variant == "early" and monday == BAIT_MONDAY:
            early = 0.9  # bought in the first hours after the push
        published = at(monday.year, monday.month, monday.day, 10)
        post = PostFactory(organization=org, brand=brand, account=account, platform="weibo", published_at=published,
                           title=f"post {monday}")
        snapshot(post, published + timedelta(hours=2), likes=likes * early, comments=comments * 0.1,
                 shares=shares * 0.1, views=views * early)
        snapshot(post, published + timedelta(hours=24), likes=likes, comments=comments, shares=shares, views=views)
        posts.append(post)
        monday += timedelta(weeks=1)
    posts_refresh(org.pk, [p.pk for p in posts])

    facts, total = [], 10000
    day = date(2026, 1, 5)
    while day <= PERIOD.end:
        gained, lost = 20, 5
        if variant == "flat" and day >= PERIOD.start:
            gained, lost = 1, 1  # plenty of engagement, no new followers
        if variant == "push_loss" and day == BAIT_MONDAY:
            lost = 100
        if variant is None and day == BAIT_MONDAY:
            lost = 6  # a push day with an ordinary loss
        total += gained - lost
        facts.append(AccountDailyFact(organization=org, account=account, brand=brand, platform="weibo", day=day,
                                      followers_total=total, followers_gained=gained, followers_lost=lost,
                                      followers_net=gained - lost))
        day += timedelta(days=1)
    AccountDailyFact.objects.bulk_create(facts)
    return Scope(organization_id=org.pk, brand_ids=(brand.pk,)), account


def kinds(report):
    return [a.kind for a in report.anomalies]


def test_clean_account_raises_nothing(org):
    scope, _ = build(org)
    report = anomalies(scope, PERIOD)
    assert report.anomalies == []
    # Every check had something to look at, so "nothing" means "nothing wrong", not "nothing checked".
    assert report.checked == {"ratio_shift": 1, "early_surge": 2, "push_day_loss": 1, "flat_growth": 1}


def test_like_bait_shifts_the_ratios(org):
    scope, account = build(org, "bait")
    report = anomalies(scope, PERIOD)
    assert kinds(report) == ["ratio_shift"]
    flag = report.anomalies[0]
    assert (flag.account_id, flag.start, flag.end) == (account.pk, BAIT_MONDAY, date(2026, 3, 15))
    assert flag.values["likes_per_comment"] == 50 and flag.values["likes_per_comment_median"] == 5
    assert flag.values["likes_per_share"] == 100 and flag.values["likes_per_share_median"] == 10
    assert "likes per comment rose to 50.0 against a rolling median of 5.0" in flag.reason
    assert "like-bait" in flag.reason and "bought likes" in flag.reason


def test_likes_falling_alone_is_a_shift_too(org):
    """Likes per comment drop from 50 (nine weeks of bait) to 5 while comments and shares hold: flagged as the
    week the bait or the bought likes stopped."""
    scope, account = build(org, "bait_stops")
    report = anomalies(scope, PERIOD)
    assert kinds(report) == ["ratio_shift"]
    flag = report.anomalies[0]
    assert flag.start == BAIT_MONDAY
    assert flag.values["likes_per_comment"] == 5 and flag.values["likes_per_comment_median"] == 50
    assert "likes per comment fell to 5.0 against a rolling median of 50.0" in flag.reason
    assert "stopped" in flag.reason


def test_outsized_share_in_the_first_hours(org):
    scope, account = build(org, "early")
    report = anomalies(scope, PERIOD)
    assert kinds(report) == ["early_surge"]
    flag = report.anomalies[0]
    assert flag.post_title == f"post {BAIT_MONDAY}" and flag.start == BAIT_MONDAY
    assert flag.values["likes_early"] == 900 and flag.values["likes_total"] == 1000
    assert "90% of its likes (900 of 1,000)" in flag.reason and "first 3 hours" in flag.reason


def test_follower_loss_on_a_push_day(org):
    scope, account = build(org, "push_loss")
    report = anomalies(scope, PERIOD)
    assert kinds(report) == ["push_day_loss"]
    flag = report.anomalies[0]
    assert flag.start == BAIT_MONDAY
    assert flag.values == {"followers_lost": 100, "pushes": 1, "quiet_day_median": 5, "quiet_days": 60}
    assert flag.reason.startswith("Lost 100 followers on 2026-03-09, a day with 1 push, against a median of 5")


def test_high_engagement_with_flat_follower_growth(org):
    scope, account = build(org, "flat")
    report = anomalies(scope, PERIOD)
    assert kinds(report) == ["flat_growth"]
    flag = report.anomalies[0]
    assert flag.values["engagement"] == 2600  # two weekly posts × (1,000 + 200 + 100)
    assert flag.values["followers_net"] == 0
    assert "does not convince them to follow" in flag.reason


def test_thresholds_are_adjustable(org):
    scope, _ = build(org, "push_loss")
    strict = AnomalyThresholds(push_loss_min=1000)
    assert anomalies(scope, PERIOD, strict).anomalies == []


def test_post_only_filters_skip_the_follower_checks(org):
    scope, _ = build(org, "push_loss")
    report = anomalies(scope.narrowed(content_formats=("image_note",)), PERIOD)
    assert report.checked["push_day_loss"] == 0 and report.notes


def _early(scope, period, totals, thresholds=None):
    from dataclasses import asdict

    from metrics.kpis.anomalies import _early_surge
    from metrics.kpis.queries import resolve

    found = []
    checked = _early_surge(scope, resolve(scope), period, thresholds or AnomalyThresholds(), {}, found,
                           totals=totals)
    return checked, [asdict(a) for a in found]


EARLY_PERIODS = [
    PERIOD,
    Period(BAIT_MONDAY, BAIT_MONDAY),  # ends before the bait post's next-day collection: a straggler
    Period(date(2026, 1, 1), BAIT_MONDAY + timedelta(days=1)),
    Period(date(2026, 1, 1), date(2026, 12, 31)),
]


@pytest.mark.parametrize("variant", [None, "early"])
def test_early_surge_through_the_totals_equals_the_snapshots(org, variant):
    """The early-surge check reads the snapshot figures the import keeps per post (``PostTotal``) for the posts
    whose every collection precedes the period's end, and the snapshots for the others: the count checked and
    every flag are those of reading every post's snapshots, also after a later import adds a collection that
    dilutes the early share, and with a window the totals do not keep (read from the snapshots alone)."""
    from metrics.models import Post, PostTotal

    scope, _ = build(org, variant)
    kept = PostTotal.objects.filter(brand_id=scope.brand_ids[0])
    assert kept.filter(early_collected_at__isnull=False, last_collected_at__isnull=False).count() == 10
    for period in EARLY_PERIODS:
        assert _early(scope, period, True) == _early(scope, period, False), period
    assert _early(scope, PERIOD, True)[0] == 2
    assert _early(scope, Period(BAIT_MONDAY, BAIT_MONDAY), True)[0] == 0  # the next-day collection is after it
    bait = Post.objects.get(brand_id=scope.brand_ids[0], title=f"post {BAIT_MONDAY}")
    snapshot(bait, bait.published_at + timedelta(days=3), likes=5000, comments=400, shares=200, views=50000)
    posts_refresh(org.pk, [bait.pk])
    for period in EARLY_PERIODS:
        assert _early(scope, period, True) == _early(scope, period, False), period
    assert _early(scope, Period(date(2026, 1, 1), date(2026, 12, 31)), True)[1] == []  # 900 of 5,000 likes
    two_hours = AnomalyThresholds(early_hours=2)
    assert _early(scope, PERIOD, True, two_hours) == _early(scope, PERIOD, False, two_hours)


def test_the_api_words_the_reason_in_the_requests_language(org, client_as):
    scope, account = build(org, "push_loss")
    api = client_as()
    params = {"brand": scope.brand_ids[0], "start": PERIOD.start.isoformat(), "end": PERIOD.end.isoformat()}
    english = api.get(f"/api/v1/orgs/{org.slug}/anomalies/", params, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api.get(f"/api/v1/orgs/{org.slug}/anomalies/", params, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    (en,), (zh,) = english["anomalies"], chinese["anomalies"]
    assert en["kind"] == zh["kind"] == "push_day_loss" and en["values"] == zh["values"]
    assert en["reason"].startswith("Lost 100 followers on a day with 1 push(es), against a median of 5")
    assert en["label"] == "Follower loss on a push day"
    assert "100" in zh["reason"] and "粉" in zh["reason"] and "Lost" not in zh["reason"]
    assert zh["label"] != en["label"]
