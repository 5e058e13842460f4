"""The posts API: every filter, ordering, pagination, the snapshot detail, PATCH of dimensions, query counts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Role
from metrics.models import PostCategory, PostDailyFact, PostSnapshot
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


def at(y, m, d, h=10, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=BJ)


def url(org, pk=None):
    base = f"/api/v1/orgs/{org.slug}/posts/"
    return base if pk is None else f"{base}{pk}/"


def ids(response):
    assert response.status_code == 200, response.content[:500]
    return [row["id"] for row in response.json()["results"]]


def collect(post, when, **metrics):
    PostSnapshot.objects.create(organization=post.organization, post=post, collected_at=when, **metrics)
    posts_refresh(post.organization_id, [post.pk])


@pytest.fixture
def api(client_as):
    return client_as(Role.MARKETER)


@pytest.fixture
def brand(org):
    return BrandFactory(organization=org)


# Filters: each with a row it must keep and a row it must drop ---------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("param", "kept_kwargs", "dropped_kwargs", "value"), [
    ("media_type", {"media_type": "paid", "paid_kind": "promoted"}, {"media_type": "owned"}, "paid"),
    ("paid_kind", {"media_type": "paid", "paid_kind": "influencer"}, {"media_type": "paid", "paid_kind": "paid_ad"},
     "influencer"),
    ("paid_kind", {"media_type": "owned"}, {"media_type": "paid", "paid_kind": "paid_ad"}, "none"),
    ("traffic", {"traffic": "paid"}, {"traffic": "organic"}, "paid"),
    ("content_format", {"content_format": "livestream"}, {"content_format": "article"}, "livestream"),
    ("q", {"title": "双11 面霜测评"}, {"title": "秋冬护肤"}, "面霜"),
    ("q", {"title": "Double 11 Cream"}, {"title": "Autumn care"}, "cream"),
])
def test_choice_and_text_filters(api, org, brand, param, kept_kwargs, dropped_kwargs, value):
    kept = PostFactory(organization=org, brand=brand, **kept_kwargs)
    dropped = PostFactory(organization=org, brand=brand, **dropped_kwargs)
    found = ids(api.get(url(org), {param: value}))
    assert kept.pk in found
    assert dropped.pk not in found


@pytest.mark.django_db
def test_brand_platform_account_campaign_filters(api, org):
    glow, brew = BrandFactory(organization=org), BrandFactory(organization=org)
    douyin = SocialAccountFactory(organization=org, brand=glow, platform="douyin")
    weibo = SocialAccountFactory(organization=org, brand=glow, platform="weibo")
    campaign = CampaignFactory(organization=org, brand=glow)
    a = PostFactory(organization=org, brand=glow, account=douyin, campaign=campaign)
    b = PostFactory(organization=org, brand=glow, account=weibo)
    c = PostFactory(organization=org, brand=brew)
    assert set(ids(api.get(url(org), {"brand": glow.pk}))) == {a.pk, b.pk}
    assert set(ids(api.get(url(org), {"platform": "douyin"}))) == {a.pk}
    assert set(ids(api.get(url(org), {"platform": "douyin,weibo"}))) == {a.pk, b.pk}
    assert set(ids(api.get(url(org), {"account": weibo.pk}))) == {b.pk}
    assert set(ids(api.get(url(org), {"campaign": campaign.pk}))) == {a.pk}
    assert c.pk in ids(api.get(url(org)))


@pytest.mark.django_db
def test_category_filter_includes_descendants_and_lists_a_post_once(api, org, brand):
    root = ContentCategoryFactory(organization=org, name="Product promotion")
    child = ContentCategoryFactory(organization=org, name="Celebrity collaboration", parent=root)
    variant = ContentCategoryFactory(organization=org, name="Celebrity A", parent=child)
    other = ContentCategoryFactory(organization=org, name="Education")
    on_variant = PostFactory(organization=org, brand=brand)
    on_root_and_child = PostFactory(organization=org, brand=brand)
    elsewhere = PostFactory(organization=org, brand=brand)
    PostCategoryFactory(organization=org, post=on_variant, category=variant)
    PostCategoryFactory(organization=org, post=on_root_and_child, category=root)
    PostCategoryFactory(organization=org, post=on_root_and_child, category=child)
    PostCategoryFactory(organization=org, post=elsewhere, category=other)
    found = ids(api.get(url(org), {"category": root.pk}))
    assert sorted(found) == sorted([on_variant.pk, on_root_and_child.pk])  # once each
    assert ids(api.get(url(org), {"category": variant.pk})) == [on_variant.pk]


@pytest.mark.django_db
def test_published_dates_are_beijing_days_inclusive(api, org, brand):
    """00:30 on 1 May in Beijing is 30 April in UTC: it belongs to May."""
    before = PostFactory(organization=org, brand=brand, published_at=at(2026, 4, 30, 23, 59))
    first = PostFactory(organization=org, brand=brand, published_at=at(2026, 5, 1, 0, 30))
    last = PostFactory(organization=org, brand=brand, published_at=at(2026, 5, 31, 23, 30))
    after = PostFactory(organization=org, brand=brand, published_at=at(2026, 6, 1, 0, 0))
    may = set(ids(api.get(url(org), {"published_after": "2026-05-01", "published_before": "2026-05-31"})))
    assert may == {first.pk, last.pk}
    assert before.pk in ids(api.get(url(org), {"published_before": "2026-04-30"}))
    assert set(ids(api.get(url(org), {"published_after": "2026-06-01"}))) == {after.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "field"), [
    ({"published_after": "1 May"}, "published_after"),
    ({"platform": "tiktok"}, "platform"),
    ({"brand": "glow"}, "brand"),
    ({"ordering": "-password"}, "ordering"),
])
def test_bad_parameters_are_400_naming_the_parameter(api, org, params, field):
    response = api.get(url(org), params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_another_tenants_ids_in_filters_match_nothing(api, org, other_org, brand):
    PostFactory(organization=org, brand=brand)
    theirs = PostFactory(organization=other_org)
    their_category = ContentCategoryFactory(organization=other_org)
    PostCategoryFactory(organization=other_org, post=theirs, category=their_category)
    assert ids(api.get(url(org), {"brand": theirs.brand_id})) == []
    assert ids(api.get(url(org), {"category": their_category.pk})) == []


@pytest.mark.django_db
def test_client_sees_only_posts_of_granted_brands(org, client_as):
    granted, hidden = BrandFactory(organization=org), BrandFactory(organization=org)
    mine = PostFactory(organization=org, brand=granted)
    theirs = PostFactory(organization=org, brand=hidden)
    api = client_as(Role.CLIENT, brands=[granted])
    assert ids(api.get(url(org))) == [mine.pk]
    assert api.get(url(org, theirs.pk)).status_code == 404


# Ordering and pagination -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_ordering_by_date_title_and_lifetime_totals(api, org, brand):
    quiet = PostFactory(organization=org, brand=brand, title="B quiet", published_at=at(2026, 5, 3))
    viral = PostFactory(organization=org, brand=brand, title="C viral", published_at=at(2026, 5, 1))
    fresh = PostFactory(organization=org, brand=brand, title="A fresh", published_at=at(2026, 5, 5))  # no data
    collect(quiet, at(2026, 5, 6), views=100, likes=40, comments=1, shares=1)
    collect(viral, at(2026, 5, 4), views=5000, likes=30, comments=500, shares=200)
    collect(viral, at(2026, 5, 6), views=9000, likes=35, comments=600, shares=300)

    assert ids(api.get(url(org))) == [fresh.pk, quiet.pk, viral.pk]  # newest first by default
    assert ids(api.get(url(org), {"ordering": "published_at"})) == [viral.pk, quiet.pk, fresh.pk]
    assert ids(api.get(url(org), {"ordering": "title"})) == [fresh.pk, quiet.pk, viral.pk]
    assert ids(api.get(url(org), {"ordering": "-views"})) == [viral.pk, quiet.pk, fresh.pk]  # no data: last
    assert ids(api.get(url(org), {"ordering": "views"})) == [quiet.pk, viral.pk, fresh.pk]
    assert ids(api.get(url(org), {"ordering": "-likes"})) == [quiet.pk, viral.pk, fresh.pk]
    assert ids(api.get(url(org), {"ordering": "-engagement"})) == [viral.pk, quiet.pk, fresh.pk]

    rows = {row["id"]: row for row in api.get(url(org)).json()["results"]}
    assert rows[viral.pk]["views"] == 9000  # the sum of its facts = its latest cumulative value
    assert rows[viral.pk]["engagement"] == 35 + 600 + 300  # xiaohongshu: + collects, none reported
    assert rows[fresh.pk]["views"] is None  # no data is not zero


@pytest.mark.django_db
def test_engagement_uses_the_platform_formula(api, org, brand):
    """Bilibili's engagement adds collects, coins and danmaku to likes + shares + comments."""
    account = SocialAccountFactory(organization=org, brand=brand, platform="bilibili")
    post = PostFactory(organization=org, brand=brand, account=account)
    collect(post, at(2026, 5, 6), views=1000, likes=10, shares=2, comments=3, collects=4, coins=5, danmaku=6)
    row = api.get(url(org, post.pk)).json()
    assert row["engagement"] == 30


