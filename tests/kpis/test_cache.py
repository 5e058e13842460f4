"""Cached answers: a committed import is visible at once; no organization ever receives another's entry."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from metrics.kpis import Scope, benchmarks, category_comparison, kpi_report
from metrics.kpis.cache import cache_key
from metrics.models import AccountDayRollup, DailyRollup
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


def test_a_real_import_is_visible_at_once_through_the_api(org, brand, member_factory, client_as, settings, tmp_path):
    """The whole import path (upload → batch → load in one transaction → data version bump), then the API: the
    answer cached after the first collection is never served once the second collection is committed."""
    from django.core.files import File

    from metrics.services.imports import import_batch_create, import_batch_run
    from tests.ingestion_load.files import xhs_notes

    settings.MEDIA_ROOT = tmp_path / "media"
    marketer = member_factory(Role.MARKETER)
    note = {"title": "秋冬护肤 三步搞定", "published": at(2026, 6, 5, 20)}

    def collect(folder, as_of, **values):
        path = xhs_notes(tmp_path / folder / "笔记列表明细表.xlsx", [{**note, **values}])
        with open(path, "rb") as fh:
            batch = import_batch_create(marketer, brand, File(fh, name=path.name), enqueue=False, as_of=as_of)
        import_batch_run(batch.pk, org.pk)
        batch.refresh_from_db()
        assert batch.status == "succeeded", batch.message

    api = client_as(Role.VIEWER)
    route = reverse("kpis", kwargs={"org_slug": org.slug})
    params = {"start": JUNE[0].isoformat(), "end": JUNE[1].isoformat(), "metrics": "views,likes"}

    def answer():
        with CaptureQueriesContext(connection) as ctx:
            values = {k["key"]: k["value"] for k in api.get(route, params).json()["content"]}
        rollups = (DailyRollup._meta.db_table, AccountDayRollup._meta.db_table)
        computed = any(table in q["sql"] for q in ctx.captured_queries for table in rollups)
        return values, computed

    collect("first", at(2026, 6, 15, 22), views=5000, likes=100)
    assert answer() == ({"views": 5000, "likes": 100}, True)
    assert answer() == ({"views": 5000, "likes": 100}, False)  # served from the cache: the rollup is not read
    brand.refresh_from_db()
    version = brand.data_version
    collect("second", at(2026, 6, 30, 22), views=8000, likes=150)
    brand.refresh_from_db()
    assert brand.data_version == version + 1
    assert answer() == ({"views": 8000, "likes": 150}, True)


def test_renaming_a_category_is_visible_at_once(golden):
    first = category_comparison(scope(golden), june(), ["likes"])
    assert ["Education", "Brand image"] in [g.path for g in first.groups]
    node = golden.categories["Education / Brand image"]
    node.name = "Brand story"
    node.save()
    renamed = category_comparison(scope(golden), june(), ["likes"])
    assert ["Education", "Brand story"] in [g.path for g in renamed.groups]


def test_editing_an_account_is_visible_at_once(golden):
    """Flagging the Bilibili account as a competitor's takes its posts out of the brand's own KPIs, and a new
    display name shows in benchmarks, at once: account edits are part of the key, not only imports."""
    assert kpi_report(scope(golden), june(), ("likes",)).value("likes") == 102054
    bench = benchmarks(Scope(golden.org.pk, (golden.brand.pk,)), june())
    assert {r.display_name for r in bench.account_level} >= {golden.bili.display_name}
    golden.bili.is_competitor = True
    golden.bili.display_name = "Glow 哔哩哔哩"
    golden.bili.save()
    assert kpi_report(scope(golden), june(), ("likes",)).value("likes") == 102054 - 10
    bench = benchmarks(Scope(golden.org.pk, (golden.brand.pk,)), june())
    assert "Glow 哔哩哔哩" in {r.display_name for r in bench.account_level}


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
