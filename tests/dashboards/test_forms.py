"""The filter bar (period presets, custom dates, the engine's scope, the URL it writes) and the anomaly reasons."""

from datetime import date

import pytest
from django.http import QueryDict
from django.utils import translation

from metrics.forms import DashboardFilterForm
from metrics.kpis import Granularity, Period
from metrics.kpis.anomalies import Anomaly
from metrics.presentation import anomaly_reason
from tests.factories import CampaignFactory, ContentCategoryFactory

TODAY = date(2026, 5, 20)


def form(query, membership, **kwargs):
    return DashboardFilterForm(QueryDict(query), membership=membership, today=TODAY, **kwargs)


@pytest.mark.django_db
def test_defaults_are_the_last_30_days_by_day(owner):
    filters = form("", owner)
    assert filters.get_period() == Period(date(2026, 4, 21), TODAY, Granularity.DAY)
    assert filters.params() == {}
    assert filters.querystring() == ""
    assert filters["period"].value() == "last_30_days"  # the select shows the period in force
    assert filters["grain"].value() == "day"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("preset", "start", "end", "grain"),
    [
        ("last_7_days", date(2026, 5, 14), TODAY, "day"),
        ("last_90_days", date(2026, 2, 20), TODAY, "day"),
        ("this_month", date(2026, 5, 1), TODAY, "day"),
        ("last_month", date(2026, 4, 1), date(2026, 4, 30), "day"),
        ("this_quarter", date(2026, 4, 1), TODAY, "week"),
        ("this_year", date(2026, 1, 1), TODAY, "month"),
    ],
)
def test_presets(owner, preset, start, end, grain):
    period = form(f"period={preset}", owner).get_period()
    assert (period.start, period.end, period.granularity.value) == (start, end, grain)


@pytest.mark.django_db
def test_custom_range_and_grain_in_the_url(owner):
    filters = form("period=custom&start=2026-01-01&end=2026-03-31&grain=week&platform=douyin", owner)
    assert filters.get_period() == Period(date(2026, 1, 1), date(2026, 3, 31), Granularity.WEEK)
    assert filters.querystring() == "?period=custom&start=2026-01-01&end=2026-03-31&grain=week&platform=douyin"
    assert filters.querystring(platform=None, tab="content") == (
        "?period=custom&start=2026-01-01&end=2026-03-31&grain=week&tab=content"
    )
    # A grain equal to the period's default is left out of links.
    assert "grain" not in form("period=this_year&grain=month", owner).params()


@pytest.mark.django_db
def test_scope_carries_every_filter(owner, brand):
    campaign = CampaignFactory(organization=owner.organization, brand=brand)
    category = ContentCategoryFactory(organization=owner.organization)
    filters = form(
        f"platform=weibo&media=paid&traffic=paid&campaign={campaign.pk}&category={category.pk}", owner, brand=brand
    )
    scope = filters.get_scope([brand.pk])
    assert scope.organization_id == owner.organization_id and scope.brand_ids == (brand.pk,)
    assert (scope.platforms, scope.media_types, scope.traffic) == (("weibo",), ("paid",), ("paid",))
    assert (scope.campaign_ids, scope.category_id) == ((campaign.pk,), category.pk)


@pytest.mark.django_db
def test_a_campaign_of_another_brand_is_dropped(owner, brand):
    other = CampaignFactory(organization=owner.organization)
    filters = form(f"campaign={other.pk}", owner, brand=brand)
    assert filters.get_scope([brand.pk]).campaign_ids == ()
    assert filters.dropped == ["Campaign"]


def _anomaly(kind, **values):
    return Anomaly(
        kind=kind,
        label="",
        reason="engine text",
        account_id=1,
        account="a",
        platform="weibo",
        start=TODAY,
        end=TODAY,
        values=values,
    )


def test_anomaly_reasons_are_built_from_the_engines_numbers():
    with translation.override("en"):
        loss = anomaly_reason(_anomaly("push_day_loss", followers_lost=146, pushes=1, quiet_day_median=28))
        assert loss.startswith("Lost 146 followers on a day with 1 push(es), against a median of 28")
        ratio = anomaly_reason(_anomaly("ratio_shift", likes_per_comment=30.0, likes_per_comment_median=10.0))
        assert "likes per comment 30.0 against a rolling median of 10.0" in ratio and "like-bait" in ratio
        surge = anomaly_reason(_anomaly("early_surge", views_early=8000, views_total=10000))
        assert surge.startswith("80% of its Views / reads / plays (8,000 of 10,000)")
        flat = anomaly_reason(
            _anomaly("flat_growth", engagement=25000, followers_net=3, follows_per_1000_interactions=0.12)
        )
        assert "25,000 interactions but 3 net followers (0.1 per 1,000 interactions)" in flat
        assert anomaly_reason(_anomaly("something_new")) == "engine text"
    with translation.override("zh-hans"):
        assert "1.5万" in anomaly_reason(
            _anomaly("flat_growth", engagement=15000, followers_net=3, follows_per_1000_interactions=0.2)
        )
