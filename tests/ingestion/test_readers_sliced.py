"""Large worksheets are read by calamine in row slices: the same rows as a whole-sheet read, in bounded pieces."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from metrics.ingestion import parse_file, readers
from metrics.ingestion.errors import CorruptFileError, FileLimitError
from metrics.ingestion.readers import Limits, open_file

from .helpers import sheet_xml, write_xlsx

HEADER = ["时间", "播放量", "硬币", "点赞"]


def _rows(n: int) -> list[list[object]]:
    rows = [HEADER]
    for i in range(n):
        likes = ("=", f"B{i + 2}*2", i * 2) if i % 7 == 0 else i * 3
        rows.append([f"2026-06-{1 + i % 28:02d}", i * 10 + 0.5, f"硬币 & <{i}>", likes])
    return rows


def _all_rows(path, sliced: bool, monkeypatch, slice_bytes: int = 4096) -> list[list[object]]:
    with monkeypatch.context() as m:
        m.setattr(readers, "SLICE_PART_BYTES", 1 if sliced else 1 << 40)
        m.setattr(readers, "SLICE_BYTES", slice_bytes)
        m.setattr(readers, "_HEAD_SLICE_BYTES", 1024)
        raw = open_file(path)
        return [list(r) for r in raw.tables[0].iter_rows()], raw.tables[0].head


def _trimmed(rows):
    """Rows without trailing blanks (a whole-sheet read pads every row to the sheet's width)."""
    out = []
    for r in rows:
        r = list(r)
        while r and r[-1] in ("", None):
            r.pop()
        out.append(r)
    while out and not out[-1]:
        out.pop()
    return out


def test_sliced_rows_equal_whole_sheet_rows(tmp_path, monkeypatch):
    rows = _rows(600)
    rows.insert(300, [None, None, None, None])  # an empty row keeps its place
    path = write_xlsx(tmp_path / "big.xlsx", sheet_xml(rows))
    whole, whole_head = _all_rows(path, False, monkeypatch)
    sliced, sliced_head = _all_rows(path, True, monkeypatch)
    assert _trimmed(sliced) == _trimmed(whole)
    assert _trimmed(sliced_head) == _trimmed(whole_head)
    assert sliced[0][:2] == ["时间", "播放量"]
    assert sliced[600][:3] == ["2026-06-11", 5980.5, "硬币 & <598>"]  # file row 601: data row 599 below the gap


def test_slices_are_bounded(tmp_path, monkeypatch):
    """Calamine is never handed more than one slice of the sheet (plus one row), however long the sheet."""
    path = write_xlsx(tmp_path / "big.xlsx", sheet_xml(_rows(2000)))
    seen = []
    original = readers._SlicedSheet._parse

    def spy(self, opening, body, closing):
        seen.append(len(body))
        return original(self, opening, body, closing)

    monkeypatch.setattr(readers._SlicedSheet, "_parse", spy)
    rows, _ = _all_rows(path, True, monkeypatch, slice_bytes=8192)
    assert len(_trimmed(rows)) == 2001
    assert len(seen) > 10
    assert max(seen) < 8192 + 1024


def test_rows_without_references_continue_across_slices(tmp_path, monkeypatch):
    xml = sheet_xml(_rows(500))
    xml = re.sub(r' r="[A-Z]*\d+"', "", xml)  # neither rows nor cells say where they are
    path = write_xlsx(tmp_path / "noref.xlsx", xml)
    whole, _ = _all_rows(path, False, monkeypatch)
    sliced, _ = _all_rows(path, True, monkeypatch)
    assert _trimmed(sliced) == _trimmed(whole)
    assert len(_trimmed(sliced)) == 501


def test_shared_strings_and_dates_read_as_in_the_whole_workbook(tmp_path, monkeypatch):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["发布时间", "笔记标题", "观看量"])
    for i in range(400):
        ws.append([datetime(2026, 1, 1 + i % 28, 8, 30), f"标题 {i % 13}", i])
    path = tmp_path / "openpyxl.xlsx"
    wb.save(path)
    whole, _ = _all_rows(path, False, monkeypatch)
    sliced, _ = _all_rows(path, True, monkeypatch)
    assert _trimmed(sliced) == _trimmed(whole)
    assert sliced[1][:2] == [datetime(2026, 1, 1, 8, 30), "标题 0"]


