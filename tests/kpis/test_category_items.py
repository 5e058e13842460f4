"""The category comparison's items, ordered and sampled on arrays from ``group_stats``'s own statement, equal the
plain computation they replace: every post read again, its tags looked up, its values and index built in Python,
each group sorted with Python's keys. On a data set made to hit the edge cases: ties in every metric, unknown
values (no views, collects not reported), a group whose median is 0, posts with two tags under one node, paid and
organic posts, untagged posts, two platforms' engagement formulas, and posts still collecting after the period.
"""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from metrics.kpis import PaidMode, Period, Scope, category_comparison, queries
from metrics.kpis.categories import CategoryItem, spread_sample
from metrics.models import Post, PostCategory, PostSnapshot
from metrics.services.facts import posts_refresh
from tests.factories import ContentCategoryFactory, PostFactory, SocialAccountFactory
from tests.kpis.conftest import JUNE, at

pytestmark = pytest.mark.django_db

POSTS = 240


@pytest.fixture
def mixed(org, brand):
    """``brand`` with 240 June posts on Weibo and Bilibili (seeded at random, so the same every run)."""
    rng = random.Random(20261124)
    weibo = SocialAccountFactory(organization=org, brand=brand, platform="weibo")
    bili = SocialAccountFactory(organization=org, brand=brand, platform="bilibili")
    tree = {}
    for path in ("A", "A/A1", "A/A2", "A/A2/x", "A/A2/y", "B", "B/B1", "C", "D"):
        *parent, name = path.split("/")
        tree[path] = ContentCategoryFactory(organization=org, name=name, parent=tree.get("/".join(parent)))
    tag_sets = [(), ("A/A1",), ("A/A2/x",), ("A/A2/y",), ("A/A1", "A/A2/x"), ("A/A2", "A/A2/y"), ("B/B1",),
                ("B", "B/B1"), ("C",), ("A/A1", "C"), ("D",)]
    snapshots, tags, ids = [], [], []
    for n in range(POSTS):
        account = weibo if n % 3 else bili
        paid = n % 5 == 0
        post = PostFactory(organization=org, brand=brand, account=account, title=f"post {n}",
                           published_at=at(2026, 6, 1 + n % 28, h=8 + n % 12),
                           media_type="paid" if paid else "owned", traffic="paid" if n % 10 == 0 else "organic",
                           effort_hours=rng.choice([None, None, 1, 2.5]))
        ids.append(post.pk)
        chosen = rng.choice(tag_sets)
        tags += [PostCategory(organization=org, post=post, category=tree[c]) for c in chosen]
        values = {
            "views": rng.choice([None, 0, 100, 1000, 1000, 5000]),
            "likes": 0 if "D" in chosen else rng.choice([0, 5, 10, 10, 20, 50, 100, 1000]),  # D: a median of 0
            "comments": rng.choice([0, 1, 2, 2, 3, 40]),
            "shares": rng.choice([0, 0, 1, 7]),
            "collects": None if account == weibo else rng.choice([0, 3, 3, 9]),
        }
        if account == bili:
            values.update(coins=rng.choice([0, 4]), danmaku=rng.choice([1, 2]))
        snapshots.append(PostSnapshot(organization=org, post=post, collected_at=at(2026, 6, 29), **values))
        if n % 7 == 0:  # still collecting in July: its June value comes from its facts, not its totals
            more = {k: v + 5 for k, v in values.items() if v is not None}
            snapshots.append(PostSnapshot(organization=org, post=post, collected_at=at(2026, 7, 3), **more))
    PostCategory.objects.bulk_create(tags)
    PostSnapshot.objects.bulk_create(snapshots)
    posts_refresh(org.pk, ids)
    return tree


def segment(paid: PaidMode, is_paid) -> str:
    if paid == PaidMode.SEPARATE:
        return "paid" if is_paid else "organic"
    return {PaidMode.EXCLUDE: "organic", PaidMode.ONLY: "paid"}.get(paid, "all")


