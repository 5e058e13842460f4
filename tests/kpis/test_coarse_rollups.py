"""The coarse rollups (``AccountDayRollup``: the rollup's all-posts rows per account and day; ``PublishedDay``: posts
per account and publication day, with the early-surge check's counts) stay exact through every write, and every
answer read through them is the answer of the fine rollup and the posts, number for number: KPI reports, platform
series and anomaly flags, for scopes they serve and scopes they do not."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import Sum

from metrics.catalog import COLUMN_METRICS
from metrics.kpis import anomalies, kpi_report, queries
from metrics.kpis.anomalies import AnomalyThresholds
from metrics.kpis.kpis import kpi_platform_series
from metrics.kpis.scope import Period, Scope
from metrics.models import AccountDayRollup, DailyRollup, Post, PostTotal, PublishedDay
from metrics.services.facts import posts_refresh
from tests.ingestion_load.files import channels_csv
from tests.kpis.conftest import at
from tests.kpis.test_anomalies import BAIT_MONDAY, PERIOD, build
from tests.kpis.test_post_totals import IMPORTS, PERIODS

pytestmark = pytest.mark.django_db

EXPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "exports"
anomalies_module = importlib.import_module("metrics.kpis.anomalies")  # the package exports the function by that name
DIMS = ("brand_id", "account_id", "platform", "media_type", "day")


def expected_account_days(organization_id: int) -> dict[tuple, dict]:
    """AccountDayRollup as it must be: the fine rollup's all-posts rows summed by the ORM."""
    rows = (DailyRollup.objects.filter(organization_id=organization_id, category__isnull=True).order_by()
            .values(*DIMS).annotate(n=Sum("posts"), **{f"s_{m}": Sum(m) for m in COLUMN_METRICS}))
    return {tuple(r[d] for d in DIMS): {"posts": r["n"], **{m: r[f"s_{m}"] for m in COLUMN_METRICS}} for r in rows}


def expected_published_days(organization_id: int) -> dict[tuple, dict]:
    """PublishedDay as it must be, counted in Python from the posts and their totals."""
    tz = ZoneInfo(settings.TIME_ZONE)
    totals = {t.post_id: t for t in PostTotal.objects.filter(organization_id=organization_id)}
    out: dict[tuple, dict] = defaultdict(lambda: {"posts": 0, "early_checked": 0, "last_collected_at": None})
    for post in Post.objects.filter(organization_id=organization_id, published_at__isnull=False):
        row = out[(post.brand_id, post.account_id, post.platform, post.media_type,
                   post.published_at.astimezone(tz).date())]
        row["posts"] += 1
        total = totals.get(post.pk)
        if total is None:
            continue
        age = dt.timedelta(hours=PostTotal.EARLY_MIN_AGE_HOURS)
        row["early_checked"] += bool(total.early_collected_at and total.last_collected_at
                                     and total.last_collected_at >= post.published_at + age)
        if total.last_collected_at and (row["last_collected_at"] is None
                                        or total.last_collected_at > row["last_collected_at"]):
            row["last_collected_at"] = total.last_collected_at
    return dict(out)


def expected_surge(total: PostTotal) -> bool:
    """The early-surge check's verdict with its default thresholds over the post's whole life, in Python."""
    age = dt.timedelta(hours=PostTotal.EARLY_MIN_AGE_HOURS)
    if not (total.early_collected_at and total.last_collected_at and total.published_at
            and total.last_collected_at >= total.published_at + age):
        return False
    for key in PostTotal.EARLY_METRICS:
        early, most = getattr(total, f"early_{key}"), getattr(total, f"max_{key}")
        if early is not None and most is not None and most >= PostTotal.EARLY_MIN_TOTAL \
                and early >= PostTotal.EARLY_SHARE * most:
            return True
    return False


def assert_coarse_exact(organization_id: int) -> None:
    for total in PostTotal.objects.filter(organization_id=organization_id):
        assert total.early_surge == expected_surge(total), total.post_id
    got = {tuple(r[d] for d in DIMS): {k: r[k] for k in ("posts", *COLUMN_METRICS)}
           for r in AccountDayRollup.objects.filter(organization_id=organization_id).values()}
    assert got == expected_account_days(organization_id)
    got = {tuple(r[d] for d in DIMS): {k: r[k] for k in ("posts", "early_checked", "last_collected_at")}
           for r in PublishedDay.objects.filter(organization_id=organization_id).values()}
    assert got == expected_published_days(organization_id)


def answers(scopes: list[Scope], periods: list[Period]) -> list:
    out = []
    for sc in scopes:
        for period in periods:
            out.append(asdict(kpi_report(sc, period, use_cache=False)))
            out.append({p: asdict(s) for p, s in kpi_platform_series(
                sc, period, ("views", "engagement", "posts_published"), ("weibo", "bilibili", "xiaohongshu"),
                use_cache=False).items()})
            out.append(asdict(anomalies(sc, period, use_cache=False)))
    return out


def assert_same_answers(monkeypatch, scopes: list[Scope], periods: list[Period]) -> None:
    """Every answer with the coarse rollups equals the one without them (fine rollup and posts)."""
    read = []
    monkeypatch.setattr(queries, "coarse", _spy(queries.coarse, read))
    monkeypatch.setattr(anomalies_module, "coarse", _spy(anomalies_module.coarse, read))
    through_coarse = answers(scopes, periods)
    assert any(read)  # the coarse rollups answered something
    monkeypatch.setattr(queries, "COARSE_ROLLUPS", False)
    assert answers(scopes, periods) == through_coarse


def _spy(fn, seen: list):
    def wrapper(*args, **kwargs):
        seen.append(fn(*args, **kwargs))
        return seen[-1]

    return wrapper


