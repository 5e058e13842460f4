"""Cached answers: a committed import is visible at once; no organization ever receives another's entry."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from metrics.kpis import Scope, category_comparison, kpi_report
from metrics.kpis.cache import cache_key
from metrics.services.facts import posts_refresh
from tests.kpis.conftest import JUNE, at, build_golden, snapshot
from tests.kpis.test_golden import june, scope

pytestmark = pytest.mark.django_db


def test_a_second_call_is_served_from_the_cache(golden, django_assert_max_num_queries):
    kpi_report(scope(golden), june())
    with django_assert_max_num_queries(1):  # only the brands' data versions are read
        again = kpi_report(scope(golden), june())
    assert again.value("likes") == 102054


def test_a_fresh_import_is_visible_at_once(golden):
    """New snapshots + posts_refresh (what an import commits) bump the brand's data version: the next call
    computes afresh, without anybody clearing the cache."""
    before = kpi_report(scope(golden), june())
    category_comparison(scope(golden), june(), ["likes"])  # cached too
    assert before.value("likes") == 102054
    post = golden.posts["bi1"]
    snapshot(post, at(2026, 6, 29), likes=110, comments=1, shares=0, views=1000)  # +100 likes on 29 June
    posts_refresh(golden.org.pk, [post.pk])
    after = kpi_report(scope(golden), june())
    assert after.value("likes") == 102154
    brand_image = next(g for g in category_comparison(scope(golden), june(), ["likes"]).groups
                       if g.path == ["Education", "Brand image"])
    assert brand_image.metrics["likes"].median == 45  # 20, 30, 40, 50, 110, 1000 → (40 + 50) / 2


def test_renaming_a_category_is_visible_at_once(golden):
    first = category_comparison(scope(golden), june(), ["likes"])
    assert ["Education", "Brand image"] in [g.path for g in first.groups]
    node = golden.categories["Education / Brand image"]
    node.name = "Brand story"
    node.save()
    renamed = category_comparison(scope(golden), june(), ["likes"])
    assert ["Education", "Brand story"] in [g.path for g in renamed.groups]


def test_keys_carry_the_organization(org, other_org):
    """Same brand ids, same period, two organizations: two keys (and the engine filters by organization)."""
    a = cache_key("kpis", Scope(org.pk, (1, 2)), june(), {})
    b = cache_key("kpis", Scope(other_org.pk, (1, 2)), june(), {})
    assert a != b
    assert f":{org.pk}:" in a and f":{other_org.pk}:" in b


def test_two_organizations_with_the_same_question_never_share(org, other_org, client_as):
    """Identical data structure and identical query in two organizations: each gets its own numbers, whichever
    asks first."""
    mine = build_golden(org)
    theirs = build_golden(other_org)
    extra = theirs.posts["bi1"]
    snapshot(extra, at(2026, 6, 29), likes=1010, comments=1, shares=0, views=1000)  # Rival Co's numbers differ
    posts_refresh(other_org.pk, [extra.pk])
    params = {"start": JUNE[0].isoformat(), "end": JUNE[1].isoformat(), "metrics": "likes"}
    cache.clear()
    api_theirs = client_as(Role.OWNER, organization=other_org)
    api_mine = client_as(Role.OWNER, organization=org)
    first = api_theirs.get(reverse("kpis", kwargs={"org_slug": other_org.slug}), params).json()
    second = api_mine.get(reverse("kpis", kwargs={"org_slug": org.slug}), params).json()
    assert first["content"][0]["value"] == 102054 + 1000
    assert second["content"][0]["value"] == 102054
    assert mine.brand.pk != theirs.brand.pk


def test_a_client_and_an_owner_do_not_share_an_entry(golden, client_as):
    """The scope holds the member's visible brands: a client granted only Glow never sees an answer computed
    for the owner over every brand."""
    other_brand_post = build_golden_extra_brand(golden)
    params = {"start": JUNE[0].isoformat(), "end": JUNE[1].isoformat(), "metrics": "likes"}
    url = reverse("kpis", kwargs={"org_slug": golden.org.slug})
    owner = client_as(Role.OWNER)
    client = client_as(Role.CLIENT, brands=[golden.brand])
    assert owner.get(url, params).json()["content"][0]["value"] == 102054 + other_brand_post
    assert client.get(url, params).json()["content"][0]["value"] == 102054


def build_golden_extra_brand(golden) -> int:
    from tests.factories import BrandFactory, PostFactory, SocialAccountFactory

    brand = BrandFactory(organization=golden.org, slug="second-brand")
    account = SocialAccountFactory(organization=golden.org, brand=brand, platform="weibo")
    post = PostFactory(organization=golden.org, brand=brand, account=account, platform="weibo",
                       published_at=at(2026, 6, 3))
    snapshot(post, at(2026, 6, 4), likes=7, views=70)
    posts_refresh(golden.org.pk, [post.pk])
    return 7


def test_use_cache_false_bypasses(golden):
    kpi_report(scope(golden), june())
    with CaptureQueriesContext(connection) as ctx:
        kpi_report(scope(golden), june(), use_cache=False)
    assert len(ctx.captured_queries) > 1