def plain_items(scope: Scope, period: Period, keys, paid: PaidMode) -> dict[tuple, list[CategoryItem]]:
    """Every group's items, highest index on the first metric first, computed post by post as the engine did
    before it used arrays."""
    result = category_comparison(scope, period, keys, paid=paid, use_cache=False)
    groups = {(g.category_id, g.segment): g for g in (*result.overall, *result.groups)}
    tree = queries.category_tree(scope.organization_id)
    allowed = set(queries.category_subtree(scope.organization_id, scope.category_id, tree)
                  if scope.category_id else tree)
    ancestors = {cid: [a for a in chain if a in allowed] for cid, chain in queries.category_ancestors(tree).items()}
    resolved = queries.resolve(scope)
    sql, params = queries.post_values_sql(scope, resolved, period, keys, paid)
    names, rows = queries.fetch_post_values(sql, params)
    nodes = defaultdict(set)
    for post_id, category_id in PostCategory.objects.filter(post_id__in=[r[0] for r in rows]).values_list(
        "post_id", "category_id"
    ):
        nodes[post_id].update(ancestors[category_id])
    details = {p.pk: p for p in Post.objects.filter(pk__in=[r[0] for r in rows])}
    members = defaultdict(list)
    for row in rows:
        row = dict(zip(names, row, strict=True))
        for node in (None, *nodes[row["post_id"]]):
            members[(node, segment(paid, row["paid"]))].append(row)

    def index(value, median):
        return None if value is None or median in (None, 0) else value / median

    out = {}
    for key, group in groups.items():
        items = []
        for row in members[key]:
            values = {k: None if row[f"v_{k}"] is None else float(row[f"v_{k}"]) for k in keys}
            post = details[row["post_id"]]
            items.append(CategoryItem(
                post_id=post.pk, title=post.title, published_at=post.published_at, account_id=row["account_id"],
                platform=row["platform"], paid=bool(row["paid"]), values=values,
                index={k: index(values[k], group.metrics[k].median) for k in keys},
            ))
        first = keys[0]
        items.sort(key=lambda i: (i.index[first] is None, -(i.index[first] or 0), i.post_id))
        out[key] = items
    return out


CASES = [
    (("likes", "engagement", "engagement_rate", "collects", "views"), PaidMode.SEPARATE, None),
    (("engagement_rate", "likes", "views"), PaidMode.INCLUDE, None),
    (("collects", "shares", "engagement"), PaidMode.EXCLUDE, None),  # first metric unknown on Weibo
    (("likes", "engagement", "engagement_rate", "collects", "views"), PaidMode.SEPARATE, "A"),
]


@pytest.mark.parametrize(("keys", "paid", "category"), CASES)
def test_items_equal_the_plain_computation(mixed, org, brand, keys, paid, category):
    """Every item of every group (post, title, date, account, platform, paid, values, index) and their order."""
    scope = Scope(org.pk, (brand.pk,), category_id=mixed[category].pk if category else None)
    june = Period(*JUNE)
    expected = plain_items(scope, june, keys, paid)
    result = category_comparison(scope, june, keys, paid=paid, with_items=True, use_cache=False)
    groups = [*result.overall, *result.groups]
    assert {(g.category_id, g.segment) for g in groups} == set(expected)
    for group in groups:
        assert group.items == expected[(group.category_id, group.segment)], (group.path, group.segment)
        assert group.top_items is None
    assert sum(len(g.items) for g in result.overall) == len({i.post_id for g in groups for i in g.items})


@pytest.mark.parametrize(("keys", "paid", "category"), CASES)
@pytest.mark.parametrize(("metric", "size"), [("engagement", 7), ("views", 5), ("collects", 4), ("shares", 3)])
def test_sampled_items_equal_the_plain_choice(mixed, org, brand, keys, paid, category, metric, size):
    """``items_sample``: the spread (``spread_sample``) and the highest (ties in the items' order) of the plain
    full list, for a metric with ties, one unknown on a platform and one that may not be among the keys."""
    scope = Scope(org.pk, (brand.pk,), category_id=mixed[category].pk if category else None)
    june = Period(*JUNE)
    expected = plain_items(scope, june, keys, paid)
    result = category_comparison(scope, june, keys, paid=paid, with_items=True, items_sample=(metric, size),
                                 use_cache=False)
    for group in (*result.overall, *result.groups):
        full = expected[(group.category_id, group.segment)]
        assert group.items == spread_sample(full, metric, size), (group.path, group.segment)
        assert group.top_items == sorted(full, key=lambda i: -(i.values.get(metric) or 0))[:size]


