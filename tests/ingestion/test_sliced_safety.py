"""A worksheet part read in slices is vetted by the slicer's own inflate pass, not up front.

``check_xlsx`` inflates only the head of such a part; the rest is checked chunk by chunk as the slicer inflates it
(the part growing past its declared size, the unpacked total past the limit, ``<!DOCTYPE``/``<!ENTITY``), with the
same errors as the up-front check gives, before the chunk holding the problem can reach calamine. A spy stands in
for calamine and keeps every byte handed to it.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from metrics.ingestion import readers
from metrics.ingestion.errors import UnsafeFileError
from metrics.ingestion.readers import Limits, check_xlsx, open_file

from .helpers import (
    CONTENT_TYPES,
    NS,
    ROOT_RELS,
    sheet_xml,
    write_lying_zip,
    write_xlsx,
)

MB = 1024 * 1024
SHEET_PART = "xl/worksheets/sheet1.xml"


def _rows(n: int) -> list[list[object]]:
    return [["时间", "播放量", "硬币", "点赞"]] + [
        [f"2026-06-{1 + i % 28:02d}", i * 10 + 0.5, f"硬币 {i}", i * 3] for i in range(n)]


def _big_sheet(n: int = 8000) -> bytes:
    """~200 bytes a row: 8,000 rows are ~1.6 MB, far past what check_xlsx inflates of a part's head."""
    return sheet_xml(_rows(n)).encode("utf-8")


class CalamineSpy:
    """Stands in for ``python_calamine.CalamineWorkbook``: keeps the worksheet bytes of every slice workbook
    handed to calamine, and the sheets calamine is asked to load whole from the real file."""

    def __init__(self, real: type) -> None:
        self.real = real
        self.sheets: list[bytes] = []
        self.whole_loads: list[str] = []

    def from_filelike(self, fh):
        data = fh.read()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            self.sheets.append(zf.read(SHEET_PART))
        return self.real.from_filelike(io.BytesIO(data))

    def from_path(self, path):
        book = self.real.from_path(path)  # calamine reads the workbook's own parts here, no worksheet
        spy = self

        class Book:
            sheet_names = book.sheet_names
            sheets_metadata = book.sheets_metadata

            def get_sheet_by_name(self, name):
                spy.whole_loads.append(name)
                return book.get_sheet_by_name(name)

        return Book()


@pytest.fixture
def calamine(monkeypatch):
    import python_calamine as pc

    spy = CalamineSpy(pc.CalamineWorkbook)
    monkeypatch.setattr(pc, "CalamineWorkbook", spy)
    return spy


@pytest.fixture
def sliced(monkeypatch):
    """Every worksheet part is read in slices, of 64 KB (the first one of 1 KB)."""
    monkeypatch.setattr(readers, "SLICE_PART_BYTES", 1)
    monkeypatch.setattr(readers, "SLICE_BYTES", 64 * 1024)
    monkeypatch.setattr(readers, "_HEAD_SLICE_BYTES", 1024)


def _read_all(path, limits: Limits | None = None) -> None:
    table = open_file(path, limits or Limits()).tables[0]
    for _ in table.frames(1, 1000, 4):
        pass


def _end_offsets(xml: bytes, sheets: list[bytes]) -> list[int]:
    """Where in the real part each slice handed to calamine ends (its rows are cut from the part as they are)."""
    opening = xml[:xml.index(b"<sheetData>") + len(b"<sheetData>")]
    ends = []
    for sheet in sheets:
        assert sheet.startswith(opening)
        body = sheet[len(opening):sheet.rindex(b"</sheetData>")]
        ends.append(xml.index(body) + len(body))
    return ends


def test_check_inflates_only_the_head_of_a_part_read_in_slices(tmp_path, monkeypatch, sliced):
    path = write_xlsx(tmp_path / "big.xlsx", _big_sheet())
    inflated = {}
    original = readers._inflate

    def counting(fh, info, *args, **kwargs):
        for chunk in original(fh, info, *args, **kwargs):
            inflated[info.filename] = inflated.get(info.filename, 0) + len(chunk)
            yield chunk

    monkeypatch.setattr(readers, "_inflate", counting)
    check = check_xlsx(path, Limits())
    assert check.dims == {SHEET_PART: 8001}  # the <dimension> is read from the head
    assert list(check.sliced) == ["Sheet1"]
    assert inflated[SHEET_PART] < 256 * 1024  # of ~1.6 MB
    assert inflated["xl/workbook.xml"] == len(zipfile.ZipFile(path).read("xl/workbook.xml"))  # small parts: whole


