"""posts/bulk-tag/: many posts, categories added and removed in one transaction, every id scoped."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from accounts.models import Role
from metrics.models import DailyRollup, PostCategory, PostSnapshot
from metrics.services.facts import posts_refresh
from tests.factories import BrandFactory, ContentCategoryFactory, PostCategoryFactory, PostFactory

BJ = ZoneInfo("Asia/Shanghai")


def url(org):
    return f"/api/v1/orgs/{org.slug}/posts/bulk-tag/"


def taggings(org):
    return set(PostCategory.objects.filter(organization=org).values_list("post_id", "category_id"))


@pytest.fixture
def api(client_as):
    return client_as(Role.MARKETER)


@pytest.fixture
def setup(org):
    brand = BrandFactory(organization=org)
    posts = PostFactory.create_batch(3, organization=org, brand=brand)
    for post in posts:
        PostSnapshot.objects.create(organization=org, post=post, collected_at=datetime(2026, 5, 6, tzinfo=BJ),
                                    views=100)
    posts_refresh(org.pk, [p.pk for p in posts])
    lottery, topics = ContentCategoryFactory.create_batch(2, organization=org)
    return brand, posts, lottery, topics


@pytest.mark.django_db
def test_add_and_remove_on_many_posts(api, org, setup):
    brand, (a, b, c), lottery, topics = setup
    PostCategoryFactory(organization=org, post=a, category=topics)
    response = api.post(url(org), {"posts": [a.pk, b.pk], "add": [lottery.pk], "remove": [topics.pk]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"posts": 2, "added": 2, "removed": 1}
    assert taggings(org) == {(a.pk, lottery.pk), (b.pk, lottery.pk)}
    # the rollup follows: the category rows count the tagged posts' views, the removed category has none left
    rows = DailyRollup.objects.filter(organization=org, category=lottery)
    assert rows.aggregate(views=Sum("views"))["views"] == 200
    assert not DailyRollup.objects.filter(organization=org, category=topics).exists()
    brand.refresh_from_db()
    assert brand.data_version >= 1


@pytest.mark.django_db
def test_repeating_the_request_changes_nothing(api, org, setup):
    brand, (a, b, c), lottery, topics = setup
    payload = {"posts": [a.pk, b.pk], "add": [lottery.pk]}
    api.post(url(org), payload, format="json")
    version = type(brand).objects.get(pk=brand.pk).data_version
    assert api.post(url(org), payload, format="json").json() == {"posts": 0, "added": 0, "removed": 0}
    assert type(brand).objects.get(pk=brand.pk).data_version == version  # nothing refreshed


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["posts", "add", "remove"])
def test_another_tenants_id_is_400_naming_it_and_nothing_is_written(api, org, other_org, setup, field):
    brand, (a, b, c), lottery, topics = setup
    PostCategoryFactory(organization=org, post=c, category=topics)
    theirs = {"posts": PostFactory(organization=other_org).pk,
              "add": ContentCategoryFactory(organization=other_org).pk,
              "remove": ContentCategoryFactory(organization=other_org).pk}[field]
    payload = {"posts": [a.pk, c.pk], "add": [lottery.pk], "remove": [topics.pk]}
    payload[field] = [*payload[field], theirs]
    before = taggings(org), taggings(other_org)
    response = api.post(url(org), payload, format="json")
    assert response.status_code == 400
    assert str(theirs) in response.json()[field][0]
    assert (taggings(org), taggings(other_org)) == before


@pytest.mark.django_db
def test_all_unknown_ids_are_named_at_once(api, org, setup):
    response = api.post(url(org), {"posts": [987654321, 987654322], "add": [987654323]}, format="json")
    assert response.status_code == 400
    assert "987654321, 987654322" in response.json()["posts"][0]
    assert "987654323" in response.json()["add"][0]


@pytest.mark.django_db
def test_a_client_cannot_tag_and_cannot_reach_other_brands(org, client_as, setup):
    brand, (a, b, c), lottery, topics = setup
    other_brand_post = PostFactory(organization=org, brand=BrandFactory(organization=org))
    api = client_as(Role.CLIENT, brands=[brand])
    assert api.post(url(org), {"posts": [other_brand_post.pk], "add": [lottery.pk]}, format="json").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (Role.CLIENT, 403), (Role.MARKETER, 200),
                                               (Role.MANAGER, 200), (Role.OWNER, 200)])
def test_roles(client_as, org, setup, role, status):
    brand, (a, b, c), lottery, topics = setup
    api = client_as(role, brands=[brand])
    response = api.post(url(org), {"posts": [a.pk], "add": [lottery.pk]}, format="json")
    assert response.status_code == status
    assert taggings(org) == ({(a.pk, lottery.pk)} if status == 200 else set())


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [
    {"posts": [], "add": [1]},  # no posts
    {"posts": [1]},  # nothing to add or remove
    {"posts": "1", "add": [1]},
])
def test_malformed_requests(api, org, setup, payload):
    assert api.post(url(org), payload, format="json").status_code == 400


@pytest.mark.django_db
def test_adding_and_removing_the_same_category_is_refused(api, org, setup):
    brand, (a, b, c), lottery, topics = setup
    response = api.post(url(org), {"posts": [a.pk], "add": [lottery.pk], "remove": [lottery.pk]}, format="json")
    assert response.status_code == 400
    assert taggings(org) == set()
