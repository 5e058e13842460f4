"""/api/v1/catalog/: the metric catalog and the platforms, for any signed-in user."""

import pytest
from rest_framework.test import APIClient

from metrics.catalog import CATALOG, PLATFORM_LABELS
from tests.factories import UserFactory


@pytest.fixture
def api(db):
    client = APIClient()
    client.force_authenticate(UserFactory())  # a user of no organization: the catalog is not tenant data
    return client


def test_anonymous_is_refused(db):
    assert APIClient().get("/api/v1/catalog/").status_code in (401, 403)


def test_platforms_with_english_and_chinese_names(api):
    platforms = {p["key"]: p for p in api.get("/api/v1/catalog/").json()["platforms"]}
    assert set(platforms) == set(PLATFORM_LABELS)
    assert platforms["xiaohongshu"]["name_zh"] == "小红书"
    assert platforms["wechat_oa"]["name_en"] == "WeChat Official Account"


def test_every_metric_with_its_attributes(api):
    body = api.get("/api/v1/catalog/").json()
    metrics = {m["key"]: m for m in body["metrics"]}
    assert set(metrics) == set(CATALOG)
    likes = metrics["likes"]
    assert (likes["label_en"], likes["label_zh"], likes["unit"], likes["family"]) == ("Likes", "点赞", "count",
                                                                                     "engagement")
    assert likes["aggregation"] == "sum" and likes["formula"] is None
    assert metrics["followers_lost"]["stages"] == ["consideration", "retention"]
    assert metrics["followers_lost"]["higher_is_better"] is False
    assert metrics["coins"]["platforms"] == ["bilibili"]
    assert [s["key"] for s in body["stages"]] == ["awareness", "consideration", "purchase", "retention", "advocacy"]


def test_derived_kpis_give_their_formula_per_platform(api):
    metrics = {m["key"]: m for m in api.get("/api/v1/catalog/").json()["metrics"]}
    engagement = metrics["engagement"]["formula"]
    assert engagement["weibo"] == "likes + shares + comments"
    assert engagement["bilibili"] == "likes + shares + comments + collects + coins + danmaku"
    assert metrics["engagement_rate"]["formula"]["weibo"] == "(likes + shares + comments) / views"
    assert metrics["cpm"]["formula"]["douyin"] == "cost / impressions × 1000"
    assert set(metrics["open_rate"]["formula"]) == {"wechat_oa"}


def test_labels_follow_the_request_language(api):
    zh = api.get("/api/v1/catalog/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = api.get("/api/v1/catalog/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert {m["key"]: m["label"] for m in zh["metrics"]}["likes"] == "点赞"
    assert {m["key"]: m["label"] for m in en["metrics"]}["likes"] == "Likes"
    assert {p["key"]: p["name"] for p in zh["platforms"]}["douyin"] == "抖音"
