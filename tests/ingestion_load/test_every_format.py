"""Every export fixture in tests/fixtures/exports imports through the whole service (parse → load → batch row),
including the real sample files (the three Xiaohongshu 笔记列表明细表 downloads, the two Bilibili 近期稿件对比 CSVs,
the WeChat OA CSV downloads and the derived Douyin workbook, copied byte for byte from ../shared/domain/exports).

Each file goes into a brand of its own, so the counts are those of the file alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import Sum

from metrics.choices import FactSource
from metrics.models import AccountDailyFact, Post, PostDailyFact, PostSnapshot
from tests.factories import BrandFactory
from tests.ingestion_load.conftest import at, table_counts

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exports"

# file: (platform, report kind of the first section, file type, encoding, rows read, posts, snapshots, daily facts)
EXPECTED = {
    "bilibili/历史累计数据趋势.csv": ("bilibili", "trend", "csv", "utf-8-sig", 3, 0, 0, 3),
    "bilibili/近期稿件对比__zbqingtianyun_1865b76b.csv": ("bilibili", "videos", "csv", "utf-8", 4, 4, 4, 0),
    "bilibili/近期稿件对比__zbqingtianyun_public-data-recent-videos_66ef9005.csv": (
        "bilibili", "videos", "csv", "utf-8", 5, 5, 5, 0),
    "douyin/derived/daily_data__cwjcw-xhs_douyin_content.xlsx": ("douyin", "works", "xlsx", "", 781, 781, 781, 0),
    "douyin/作品列表_2026-06-05.xlsx": ("douyin", "works", "xlsx", "", 4, 4, 4, 0),
    "douyin/作品列表_另存.CSV": ("douyin", "works", "xlsx", "", 4, 4, 4, 0),  # an xlsx named .CSV
    "douyin/千川_素材分日报表.csv": ("douyin", "qianchuan_materials_daily", "csv", "gb18030", 3, 2, 0, 3),
    "douyin/千川_素材报表.xlsx": ("douyin", "qianchuan_materials", "xlsx", "", 2, 2, 2, 0),
    "douyin/巨量引擎_广告组报表_2026-06-01_2026-06-02.csv": ("douyin", "ocean_engine_ads", "csv", "utf-8-sig", 3, 2, 0, 3),
    "douyin/账号趋势_2026-06-01_2026-06-03.xlsx": ("douyin", "account_trend", "xlsx", "", 3, 0, 0, 3),
    "kuaishou/作品列表明细.xlsx": ("kuaishou", "works", "xlsx", "", 2, 2, 2, 0),
    "wechat_channels/微信视频号动态数据明细_15列.csv": ("wechat_channels", "posts", "csv", "utf-8-sig", 2, 2, 2, 0),
    "wechat_channels/视频号动态数据明细.csv": ("wechat_channels", "posts", "csv", "utf-8-sig", 3, 3, 3, 0),
    "wechat_oa/derived/tendency_sheet_dump_EXCERPT__PeopleDailyMaterial_2026-06-06_to_2026-07-05.csv": (
        "wechat_oa", "tendency_reads", "csv", "utf-8", 29, 10, 10, 19),
    "wechat_oa/tendency_1780787939_1783293539.xls": ("wechat_oa", "tendency_reads", "xls", "", 9, 4, 4, 5),
    "wechat_oa/total.xls": ("wechat_oa", "article_list", "xls", "", 2, 2, 2, 0),
    "wechat_oa/total_1774668963_1777260963.csv": ("wechat_oa", "article_list", "csv", "gb18030", 3, 3, 3, 0),
    "wechat_oa/user_analysis.xls": ("wechat_oa", "user_growth", "html", "utf-8", 4, 0, 0, 4),
    "wechat_oa/关键数据_2026-08-08_2026-09-06.csv": ("wechat_oa", "key_data", "csv", "utf-8", 27, 0, 0, 27),
    "wechat_oa/已通知内容_2025版.csv": ("wechat_oa", "article_list_2025", "csv", "utf-8", 2, 2, 2, 0),
    "wechat_oa/数据明细（《人民日报》讲透“反内卷”：不是反竞争）.xls": ("wechat_oa", "article_detail", "xls", "", 4, 1, 1, 3),
    "wechat_oa/每日收入明细2026-08-31至2026-09-06.csv": ("wechat_oa", "ad_revenue", "csv", "utf-8", 7, 0, 0, 7),
    "weibo/博文数据.xlsx": ("weibo", "posts", "xlsx", "", 2, 2, 2, 0),
    "weibo/每日数据.csv": ("weibo", "account_daily", "csv", "utf-8-sig", 2, 0, 0, 2),
    "xiaohongshu/笔记列表明细表__AIDiscovery007-savethat.xlsx": ("xiaohongshu", "notes", "xlsx", "", 12, 12, 12, 0),
    "xiaohongshu/笔记列表明细表__ryanmind-ai-brief-starter.xlsx": ("xiaohongshu", "notes", "xlsx", "", 8, 8, 8, 0),
    "xiaohongshu/笔记列表明细表__wanjeans33-ai-briefcast.xlsx": ("xiaohongshu", "notes", "xlsx", "", 41, 41, 41, 0),
}
# Read, but with rules of their own (tested below): period totals, and the 近30日 snapshot + trend workbooks.
SPECIAL = {"wechat_oa/热门文章数据_1788759153.csv", "xiaohongshu/近30日涨粉数据.xlsx", "xiaohongshu/近30日观看数据.xlsx"}


def fixture_files() -> set[str]:
    return {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.is_file() and p.suffix not in (".md", ".py")}


def test_every_fixture_file_has_an_import_test():
    """A new export fixture must come with its expected outcome here."""
    assert fixture_files() == set(EXPECTED) | SPECIAL


@pytest.fixture
def own_brand(org):
    return BrandFactory(organization=org, slug="fresh")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_export_imports_whole(run_import, own_brand, name):
    """Detected platform and report, file type and encoding; every row read, no error, the posts, snapshots and
    daily figures it holds; and importing the same bytes again changes nothing."""
    platform, report, file_type, encoding, rows, posts, snapshots, facts = EXPECTED[name]
    batch = run_import(FIXTURES / name, brand_=own_brand, as_of=at(2026, 7, 6, 12))
    assert batch.status == "succeeded", batch.message
    assert (batch.platform, batch.report_kind, batch.file_type, batch.encoding) == (
        platform, report, file_type, encoding)
    assert (batch.rows_total, batch.rows_ok, batch.rows_error) == (rows, rows, 0), batch.errors
    assert [e for e in batch.errors if e["level"] == "error"] == []
    assert (batch.posts_created, batch.snapshots, batch.facts) == (posts, snapshots, facts)
    assert Post.objects.filter(brand=own_brand).count() == posts
    assert PostSnapshot.objects.filter(post__brand=own_brand).count() == snapshots
    daily = (PostDailyFact.objects.filter(brand=own_brand, source=FactSource.DAILY).count()
             + AccountDailyFact.objects.filter(account__brand=own_brand).count())
    deltas = PostDailyFact.objects.filter(brand=own_brand, source=FactSource.DELTA).count()
    if not snapshots:  # daily reports: one fact per row, no snapshot
        assert (daily, deltas) == (facts, 0)
    if not facts:  # a first collection of a cumulative export: one delta per post, its whole count so far
        assert (daily, deltas) == (0, snapshots)
    before = table_counts()
    again = run_import(FIXTURES / name, brand_=own_brand, as_of=at(2026, 7, 6, 12))
    assert again.status == "succeeded" and again.duplicate_of_id == batch.pk
    assert table_counts() == before


XHS_REAL = {  # the real 笔记列表明细表 downloads: notes, sum of 观看量, notes without a title (keyed on the time)
    "xiaohongshu/笔记列表明细表__AIDiscovery007-savethat.xlsx": (12, 5500, 0),
    "xiaohongshu/笔记列表明细表__ryanmind-ai-brief-starter.xlsx": (8, 7519, 1),
    "xiaohongshu/笔记列表明细表__wanjeans33-ai-briefcast.xlsx": (41, 12686, 2),
}


@pytest.mark.parametrize("name", sorted(XHS_REAL))
def test_the_real_xiaohongshu_files_import_every_note(run_import, own_brand, name):
    """The three real XHS exports: one post per note (untitled notes keyed on their publish second), the views
    in the snapshots are the file's, and a later download of the same notes adds one snapshot per note."""
    notes, views, untitled = XHS_REAL[name]
    batch = run_import(FIXTURES / name, brand_=own_brand, as_of=at(2026, 1, 20, 12))
    assert batch.status == "succeeded", batch.message
    posts = Post.objects.filter(brand=own_brand)
    assert posts.count() == notes
    assert posts.filter(natural_key__startswith="time:").count() == untitled
    assert posts.filter(natural_key__startswith="title:").count() == notes - untitled
    assert set(posts.values_list("platform", flat=True)) == {"xiaohongshu"}
    assert PostSnapshot.objects.filter(post__brand=own_brand).aggregate(s=Sum("views"))["s"] == views
    # the first collection of a note counts all of its views as growth up to that day
    assert PostDailyFact.objects.filter(brand=own_brand).aggregate(s=Sum("views"))["s"] == views


