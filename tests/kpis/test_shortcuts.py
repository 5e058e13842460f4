"""The engine's shortcuts for speed give the same numbers as the plain path they replace (golden data set)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.kpis import PaidMode, category_comparison, kpi_report
from metrics.kpis.cache import versions_memo
from metrics.kpis.categories import spread_sample
from metrics.kpis.kpis import kpi_platform_series
from tests.kpis.test_golden import june, scope

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("granularity", ["day", "week"])
def test_platform_series_equal_one_report_per_platform(golden, granularity):
    """One read for every platform gives each platform's series exactly as a report narrowed to it, including a
    platform without data (empty values) and a derived KPI with the platform's own formula."""
    metrics = ("views", "engagement", "engagement_rate", "likes")
    platforms = ("bilibili", "douyin", "weibo")
    together = kpi_platform_series(scope(golden), june(granularity), metrics, platforms, use_cache=False)
    assert set(together) == set(platforms)
    for platform in platforms:
        alone = kpi_report(scope(golden).narrowed(platforms=(platform,)), june(granularity), metrics,
                           use_cache=False).content_series
        assert together[platform] == alone
    assert any(v for v in together["weibo"].values["likes"])
    assert not any(v for v in together["douyin"].values["views"])


def test_items_sample_keeps_a_spread_and_the_top(golden):
    """``items_sample`` keeps each group's posts spread over the ranks and its highest: the same posts a page
    would pick from every item, with the statistics untouched."""
    full = category_comparison(scope(golden), june(), ["likes", "views"], paid=PaidMode.SEPARATE, with_items=True,
                               use_cache=False)
    sampled = category_comparison(scope(golden), june(), ["likes", "views"], paid=PaidMode.SEPARATE,
                                  with_items=True, items_sample=("likes", 3), use_cache=False)
    assert len(full.groups) == len(sampled.groups)
    for whole, part in zip([*full.overall, *full.groups], [*sampled.overall, *sampled.groups], strict=True):
        assert (whole.path, whole.segment, whole.metrics) == (part.path, part.segment, part.metrics)
        assert part.items == spread_sample(whole.items, "likes", 3)  # every field: title, date, values, index
        highest = sorted(whole.items, key=lambda i: -(i.values["likes"] or 0))[:3]
        assert part.top_items == highest
    brand_image = next(g for g in sampled.groups if g.path == ["Education", "Brand image"] and g.segment == "organic")
    assert brand_image.n == 6
    assert [i.values["likes"] for i in brand_image.items] == [10, 30, 1000]  # lowest, rank round(2.5) = 2, highest
    assert [i.values["likes"] for i in brand_image.top_items] == [1000, 50, 40]


def test_versions_are_read_once_per_page(golden):
    """Inside ``versions_memo`` the brands' versions are read once, however many answers are asked for, and the
    keys (hence the answers) are those of the plain path."""
    plain = kpi_report(scope(golden), june(), ("likes",))
    with versions_memo(), CaptureQueriesContext(connection) as queries:
        first = kpi_report(scope(golden), june(), ("likes",))
        second = kpi_report(scope(golden), june(), ("views",), use_cache=True)
    versions = [q for q in queries.captured_queries if "data_version" in q["sql"]]
    assert len(versions) == 1
    assert first.value("likes") == plain.value("likes") == 102054
    assert second.value("views") is not None