def test_group_stats_rows_are_the_per_post_rows(mixed, org, brand):
    """``with_rows``: the overall groups hold every per-post row of ``post_values_sql`` (column by column, in one
    order) and each node group the ids of the posts that count in it."""
    scope = Scope(org.pk, (brand.pk,))
    june = Period(*JUNE)
    keys = ("likes", "engagement_rate", "collects")
    resolved = queries.resolve(scope)
    tree = queries.category_tree(org.pk)
    ancestors = queries.category_ancestors(tree)
    stats = queries.group_stats(scope, resolved, june, keys, group_by=("paid",), by_category=ancestors,
                                paid_mode=PaidMode.SEPARATE, with_rows=True)
    sql, params = queries.post_values_sql(scope, resolved, june, keys, PaidMode.SEPARATE)
    names, rows = queries.fetch_post_values(sql, params)
    columns = queries.row_columns(keys)
    expected = sorted(tuple(row[names.index(c)] for c in columns) for row in rows)
    overall = [g for key, g in stats.items() if key[-1] == "*"]
    assert sorted(r for g in overall for r in zip(*(g.rows[c] for c in columns), strict=True)) == expected
    assert all(g.rows["post_id"] == g.post_ids for g in overall)
    tagged = defaultdict(set)
    for post_id, category_id in PostCategory.objects.filter(organization=org).values_list("post_id", "category_id"):
        tagged[post_id].update(ancestors[category_id])
    paid_of = {r[0]: r[1] for r in expected}
    for (paid, node), group in stats.items():
        if node != "*":
            assert group.rows is None
            assert sorted(group.post_ids) == sorted(p for p in paid_of if node in tagged[p] and paid_of[p] == paid)


def test_a_group_median_of_zero_leaves_every_index_unknown_and_orders_by_post(mixed, org, brand):
    """In ``D`` every post has 0 likes: no index on likes, so the items come by post id."""
    result = category_comparison(Scope(org.pk, (brand.pk,)), Period(*JUNE), ["likes", "views"], with_items=True,
                                 use_cache=False)
    d = next(g for g in result.groups if g.path == ["D"])
    assert d.n > 3 and d.metrics["likes"].median == 0
    assert [i.post_id for i in d.items] == sorted(i.post_id for i in d.items)
    assert all(i.index["likes"] is None for i in d.items)


@pytest.mark.parametrize("category", [None, "A", "A/A2"])
def test_items_depths_keeps_the_items_of_those_groups_only(mixed, org, brand, category):
    """``items_depths``: the groups at those depths carry the same items and top items as without it, the others
    none (what the page asks for: the drilled category and its children, else the top-level categories)."""
    drilled = mixed[category] if category else None
    depths = (drilled.depth, drilled.depth + 1) if drilled else (0,)
    scope = Scope(org.pk, (brand.pk,), category_id=drilled.pk if drilled else None)
    options = {"paid": PaidMode.SEPARATE, "with_items": True, "items_sample": ("engagement", 5), "use_cache": False}
    every = category_comparison(scope, Period(*JUNE), ["likes", "engagement"], **options)
    shown = category_comparison(scope, Period(*JUNE), ["likes", "engagement"], items_depths=depths, **options)
    pairs = list(zip([*every.overall, *every.groups], [*shown.overall, *shown.groups], strict=True))
    assert {whole.depth in depths for whole, _part in pairs} == {True, False}
    for whole, part in pairs:
        assert (whole.path, whole.segment, whole.metrics) == (part.path, part.segment, part.metrics)
        if whole.depth in depths:
            assert (part.items, part.top_items) == (whole.items, whole.top_items) and part.items
        else:
            assert (part.items, part.top_items) == (None, None)
