"""The social accounts API: CRUD by role, filters, uniqueness, and no cascade of imported data."""

import pytest

from accounts.models import Role
from metrics.models import SocialAccount
from tests.factories import BrandFactory, PostFactory, SocialAccountFactory


def url(org, pk=None):
    base = f"/api/v1/orgs/{org.slug}/accounts/"
    return base if pk is None else f"{base}{pk}/"


def ids(response):
    assert response.status_code == 200, response.content[:500]
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def api(client_as):
    return client_as(Role.MARKETER)


@pytest.mark.django_db
def test_create_read_update_delete(api, org):
    brand = BrandFactory(organization=org)
    payload = {"brand": brand.pk, "platform": "weibo", "handle": "glowlab", "display_name": "光感实验室官方微博",
               "platform_account_id": "5012345678", "kind": "brand", "media_type": "owned"}
    created = api.post(url(org), payload, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert api.get(url(org, pk)).json()["display_name"] == "光感实验室官方微博"
    assert api.patch(url(org, pk), {"kind": "kol", "media_type": "paid"}, format="json").json()["kind"] == "kol"
    assert api.delete(url(org, pk)).status_code == 204
    assert not SocialAccount.objects.filter(pk=pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("param", "value", "kept", "dropped"), [
    ("platform", "douyin", {"platform": "douyin"}, {"platform": "weibo"}),
    ("media_type", "earned", {"media_type": "earned"}, {"media_type": "owned"}),
    ("is_competitor", "true", {"is_competitor": True}, {"is_competitor": False}),
    ("is_competitor", "false", {"is_competitor": False}, {"is_competitor": True}),
])
def test_filters(api, org, param, value, kept, dropped):
    keep = SocialAccountFactory(organization=org, **kept)
    drop = SocialAccountFactory(organization=org, **dropped)
    found = ids(api.get(url(org), {param: value}))
    assert keep.pk in found and drop.pk not in found


@pytest.mark.django_db
def test_brand_filter(api, org):
    glow, brew = BrandFactory(organization=org), BrandFactory(organization=org)
    mine = SocialAccountFactory(organization=org, brand=glow)
    SocialAccountFactory(organization=org, brand=brew)
    assert ids(api.get(url(org), {"brand": glow.pk})) == {mine.pk}
    assert api.get(url(org), {"is_competitor": "maybe"}).status_code == 400


@pytest.mark.django_db
def test_a_duplicate_handle_is_400_not_a_crash(api, org):
    account = SocialAccountFactory(organization=org, platform="douyin", handle="glowlab")
    payload = {"brand": account.brand_id, "platform": "douyin", "handle": "glowlab"}
    response = api.post(url(org), payload, format="json")
    assert response.status_code == 400 and "handle" in response.json()
    other = SocialAccountFactory(organization=org, brand=account.brand, platform="douyin", handle="glowlab2")
    assert api.patch(url(org, other.pk), {"handle": "glowlab"}, format="json").status_code == 400


@pytest.mark.django_db
def test_an_account_with_posts_is_not_deleted(api, org):
    post = PostFactory(organization=org)
    assert api.delete(url(org, post.account_id)).status_code == 409
    assert SocialAccount.objects.filter(pk=post.account_id).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [(Role.OWNER, True), (Role.MANAGER, True), (Role.MARKETER, True),
                                               (Role.VIEWER, False), (Role.CLIENT, False)])
def test_who_manages_accounts(client_as, org, role, allowed):
    brand = BrandFactory(organization=org)
    account = SocialAccountFactory(organization=org, brand=brand)
    api = client_as(role, brands=[brand])
    assert api.get(url(org, account.pk)).status_code == 200
    created = api.post(url(org), {"brand": brand.pk, "platform": "bilibili", "handle": "new"}, format="json")
    assert created.status_code == (201 if allowed else 403)
    assert api.patch(url(org, account.pk), {"display_name": "x"}, format="json").status_code == (
        200 if allowed else 403
    )


@pytest.mark.django_db
def test_list_query_count_does_not_grow(api, org, django_assert_max_num_queries):
    SocialAccountFactory.create_batch(40, organization=org)
    with django_assert_max_num_queries(3):  # membership, count, page
        assert len(ids(api.get(url(org), {"page_size": 40}))) == 40