def golden_scopes(golden) -> list[Scope]:
    org = golden.org.pk
    return [
        Scope(organization_id=org, brand_ids=(golden.brand.pk,)),
        Scope(organization_id=org, brand_ids=(golden.brand.pk, golden.rival.pk)),  # the rival's accounts left out
        Scope(organization_id=org, brand_ids=(golden.rival.pk,), include_competitors=True),
        Scope(organization_id=org, brand_ids=(golden.brand.pk,), platforms=("bilibili",)),
        Scope(organization_id=org, brand_ids=(golden.brand.pk,), account_ids=(golden.weibo.pk,)),
        Scope(organization_id=org, brand_ids=(golden.brand.pk,), media_types=("paid",)),
        Scope(organization_id=org, brand_ids=(golden.brand.pk,), traffic=("organic",)),  # not served: fine path
    ]


def test_the_golden_data_has_exact_coarse_rollups_and_equal_answers(golden, monkeypatch):
    assert_coarse_exact(golden.org.pk)
    assert AccountDayRollup.objects.filter(organization_id=golden.org.pk).exists()
    assert PublishedDay.objects.filter(organization_id=golden.org.pk, brand=golden.brand).aggregate(
        n=Sum("posts"))["n"] == Post.objects.filter(brand=golden.brand).count()
    periods = [Period(*PERIODS[name]) for name in ("june", "may", "may20-june", "june28", "2026")]
    assert_same_answers(monkeypatch, golden_scopes(golden), periods)


def test_a_post_moved_to_another_account_and_media_type_moves_its_rows(golden, monkeypatch):
    """``posts_refresh`` (the post editor's and the tagging's service) rebuilds both coarse rollups whole."""
    post = golden.posts["sun1"]
    post.account, post.platform, post.media_type = golden.bili, "bilibili", "earned"
    post.published_at = at(2026, 5, 30, 23, 30)
    post.save()
    posts_refresh(golden.org.pk, [post.pk])
    assert_coarse_exact(golden.org.pk)
    assert_same_answers(monkeypatch, golden_scopes(golden)[:4], [Period(*PERIODS["may20-june"])])


def test_the_early_surge_check_reads_the_kept_flags_when_every_collection_precedes_the_end(org, monkeypatch):
    """With the default thresholds, for a period after every collection, the check's count and flags come from
    ``PublishedDay`` and the flagged totals, without reading every post's figures; they are those of the snapshots.
    With other thresholds, or a period a post is still collected after, it reads the figures as before."""
    scope, _ = build(org, "early")
    assert_coarse_exact(org.pk)
    assert PostTotal.objects.filter(brand_id=scope.brand_ids[0], early_surge=True).count() == 1
    read = []
    original = anomalies_module._early_surge_rows
    monkeypatch.setattr(anomalies_module, "_early_surge_rows", lambda *a, **k: read.append(a) or original(*a, **k))

    def report(period, thresholds=None):
        return asdict(anomalies(scope, period, thresholds, use_cache=False))

    after_all = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    known = report(after_all)
    assert not read and known["checked"]["early_surge"] == 10
    assert [a["kind"] for a in known["anomalies"]] == ["early_surge"]
    straggling = report(Period(BAIT_MONDAY, BAIT_MONDAY))  # the bait post's next-day collection is after it
    assert len(read) == 1 and straggling["checked"]["early_surge"] == 0
    other = report(PERIOD, AnomalyThresholds(early_share=0.8))
    assert len(read) == 2 and [a["kind"] for a in other["anomalies"]] == ["early_surge"]
    monkeypatch.setattr(queries, "COARSE_ROLLUPS", False)
    assert report(after_all) == known


# ------------------------------------------------------------------------------------- through the loader


@pytest.mark.django_db(transaction=True)  # each import commits, as in production (PostgreSQL's staging tables)
def test_every_import_keeps_the_coarse_rollups_exact(run_import, brand, tmp_path, monkeypatch):
    """Cumulative lists, daily reports and a re-import through the whole import service, then a video whose
    publication date a later export corrects (its old day must lose it): after every batch both coarse rollups are
    exact, and the answers through them equal the fine path's."""
    for name in [*IMPORTS, IMPORTS[0]]:
        batch = run_import(EXPORTS / name, as_of=at(2026, 7, 1, 22))
        assert batch.status in ("succeeded", "partial"), (name, batch.message)
        assert_coarse_exact(brand.organization_id)
    video = {"title": "新品开箱", "id": "export/v1", "published": dt.date(2026, 6, 20), "views": 1000, "likes": 50}
    for folder, published in (("first", dt.date(2026, 6, 20)), ("second", dt.date(2026, 6, 18))):
        path = channels_csv(tmp_path / folder / "动态数据明细.csv", [{**video, "published": published}])
        batch = run_import(path, as_of=at(2026, 6, 25, 22))
        assert batch.status == "succeeded", batch.message
        assert_coarse_exact(brand.organization_id)
    moved = Post.objects.get(brand=brand, title="新品开箱")
    assert moved.published_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date() == dt.date(2026, 6, 18)
    sc = Scope(organization_id=brand.organization_id, brand_ids=(brand.pk,))
    days = sorted(AccountDayRollup.objects.filter(brand=brand).values_list("day", flat=True).distinct())
    periods = [Period(days[0], days[-1]), Period(days[len(days) // 2], days[-1]), Period(dt.date(2026, 6, 18),
                                                                                            dt.date(2026, 6, 20))]
    assert_same_answers(monkeypatch, [sc, sc.narrowed(platforms=("wechat_channels",))], periods)
