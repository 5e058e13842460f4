"""The guide's worked example (DOMAIN.md §5): a beauty brand's Weibo posts by category, sub-category and celebrity
variant, with the guide's post counts and average shares, comments and likes.

Each group's posts are built so that their means are exactly the guide's averages (values spread evenly around
the average); in Brand image and Lottery one post carries a large share of the likes, so that the median drops
below the mean by a known amount — the guide's reason to compare with the median. The assertions then read the
guide's conclusions off the engine's answer:

- example 1: "Audience engage" has the lowest engagement of the three categories;
- example 2: Sun's engagement is average among the celebrities, but her comments stand out against the
  celebrity category's median (loyal fans, or controversy).
"""

from __future__ import annotations

import statistics
from datetime import date

import pytest
from django.urls import reverse

from accounts.models import Role
from metrics.kpis import Period, Scope, category_comparison
from metrics.services.facts import posts_refresh
from tests.factories import BrandFactory, ContentCategoryFactory, PostCategoryFactory, PostFactory, SocialAccountFactory
from tests.kpis.conftest import JUNE, at, snapshot

approx = pytest.approx

pytestmark = pytest.mark.django_db

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))

# path → (posts, average shares, average comments, average likes, likes carried by one post)
GUIDE = {
    ("Education", "Brand image"): (6, 222, 125, 1532, 800),
    ("Education", "Beauty knowledge"): (5, 352, 202, 2549, 0),
    ("Audience engage", "Lottery"): (9, 113, 84, 647, 400),
    ("Audience engage", "Trendy topics"): (9, 118, 76, 1132, 0),
    ("Product promotion", "Plain products"): (20, 369, 174, 2309, 0),
    ("Product promotion", "Celebrity collaboration", "Li"): (24, 312, 118, 2824, 0),
    ("Product promotion", "Celebrity collaboration", "Sun"): (17, 368, 313, 2107, 0),
    ("Product promotion", "Celebrity collaboration", "Zhao"): (19, 427, 134, 2321, 0),
    ("Product promotion", "Celebrity collaboration", "Mi"): (21, 370, 150, 2252, 0),
}


