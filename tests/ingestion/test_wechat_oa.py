"""WeChat Official Account exports: the tendency workbook, article lists and detail, user growth, CSV downloads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics.ingestion import parse_file
from metrics.ingestion.numbers import BEIJING


def ts(text):
    return pd.Timestamp(text, tz=BEIJING)


def test_tendency_workbook_yields_three_sections(fixtures):
    parsed = parse_file(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls")
    assert parsed.file_type == "xls"
    assert [s.key for s in parsed.sections] == [
        "wechat_oa.tendency_reads", "wechat_oa.tendency_daily", "wechat_oa.tendency_articles"]
    assert parsed.collected_at == dt.datetime(2026, 7, 6, 7, 18, 59, tzinfo=BEIJING)
    reads, daily, articles = parsed.sections
    assert all(s.header_row == 3 for s in parsed.sections)
    assert reads.title == "数据趋势概况(2026.06.07-2026.07.06)"
    assert reads.period == (dt.date(2026, 6, 7), dt.date(2026, 7, 6))
    assert (reads.format.level, reads.format.basis) == ("account", "daily")
    assert (articles.format.level, articles.format.basis) == ("post", "cumulative")


def test_tendency_day_total_is_the_全部_row_never_a_sum(fixtures):
    reads = parse_file(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls").sections[0]
    frame = reads.read().frame
    assert frame["date"].tolist() == [ts("2026-06-07"), ts("2026-06-08")]
    assert frame["reach"].tolist() == [6451, 13704]
    by_channel = frame["extra"].iloc[0]["reach_by_channel"]
    assert by_channel == {"公众号消息": 457, "聊天会话": 556, "朋友圈": 201, "公众号主页": 545, "其他": 185,
                          "推荐": 4633, "搜一搜": 79}
    assert sum(by_channel.values()) != 6451  # channels overlap: the total is taken, not computed
    assert "channel" not in frame


def test_tendency_block2_is_shorter(fixtures):
    daily = parse_file(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls").sections[1]
    frame = daily.read().frame
    assert frame["shares"].tolist() == [1048, 2152, 2764]
    assert frame["clicks"].tolist() == [0, 0, 0]
    assert frame["collects"].tolist() == [351, 738, 1092]
    assert frame["posts_published"].tolist() == [1, 1, 2]
    assert daily.skipped["blank"] == 13  # block 1 runs on below block 2's end


def test_tendency_articles_take_the_全部_row(fixtures):
    articles = parse_file(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls").sections[2]
    frame = articles.read().frame.set_index("title")
    row = frame.loc["《人民日报》讲透【科技成果转化】：别只写“产学研”"]
    assert row["reach"] == 29384
    assert row["published_at"] == ts("2026-06-28")
    assert row["extra"]["reach_by_channel"] == {"推荐": 19460}
    assert row["extra"]["reach_share"] == pytest.approx(0.1212330013513565)
    # an article seen only through one channel has no total: reach stays missing, never the channel's figure
    lone = frame.loc["《人民日报》讲透“反内卷”：不是反竞争"]
    assert np.isnan(lone["reach"]) and lone["extra"]["reach_by_channel"] == {"搜一搜": 141}


def test_tendency_cell_dump_csv(fixtures):
    parsed = parse_file(fixtures / "wechat_oa" / "derived" /
                        "tendency_sheet_dump_EXCERPT__PeopleDailyMaterial_2026-06-06_to_2026-07-05.csv")
    reads, daily, articles = parsed.sections
    assert reads.read().frame["reach"].tolist()[:2] == [6451, 13704]
    assert daily.read().frame["shares"].iloc[-1] == 552  # 2026-06-22, the last row of block 2
    assert daily.skipped["blank"] == 1  # the 2026-06-27 line has no block-2 cells
    assert articles.read().frame["reach"].iloc[0] == 29384


def test_article_detail_sheet(fixtures):
    path = fixtures / "wechat_oa" / "数据明细（《人民日报》讲透“反内卷”：不是反竞争）.xls"
    parsed = parse_file(path)
    detail, trend = parsed.sections
    assert (detail.key, trend.key) == ("wechat_oa.article_detail", "wechat_oa.article_detail_trend")
    post = detail.read().frame.iloc[0]
    assert post["title"] == "《人民日报》讲透“反内卷”：不是反竞争"
    assert post["published_at"] == ts("2026-06-12")  # no publish date in the file: earliest trend date
    assert (post["reach"], post["shares"], post["wows"], post["likes"], post["collects"]) == (5735, 312, 58, 120, 201)
    assert post["comments"] == 23  # 评论（条）: full-width brackets
    assert post["followers_gained"] == 41  # 新增关注（人）
    assert post["recipients"] == 120034
    extra = post["extra"]
    assert extra["rewards_cny"] == 15.0  # 赞赏(分) 1500 fen
    assert extra["completion_rate"] == 0.4123 and extra["avg_read_seconds"] == 96
    assert extra["push_readers"] == 2301 and extra["listens"] == 12
    assert set(detail.ignored_columns) >= set()
    frame = trend.read().frame
    assert frame["date"].tolist() == [ts("2026-06-12"), ts("2026-06-13"), ts("2026-06-14")]
    assert frame["reach"].tolist() == [2680, 2801, 254]
    assert frame["shares"].tolist() == [268, 280, 25]
    assert set(frame["title"]) == {post["title"]}
    assert frame["extra"].iloc[1]["reach_by_channel"]["推荐"] == 1150
    assert trend.total_rows == 15  # the gender/age blocks below are not read as trend rows


def test_user_analysis_html(fixtures):
    parsed = parse_file(fixtures / "wechat_oa" / "user_analysis.xls")
    section = parsed.sections[0]
    assert (parsed.file_type, section.key, section.header_row) == ("html", "wechat_oa.user_growth", 2)
    frame = section.read().frame
    assert frame["followers_gained"].tolist()[:2] == [52, 38]
    assert frame["followers_lost"].tolist()[:2] == [11, 17]
    assert frame["followers_net"].tolist()[:2] == [41, 21]
    assert frame["followers_total"].tolist() == [120345, 120366, 120366, 120418]
    assert frame["followers_gained"].isna().tolist() == [False, False, True, False]  # "-" is missing, not 0


def test_article_list_2026_gbk_with_intro_line(fixtures):
    parsed = parse_file(fixtures / "wechat_oa" / "total_1774668963_1777260963.csv")
    assert parsed.encoding == "gb18030"
    assert parsed.collected_at == dt.datetime.fromtimestamp(1777260963, tz=BEIJING)
    frame = parsed.sections[0].read().frame
    first = frame.iloc[0]
    assert first["title"] == "《人民日报》讲透“反内卷”：不是反竞争"
    assert first["published_at"] == ts("2026-06-12")
    assert (first["reach"], first["shares"], first["followers_gained"], first["recipients"]) == (5735, 312, 41, 120034)
    assert first["platform_post_id"] == "MzIzMjA4MTI3MQ==:2247490995:1"
    assert first["extra"]["completion_rate"] == pytest.approx(0.401869148015976)
    assert "completion_rate" not in frame["extra"].iloc[2]  # "-" is missing
    assert "completions" not in frame  # a rate of readers, and no read count to apply it to


def test_article_list_2025_generation(fixtures):
    section = parse_file(fixtures / "wechat_oa" / "已通知内容_2025版.csv").sections[0]
    assert section.key == "wechat_oa.article_list_2025"
    first = section.read().frame.iloc[0]
    assert (first["reach"], first["views"], first["shares"]) == (5735, 6410, 312)
    assert first["completions"] == round(0.4019 * 6410)
    assert first["extra"]["open_rate"] == 0.0192 and first["extra"]["sharers"] == 290


def test_article_list_xls_with_content_type_column(fixtures):
    frame = parse_file(fixtures / "wechat_oa" / "total.xls").sections[0].read().frame
    assert frame["content_format"].tolist() == ["article", "image_note"]
    assert frame["extra"].iloc[1]["format_label"] == "贴图"


def test_key_data_csv_days_missing_stay_missing(fixtures):
    parsed = parse_file(fixtures / "wechat_oa" / "关键数据_2026-08-08_2026-09-06.csv")
    assert parsed.collected_at == dt.datetime(2026, 9, 6, tzinfo=BEIJING)
    frame = parsed.sections[0].read().frame
    assert len(frame) == 27
    dates = set(frame["date"].dt.date)
    assert dt.date(2026, 8, 20) not in dates and dt.date(2026, 9, 4) not in dates
    assert frame["extra"].iloc[0] == {"search_followers_gained": 4, "search_reads": 205}


def test_search_articles_csv(fixtures):
    parsed = parse_file(fixtures / "wechat_oa" / "热门文章数据_1788759153.csv")
    assert parsed.collected_at == dt.datetime(2026, 9, 7, 13, 32, 33, tzinfo=BEIJING)
    section = parsed.sections[0]
    assert (section.key, section.format.basis) == ("wechat_oa.search_articles", "period")
    first = section.read().frame.iloc[0]
    assert first["title"] == "《人民日报》讲透“常态化帮扶”：不是简单“输血”"
    assert first["platform_post_id"] == "MzIzMjA4MTI3MQ==:2247490268:1"
    assert first["extra"] == {"search_impressions": 3755, "search_clicks": 455, "search_ctr": 0.1212,
                              "search_rank": 11.36, "search_keywords": "常态化帮扶，常态化，帮扶"}


def test_ad_revenue_csv_thousands_separators_newest_first(fixtures):
    parsed = parse_file(fixtures / "wechat_oa" / "每日收入明细2026-08-31至2026-09-06.csv")
    assert parsed.collected_at == dt.datetime(2026, 9, 6, tzinfo=BEIJING)
    frame = parsed.sections[0].read().frame
    assert frame["date"].iloc[0] == ts("2026-09-06")
    assert frame["ad_revenue"].tolist() == [2.31, 1.29, 2.16, 0.61, 0.52, 2.15, 1.60]
    first = frame["extra"].iloc[0]
    assert first["ad_requests"] == 8471 and first["ad_impressions"] == 1257
    assert first["ad_exposure_rate"] == 0.1484 and first["ad_ctr"] == 0.0016 and first["ad_ecpm"] == 1.84
    assert "impressions" not in frame  # ad-slot impressions are not the account's impressions