def test_sliced_sheet_parses_like_the_whole_sheet(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "big.xlsx", sheet_xml(_rows(300)))
    frames = []
    for sliced in (False, True):
        with monkeypatch.context() as m:
            m.setattr(readers, "SLICE_PART_BYTES", 1 if sliced else 1 << 40)
            m.setattr(readers, "SLICE_BYTES", 4096)
            frames.append(parse_file(path, chunk_rows=64).sections[0].read().frame)
    whole, sliced = frames
    assert len(sliced) == 300
    for column in ("row", "views", "likes"):
        assert sliced[column].tolist() == whole[column].tolist()


def test_frames_of_a_sliced_sheet_match_its_rows(tmp_path, monkeypatch):
    """The frame path (what the importer reads) gives the same cells and row numbers as the row path."""
    rows = _rows(700)
    rows.insert(100, [None, None, None, None])
    path = write_xlsx(tmp_path / "big.xlsx", sheet_xml(rows))
    monkeypatch.setattr(readers, "SLICE_PART_BYTES", 1)
    monkeypatch.setattr(readers, "SLICE_BYTES", 4096)
    monkeypatch.setattr(readers, "_HEAD_SLICE_BYTES", 1024)
    table = open_file(path).tables[0]
    expected = [list(r) + [None] * (4 - len(r)) for r in table.iter_rows()][1:]
    numbers, cells = [], []
    for row_numbers, frame in table.frames(1, 250, 4):
        assert len(frame) >= 250 or row_numbers[-1] == 702  # whole chunks but the last
        numbers += row_numbers.tolist()
        cells += [[None if v != v else v for v in r] for r in frame.itertuples(index=False)]
    assert numbers == list(range(2, 703))
    assert [[None if v == "" else v for v in r] for r in cells] == [
        [None if v == "" else v for v in r] for r in expected]


def test_row_limit_holds_while_slices_stream(tmp_path, monkeypatch):
    """A sheet without a (truthful) dimension is stopped at the row limit as its slices arrive."""
    xml = re.sub(r"<dimension [^>]*/>", "", sheet_xml(_rows(600)))
    path = write_xlsx(tmp_path / "long.xlsx", xml)
    monkeypatch.setattr(readers, "SLICE_PART_BYTES", 1)
    monkeypatch.setattr(readers, "SLICE_BYTES", 4096)
    monkeypatch.setattr(readers, "_HEAD_SLICE_BYTES", 1024)
    table = open_file(path, Limits(max_rows=200)).tables[0]
    with pytest.raises(FileLimitError) as caught:
        for _ in table.frames(1, 50, 4):
            pass
    assert caught.value.code == "too_many_rows"


def test_damaged_xml_in_a_later_slice_is_a_clear_error(tmp_path, monkeypatch):
    xml = sheet_xml(_rows(800)).replace('<row r="700">', '<row r="700"><c r="A700"><v>1</v>', 1)
    path = write_xlsx(tmp_path / "broken.xlsx", xml)
    monkeypatch.setattr(readers, "SLICE_PART_BYTES", 1)
    monkeypatch.setattr(readers, "SLICE_BYTES", 4096)
    monkeypatch.setattr(readers, "_HEAD_SLICE_BYTES", 1024)
    table = open_file(path, Limits()).tables[0]  # the top rows are sound: the file opens
    with pytest.raises(CorruptFileError) as caught:
        list(table.iter_rows())
    assert caught.value.code == "corrupt"
    assert "Sheet1" in str(caught.value)
