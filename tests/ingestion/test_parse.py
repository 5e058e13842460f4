"""parse_file mechanics: frame shape, skipped rows, row errors, key fields, file-name times."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from metrics.ingestion import collected_at_from_filename, parse_file
from metrics.ingestion.numbers import BEIJING


def _csv(tmp_path, text, name="export.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_frame_shape(fixtures):
    frame = parse_file(fixtures / "bilibili" / "历史累计数据趋势.csv").sections[0].read().frame
    assert list(frame.columns[:2]) == ["row", "date"]
    assert list(frame.columns[-4:]) == ["extra", "floor", "upper_bound", "unsettled"]
    assert frame["views"].dtype == "float64"
    assert str(frame["date"].dtype) == "datetime64[us, Asia/Shanghai]"
    assert frame["row"].tolist() == [2, 3, 4]


def test_blank_and_total_rows_are_counted(tmp_path):
    path = _csv(tmp_path, "时间,播放量,累计粉丝,硬币\n2026-06-01,10,5,1\n,,,\n\n2026-06-02,12,6,2\n合计,22,,3\n总计：,22,,3\n")
    section = parse_file(path).sections[0]
    frame = section.read().frame
    assert frame["row"].tolist() == [2, 5]
    assert dict(section.skipped) == {"blank": 2, "total": 2}


def test_bad_cells_become_row_errors_and_missing(tmp_path):
    path = _csv(tmp_path, "时间,播放量,累计粉丝,硬币\n2026-06-01,10,abc,1\n2026-06-02,12%,6,2\n2026-13-01,1,1,1\n")
    chunk = parse_file(path).sections[0].read()
    errors = [(e.row, e.column, e.value, e.message) for e in chunk.errors]
    assert (2, "累计粉丝", "abc", "not a number") in errors
    assert (3, "播放量", "12%", "a percentage in a count column") in errors
    assert (4, "时间", "2026-13-01", "not a valid calendar date") in errors
    assert any(e[0] == 4 and "left out" in e[3] for e in errors)  # no usable date: the row goes
    frame = chunk.frame
    assert frame["row"].tolist() == [2, 3]
    assert pd.isna(frame["followers_total"].iloc[0]) and pd.isna(frame["views"].iloc[1])  # never a silent 0


def test_post_rows_need_a_title_or_id(tmp_path):
    path = _csv(tmp_path, "视频描述,视频ID,发布时间,播放量,推荐,喜欢\n,,2026/6/1,10,1,1\n有标题,,2026/6/2,5,0,0\n"
                          ",987,2026/6/3,7,0,0\n")
    section = parse_file(path).sections[0]
    chunk = section.read()
    assert chunk.frame["row"].tolist() == [3, 4]
    assert [e.row for e in chunk.errors] == [2]
    assert "platform_post_id or url or title" in chunk.errors[0].message
    assert section.skipped["missing_key"] == 1


def test_row_errors_point_at_file_rows_across_chunks(tmp_path):
    lines = ["时间,播放量,累计粉丝,硬币"] + [f"2026-06-{d:02d},{d},1,1" for d in range(1, 26)]
    lines[21] = "2026-06-21,oops,1,1"
    chunks = list(parse_file(_csv(tmp_path, "\n".join(lines) + "\n"), chunk_rows=10).sections[0].chunks())
    assert [len(c.frame) for c in chunks] == [10, 10, 5]
    assert [(e.row, e.value) for c in chunks for e in c.errors] == [(22, "oops")]


@pytest.mark.parametrize(("name", "expected"), [
    ("tendency_1780787939_1783293539.xls", dt.datetime(2026, 7, 6, 7, 18, 59, tzinfo=BEIJING)),
    ("total_1774668963_1777260963.csv", dt.datetime(2026, 4, 27, 11, 36, 3, tzinfo=BEIJING)),
    ("热门文章数据_1788759153.csv", dt.datetime(2026, 9, 7, 13, 32, 33, tzinfo=BEIJING)),
    ("关键数据_2026-08-08_2026-09-06.csv", dt.datetime(2026, 9, 6, tzinfo=BEIJING)),
    ("每日收入明细2026-08-31至2026-09-06.csv", dt.datetime(2026, 9, 6, tzinfo=BEIJING)),
    ("/uploads/tmp/tendency_1780787939_1783293539.xls", dt.datetime(2026, 7, 6, 7, 18, 59, tzinfo=BEIJING)),
    ("作品列表.xlsx", None),
    (None, None),
])
def test_collected_at_from_filename(name, expected):
    assert collected_at_from_filename(name) == expected


def test_uploaded_name_wins_over_temp_path(tmp_path, fixtures):
    tmp = tmp_path / "upload_8f3a.bin"
    tmp.write_bytes((fixtures / "wechat_oa" / "热门文章数据_1788759153.csv").read_bytes())
    parsed = parse_file(tmp, filename="热门文章数据_1788759153.csv")
    assert parsed.collected_at == dt.datetime(2026, 9, 7, 13, 32, 33, tzinfo=BEIJING)


def test_extra_is_none_when_nothing_is_left(fixtures):
    frame = parse_file(fixtures / "bilibili" / "历史累计数据趋势.csv").sections[0].read().frame
    assert frame["extra"].isna().all()


def test_rows_wider_than_the_header_fall_back_to_csv_module(tmp_path):
    path = _csv(tmp_path, "时间,播放量,硬币\n2026-06-01,10,1\n2026-06-02,11,2,extra,cells\n2026-06-03,12,3\n")
    frame = parse_file(path).sections[0].read().frame
    assert frame["views"].tolist() == [10, 11, 12]
