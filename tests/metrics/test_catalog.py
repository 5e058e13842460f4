"""The metric catalog covers every platform and every derived KPI's inputs exist."""

from metrics.catalog import (
    ALL_PLATFORMS,
    BASE_METRICS,
    CATALOG,
    COLUMN_METRICS,
    DERIVED_METRICS,
    ENGAGEMENT_BY_PLATFORM,
    Agg,
    metrics_for_platform,
)

# DOMAIN.md §1: what marketers watch on each platform, as catalog keys.
WATCHED = {
    "wechat_oa": {"views", "reach", "shares", "wows", "likes", "comments", "followers_gained", "followers_lost"},
    "wechat_channels": {"views", "stream_views", "watch_seconds", "peak_concurrent_viewers", "likes", "shares",
                        "comments", "recommends"},
    "douyin": {"followers_gained", "views", "stream_views", "watch_seconds", "peak_concurrent_viewers", "likes",
               "shares", "collects", "comments", "mentions"},
    "kuaishou": {"views", "likes", "shares", "comments", "collects", "followers_gained"},
    "xiaohongshu": {"views", "likes", "collects", "shares", "comments", "followers_gained", "followers_lost",
                    "mentions"},
    "bilibili": {"views", "danmaku", "coins", "collects", "likes", "shares", "comments", "followers_gained"},
    "weibo": {"views", "shares", "comments", "likes", "clicks", "private_messages", "mentions"},
}

# DOMAIN.md §4: every defined KPI.
DEFINED = {"engagement", "engagement_rate", "ctr", "lead_conversion_rate", "cost_per_lead", "cpa", "atv", "cpm",
           "cpc", "purchase_rate", "refund_rate", "follower_loss_gain_ratio", "completion_rate",
           "cost_per_follower", "gmv", "reach", "impressions"}


def test_every_platform_has_its_metrics():
    for platform in ALL_PLATFORMS:
        keys = {m.key for m in metrics_for_platform(platform)}
        missing = WATCHED[platform] - keys
        assert not missing, f"{platform} lacks {missing}"
        assert platform in ENGAGEMENT_BY_PLATFORM


def test_every_definition_is_in_the_catalog():
    assert DEFINED <= set(CATALOG)


def test_derived_inputs_exist_and_are_summable():
    for metric in DERIVED_METRICS.values():
        assert metric.agg == Agg.DERIVED
        inputs = set(metric.numerator) | set(metric.denominator)
        for numerator in metric.per_platform.values():
            inputs |= set(numerator)
        for key in inputs:
            assert key in BASE_METRICS, f"{metric.key} uses unknown {key}"
            assert BASE_METRICS[key].agg == Agg.SUM, f"{metric.key}: {key} must be a summed base metric"
            assert key in COLUMN_METRICS, f"{metric.key}: {key} must be stored as a column to be summed"


def test_labels_units_and_formula_are_visible():
    for metric in CATALOG.values():
        assert metric.en and metric.zh and metric.unit and metric.family and metric.stages
    assert CATALOG["engagement"].formula("bilibili") == "likes + shares + comments + collects + coins + danmaku"
    assert CATALOG["engagement_rate"].formula() == "(likes + shares + comments) / views"
    assert CATALOG["cpm"].formula() == "cost / impressions × 1000"