def test_the_real_xiaohongshu_file_first_note_lands_with_its_numbers(run_import, own_brand):
    batch = run_import(FIXTURES / "xiaohongshu" / "笔记列表明细表__AIDiscovery007-savethat.xlsx", brand_=own_brand,
                       as_of=at(2026, 1, 20, 12))
    assert batch.status == "succeeded", batch.message
    post = Post.objects.get(brand=own_brand, title="请了个AI滑雪教练，骂的不脏但侮辱性极强🤬")
    assert post.natural_key == "title:请了个AI滑雪教练,骂的不脏但侮辱性极强🤬|2026-01-05 22:30"  # NFKC
    assert post.published_at == at(2026, 1, 5, 22, 30).replace(second=5)
    snap = PostSnapshot.objects.get(post=post)
    assert (snap.impressions, snap.views, snap.likes, snap.comments, snap.collects, snap.shares) == (
        296, 237, 4, 2, 1, 6)
    assert snap.collected_at == at(2026, 1, 20, 12)


def test_period_totals_of_search_articles_are_read_not_summed(run_import, own_brand):
    """热门文章数据 holds totals over a period chosen at download: the articles are known afterwards, their numbers
    are not stored as daily figures or snapshots, and a warning says so."""
    batch = run_import(FIXTURES / "wechat_oa" / "热门文章数据_1788759153.csv", brand_=own_brand)
    assert batch.status == "succeeded", batch.message
    assert (batch.rows_total, batch.rows_error) == (10, 0)
    (warning,) = batch.errors
    assert warning["level"] == "warning" and "not stored" in warning["message"]
    assert PostSnapshot.objects.filter(post__brand=own_brand).count() == 0
    assert PostDailyFact.objects.filter(brand=own_brand).count() == 0


@pytest.mark.parametrize(("name", "first_day_views"), [("xiaohongshu/近30日观看数据.xlsx", 250),
                                                       ("xiaohongshu/近30日涨粉数据.xlsx", None)])
def test_the_30_day_workbooks_store_30_days_and_flag_the_unsettled_one(run_import, own_brand, name, first_day_views):
    batch = run_import(FIXTURES / name, brand_=own_brand)
    assert batch.status == "succeeded", batch.message
    facts = AccountDailyFact.objects.filter(account__brand=own_brand).order_by("day")
    assert facts.count() == 30 and batch.facts == 30
    assert list(facts.values_list("unsettled", flat=True)) == [False] * 29 + [True]
    if first_day_views is not None:
        assert facts.first().views == first_day_views


@pytest.mark.parametrize("name", ["xiaohongshu/近30日观看数据.xlsx", "xiaohongshu/近30日涨粉数据.xlsx"])
def test_the_30_day_summary_sheet_is_no_row_error(run_import, own_brand, name):
    batch = run_import(FIXTURES / name, brand_=own_brand)
    assert batch.status == "succeeded", batch.message
    assert batch.rows_error == 0, batch.errors
    assert [e for e in batch.errors if e["level"] == "error"] == []
