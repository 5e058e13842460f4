"""Detection, the unknown-file message, forced formats, and the column-mapping helpers."""

from __future__ import annotations

import pytest

from metrics.ingestion import FORMATS, ReportFormat, guess_mapping, parse_file
from metrics.ingestion.errors import UnknownFormatError
from metrics.ingestion.formats import norm_header

from .helpers import sheet_xml, write_xlsx


def _csv(tmp_path, text, name="export.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_every_format_has_a_unique_key_and_valid_shape():
    keys = [f.key for f in FORMATS]
    assert len(keys) == len(set(keys))
    for f in FORMATS:
        assert f.key.startswith(f.platform + ".")
        assert f.level in ("post", "account") and f.basis in ("cumulative", "daily", "period")
        assert f.label_en and f.label_zh


def test_unknown_file_names_the_closest_format_and_missing_columns(tmp_path):
    # a Channels export whose 推荐/喜欢 columns were renamed
    path = _csv(tmp_path, "视频描述,发布时间,播放量,点赞数,评论量\n新品,2026/6/1,100,3,1\n")
    with pytest.raises(UnknownFormatError) as exc:
        parse_file(path)
    err = exc.value
    assert err.closest.key == "wechat_channels.posts"
    assert err.missing == ["推荐", "喜欢"]
    assert "wechat_channels.posts" in err.message and "推荐、喜欢" in err.message
    assert "column mapping" in err.message
    assert err.headers == ["视频描述", "发布时间", "播放量", "点赞数", "评论量"]


def test_file_without_any_known_header(tmp_path):
    path = _csv(tmp_path, "foo,bar\n1,2\n")
    with pytest.raises(UnknownFormatError, match="No table with known export headers"):
        parse_file(path)


def test_headers_with_full_width_brackets_and_spaces(tmp_path):
    path = _csv(tmp_path, "时间, 拉取量 ,曝光量,曝光率,点击量,点击率,eCPM(元),收入（元）\n2026-09-06,\"8,471\",\"1,257\","
                          "14.84%,2,0.16%,1.84,2.31\n")
    section = parse_file(path).sections[0]
    assert section.key == "wechat_oa.ad_revenue"
    assert section.read().frame["ad_revenue"].tolist() == [2.31]
    assert norm_header("评论（条）") == norm_header("评论(条)") == norm_header(" 评论 (条) ")


def test_forced_platform_and_kind(fixtures):
    path = fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls"
    only = parse_file(path, kind="wechat_oa.tendency_daily")
    assert [s.key for s in only.sections] == ["wechat_oa.tendency_daily"]
    assert [s.key for s in parse_file(path, platform="wechat_oa", kind="tendency_articles").sections] == \
        ["wechat_oa.tendency_articles"]
    with pytest.raises(UnknownFormatError) as exc:
        parse_file(path, platform="douyin")
    assert exc.value.closest is None or exc.value.closest.platform == "douyin"
    with pytest.raises(UnknownFormatError, match="missing"):
        parse_file(path, kind="douyin.works")
    with pytest.raises(ValueError, match="unknown platform"):
        parse_file(path, platform="myspace")


def test_derived_douyin_file_still_recognised(fixtures):
    section = parse_file(fixtures / "douyin" / "derived" / "daily_data__cwjcw-xhs_douyin_content.xlsx").sections[0]
    assert section.key == "douyin.works"
    assert section.ignored_columns == ["平台", "日期", "所属平台", "来源文件"]


def test_guess_mapping_uses_aliases_and_catalog_labels():
    headers = ["作品标题", "发布时间", "播放量", "点赞数", "评论", "总花费(元)", "曝光量", "整体成交金额", "点击率(%)",
               "说明"]
    guess = guess_mapping(headers)
    assert guess["作品标题"] == "title"
    assert guess["发布时间"] == "published_at"
    assert guess["播放量"] == "views"
    assert guess["点赞数"] == "likes"
    assert guess["评论"] == "comments"
    assert guess["总花费(元)"] == "cost"
    assert guess["曝光量"] == "impressions"  # the catalog's Chinese label
    assert guess["整体成交金额"] == "gmv"
    assert guess["点击率(%)"] == "ctr"
    assert "说明" not in guess


def test_from_mapping_and_parse_with_a_template(tmp_path):
    path = _csv(tmp_path, "作品名,上线日期,观看人次,赞,说明\n春季新品,2026-03-01,1200,33,x\n夏季新品,2026-06-01,-,5,y\n")
    with pytest.raises(UnknownFormatError):
        parse_file(path)
    fmt = ReportFormat.from_mapping("kuaishou", "post", "cumulative",
                                    {"作品名": "title", "上线日期": "published_at", "观看人次": "views", "赞": "likes",
                                     "说明": ""}, "快手自定义模板")
    assert fmt.key == "kuaishou.custom:快手自定义模板" and fmt.custom and fmt.required_headers == [
        "作品名", "上线日期", "观看人次", "赞"]
    section = parse_file(path, mapping=fmt).sections[0]
    frame = section.read().frame
    assert frame["title"].tolist() == ["春季新品", "夏季新品"]
    assert frame["views"].iloc[0] == 1200 and frame["views"].isna().iloc[1]
    assert section.ignored_columns == ["说明"]
    # a plain dict works too when the platform is given
    frame2 = parse_file(path, platform="kuaishou", mapping={"作品名": "title", "赞": "likes"}).sections[0].read().frame
    assert frame2["likes"].tolist() == [33, 5]
    with pytest.raises(ValueError, match="unknown target"):
        ReportFormat.from_mapping("kuaishou", "post", "cumulative", {"x": "nonsense"}, "bad")


def test_extra_targets_in_a_mapping(tmp_path):
    path = _csv(tmp_path, "日期,播放量,私有指标\n2026-06-01,10,3.5\n")
    fmt = ReportFormat.from_mapping("weibo", "account", "daily",
                                    {"日期": "date", "播放量": "views", "私有指标": "extra:private_score"}, "t")
    frame = parse_file(path, mapping=fmt).sections[0].read().frame
    assert frame["extra"].iloc[0] == {"private_score": 3.5}


def test_two_headers_for_one_target_keep_both(tmp_path):
    sheet = sheet_xml([["素材ID", "素材名称", "整体消耗", "消耗(元)"], ["7376601234567890123", "口播01", 10.5, 9.5]])
    frame = parse_file(write_xlsx(tmp_path / "qc.xlsx", sheet)).sections[0].read().frame
    assert frame["cost"].tolist() == [10.5]
    assert frame["extra"].iloc[0] == {"消耗(元)": 9.5}