@pytest.mark.django_db
def test_pagination_and_page_size_limit(api, org, brand):
    PostFactory.create_batch(5, organization=org, brand=brand)
    page = api.get(url(org), {"page_size": 2}).json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert len(api.get(url(org), {"page_size": 2, "page": 3}).json()["results"]) == 1
    PostFactory.create_batch(200, organization=org, brand=brand)
    assert len(api.get(url(org), {"page_size": 500}).json()["results"]) == 200  # capped
    assert len(api.get(url(org)).json()["results"]) == 50  # the project's PAGE_SIZE


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_page(api, org, brand, django_assert_max_num_queries):
    categories = ContentCategoryFactory.create_batch(3, organization=org)
    for campaign_post in PostFactory.create_batch(60, organization=org, brand=brand,
                                                   campaign=CampaignFactory(organization=org, brand=brand)):
        for category in categories[:2]:
            PostCategoryFactory(organization=org, post=campaign_post, category=category)
        PostSnapshot.objects.create(organization=org, post=campaign_post, collected_at=at(2026, 5, 6), views=10)
    posts_refresh(org.pk, list(brand.posts.values_list("pk", flat=True)))
    # membership, count, page (totals as subqueries, the account joined), categories prefetched
    with django_assert_max_num_queries(4):
        response = api.get(url(org), {"page_size": 60, "ordering": "-engagement", "category": categories[0].pk})
    assert len(response.json()["results"]) == 60
    assert len(response.json()["results"][0]["categories"]) == 2


