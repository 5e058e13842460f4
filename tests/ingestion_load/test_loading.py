"""Loading parsed exports into the database: snapshots → deltas, idempotence, duplicates, error modes, daily and
account reports. Real files in tmp_path go through the whole service (parse → load → batch status)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from metrics.choices import FactSource, MediaType, PaidKind, Traffic
from metrics.models import AccountDailyFact, DailyRollup, ImportBatch, Post, PostDailyFact, PostSnapshot, SocialAccount
from tests.ingestion_load.conftest import at, table_counts
from tests.ingestion_load.files import channels_csv, qianchuan_csv, qianchuan_rows, xhs_notes, xhs_trend

pytestmark = pytest.mark.django_db(transaction=False)

NOTE_A = {"title": "秋冬护肤 | 三步搞定\n第二行不算", "published": at(2026, 5, 25, 20, 15)}
NOTE_B = {"title": "通勤妆容分享", "published": at(2026, 5, 27, 9, 30)}


def note(base, **values):
    return {**base, **values}


def views_by_month(post):
    facts = PostDailyFact.objects.filter(post=post)
    return {(d.year, d.month): v for d, v in
            ((m, facts.filter(day__year=m.year, day__month=m.month).aggregate(s=Sum("views"))["s"])
             for m in (dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1))) if v is not None}


def test_three_collections_out_of_order_give_the_guide_deltas(run_import, tmp_path, brand):
    """Collected 31 May (5,000), 15 June (6,500), 30 June (8,000), imported June-30, May-31, June-15: May gets
    5,000 and June 3,000, whatever the order; the rollup agrees with the facts."""
    files = {
        "jun30": (xhs_notes(tmp_path / "a" / "笔记列表明细表.xlsx", [note(NOTE_A, views=8000)]), at(2026, 6, 30, 22)),
        "may31": (xhs_notes(tmp_path / "b" / "笔记列表明细表.xlsx", [note(NOTE_A, views=5000)]), at(2026, 5, 31, 22)),
        "jun15": (xhs_notes(tmp_path / "c" / "笔记列表明细表.xlsx", [note(NOTE_A, views=6500)]), at(2026, 6, 15, 22)),
    }
    for name in ("jun30", "may31", "jun15"):
        path, as_of = files[name]
        batch = run_import(path, as_of=as_of)
        assert batch.status == "succeeded", batch.message
    post = Post.objects.get()
    assert post.natural_key == "title:秋冬护肤 | 三步搞定|2026-05-25 20:15"
    assert post.title == "秋冬护肤 | 三步搞定"  # the parser keeps the first line of a caption as its title
    assert PostSnapshot.objects.filter(post=post).count() == 3
    assert views_by_month(post) == {(2026, 5): 5000, (2026, 6): 3000}
    facts = list(PostDailyFact.objects.filter(post=post).order_by("day").values_list("day", "views", "source"))
    assert facts == [(dt.date(2026, 5, 31), 5000, "delta"), (dt.date(2026, 6, 15), 1500, "delta"),
                     (dt.date(2026, 6, 30), 1500, "delta")]
    rollup = DailyRollup.objects.filter(brand=brand, category__isnull=True).aggregate(s=Sum("views"))["s"]
    assert rollup == 8000
    brand.refresh_from_db()
    assert brand.data_version == 3


def test_same_file_twice_changes_nothing(run_import, tmp_path, brand):
    """The second upload of the same bytes is a duplicate batch: succeeded, zero changes, no table moves."""
    path = xhs_notes(tmp_path / "笔记列表明细表.xlsx", [note(NOTE_A, views=5000), note(NOTE_B, views=300)])
    first = run_import(path, as_of=at(2026, 5, 31, 22))
    before = table_counts()
    second = run_import(path, as_of=at(2026, 6, 2, 22))
    assert table_counts() == before
    assert second.status == "succeeded"
    assert second.duplicate_of_id == first.pk
    assert (second.posts_created, second.posts_updated, second.snapshots) == (0, 0, 0)
    assert f"#{first.pk}" in second.message


def test_same_rows_loaded_again_under_another_name_add_nothing(run_import, tmp_path):
    """The same collection re-saved (other bytes, same as-of): snapshots are immutable, nothing is added or
    double-counted and no post counts as updated."""
    rows = [note(NOTE_A, views=5000), note(NOTE_B, views=300)]
    run_import(xhs_notes(tmp_path / "1" / "笔记列表明细表.xlsx", rows), as_of=at(2026, 5, 31, 22))
    before = table_counts()
    resaved = xhs_notes(tmp_path / "2" / "笔记列表明细表 (1).xlsx", rows, saved=dt.datetime(2026, 7, 2, 9, 0, 0))
    again = run_import(resaved, as_of=at(2026, 5, 31, 22))
    assert again.status == "succeeded" and again.duplicate_of_id is None
    assert (again.posts_created, again.posts_updated, again.snapshots) == (0, 0, 0)
    assert table_counts() == before


def test_overlapping_exports_never_double_count(run_import, tmp_path):
    """Note A appears in two exports collected at different times: its June growth is the difference, not the sum."""
    run_import(xhs_notes(tmp_path / "1" / "n.xlsx", [note(NOTE_A, views=5000, likes=10)]), as_of=at(2026, 5, 31, 22))
    run_import(xhs_notes(tmp_path / "2" / "n.xlsx", [note(NOTE_A, views=8000, likes=16), note(NOTE_B, views=100)]),
               as_of=at(2026, 6, 30, 22))
    a = Post.objects.get(title__startswith="秋冬护肤")
    totals = PostDailyFact.objects.filter(post=a).aggregate(views=Sum("views"), likes=Sum("likes"))
    assert totals == {"views": 8000, "likes": 16}
    assert Post.objects.count() == 2


def test_duplicate_keys_in_one_file_the_later_row_wins(run_import, tmp_path):
    path = xhs_notes(tmp_path / "n.xlsx", [note(NOTE_A, views=100), note(NOTE_B, views=7), note(NOTE_A, views=120)])
    batch = run_import(path, as_of=at(2026, 5, 31, 22))
    assert batch.status == "succeeded"
    snap = PostSnapshot.objects.get(post__title__startswith="秋冬护肤")
    assert snap.views == 120
    warnings = [e for e in batch.errors if e["level"] == "warning"]
    assert len(warnings) == 1
    assert warnings[0]["row"] == 3 and "row 5" in warnings[0]["message"]
    assert batch.rows_skipped == 1 and batch.rows_ok == 2 and batch.rows_error == 0


def test_duplicate_keys_across_chunks_the_later_row_wins(run_import, tmp_path, settings):
    settings.KPIBOARD_IMPORT_CHUNK_ROWS = 2
    rows = [note(NOTE_A, views=100), note(NOTE_B, views=7), {"title": "C", "published": at(2026, 5, 28)},
            note(NOTE_A, views=120)]
    batch = run_import(xhs_notes(tmp_path / "n.xlsx", rows), as_of=at(2026, 5, 31, 22))
    assert batch.status == "succeeded", batch.message
    assert PostSnapshot.objects.get(post__title__startswith="秋冬护肤").views == 120
    assert batch.snapshots == 3
    assert [e["row"] for e in batch.errors if e["level"] == "warning"] == [3]


def test_a_daily_row_repeated_in_a_later_chunk_is_counted_once(run_import, tmp_path, settings):
    settings.KPIBOARD_IMPORT_CHUNK_ROWS = 10
    rows = qianchuan_rows(30, materials=5)
    again = list(rows[2])
    again[3] = "999.00"  # 整体消耗 restated by the later row
    batch = run_import(qianchuan_csv(tmp_path / "千川_素材分日报表.csv", [*rows, again]))
    assert batch.status == "succeeded", batch.message
    assert PostDailyFact.objects.count() == 30
    assert PostDailyFact.objects.get(post__natural_key=f"id:{rows[2][1]}", day=rows[2][0]).cost == 999.0
    assert batch.facts == 30 and "30 daily figures" in batch.message


def test_channels_posts_are_keyed_by_their_video_id(run_import, tmp_path):
    videos = [{"title": "618 早鸟清单来了\n#好物推荐", "id": "14236742598473025823", "published": at(2026, 5, 29),
               "views": 8412, "recommends": 96, "likes": 233}]
    batch = run_import(channels_csv(tmp_path / "视频号动态数据明细.csv", videos), as_of=at(2026, 6, 1, 9))
    assert batch.status == "succeeded", batch.message
    post = Post.objects.get()
    assert post.natural_key == "id:14236742598473025823"
    assert (post.platform, post.content_format) == ("wechat_channels", "short_video")
    snap = PostSnapshot.objects.get()
    assert (snap.views, snap.recommends, snap.likes) == (8412, 96, 233)
    account = SocialAccount.objects.get()
    assert (account.handle, account.kind, account.media_type) == (post.brand.slug, "brand", "owned")


def _bad_cell_file(tmp_path, n=9):
    rows = [note({"title": f"笔记 {i}", "published": at(2026, 5, 1 + i)}, views=100 + i) for i in range(n)]
    path = xhs_notes(tmp_path / "n.xlsx", rows)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.active.cell(2 + n, 5, "很多")  # the last note's 观看量: not a number
    wb.save(path)
    return path


def test_valid_rows_mode_loads_the_good_rows_and_lists_the_bad(run_import, tmp_path):
    batch = run_import(_bad_cell_file(tmp_path), as_of=at(2026, 5, 31, 22))
    assert batch.status == "succeeded"
    assert batch.rows_ok == 8 and batch.rows_error == 1
    assert PostSnapshot.objects.count() == 8
    (error,) = [e for e in batch.errors if e["level"] == "error"]
    assert (error["row"], error["column"], error["value"]) == (11, "观看量", "很多")


def test_all_or_nothing_with_a_bad_value_in_the_last_chunk_commits_nothing(run_import, tmp_path, settings):
    settings.KPIBOARD_IMPORT_CHUNK_ROWS = 2
    before = table_counts()
    batch = run_import(_bad_cell_file(tmp_path), as_of=at(2026, 5, 31, 22), mode="all_or_nothing")
    assert batch.status == "failed"
    assert "nothing was imported" in batch.message
    assert table_counts() == before
    assert (batch.posts_created, batch.snapshots) == (0, 0)
    assert [e["row"] for e in batch.errors] == [11]


def test_a_file_with_no_readable_rows_fails_with_the_reason(run_import, tmp_path):
    path = xhs_notes(tmp_path / "n.xlsx", [note(NOTE_A, views=1)])
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.active.cell(3, 5, "--x--")
    wb.save(path)
    batch = run_import(path, as_of=at(2026, 5, 31, 22))
    assert batch.status == "failed"
    assert "No row of the file could be read" in batch.message and "row 3" in batch.message
    assert Post.objects.count() == 0


def test_an_unknown_file_fails_with_what_is_missing(run_import, tmp_path):
    path = tmp_path / "random.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    batch = run_import(path)
    assert batch.status == "failed"
    assert batch.message and batch.errors and batch.errors[0]["message"]


def test_qianchuan_daily_report_lands_as_paid_ad_facts_and_restated_days_replace(run_import, tmp_path, brand):
    rows = qianchuan_rows(6, materials=3)  # 3 materials × 2 days
    batch = run_import(qianchuan_csv(tmp_path / "千川_素材分日报表.csv", rows))
    assert batch.status == "succeeded", batch.message
    assert (batch.platform, batch.report_kind) == ("douyin", "qianchuan_materials_daily")
    assert (batch.posts_created, batch.facts) == (3, 6)
    post = Post.objects.get(natural_key="id:7376600000000000001")
    assert (post.media_type, post.paid_kind, post.traffic, post.content_format) == (
        MediaType.PAID, PaidKind.PAID_AD, Traffic.PAID, "ad")
    fact = PostDailyFact.objects.get(post=post, day=dt.date(2026, 5, 1))
    assert (fact.source, fact.cost, fact.gmv, fact.impressions) == (FactSource.DAILY, 101.5, 301.0, 10001)
    # A later report restates 1 May for material 1 (conversions settle for up to 30 days).
    restated = [["2026-05-01", "7376600000000000001", "素材_001", "101.50", "450.00", "3", "10001", "201", "5001",
                 "1"]]
    again = run_import(qianchuan_csv(tmp_path / "restated.csv", restated))
    assert again.status == "succeeded" and again.posts_created == 0 and again.posts_updated == 0
    fact.refresh_from_db()
    assert (fact.gmv, fact.orders) == (450.0, 3)
    assert PostDailyFact.objects.count() == 6
    rollup = DailyRollup.objects.filter(brand=brand, day=dt.date(2026, 5, 1), category__isnull=True)
    assert rollup.aggregate(s=Sum("gmv"))["s"] == 300.0 + 450.0 + 302.0


def test_account_trends_keep_unsettled_and_merge_workbooks(run_import, tmp_path):
    days = [dt.date(2026, 6, d) for d in (1, 2, 3)]
    views = xhs_trend(tmp_path / "1" / "近30日观看数据.xlsx",
                      {"曝光趋势": [(d, 100 * i) for i, d in enumerate(days, 1)],
                       "观看趋势": [(d, 10 * i) for i, d in enumerate(days, 1)]})
    likes = xhs_trend(tmp_path / "2" / "近30日互动数据.xlsx", {"点赞趋势": [(d, i) for i, d in enumerate(days, 1)],
                                                          "评论趋势": [(d, 0) for d in days]})
    assert run_import(views).status == "succeeded"
    assert run_import(likes).status == "succeeded"
    facts = list(AccountDailyFact.objects.order_by("day").values_list("day", "impressions", "views", "likes",
                                                                     "unsettled"))
    assert facts == [(days[0], 100, 10, 1, False), (days[1], 200, 20, 2, False), (days[2], 300, 30, 3, True)]


def test_period_totals_are_read_but_not_stored_as_daily_figures(run_import, fixtures_dir):
    batch = run_import(fixtures_dir / "wechat_oa" / "热门文章数据_1788759153.csv")
    assert batch.status == "succeeded"
    assert any("not stored" in e["message"] for e in batch.errors)
    assert PostDailyFact.objects.count() == 0 and PostSnapshot.objects.count() == 0


@pytest.mark.parametrize("name", [
    "xiaohongshu/笔记列表明细表__wanjeans33-ai-briefcast.xlsx",
    "bilibili/近期稿件对比__zbqingtianyun_1865b76b.csv",
    "douyin/作品列表_2026-06-05.xlsx",
    "douyin/巨量引擎_广告组报表_2026-06-01_2026-06-02.csv",
    "douyin/千川_素材报表.xlsx",
    "wechat_oa/tendency_1780787939_1783293539.xls",
    "wechat_oa/total_1774668963_1777260963.csv",
    "wechat_oa/user_analysis.xls",
    "wechat_oa/数据明细（《人民日报》讲透“反内卷”：不是反竞争）.xls",
    "wechat_channels/视频号动态数据明细.csv",
    "kuaishou/作品列表明细.xlsx",
])
def test_the_parsing_fixtures_import_twice_without_change(run_import, fixtures_dir, name):
    """Every export fixture imports, and importing it again (as another file of the same collection) adds nothing."""
    path = fixtures_dir / name
    first = run_import(path, as_of=at(2026, 7, 6, 12))
    assert first.status == "succeeded", first.message
    assert first.rows_ok > 0
    before = table_counts()
    second = run_import(path, as_of=at(2026, 7, 6, 12))
    assert second.duplicate_of_id == first.pk
    assert table_counts() == before
    assert ImportBatch.objects.filter(status="failed").count() == 0


def test_a_counter_that_goes_down_is_kept_and_flagged(run_import, tmp_path):
    """Likes fall from 40 to 35 between two collections (an unlike, a removed spam like): the fall is stored as a
    negative delta flagged ``decreased``, and the snapshots keep both figures."""
    run_import(xhs_notes(tmp_path / "1" / "n.xlsx", [note(NOTE_A, views=100, likes=40)]), as_of=at(2026, 6, 1, 22))
    run_import(xhs_notes(tmp_path / "2" / "n.xlsx", [note(NOTE_A, views=150, likes=35)]), as_of=at(2026, 6, 8, 22))
    post = Post.objects.get()
    assert list(PostSnapshot.objects.filter(post=post).order_by("collected_at").values_list("likes", flat=True)) == [
        40, 35]
    facts = list(PostDailyFact.objects.filter(post=post).order_by("day").values_list("day", "likes", "decreased"))
    assert facts == [(dt.date(2026, 6, 1), 40, False), (dt.date(2026, 6, 8), -5, True)]


def test_the_same_note_in_two_brands_is_two_posts(run_import, tmp_path, brand):
    """Natural keys hold within the organization and brand: an agency tracking the same creator's note for two
    client brands keeps two posts, each with its own snapshot."""
    from tests.factories import BrandFactory

    other = BrandFactory(organization=brand.organization, slug="other")
    path = xhs_notes(tmp_path / "n.xlsx", [note(NOTE_A, views=100)])
    assert run_import(path, as_of=at(2026, 6, 1, 22)).status == "succeeded"
    second = run_import(path, brand_=other, as_of=at(2026, 6, 1, 22))
    assert second.status == "succeeded" and second.duplicate_of_id is None and second.posts_created == 1
    assert sorted(Post.objects.values_list("brand__slug", "natural_key")) == [
        ("glow", "title:秋冬护肤 | 三步搞定|2026-05-25 20:15"), ("other", "title:秋冬护肤 | 三步搞定|2026-05-25 20:15")]
    assert PostSnapshot.objects.count() == 2


def test_the_collection_time_comes_from_the_file_name_else_as_of_else_the_upload(run_import, tmp_path,
                                                                                   fixtures_dir):
    # 1. the platform put it in the name: it wins over a different "data as of", and the batch says so
    named = run_import(fixtures_dir / "wechat_oa" / "tendency_1780787939_1783293539.xls", as_of=at(2026, 7, 1, 9))
    assert named.as_of == dt.datetime.fromtimestamp(1783293539, tz=dt.UTC)
    assert "taken from the file name" in named.message
    # 2. no time in the name: the user's "data as of"
    given = run_import(xhs_notes(tmp_path / "1" / "笔记列表明细表.xlsx", [note(NOTE_A, views=1)]), as_of=at(2026, 6, 3))
    assert given.as_of == at(2026, 6, 3)
    assert PostSnapshot.objects.get(post__title__startswith="秋冬护肤").collected_at == at(2026, 6, 3)
    # 3. neither: the upload time
    plain = run_import(xhs_notes(tmp_path / "2" / "笔记列表明细表.xlsx", [note(NOTE_B, views=1)]))
    assert plain.as_of == plain.created_at
    assert PostSnapshot.objects.get(post__title="通勤妆容分享").collected_at == plain.created_at