@pytest.mark.parametrize("declaration", [b"<!DOCTYPE lolz [", b'<!ENTITY lol "lol">'])
def test_a_declaration_late_in_a_sliced_part_is_refused_before_calamine_sees_it(tmp_path, monkeypatch, calamine,
                                                                                 declaration):
    xml = _big_sheet()
    at = xml.index(b'<row r="6000">')
    xml = xml[:at] + declaration + xml[at:]
    path = write_xlsx(tmp_path / "late.xlsx", xml)
    with pytest.raises(UnsafeFileError) as before:  # the part checked whole up front, as when it is not sliced
        open_file(path)
    with monkeypatch.context() as m:
        m.setattr(readers, "SLICE_PART_BYTES", 1)
        m.setattr(readers, "SLICE_BYTES", 64 * 1024)
        m.setattr(readers, "_HEAD_SLICE_BYTES", 1024)
        assert list(check_xlsx(path, Limits()).sliced) == ["Sheet1"]  # the up-front check leaves it to the slicer
        with pytest.raises(UnsafeFileError) as caught:
            _read_all(path)
    assert caught.value.code == before.value.code == "xml_bomb"
    assert str(caught.value) == str(before.value)
    assert "xl/worksheets/sheet1.xml" in str(caught.value)
    assert len(calamine.sheets) > 5  # slices before it were read: the slicer found it, as it streamed
    assert not any(b"<!" in sheet for sheet in calamine.sheets)
    assert max(_end_offsets(xml, calamine.sheets)) <= at
    assert calamine.whole_loads == []


def test_a_declaration_across_two_chunks_is_found(tmp_path, calamine, sliced):
    """A stored part is inflated in 256 KB chunks from its start: a declaration cut in two at a chunk boundary
    is found through the 32 bytes each chunk is scanned with from the one before."""
    xml = _big_sheet()
    boundary = 2 * 256 * 1024
    xml = xml[:boundary - 4] + b"<!DOCTYPE x>" + xml[boundary - 4:]
    path = write_xlsx(tmp_path / "stored.xlsx", xml, sheet_compression=zipfile.ZIP_STORED)
    with pytest.raises(UnsafeFileError) as caught:
        _read_all(path)
    assert caught.value.code == "xml_bomb"
    assert calamine.sheets
    assert not any(b"<!DOC" in sheet for sheet in calamine.sheets)
    assert calamine.whole_loads == []


def test_a_sliced_part_larger_than_declared_is_refused_before_calamine_sees_the_excess(tmp_path, monkeypatch,
                                                                                        calamine):
    xml = _big_sheet()
    declared = 1 * MB  # of ~1.6 MB: the head and the first slices are within it
    path = write_lying_zip(tmp_path / "liar.xlsx", declared=declared, sheet=xml)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(SHEET_PART).file_size == declared
    with pytest.raises(UnsafeFileError) as before:
        open_file(path)
    with monkeypatch.context() as m:
        m.setattr(readers, "SLICE_PART_BYTES", 1)
        m.setattr(readers, "SLICE_BYTES", 64 * 1024)
        m.setattr(readers, "_HEAD_SLICE_BYTES", 1024)
        with pytest.raises(UnsafeFileError) as caught:
            _read_all(path)
    assert caught.value.code == before.value.code == "zip_bomb"
    assert str(caught.value) == str(before.value)
    assert "larger than its header declares" in str(caught.value)
    assert len(calamine.sheets) > 5
    assert max(_end_offsets(xml, calamine.sheets)) <= declared
    assert calamine.whole_loads == []


