"""The golden data set: a beauty brand's Weibo posts tagged like the guide's worked example, built through the
import path (posts + dated snapshots + ``posts_refresh``), plus account daily facts and a competitor.

Every post is published in June 2026 and collected once on 28 June (so its lifetime-to-date value is its
snapshot), except ``old`` (published 25 May, collected 31 May and 30 June: 5,000 views in May, 3,000 in June).
Values per post (likes, comments, shares, views):

  Education / Brand image      bi1 (10, 1, 0, 1000)  bi2 (20, 2, 0, 1000)  bi3 (30, 3, 1, 1000)
                               bi4 (40, 4, 1, 1000)  bi5 (50, 5, 2, 1000)  bi6 (1000, 6, 100, 1000)
                               bi1–bi3 took 2 effort hours each
  Education / Beauty knowledge bk1 (5, 2, 1, 500) bk2 (15, 2, 2, 500) bk3 (25, 2, 3, 500) bk4 (35, 2, 4, 500)
                               bk5 (45, 2, 5, 500)
  Product promotion / Celebrity collaboration / Sun  sun1 (100, 10, 10, 2000) sun2 (200, 20, 20, 2000)
                                                     sun3 (300, 30, 30, 2000)
  Product promotion / Celebrity collaboration / Li   li1 (50, 5, 5, 1000) li2 (70, 7, 7, 1000)
  Brand image, promoted (paid media, paid traffic)   paid1 (99999, 0, 0, 100000)
  untagged, Bilibili account   bili1 (likes 10, shares 2, comments 3, collects 1, coins 5, danmaku 7, views 400)
  untagged, published in May   old  (May: 5000 views, 100 likes, 10 comments, 5 shares;
                                     June: +3000 views, +50 likes, +2 comments, +0 shares)
  competitor brand "Rival", Weibo account: c1 (500, 50, 50, 5000), c2 (100, 10, 10, 1000)

Content formats: bk1–bk5 are short videos, bili1 a long video, every other post an image note. Campaign
"Summer launch" holds the celebrity posts sun1–sun3 and li1–li2.

Account daily facts of the Weibo account: 31 May total 9,900 (+10 / −5, net 5); 1 June total 10,000 (+100 / −10,
net 90); 15 June 10,200 (+200 / −20, net 180); 30 June 10,300 (+50 / −500, net −450) *unsettled*.
Competitor's Weibo account: 30 June total 50,000, net 1,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from metrics.models import AccountDailyFact, PostSnapshot
from metrics.services.facts import posts_refresh
from tests.factories import (
    BrandFactory,
    CampaignFactory,
    ContentCategoryFactory,
    PostCategoryFactory,
    PostFactory,
    SocialAccountFactory,
)

BJ = ZoneInfo("Asia/Shanghai")
JUNE = (date(2026, 6, 1), date(2026, 6, 30))


def at(y, m, d, h=10, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=BJ)


@dataclass
class Golden:
    org: object
    brand: object
    rival: object
    weibo: object
    bili: object
    rival_weibo: object
    campaign: object = None
    categories: dict = field(default_factory=dict)
    posts: dict = field(default_factory=dict)


def snapshot(post, when, **values):
    return PostSnapshot.objects.create(organization=post.organization, post=post, collected_at=when, **values)


def build_golden(org) -> Golden:
    brand = BrandFactory(organization=org, name="Glow", slug="glow-golden")
    rival = BrandFactory(organization=org, name="Rival", slug="rival-golden", is_competitor=True)
    weibo = SocialAccountFactory(organization=org, brand=brand, platform="weibo", handle="glow_weibo")
    bili = SocialAccountFactory(organization=org, brand=brand, platform="bilibili", handle="glow_bili")
    rival_weibo = SocialAccountFactory(organization=org, brand=rival, platform="weibo", handle="rival_weibo")
    campaign = CampaignFactory(organization=org, brand=brand, name="Summer launch", slug="summer-launch-golden")
    g = Golden(org, brand, rival, weibo, bili, rival_weibo, campaign)

    def category(name, parent=None):
        node = ContentCategoryFactory(organization=org, name=name, parent=parent)
        g.categories[node.path] = node
        return node

    education = category("Education")
    brand_image = category("Brand image", education)
    knowledge = category("Beauty knowledge", education)
    promotion = category("Product promotion")
    celebrity = category("Celebrity collaboration", promotion)
    sun = category("Sun", celebrity)
    li = category("Li", celebrity)

    def post(key, account, tag, likes, comments, shares, views, day=10, **extra):
        effort = extra.pop("effort_hours", None)
        dims = {k: extra.pop(k) for k in ("media_type", "paid_kind", "traffic", "content_format", "campaign")
                if k in extra}
        p = PostFactory(organization=org, brand=account.brand, account=account, platform=account.platform,
                        published_at=at(2026, 6, day), title=key, effort_hours=effort, **dims)
        if tag is not None:
            PostCategoryFactory(organization=org, post=p, category=tag)
        snapshot(p, at(2026, 6, 28), likes=likes, comments=comments, shares=shares, views=views, **extra)
        g.posts[key] = p
        return p

    for i, (likes, comments, shares) in enumerate(
        [(10, 1, 0), (20, 2, 0), (30, 3, 1), (40, 4, 1), (50, 5, 2), (1000, 6, 100)], start=1
    ):
        post(f"bi{i}", weibo, brand_image, likes, comments, shares, 1000, day=i, effort_hours=2 if i <= 3 else None)
    for i, likes in enumerate([5, 15, 25, 35, 45], start=1):
        post(f"bk{i}", weibo, knowledge, likes, 2, i, 500, day=10 + i, content_format="short_video")
    for i, n in enumerate([100, 200, 300], start=1):
        post(f"sun{i}", weibo, sun, n, n // 10, n // 10, 2000, day=16 + i, campaign=campaign)
    post("li1", weibo, li, 50, 5, 5, 1000, day=20, campaign=campaign)
    post("li2", weibo, li, 70, 7, 7, 1000, day=21, campaign=campaign)
    post("paid1", weibo, brand_image, 99999, 0, 0, 100000, day=22, media_type="paid", paid_kind="promoted",
         traffic="paid")
    post("bili1", bili, None, 10, 3, 2, 400, day=23, collects=1, coins=5, danmaku=7, content_format="long_video")
    post("c1", rival_weibo, None, 500, 50, 50, 5000, day=5)
    post("c2", rival_weibo, None, 100, 10, 10, 1000, day=6)

    old = PostFactory(organization=org, brand=brand, account=weibo, platform="weibo", published_at=at(2026, 5, 25),
                      title="old")
    snapshot(old, at(2026, 5, 31), views=5000, likes=100, comments=10, shares=5)
    snapshot(old, at(2026, 6, 30), views=8000, likes=150, comments=12, shares=5)
    g.posts["old"] = old

    posts_refresh(org.pk, [p.pk for p in g.posts.values()])

    def account_day(account, day, total, gained=None, lost=None, net=None, unsettled=False):
        AccountDailyFact.objects.create(organization=org, account=account, brand=account.brand,
                                        platform=account.platform, day=day, followers_total=total,
                                        followers_gained=gained, followers_lost=lost, followers_net=net,
                                        unsettled=unsettled)

    account_day(weibo, date(2026, 5, 31), 9900, 10, 5, 5)
    account_day(weibo, date(2026, 6, 1), 10000, 100, 10, 90)
    account_day(weibo, date(2026, 6, 15), 10200, 200, 20, 180)
    account_day(weibo, date(2026, 6, 30), 10300, 50, 500, -450, unsettled=True)
    account_day(rival_weibo, date(2026, 6, 30), 50000, None, None, 1000)
    return g


@pytest.fixture
def golden(org):
    cache.clear()
    return build_golden(org)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Members are created per test (client_as); PBKDF2 would dominate these tests' run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
