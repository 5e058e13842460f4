"""Real file type from the bytes, encodings, and the header found below notice rows."""

from __future__ import annotations

import shutil

import pytest

from metrics.ingestion import parse_file
from metrics.ingestion.errors import UnsupportedFileError
from metrics.ingestion.readers import FileType, Limits, open_file, sniff

from .helpers import write_ole2


@pytest.mark.parametrize(("path", "file_type"), [
    ("douyin/作品列表_另存.CSV", FileType.XLSX),  # Douyin saves xlsx with a .CSV name
    ("douyin/作品列表_2026-06-05.xlsx", FileType.XLSX),
    ("wechat_oa/user_analysis.xls", FileType.HTML),  # an HTML table named .xls
    ("wechat_oa/tendency_1780787939_1783293539.xls", FileType.XLS),  # BIFF8 in OLE2
    ("wechat_oa/关键数据_2026-08-08_2026-09-06.csv", FileType.CSV),
    ("wechat_channels/视频号动态数据明细.csv", FileType.CSV),
])
def test_type_comes_from_the_bytes(fixtures, path, file_type):
    assert sniff(fixtures / path) == file_type


def test_extension_is_ignored(fixtures, tmp_path):
    fake = tmp_path / "export.txt"
    shutil.copy(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls", fake)
    parsed = parse_file(fake)
    assert parsed.file_type == FileType.XLS
    assert [s.key for s in parsed.sections][:1] == ["wechat_oa.tendency_reads"]


@pytest.mark.parametrize(("path", "encoding"), [
    ("wechat_channels/视频号动态数据明细.csv", "utf-8-sig"),  # Channels: UTF-8 with BOM
    ("bilibili/近期稿件对比__zbqingtianyun_1865b76b.csv", "utf-8"),
    ("wechat_oa/total_1774668963_1777260963.csv", "gb18030"),  # GBK bytes
    ("douyin/千川_素材分日报表.csv", "gb18030"),
    ("wechat_oa/user_analysis.xls", "utf-8"),
])
def test_encoding_is_reported(fixtures, path, encoding):
    assert parse_file(fixtures / path).encoding == encoding


def test_gbk_text_decodes(fixtures):
    section = parse_file(fixtures / "douyin" / "千川_素材分日报表.csv").sections[0]
    assert section.read().frame["title"].tolist()[0] == "夏日连衣裙_口播01"


def test_utf16_text_export(tmp_path, fixtures):
    src = (fixtures / "bilibili" / "历史累计数据趋势.csv").read_text("utf-8-sig").replace(",", "\t")
    path = tmp_path / "trend.txt"
    path.write_text(src, encoding="utf-16")
    parsed = parse_file(path)
    assert parsed.encoding == "utf-16"
    assert parsed.sections[0].read().frame["views"].tolist() == [1203, 980, 1544]


def test_header_below_notice_row(fixtures):
    section = parse_file(fixtures / "xiaohongshu" / "笔记列表明细表__AIDiscovery007-savethat.xlsx").sections[0]
    assert section.header_row == 2
    assert section.title == "最多导出排序后前1000条笔记"
    assert section.read().frame["row"].iloc[0] == 3


def test_header_below_intro_line_in_csv(fixtures):
    section = parse_file(fixtures / "wechat_oa" / "total_1774668963_1777260963.csv").sections[0]
    assert (section.key, section.header_row) == ("wechat_oa.article_list", 2)


def test_blank_leading_column_and_row_keep_positions(fixtures):
    raw = open_file(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls")
    head = raw.tables[0].head
    assert all(v in ("", None) for v in head[0])  # row 1 empty
    assert head[2][:4] == ["", "日期", "渠道", "阅读人数"]  # column A empty


def test_csv_streams_in_chunks(fixtures):
    section = parse_file(fixtures / "wechat_oa" / "关键数据_2026-08-08_2026-09-06.csv", chunk_rows=10).sections[0]
    chunks = list(section.chunks())
    assert [len(c.frame) for c in chunks] == [10, 10, 7]
    assert chunks[1].frame["row"].iloc[0] == 12  # file rows keep counting across chunks
    again = list(section.chunks())  # a section can be read twice
    assert sum(len(c.frame) for c in again) == 27


def test_xlsx_streams_in_chunks(fixtures):
    section = parse_file(fixtures / "douyin" / "derived" / "daily_data__cwjcw-xhs_douyin_content.xlsx",
                         chunk_rows=100).sections[0]
    sizes = [len(c.frame) for c in section.chunks()]
    assert sizes[0] == 100 and sum(sizes) == 781 and section.total_rows == 781


def test_other_ole2_documents_are_refused(tmp_path):
    path = write_ole2(tmp_path / "report.xls", "WordDocument")
    with pytest.raises(UnsupportedFileError, match="not an Excel workbook"):
        parse_file(path)


def test_binary_and_pdf_are_refused(tmp_path):
    pdf = tmp_path / "a.csv"
    pdf.write_bytes(b"%PDF-1.7\n...")
    with pytest.raises(UnsupportedFileError, match="PDF"):
        parse_file(pdf)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(UnsupportedFileError, match="binary"):
        parse_file(binary)


def test_calamine_failure_falls_back(fixtures, monkeypatch):
    """xlrd reads BIFF8 and openpyxl reads xlsx when calamine refuses a file."""
    import python_calamine

    def boom(*args, **kwargs):
        raise python_calamine.CalamineError("simulated")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", boom)
    xls = parse_file(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls")
    assert xls.section("wechat_oa.tendency_reads").read().frame["reach"].tolist() == [6451, 13704]
    xlsx = parse_file(fixtures / "xiaohongshu" / "笔记列表明细表__AIDiscovery007-savethat.xlsx")
    assert xlsx.sections[0].read().frame["views"].iloc[0] == 237


def test_limits_are_a_frozen_value():
    assert Limits().max_bytes == 100 * 1024 * 1024 and Limits().max_rows == 2_000_000