def test_a_sliced_part_past_the_unpacked_limit_is_refused_before_calamine_sees_the_excess(tmp_path, monkeypatch,
                                                                                          calamine, sliced):
    """The directory's total (checked first) keeps a consistent zip under the limit; the slicer's running total
    is the guard behind it. Here the directory check is let through with the default limits."""
    xml = _big_sheet(15000)  # ~3 MB
    path = write_xlsx(tmp_path / "big.xlsx", xml)
    limit = 2 * MB
    with pytest.raises(UnsafeFileError) as before:
        check_xlsx(path, Limits(max_unpacked_bytes=limit))
    assert before.value.code == "zip_bomb"
    original = readers.check_xlsx
    monkeypatch.setattr(readers, "check_xlsx", lambda path, limits: original(path, Limits()))
    with pytest.raises(UnsafeFileError) as caught:
        _read_all(path, Limits(max_unpacked_bytes=limit))
    assert caught.value.code == "zip_bomb"
    assert "it unpacks to more than 2 MB" in str(caught.value)
    assert len(calamine.sheets) > 5
    others = sum(i.file_size for i in zipfile.ZipFile(path).infolist() if i.filename != SHEET_PART)
    assert max(_end_offsets(xml, calamine.sheets)) <= limit - others
    assert calamine.whole_loads == []


_TWO_SHEETS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook {NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Other" sheetId="1" r:id="rId2"/><sheet name="Big" sheetId="2" r:id="rId1"/></sheets></workbook>"""
_TWO_SHEETS_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="xl/worksheets/sheet1.xml"/>
</Relationships>"""


def test_a_sheet_loaded_whole_never_reads_a_part_left_to_a_slicer(tmp_path, monkeypatch, calamine):
    """Calamine finds a sheet's part through its own reading of the relationships: here "Other", the first sheet,
    names the large part in a spelling calamine takes as that part and we do not. Before calamine loads any sheet
    whole, the parts left to the slicers are vetted whole, so the declaration late in the large part is found
    before calamine loads "Other"."""
    xml = _big_sheet()
    at = xml.index(b'<row r="6000">')
    xml = xml[:at] + b"<!DOCTYPE x>" + xml[at:]
    path = tmp_path / "two.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", _TWO_SHEETS)
        zf.writestr("xl/_rels/workbook.xml.rels", _TWO_SHEETS_RELS)
        zf.writestr(SHEET_PART, xml)
    monkeypatch.setattr(readers, "SLICE_PART_BYTES", 1)
    monkeypatch.setattr(readers, "_HEAD_SLICE_BYTES", 1024)
    assert list(check_xlsx(path, Limits()).sliced) == ["Big"]
    with pytest.raises(UnsafeFileError) as caught:
        open_file(path)
    assert caught.value.code == "xml_bomb"
    assert calamine.whole_loads == []


def test_openpyxl_never_reads_a_part_left_to_a_slicer(tmp_path, monkeypatch, calamine, sliced):
    """When calamine refuses the workbook, openpyxl gets its chance only after the parts left to the slicers
    have been vetted whole."""
    xml = _big_sheet()
    at = xml.index(b'<row r="6000">')
    path = write_xlsx(tmp_path / "late.xlsx", xml[:at] + b"<!DOCTYPE x>" + xml[at:])
    opened = []

    def refuse(path):
        raise RuntimeError("calamine cannot read this workbook")

    monkeypatch.setattr(calamine, "from_path", refuse)
    monkeypatch.setattr(readers, "_openpyxl_tables", lambda path, limits: opened.append(path))
    with pytest.raises(UnsafeFileError) as caught:
        open_file(path)
    assert caught.value.code == "xml_bomb"
    assert opened == []


def test_sliced_reading_with_the_checks_gives_the_same_rows(tmp_path, monkeypatch):
    """The checks moved into the slicer change nothing in what a sound sheet reads as."""
    path = write_xlsx(tmp_path / "big.xlsx", _big_sheet(3000))
    results = []
    for slice_part in (1 << 40, 1):
        with monkeypatch.context() as m:
            m.setattr(readers, "SLICE_PART_BYTES", slice_part)
            m.setattr(readers, "SLICE_BYTES", 64 * 1024)
            table = open_file(path).tables[0]
            results.append([[v for v in r if v not in ("", None)] for r in table.iter_rows()])
    whole, sliced = results
    assert sliced == whole
    assert len(sliced) == 3001