def spread(mean: int, n: int, outlier: int = 0) -> list[int]:
    """n integers whose mean is exactly ``mean``, evenly spread and increasing; with ``outlier`` > 0 the last one
    takes ``outlier`` from each of the others, which lowers the median by exactly ``outlier``."""
    step = max(1, mean // (3 * n))
    values = [mean + step * (2 * i - (n - 1)) for i in range(n)]
    values = [v - outlier for v in values[:-1]] + [values[-1] + outlier * (n - 1)]
    assert sum(values) == mean * n and min(values) >= 0
    return values


@pytest.fixture
def guide(org):
    brand = BrandFactory(organization=org, name="Beauty", slug="beauty-guide")
    account = SocialAccountFactory(organization=org, brand=brand, platform="weibo", handle="beauty_weibo")
    nodes: dict[tuple, object] = {}

    def node(path):
        if path not in nodes:
            parent = node(path[:-1]) if len(path) > 1 else None
            nodes[path] = ContentCategoryFactory(organization=org, name=path[-1], parent=parent)
        return nodes[path]

    posts, built = [], {}
    for path, (n, shares, comments, likes, outlier) in GUIDE.items():
        columns = {"shares": spread(shares, n), "comments": spread(comments, n), "likes": spread(likes, n, outlier)}
        built[path] = columns
        for i in range(n):
            post = PostFactory(organization=org, brand=brand, account=account, platform="weibo",
                               published_at=at(2026, 3, 1 + len(posts) % 28, 9 + len(posts) % 12),
                               title=f"{path[-1]} {i + 1}")
            PostCategoryFactory(organization=org, post=post, category=node(path))
            snapshot(post, at(2026, 3, 31, 22), views=10000, **{k: v[i] for k, v in columns.items()})
            posts.append(post)
    posts_refresh(org.pk, [p.pk for p in posts])
    return Scope(org.pk, (brand.pk,)), built


def groups_by_path(result):
    return {tuple(g.path): g for g in result.groups}


def test_counts_and_averages_are_the_guides(guide):
    """Every sub-category and variant: the guide's number of posts and average shares, comments and likes;
    average engagement = their sum (Brand image: 222 + 125 + 1,532 = 1,879)."""
    scope, _ = guide
    groups = groups_by_path(category_comparison(scope, MARCH, ["shares", "comments", "likes", "engagement"]))
    for path, (n, shares, comments, likes, _) in GUIDE.items():
        g = groups[path]
        assert g.n == n and not g.small_sample, path
        assert {k: g.metrics[k].mean for k in ("shares", "comments", "likes")} == {
            "shares": approx(shares), "comments": approx(comments), "likes": approx(likes)}, path
        assert g.metrics["engagement"].mean == approx(shares + comments + likes), path
        assert all(s.n == n for s in g.metrics.values()), path
    assert groups[("Education", "Brand image")].metrics["engagement"].mean == approx(1879)
    assert (groups[("Education",)].n, groups[("Audience engage",)].n, groups[("Product promotion",)].n) == (11, 18, 101)
    assert groups[("Product promotion", "Celebrity collaboration")].n == 24 + 17 + 19 + 21
    assert groups[("Education",)].metrics["likes"].mean == approx((6 * 1532 + 5 * 2549) / 11)


def test_one_post_carries_the_average_but_not_the_median(guide):
    """Brand image: one post holds 800 likes from each of the five others, so the mean stays 1,532 while the
    median falls by 800 to 732; Lottery likewise 647 → 247."""
    scope, _ = guide
    groups = groups_by_path(category_comparison(scope, MARCH, ["likes"]))
    brand_image = groups[("Education", "Brand image")].metrics["likes"]
    assert (brand_image.mean, brand_image.median, brand_image.n) == (approx(1532), 732, 6)
    lottery = groups[("Audience engage", "Lottery")].metrics["likes"]
    assert (lottery.mean, lottery.median, lottery.n) == (approx(647), 247, 9)
    plain = groups[("Product promotion", "Plain products")].metrics["likes"]
    assert plain.median == plain.mean == 2309  # evenly spread: median = mean


def test_example_1_audience_engage_has_the_lowest_engagement(guide):
    scope, built = guide
    groups = groups_by_path(category_comparison(scope, MARCH, ["engagement"]))
    medians = {path[0]: groups[path].metrics["engagement"].median
               for path in (("Education",), ("Audience engage",), ("Product promotion",))}
    assert min(medians, key=medians.get) == "Audience engage"
    audience = [sum(values[i] for values in built[path].values())
                for path in (("Audience engage", "Lottery"), ("Audience engage", "Trendy topics"))
                for i in range(GUIDE[path][0])]
    assert medians["Audience engage"] == statistics.median(audience)  # 18 posts: mean of the 9th and 10th


def test_example_2_suns_comments_stand_out_against_the_celebrity_median(guide):
    """Index = value / the category's median: Sun's engagement is ordinary among the celebrities (index near 1)
    but her comments are more than twice the celebrity category's median, unlike Li's, Zhao's and Mi's."""
    scope, built = guide
    result = category_comparison(scope, MARCH, ["comments", "engagement"], with_items=True)
    groups = groups_by_path(result)
    celebrity = groups[("Product promotion", "Celebrity collaboration")]
    all_comments = [c for name in ("Li", "Sun", "Zhao", "Mi")
                    for c in built[("Product promotion", "Celebrity collaboration", name)]["comments"]]
    assert celebrity.metrics["comments"].median == statistics.median(all_comments)  # odd n = 81: the 41st
    index = {}
    for name in ("Li", "Sun", "Zhao", "Mi"):
        items = [i for i in celebrity.items if i.title.startswith(f"{name} ")]
        index[name] = {k: statistics.median(i.index[k] for i in items) for k in ("comments", "engagement")}
    assert index["Sun"]["comments"] > 2
    assert all(0.75 < index[name]["comments"] < 1.25 for name in ("Li", "Zhao", "Mi")), index
    assert 0.9 < index["Sun"]["engagement"] < 1.1, index
    sun_post = next(i for i in celebrity.items if i.title == "Sun 1")
    assert sun_post.index["comments"] == approx(sun_post.values["comments"] / celebrity.metrics["comments"].median)


def test_small_sample_threshold_flags_the_small_groups(guide):
    scope, _ = guide
    result = category_comparison(scope, MARCH, ["likes"], small_sample=10)
    flagged = sorted(g.path[-1] for g in result.groups if g.small_sample)
    assert flagged == ["Beauty knowledge", "Brand image", "Lottery", "Trendy topics"]


def test_the_api_answers_in_the_documented_shape(guide, client_as, org):
    scope, _ = guide
    api = client_as(Role.VIEWER)
    body = api.get(reverse("category-comparison", kwargs={"org_slug": org.slug}),
                   {"start": "2026-03-01", "end": "2026-03-31", "metrics": "shares,comments,likes,engagement"}).json()
    brand_image = next(g for g in body["groups"] if g["path"] == ["Education", "Brand image"])
    assert (brand_image["n"], brand_image["small_sample"]) == (6, False)
    assert brand_image["metrics"]["likes"]["median"] == 732
    assert brand_image["metrics"]["likes"]["mean"] == approx(1532)
    assert brand_image["metrics"]["engagement"]["mean"] == approx(1879)
    assert brand_image["metrics"]["likes"]["n"] == 6


@pytest.mark.parametrize("paid", ["exclude", "separate"])
def test_the_sqlite_fallback_gives_the_databases_numbers(guide, golden, paid):
    """On PostgreSQL, the Python fallback (what SQLite runs) and ``percentile_cont`` in SQL compute every group of
    both data sets from the same per-post rows: the same n, medians, means, sums and per-hour values."""
    from django.db import connection

    from metrics.kpis.queries import (
        _group_stats_postgresql,
        _group_stats_python,
        category_ancestors,
        category_tree,
        post_values_sql,
        resolve,
    )

    if connection.vendor != "postgresql":
        pytest.skip("percentile_cont needs PostgreSQL; the SQLite run uses the fallback for every golden value")
    keys = ("likes", "comments", "engagement", "engagement_rate", "collects")
    group_by = ("paid",) if paid == "separate" else ()
    for scope, period in ((guide[0], MARCH), (Scope(golden.org.pk, (golden.brand.pk,)), Period(*JUNE))):
        ancestors = category_ancestors(category_tree(scope.organization_id))
        sql, params = post_values_sql(scope, resolve(scope), period, keys, paid)
        in_sql = _group_stats_postgresql(sql, params, keys, group_by, ancestors, scope.organization_id)
        in_python = _group_stats_python(sql, params, keys, group_by, ancestors, scope.organization_id)
        assert set(in_sql) == set(in_python) and len(in_sql) > 5
        for key, stats in in_sql.items():
            other = in_python[key]
            assert (stats.n, stats.paid_n, stats.effort_n) == (other.n, other.paid_n, other.effort_n), key
            for k in keys:
                a, b = stats.metrics[k], other.metrics[k]
                assert a.n == b.n, (key, k)
                for field in ("median", "mean", "sum", "per_effort_hour"):
                    assert getattr(a, field) == approx(getattr(b, field)), (key, k, field)
