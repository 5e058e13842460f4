"""Channels, Douyin (creator + ads), Xiaohongshu, Bilibili, Kuaishou and Weibo exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics.ingestion import parse_file
from metrics.ingestion.numbers import BEIJING

XHS_REAL = ["笔记列表明细表__AIDiscovery007-savethat.xlsx", "笔记列表明细表__ryanmind-ai-brief-starter.xlsx",
            "笔记列表明细表__wanjeans33-ai-briefcast.xlsx"]


def ts(text):
    return pd.Timestamp(text, tz=BEIJING)


# ---------------------------------------------------------------------------------------------- WeChat Channels

def test_channels_19_columns(fixtures):
    parsed = parse_file(fixtures / "wechat_channels" / "视频号动态数据明细.csv")
    section = parsed.sections[0]
    assert (section.key, parsed.encoding, section.ignored_columns) == ("wechat_channels.posts", "utf-8-sig", [])
    frame = section.read().frame
    first = frame.iloc[0]
    assert first["title"] == "618 早鸟清单来了"  # first line of a multi-line caption
    assert first["extra"]["full_title"] == "618 早鸟清单来了\n#好物推荐 #618"
    assert first["platform_post_id"] == "14236742598473025823"
    assert first["published_at"] == ts("2026-05-29")
    assert (first["views"], first["recommends"], first["likes"]) == (8412, 96, 233)  # 推荐 and 喜欢 apart
    assert first["completions"] == round(0.0441 * 8412)
    assert first["watch_seconds"] == pytest.approx(14.73 * 8412)
    assert first["clicks"] == 5 and first["extra"]["forwards_chats_moments"] == 88
    assert first["content_format"] == "short_video"
    low = frame.iloc[2]
    assert low["extra"]["completion_rate"] == 0.001
    assert low["upper_bound"] == ("completion_rate", "completions")  # "<0.1%": an upper bound
    assert "impressions" not in frame and "collects" not in frame


def test_channels_15_columns_resaved_in_excel(fixtures):
    frame = parse_file(fixtures / "wechat_channels" / "微信视频号动态数据明细_15列.csv").sections[0].read().frame
    assert frame["published_at"].tolist() == [ts("2026-05-29"), ts("2026-06-01 12:00")]  # Excel serials
    assert frame["views"].tolist() == [8412, 1530]  # "8,412"


# -------------------------------------------------------------------------------------------------------- Douyin

@pytest.mark.parametrize("name", ["作品列表_2026-06-05.xlsx", "作品列表_另存.CSV"])
def test_douyin_works(fixtures, name):
    parsed = parse_file(fixtures / "douyin" / name)
    assert parsed.file_type == "xlsx"
    section = parsed.sections[0]
    assert (section.key, section.format.level, section.format.basis) == ("douyin.works", "post", "cumulative")
    frame = section.read().frame
    first = frame.iloc[0]
    assert first["title"] == "夏日穿搭｜三套通勤look"
    assert first["published_at"] == ts("2026-06-02 18:34:34")
    assert (first["views"], first["likes"], first["shares"], first["comments"], first["collects"]) == (
        12873, 433, 52, 61, 120)
    assert first["profile_visits"] == 88 and first["followers_gained"] == 17
    assert first["completions"] == round(0.135135 * 12873)
    assert first["extra"]["cover_ctr"] if "cover_ctr" in first["extra"] else True
    assert "cover_ctr" not in first["extra"]  # "-"
    assert frame.iloc[1]["extra"]["cover_ctr"] == 0.0  # the text "0.000000"
    assert frame["content_format"].tolist() == ["short_video", "short_video", "image_note", "short_video"]
    assert frame["status"].tolist() == ["公开", "公开", "自见", "审核中"]
    assert "platform_post_id" not in frame  # no id: keyed on title + publish time
    under_review = frame.iloc[3]
    assert np.isnan(under_review["views"]) and np.isnan(under_review["likes"])


def test_douyin_derived_file(fixtures):
    section = parse_file(fixtures / "douyin" / "derived" / "daily_data__cwjcw-xhs_douyin_content.xlsx").sections[0]
    frame = section.read().frame
    assert len(frame) == 781
    first = frame.iloc[0]
    assert first["views"] == 251 and first["published_at"] == ts("2025-04-10 18:34:34")
    assert first["extra"]["completion_rate_5s"] == 0.135135 and first["extra"]["avg_watch_seconds"] == 3.907336


def test_douyin_account_trend(fixtures):
    section = parse_file(fixtures / "douyin" / "账号趋势_2026-06-01_2026-06-03.xlsx").sections[0]
    assert (section.key, section.format.level, section.format.basis) == ("douyin.account_trend", "account", "daily")
    frame = section.read().frame
    assert frame["views"].tolist() == [12011, 8420, 15533]
    assert frame["posts_published"].tolist() == [1, 0, 2]
    assert frame["watch_seconds"].iloc[0] == pytest.approx(8.5 * 12011)


def test_ocean_engine_report(fixtures):
    section = parse_file(fixtures / "douyin" / "巨量引擎_广告组报表_2026-06-01_2026-06-02.csv").sections[0]
    assert (section.key, section.format.basis) == ("douyin.ocean_engine_ads", "daily")
    frame = section.read().frame
    assert section.skipped["total"] == 1  # 合计 row
    assert len(frame) == 3
    first = frame.iloc[0]
    assert first["ad_group"] == first["platform_post_id"] == "1801234567890123"
    assert first["title"] == "618_通投_女装" and first["content_format"] == "ad"
    assert (first["impressions"], first["clicks"], first["cost"], first["conversions"]) == (120455, 2381, 2001.36, 57)
    assert first["extra"]["ctr"] == 0.0198  # 点击率(%) 1.98: a percent number
    assert first["extra"]["conversion_rate"] == 0.0239 and first["extra"]["cpm"] == 16.61
    assert "deep_conversions" not in frame.iloc[1]["extra"]  # "--"


def test_qianchuan_daily_gbk(fixtures):
    section = parse_file(fixtures / "douyin" / "千川_素材分日报表.csv").sections[0]
    assert (section.key, section.format.basis) == ("douyin.qianchuan_materials_daily", "daily")
    chunk = section.read()
    assert chunk.errors == []
    frame = chunk.frame
    first = frame.iloc[0]
    assert first["material_id"] == first["platform_post_id"] == "7376601234567890123"  # 19 digits kept exactly
    assert (first["cost"], first["gmv"], first["orders"], first["impressions"], first["clicks"]) == (
        1523.40, 6880.00, 43, 88012, 2210)
    assert first["extra"]["roi"] == 4.52 and first["extra"]["ctr"] == 0.0251
    second = frame.iloc[1]
    assert np.isnan(second["gmv"]) and np.isnan(second["orders"])  # "--"
    assert "conversion_rate" not in second["extra"]  # "—"


def test_qianchuan_without_date_is_cumulative(fixtures):
    section = parse_file(fixtures / "douyin" / "千川_素材报表.xlsx").sections[0]
    assert (section.key, section.format.basis) == ("douyin.qianchuan_materials", "cumulative")
    first = section.read().frame.iloc[0]
    assert (first["cost"], first["impressions"], first["views"], first["likes"]) == (2811.4, 158122, 110253, 801)
    assert first["extra"]["material_duration"] == 32


# -------------------------------------------------------------------------------------------------- Xiaohongshu

@pytest.mark.parametrize(("name", "rows", "views_sum", "no_title"), [
    (XHS_REAL[0], 12, 5500, 0), (XHS_REAL[1], 8, 7519, 1), (XHS_REAL[2], 41, 12686, 2)])
def test_xhs_real_note_lists(fixtures, name, rows, views_sum, no_title):
    section = parse_file(fixtures / "xiaohongshu" / name).sections[0]
    assert (section.key, section.header_row, section.total_rows) == ("xiaohongshu.notes", 2, rows)
    chunk = section.read()
    assert chunk.errors == []
    frame = chunk.frame
    assert len(frame) == rows and frame["views"].sum() == views_sum
    assert frame["title"].isna().sum() == no_title  # kept, keyed on the publish time


def test_xhs_first_real_file_first_row(fixtures):
    first = parse_file(fixtures / "xiaohongshu" / XHS_REAL[0]).sections[0].read().frame.iloc[0]
    assert first["row"] == 3
    assert first["title"] == "请了个AI滑雪教练，骂的不脏但侮辱性极强🤬"
    assert first["published_at"] == ts("2026-01-05 22:30:05")
    assert (first["impressions"], first["views"], first["likes"], first["comments"], first["collects"],
            first["shares"], first["followers_gained"], first["danmaku"]) == (296, 237, 4, 2, 1, 6, 0, 0)
    assert first["extra"]["cover_ctr"] == 0.166 and first["extra"]["avg_watch_seconds"] == 18
    assert first["watch_seconds"] == 18 * 237
    assert first["content_format"] == "image_note"


def test_xhs_video_notes(fixtures):
    frame = parse_file(fixtures / "xiaohongshu" / XHS_REAL[2]).sections[0].read().frame
    assert frame.iloc[0]["content_format"] == "short_video"
    assert frame.iloc[0]["impressions"] == 0 and frame.iloc[0]["views"] == 126


def test_xhs_30_day_views_workbook(fixtures):
    parsed = parse_file(fixtures / "xiaohongshu" / "近30日观看数据.xlsx")
    trend, summary = parsed.section("xiaohongshu.account_trend"), parsed.section("xiaohongshu.account_summary")
    frame = trend.read().frame
    assert len(frame) == 30
    assert frame["date"].iloc[0] == ts("2026-10-01") and frame["date"].iloc[-1] == ts("2026-10-30")
    assert frame["impressions"].iloc[0] == 1400 and frame["views"].iloc[0] == 250
    assert frame["extra"].iloc[0]["cover_ctr"] == 0.11  # 封面点击率(%) 11.0
    assert frame["completions"].iloc[0] == round(0.175 * 250)
    assert frame["unsettled"].tolist() == [False] * 29 + [True]  # the last day is not settled: flagged, kept
    s = summary.read().frame.iloc[0]
    assert (summary.format.basis, s["impressions"], s["views"]) == ("period", 45210, 8123)
    assert s["extra"]["cover_ctr"] == 0.126 and s["extra"]["impressions_change"] == -0.035


def test_xhs_30_day_followers_workbook(fixtures):
    frame = parse_file(fixtures / "xiaohongshu" / "近30日涨粉数据.xlsx").section("account_trend").read().frame
    first = frame.iloc[0]
    assert (first["followers_net"], first["followers_gained"], first["followers_lost"], first["profile_visits"]) == (
        5, 7, 2, 90)
    assert first["extra"]["profile_follow_rate"] == 0.075
    assert frame["unsettled"].sum() == 1


# ----------------------------------------------------------------------------------------------------- Bilibili

@pytest.mark.parametrize("name", ["近期稿件对比__zbqingtianyun_1865b76b.csv",
                                  "近期稿件对比__zbqingtianyun_public-data-recent-videos_66ef9005.csv"])
def test_bilibili_real_samples_parse(fixtures, name):
    chunk = parse_file(fixtures / "bilibili" / name).sections[0].read()
    assert chunk.errors == []
    assert chunk.frame["content_format"].eq("long_video").all()


def test_bilibili_stars_and_percent_strings(fixtures):
    frame = parse_file(fixtures / "bilibili" / "近期稿件对比__zbqingtianyun_1865b76b.csv").sections[0].read().frame
    first = frame.iloc[0]
    assert first["published_at"] == ts("2026-06-03 16:41:25")
    assert first["views"] == 124 and first["collects"] == 1
    extra = first["extra"]
    assert extra["cover_ctr_stars"] == 3.5 and extra["follower_ctr_stars"] == 2 and extra["guest_ctr_stars"] == 3.6
    assert extra["bounce_rate_3s"] == 0.559 and extra["avg_play_progress"] == 0.27
    last = frame.iloc[3]
    assert (last["views"], last["likes"], last["comments"], last["collects"], last["coins"], last["shares"],
            last["followers_gained"]) == (1002, 15, 11, 23, 3, 2, 1)


def test_bilibili_same_day_dashes_are_missing(fixtures):
    frame = parse_file(fixtures / "bilibili" / "近期稿件对比__zbqingtianyun_public-data-recent-videos_66ef9005.csv"
                       ).sections[0].read().frame
    first = frame.iloc[0]
    assert first["title"] == "codex实现数据看板自动化" and first["views"] == 29
    assert np.isnan(first["followers_gained"]) and np.isnan(first["followers_lost"])
    assert "bounce_rate_3s" not in first["extra"] and "avg_play_progress" not in first["extra"]
    assert first["extra"]["like_rate"] == 0.034


def test_bilibili_trend_skips_total_row(fixtures):
    section = parse_file(fixtures / "bilibili" / "历史累计数据趋势.csv").sections[0]
    assert (section.key, section.format.level) == ("bilibili.trend", "account")
    frame = section.read().frame
    assert section.skipped == {"total": 1}
    assert frame["views"].tolist() == [1203, 980, 1544]
    assert frame["followers_total"].tolist() == [5310, 5322, 5351]
    assert frame["coins"].tolist() == [23, 15, 31]


# --------------------------------------------------------------------------------------------- Kuaishou, Weibo

def test_kuaishou_works(fixtures):
    section = parse_file(fixtures / "kuaishou" / "作品列表明细.xlsx").sections[0]
    assert section.key == "kuaishou.works"
    frame = section.read().frame
    assert frame["views"].tolist() == [52310, 12000]  # "1.2w"
    assert frame["followers_gained"].tolist() == [87, 240]
    assert frame["completions"].tolist() == [round(0.213 * 52310), round(0.351 * 12000)]


def test_weibo_posts_floor_values(fixtures):
    section = parse_file(fixtures / "weibo" / "博文数据.xlsx").sections[0]
    assert section.key == "weibo.posts"
    frame = section.read().frame
    first = frame.iloc[0]
    assert first["views"] == 100000 and first["floor"] == ("views",)  # 10万+
    assert first["likes"] == 12000  # 1.2万
    assert frame.iloc[1]["floor"] is None


def test_weibo_account_daily(fixtures):
    section = parse_file(fixtures / "weibo" / "每日数据.csv").sections[0]
    assert (section.key, section.format.level, section.format.basis) == ("weibo.account_daily", "account", "daily")
    frame = section.read().frame
    assert frame["views"].tolist() == [152300, 66010] and frame["reach"].tolist() == [98120, 40112]
    assert frame["posts_published"].tolist() == [3, 1]