# Detail -----------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_detail_lists_snapshots_oldest_first_with_only_reported_metrics(api, org, brand, django_assert_max_num_queries):
    post = PostFactory(organization=org, brand=brand)
    PostSnapshot.objects.create(organization=org, post=post, collected_at=at(2026, 6, 30), views=8000, likes=90,
                                extra={"rewards_cny": 12.5})
    PostSnapshot.objects.create(organization=org, post=post, collected_at=at(2026, 5, 31), views=5000)
    with django_assert_max_num_queries(4):
        body = api.get(url(org, post.pk)).json()
    assert [s["collected_at"][:10] for s in body["snapshots"]] == ["2026-05-31", "2026-06-30"]
    assert body["snapshots"][0]["metrics"] == {"views": 5000}
    assert body["snapshots"][1]["metrics"] == {"views": 8000, "likes": 90}
    assert body["snapshots"][1]["extra"] == {"rewards_cny": 12.5}
    assert body["account"]["handle"] == post.account.handle


# PATCH ------------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_patch_dimensions_moves_the_facts_and_the_rollup(api, org, brand):
    post = PostFactory(organization=org, brand=brand, media_type="owned")
    collect(post, at(2026, 5, 31), views=5000)
    assert set(PostDailyFact.objects.filter(post=post).values_list("media_type", flat=True)) == {"owned"}
    campaign = CampaignFactory(organization=org, brand=brand)
    category = ContentCategoryFactory(organization=org)
    version = brand.data_version

    response = api.patch(url(org, post.pk), {
        "media_type": "paid", "paid_kind": "promoted", "traffic": "paid", "campaign": campaign.pk,
        "categories": [category.pk], "cost": "1200.50", "effort_hours": "3.5",
    }, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["media_type"] == "paid" and body["categories"] == [category.pk] and body["cost"] == "1200.50"
    fact = PostDailyFact.objects.get(post=post)
    assert (fact.media_type, fact.paid_kind, fact.traffic, fact.campaign_id) == ("paid", "promoted", "paid",
                                                                                  campaign.pk)
    from metrics.models import DailyRollup

    assert DailyRollup.objects.get(organization=org, category=category).views == 5000
    assert DailyRollup.objects.get(organization=org, category=None).media_type == "paid"
    brand.refresh_from_db()
    assert brand.data_version > version


@pytest.mark.django_db
def test_patch_ignores_fields_owned_by_imports(api, org, brand):
    post = PostFactory(organization=org, brand=brand, title="原标题")
    response = api.patch(url(org, post.pk), {"title": "changed", "platform": "weibo", "organization": 99},
                         format="json")
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.title == "原标题" and post.platform == "xiaohongshu" and post.organization_id == org.pk


@pytest.mark.django_db
def test_patch_refuses_inconsistent_or_foreign_values(api, org, other_org, brand):
    post = PostFactory(organization=org, brand=brand, media_type="owned")
    bad = [
        {"paid_kind": "promoted"},  # owned content has no paid kind
        {"campaign": CampaignFactory(organization=org).pk},  # another brand's campaign
        {"campaign": CampaignFactory(organization=other_org).pk},
        {"categories": [ContentCategoryFactory(organization=other_org).pk]},
    ]
    for payload in bad:
        response = api.patch(url(org, post.pk), payload, format="json")
        assert response.status_code == 400, payload
    assert not PostCategory.objects.filter(post=post).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLIENT])
def test_readers_cannot_patch(org, brand, client_as, role):
    post = PostFactory(organization=org, brand=brand)
    api = client_as(role, brands=[brand])
    assert api.patch(url(org, post.pk), {"traffic": "paid"}, format="json").status_code == 403


@pytest.mark.django_db
def test_posts_are_not_created_replaced_or_deleted_through_the_api(client_as, org, brand):
    api = client_as(Role.OWNER)  # allowed everything the API offers: what is left is not offered
    post = PostFactory(organization=org, brand=brand)
    assert api.post(url(org), {"title": "x"}, format="json").status_code == 405
    assert api.put(url(org, post.pk), {"traffic": "paid"}, format="json").status_code == 405
    assert api.delete(url(org, post.pk)).status_code == 405
