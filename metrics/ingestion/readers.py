"""File readers: bytes -> real file type -> raw tables of cell values, streamed in chunks where it matters.

The type comes from the bytes, never from the extension: Douyin saves xlsx as ``.CSV``, WeChat's
``user_analysis.xls`` is an HTML table, WeChat's tendency and article-detail files are BIFF8 ``.xls``, and an
encrypted xlsx is an OLE2 container like an ``.xls``. Every limit is checked before the heavy work (a zip bomb
or an entity-expansion bomb is rejected from its metadata and a bounded streaming scan, never by opening it).
Formulas are read as the value the spreadsheet cached; nothing is evaluated.

Workbooks are read by calamine (python-calamine, Rust): only after ``check_xlsx`` has vetted the zip (entry count,
unpacked size, compression ratio, lying headers, ``<!DOCTYPE``/``<!ENTITY``). Calamine loads a sheet whole, so a
sheet whose XML unpacks past ``SLICE_PART_BYTES`` is fed to it in slices of rows (``_SlicedSheet``), parsed in a
background thread while the import works on the previous slice; memory stays bounded whatever the row count. Such
a part is vetted by the slicer's own inflate pass, chunk by chunk before calamine sees it (``check_xlsx`` reads
only its head), and whole before anything else may read it (``XlsxCheck.check_rest``). A workbook calamine
refuses goes to openpyxl in read-only mode, which parses with defusedxml when it is installed (it is a
dependency); a password-protected one is refused with its own message.
"""

from __future__ import annotations

import codecs
import csv
import html.parser
import io
import itertools
import mmap
import os
import posixpath
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .background import in_background
from .errors import (
    CorruptFileError,
    FileLimitError,
    IngestError,
    PasswordProtectedError,
    UnsafeFileError,
    UnsupportedFileError,
    tr,
)

HEAD_ROWS = 30  # rows scanned for the header row; notice rows and block titles sit above it
_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Safety limits; every one is checked before the expensive step it protects."""

    max_bytes: int = 100 * _MB
    max_rows: int = 2_000_000
    max_zip_entries: int = 10_000
    max_unpacked_bytes: int = 1024 * _MB
    max_compression_ratio: float = 200.0
    ratio_min_entry_bytes: int = 1 * _MB  # small parts compress extremely well (empty styles) and are harmless
    max_sheets: int = 256


class FileType(StrEnum):
    XLSX = "xlsx"
    XLS = "xls"
    HTML = "html"
    CSV = "csv"


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"


# ---------------------------------------------------------------------------------------------------- tables

RowSource = Callable[[], Iterator[list[Any]]]


@dataclass
class Table:
    """One sheet (or CSV, or HTML table). Rows keep their absolute positions: row 0 is the file's row 1 and
    column 0 is column A, so leading blank rows/columns are kept and row numbers match what users see."""

    name: str
    head: list[list[Any]]
    n_rows: int | None  # all rows incl. header and blanks, when known without reading the table
    _rows: RowSource | None = field(default=None, repr=False)
    _frames: Callable[..., Iterator[tuple[np.ndarray, pd.DataFrame]]] | None = field(default=None, repr=False)
    limits: Limits = field(default_factory=Limits, repr=False)

    def iter_rows(self) -> Iterator[list[Any]]:
        """Every row as a list (for the small layouts that need the whole table: blocks, key/value)."""
        assert self._rows is not None  # noqa: S101 - every reader provides rows
        yield from self._rows()

    def frames(self, start: int, chunk_rows: int, width: int | None = None,
               numeric: frozenset[int] = frozenset()) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
        """Rows from ``start`` (0-based) on, as DataFrames with integer column labels 0..width-1; yields
        (1-based row numbers, frame). Raises FileLimitError past ``limits.max_rows``.

        ``numeric``: columns the caller will parse as numbers. A CSV reader lets pandas' C parser convert those
        itself (a column holding any decorated cell, ``12%`` or ``--``, comes back as text for our parser);
        every other column is read as text, so ids and dates are never guessed at.
        """
        width = width if width is not None else max((len(r) for r in self.head), default=0)
        if self._frames is not None:
            yield from self._frames(start, chunk_rows, width, numeric)
            return
        yield from _frames_from_rows(self._rows(), start, chunk_rows, width, self.limits)


def _frames_from_rows(rows: Iterator[list[Any]], start: int, chunk_rows: int, width: int,
                      limits: Limits) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    batch: list[list[Any]] = []
    first = start
    for i, row in enumerate(rows):
        if i < start:
            continue
        if i >= limits.max_rows:
            raise _too_many_rows(limits)
        row = list(row[:width]) + [None] * (width - len(row))
        batch.append(row)
        if len(batch) >= chunk_rows:
            yield np.arange(first + 1, first + 1 + len(batch)), pd.DataFrame(batch, columns=range(width), dtype=object)
            first += len(batch)
            batch = []
    if batch:
        yield np.arange(first + 1, first + 1 + len(batch)), pd.DataFrame(batch, columns=range(width), dtype=object)


def _too_many_rows(limits: Limits) -> FileLimitError:
    return FileLimitError(tr("The file has more than {n:,} rows; split it or raise the row limit.").format(
        n=limits.max_rows), code="too_many_rows")


def memory_table(name: str, rows: list[list[Any]], limits: Limits) -> Table:
    return Table(name=name, head=[list(r) for r in rows[:HEAD_ROWS]], n_rows=len(rows), _rows=lambda: iter(rows),
                 limits=limits)


@dataclass
class RawFile:
    path: Path
    file_type: FileType
    encoding: str | None
    tables: list[Table]
    sheet_names: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------------- sniff

def sniff(path: str | os.PathLike[str], limits: Limits | None = None) -> FileType:
    """The real type of a file from its first bytes (and, for OLE2, its directory)."""
    limits = limits or Limits()
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise FileLimitError(tr("The file is {size:.1f} MB; the limit is {limit:.0f} MB.").format(
            size=size / _MB, limit=limits.max_bytes / _MB), code="too_large")
    if size == 0:
        raise UnsupportedFileError(tr("The file is empty."), code="empty")
    with path.open("rb") as fh:
        head = fh.read(8192)
    if head.startswith(ZIP_MAGIC) or head.startswith(_EMPTY_ZIP_MAGIC):
        return FileType.XLSX  # confirmed (or refused) by the zip check, which reads the directory
    if head.startswith(OLE2_MAGIC):
        _check_ole2(path)
        return FileType.XLS
    if head[:4] in (b"\x09\x08\x10\x00", b"\x09\x04\x06\x00", b"\x09\x02\x06\x00"):
        raise UnsupportedFileError(tr("This is a pre-1997 Excel file (BIFF2–5); save it as .xlsx and upload again."),
                                   code="old_excel")
    if head.startswith(b"%PDF"):
        raise UnsupportedFileError(tr("This is a PDF, not a spreadsheet; download the Excel/CSV export instead."),
                                   code="pdf")
    if _looks_like_html(head):
        return FileType.HTML
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnsupportedFileError(tr("This is a binary file, not a spreadsheet or CSV."), code="binary")
    return FileType.CSV


def _looks_like_html(head: bytes) -> bool:
    for bom in (codecs.BOM_UTF8,):
        if head.startswith(bom):
            head = head[len(bom):]
    text = head.lstrip()[:512].lower()
    if text.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head", b"<body", b"<style")):
        return True
    # Excel's "web page" save starts with an XML declaration or an MS-Office namespace before <html>.
    return text.startswith((b"<?xml", b"<!--")) and b"<html" in head[:4096].lower()


def _check_ole2(path: Path) -> None:
    """Refuse encrypted xlsx (an OLE2 box with EncryptionInfo/EncryptedPackage) and non-Excel OLE2 files."""
    from xlrd.compdoc import CompDoc, CompDocError

    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mem:
        try:
            names = {d.name for d in CompDoc(mem, logfile=io.StringIO()).dirlist}
        except (CompDocError, struct.error, IndexError, ValueError) as exc:
            raise CorruptFileError(tr("The .xls file is damaged (its OLE2 directory cannot be read)."),
                                   code="corrupt") from exc
        if {"EncryptionInfo", "EncryptedPackage"} & names:
            raise PasswordProtectedError(tr("This is a password-protected workbook; remove the password in Excel "
                                            "(File → Info → Protect Workbook) and upload it again."))
        if not {"Workbook", "Book"} & names:
            raise UnsupportedFileError(tr("This Office file is not an Excel workbook (no workbook stream)."),
                                       code="not_excel")


# ------------------------------------------------------------------------------------------------- xlsx safety

_BOMB_PATTERNS = tuple(re.compile(p) for p in (
    rb"<!(?i:doctype|entity)",
    re.escape("<!DOCTYPE".encode("utf-16-le")), re.escape("<!ENTITY".encode("utf-16-le")),
    re.escape("<!DOCTYPE".encode("utf-16-be")), re.escape("<!ENTITY".encode("utf-16-be")),
))
_DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"\$?[A-Z]{1,3}\$?(\d+)(?::\$?[A-Z]{1,3}\$?(\d+))?\"")


def _zip_bomb(message: str) -> UnsafeFileError:
    return UnsafeFileError(tr("Rejected as a zip bomb: {reason}.").format(reason=message), code="zip_bomb")


_HEAD_BYTES = 4096  # the start of a part kept by its check: the <dimension> of a worksheet is in it


class _PartCheck:
    """The streaming checks of one zip part, fed its inflated chunks in order; raises as soon as the part grows
    past what its header declares (a lying header), the running unpacked total passes
    ``limits.max_unpacked_bytes``, or its XML declares a DTD or entities (``<!DOCTYPE``/``<!ENTITY``: entity
    expansion, external entities; each chunk is scanned with the last 32 bytes of the previous one, so a
    declaration cut in two by a chunk boundary is found too). ``check_xlsx`` runs it on every part; the slicer
    runs it on the large worksheet part it reads, on each chunk before that chunk can reach calamine."""

    def __init__(self, info: zipfile.ZipInfo, limits: Limits, unpacked: int = 0) -> None:
        self.info, self.limits = info, limits
        self.unpacked = unpacked  # bytes unpacked so far, this part's included
        self.size = 0
        self.xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
        self.head = b""
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.unpacked += len(chunk)
        if self.size > self.info.file_size:
            raise _zip_bomb(tr("part {name} is larger than its header declares").format(name=self.info.filename))
        if self.unpacked > self.limits.max_unpacked_bytes:
            raise _zip_bomb(tr("it unpacks to more than {limit:,.0f} MB").format(
                limit=self.limits.max_unpacked_bytes / _MB))
        if not self.xml:
            return
        window = self._tail + chunk
        # markup declarations are rare in spreadsheet XML: fast substring tests first. Every pattern holds a "!",
        # which is found at memory speed, where "<" is everywhere in XML (the "<!" test alone took as long as the
        # inflate itself)
        if b"!" in window and (b"<!" in window or b"<\x00!" in window) and any(
                p.search(window) for p in _BOMB_PATTERNS):
            raise UnsafeFileError(
                tr("Rejected: part {name} declares a DTD or XML entities (<!DOCTYPE>/<!ENTITY>), which no "
                   "spreadsheet needs and an entity-expansion (billion laughs) attack uses.").format(
                    name=self.info.filename), code="xml_bomb")
        self._tail = chunk[-32:]
        if len(self.head) < _HEAD_BYTES:
            self.head += chunk[:_HEAD_BYTES - len(self.head)]


def _check_part(fh: Any, info: zipfile.ZipInfo, limits: Limits, unpacked: int, head_only: bool = False,
                ) -> _PartCheck:
    """Run ``_PartCheck`` over one part: the whole of it, or (``head_only``) just enough for its head."""
    check = _PartCheck(info, limits, unpacked)
    for chunk in _inflate(fh, info, chunk=16 * 1024 if head_only else 256 * 1024):
        check.feed(chunk)
        if head_only and len(check.head) >= _HEAD_BYTES:
            break
    return check


@dataclass
class XlsxCheck:
    """What ``check_xlsx`` found.

    ``sliced``: the sheets (by name) whose worksheet part unpacks past ``SLICE_PART_BYTES`` and is therefore read
    in slices (``_SlicedSheet``); only the head of such a part was inflated by the check, the rest is vetted by
    the slicer's own inflate pass, chunk by chunk before calamine sees it. Anything else that would read such a
    part (calamine loading a sheet whole, openpyxl) must call ``check_rest`` first.
    """

    path: Path
    limits: Limits
    dims: dict[str, int]  # the declared row count of each worksheet part
    sheet_parts: dict[str, str]  # sheet name -> worksheet part (only when some part is large enough to slice)
    sliced: dict[str, zipfile.ZipInfo]
    unpacked: int  # what the parts checked whole unpacked to, plus what each part left to a slicer declares
    rest_checked: bool = False

    def unpacked_besides(self, info: zipfile.ZipInfo) -> int:
        """The running unpacked total a slicer of ``info`` starts from: every other part (a part left to a slicer
        counts as large as it declares, which its own slicer holds it to)."""
        return self.unpacked - info.file_size

    def check_rest(self) -> None:
        """Vet the parts left to the slicers whole, as ``check_xlsx`` vets every other part."""
        if self.rest_checked:
            return
        deferred = {id(i): i for i in self.sliced.values()}.values()
        unpacked = self.unpacked - sum(i.file_size for i in deferred)
        with self.path.open("rb") as fh:
            for info in deferred:
                unpacked = _check_part(fh, info, self.limits, unpacked).unpacked
        self.rest_checked = True


def check_xlsx(path: Path, limits: Limits) -> XlsxCheck:
    """Vet an xlsx before any reader opens it; returns the declared row count of each worksheet part and the
    sheets to read in slices (``XlsxCheck``).

    1. the zip directory: entry count, total unpacked size, per-entry compression ratio, encrypted entries;
    2. a streaming inflate of every part with our own bounded decompressor (``_PartCheck``), stopping as soon as a
       part grows past what it declared (a lying header) or past the totals, and scanning XML for
       ``<!DOCTYPE``/``<!ENTITY`` (entity expansion, external entities). Memory stays at a few chunks whatever
       the file holds. A worksheet part that will be read in slices (past ``SLICE_PART_BYTES``, hundreds of MB
       for a million rows) is inflated here only as far as its head (its ``<dimension>`` and the DTD scan of
       its start): the slicer's single inflate pass runs the same checks on the rest before calamine sees it,
       so the part is not inflated twice and the import starts at once.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptFileError(tr("The workbook is damaged: it starts like an .xlsx (zip) but its directory cannot "
                                  "be read."), code="corrupt") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise _zip_bomb(tr("{n:,} entries in the archive (limit {limit:,})").format(
                n=len(infos), limit=limits.max_zip_entries))
        total = sum(i.file_size for i in infos)
        if total > limits.max_unpacked_bytes:
            raise _zip_bomb(tr("it unpacks to {size:,.0f} MB (limit {limit:,.0f} MB)").format(
                size=total / _MB, limit=limits.max_unpacked_bytes / _MB))
        for info in infos:
            if info.flag_bits & 0x1:
                raise PasswordProtectedError(tr("This workbook's parts are encrypted (password-protected zip)."))
            if info.file_size > limits.ratio_min_entry_bytes and (
                    info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)):
                raise _zip_bomb(tr("part {name} expands {ratio:,.0f} times").format(
                    name=info.filename, ratio=info.file_size / max(info.compress_size, 1)))
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
            if "word/document.xml" in names:
                raise UnsupportedFileError(tr("This is a Word document, not a spreadsheet."), code="not_excel")
            raise UnsupportedFileError(tr("This zip file is not an Excel workbook (no xl/workbook.xml)."),
                                       code="not_excel")
        if "xl/workbook.bin" in names:
            raise UnsupportedFileError(tr("Binary .xlsb workbooks are not supported; save as .xlsx."), code="xlsb")
        # the worksheet parts large enough to be sliced (the entry a name reads: the last of that name) wait until
        # the workbook's own parts, which tell which sheet each is, have been vetted
        large = {i.filename: i for i in infos if i.filename.startswith("xl/worksheets/")}
        large = {id(i): i for i in large.values() if i.file_size > SLICE_PART_BYTES}
        dims: dict[str, int] = {}
        sheet_parts: dict[str, str] = {}
        sliced: dict[str, zipfile.ZipInfo] = {}
        unpacked = 0
        with path.open("rb") as fh:

            def vet(info: zipfile.ZipInfo, head_only: bool = False) -> None:
                nonlocal unpacked
                check = _check_part(fh, info, limits, unpacked, head_only)
                # a part left to its slicer counts as large as it declares (the slicer holds it to that)
                unpacked = check.unpacked + (info.file_size - check.size if head_only else 0)
                if check.xml and info.filename.startswith("xl/worksheets/"):
                    m = _DIMENSION_RE.search(check.head)
                    if m:
                        dims[info.filename] = int(m.group(2) or m.group(1))

            for info in infos:
                if not info.is_dir() and id(info) not in large:
                    vet(info)
            if large:
                try:
                    sheet_parts = _sheet_parts(zf)
                except Exception as exc:  # noqa: BLE001 - no sheet list: no reader could open the workbook
                    raise CorruptFileError(tr("The workbook is damaged or not a real .xlsx ({error}).").format(
                        error=_short(exc)), code="corrupt") from exc
                by_part = {i.filename: i for i in large.values()}
                sliced = {name: by_part[part] for name, part in sheet_parts.items() if part in by_part}
            deferred = {id(i) for i in sliced.values()}
            for info in large.values():
                vet(info, head_only=id(info) in deferred)
        return XlsxCheck(path, limits, dims, sheet_parts, sliced, unpacked)


def _inflate(fh: Any, info: zipfile.ZipInfo, chunk: int = 256 * 1024, out_max: int = 1 * _MB) -> Iterator[bytes]:
    """Inflate one entry from its raw bytes with a bounded output per step (no trust in declared sizes)."""
    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) < 30 or local[:4] != ZIP_MAGIC:
        raise CorruptFileError(tr("The workbook is damaged (bad zip entry {name}).").format(name=info.filename),
                               code="corrupt")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while remaining > 0:
            buf = fh.read(min(chunk, remaining))
            if not buf:
                break
            remaining -= len(buf)
            yield buf
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise UnsupportedFileError(tr("The workbook uses an unusual zip compression ({method}).").format(
            method=info.compress_type), code="corrupt")
    d = zlib.decompressobj(-15)
    try:
        while remaining > 0 and not d.eof:
            buf = fh.read(min(chunk, remaining))
            if not buf:
                break
            remaining -= len(buf)
            out = d.decompress(buf, out_max)
            if out:
                yield out
            while d.unconsumed_tail and not d.eof:
                out = d.decompress(d.unconsumed_tail, out_max)
                if out:
                    yield out
        rest = d.flush()
        if rest:
            yield rest
    except zlib.error as exc:
        raise CorruptFileError(tr("The workbook is damaged (part {name} does not decompress).").format(
            name=info.filename), code="corrupt") from exc


# ------------------------------------------------------------------------------------------------------ readers

def open_file(path: str | os.PathLike[str], limits: Limits | None = None) -> RawFile:
    """Sniff, vet and open a file; returns its tables (rows not read yet where they can be streamed)."""
    limits = limits or Limits()
    path = Path(path)
    kind = sniff(path, limits)
    if kind == FileType.XLSX:
        return _open_xlsx(path, limits)
    if kind == FileType.XLS:
        return _open_xls(path, limits)
    if kind == FileType.HTML:
        return _open_html(path, limits)
    return _open_csv(path, limits)


def _calamine_tables(path: Path, limits: Limits, check: XlsxCheck | None = None,
                     ) -> tuple[list[Table], list[str]]:
    """Every worksheet through calamine. ``check.sliced``: sheets (by name) whose part is too large to load whole;
    they are read in row slices (``_SlicedSheet``) so that memory stays bounded whatever their size."""
    import python_calamine as pc

    sliced = check.sliced if check is not None else {}

    wb = pc.CalamineWorkbook.from_path(str(path))
    names = list(wb.sheet_names)
    if len(names) > limits.max_sheets:
        raise FileLimitError(tr("The workbook has {n} sheets (limit {limit}).").format(n=len(names),
                                                                                   limit=limits.max_sheets))
    tables = []
    total = 0
    for meta in wb.sheets_metadata:
        if str(meta.typ).endswith("ChartSheet"):
            continue
        if meta.name in sliced:
            info = sliced[meta.name]
            big = _SlicedSheet(path, meta.name, info, limits, check.sheet_parts, check.unpacked_besides(info))
            head = list(itertools.islice(big.rows(first_slice=_HEAD_SLICE_BYTES), HEAD_ROWS))
            tables.append(Table(name=meta.name, head=head, n_rows=None, _rows=big.rows, _frames=big.frames,
                                limits=limits))
            continue
        if sliced:
            # calamine finds a sheet's part by its own reading of the relationships, which a crafted workbook can
            # make differ from ours: nothing it loads whole may be a part that only its slicer vets
            check.check_rest()
        sheet = wb.get_sheet_by_name(meta.name)
        end = sheet.end
        n_rows = 0 if end is None else end[0] + 1
        total += n_rows
        if total > limits.max_rows:
            raise _too_many_rows(limits)
        col0 = 0 if sheet.start is None else sheet.start[1]

        def rows(sheet: Any = sheet, col0: int = col0) -> Iterator[list[Any]]:
            pad = [""] * col0
            for r in sheet.iter_rows():  # rows from row 1, columns from the first used column
                yield pad + r if col0 else r

        head = []
        for i, r in enumerate(rows()):
            if i >= HEAD_ROWS:
                break
            head.append(r)
        tables.append(Table(name=meta.name, head=head, n_rows=n_rows, _rows=rows, limits=limits))
    return tables, names


# A worksheet part larger than this (unpacked) is read in slices: calamine loads a sheet whole, at ~1.4 KB per row
# of a 15-column report (a 1 M-row sheet peaked at 1.4 GB), which the 1 GiB budget of a worker cannot hold.
SLICE_PART_BYTES = 48 * _MB
SLICE_BYTES = 12 * _MB  # unpacked sheet XML per slice: ~20 k rows of a 15-column report, ~60 MB while parsed
_HEAD_SLICE_BYTES = 256 * 1024  # the first slice is small: the header scan needs only the top rows
_WORKBOOK_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")
_SHEETDATA_RE = re.compile(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_ROOT_RE = re.compile(rb"<((?:[\w.-]+:)?worksheet)\b")
_ROW_WITH_REF_RE = re.compile(rb"\s*<(?:[\w.-]+:)?row\b[^>]*?\sr=")


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part (``xl/worksheets/sheet1.xml``), from the workbook and its relationships."""
    from defusedxml import ElementTree

    rels = {}
    for el in ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels")).iter():
        if el.tag.endswith("Relationship") and el.get("Id") and el.get("Target"):
            target = el.get("Target")
            rels[el.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts = {}
    for el in ElementTree.fromstring(zf.read("xl/workbook.xml")).iter():
        if el.tag.endswith("}sheet") or el.tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            if rid in rels and el.get("name"):
                parts[el.get("name")] = posixpath.normpath(rels[rid])
    return parts


class _SlicedSheet:
    """A large worksheet read by calamine one slice of rows at a time, in bounded memory.

    The part is inflated in a stream (with the bounded decompressor) and cut after a ``</row>``. ``check_xlsx``
    inflated only the head of this part: each chunk goes through the checks every other part had up front
    (``_PartCheck``: not past its declared size, the running total not past the unpacked limit, no
    ``<!DOCTYPE``/``<!ENTITY``) as it is inflated, before it can be part of a slice, so the part is inflated once
    and calamine is never handed a byte that was not vetted. Each slice becomes a small stored (uncompressed)
    workbook holding the original workbook, styles and shared-strings parts (vetted whole by ``check_xlsx``) and
    the worksheet's own opening (so dates, shared strings and cached formula values read exactly as in the whole
    workbook) with only that slice's rows. Calamine places rows by their ``r`` attribute, so row numbers
    stay absolute; rows without one are numbered on from the previous slice. ``<`` inside cell text is always
    escaped in XML, so a ``</row>`` in the stream is an element boundary.
    """

    def __init__(self, path: Path, name: str, info: zipfile.ZipInfo, limits: Limits, sheet_parts: dict[str, str],
                 unpacked_before: int) -> None:
        """``sheet_parts``: the workbook's sheet name -> part (``_sheet_parts``); ``unpacked_before``: what the
        workbook's other parts unpack to (the running total the unpacked limit is checked on starts there)."""
        self.path, self.name, self.info, self.limits = path, name, info, limits
        self.unpacked_before = unpacked_before
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            keep = [n for n in _WORKBOOK_PARTS if n in names]
            for target in re.findall(r'Target="([^"]+)"', rels):
                part = posixpath.normpath(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
                if part in names and not part.startswith(("xl/worksheets/", "xl/chartsheets/")) and (
                        part.endswith(("styles.xml", "sharedStrings.xml", "theme1.xml"))):
                    keep.append(part)
            self.parts = {n: zf.read(n) for n in keep}
            # the workbook's other sheets are left out of a slice: calamine opens only the one it is asked for
            self.parts.update({n: _EMPTY_SHEET for n in sheet_parts.values() if n in names and n != info.filename})

    def rows(self, first_slice: int | None = None) -> Iterator[list[Any]]:
        """Every row from row 1 on (empty lists for empty rows), as calamine gives them. ``first_slice``: the
        size of the first slice; a small one reads only the top rows, in this thread (the header scan)."""
        for rows in self._slices(first_slice):
            yield from rows

    def frames(self, start: int, chunk_rows: int, width: int,
               numeric: frozenset[int] = frozenset()) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
        """``Table.frames`` built a slice at a time: calamine's rows of a slice share one width, so a frame is
        made from them in one call instead of row by row."""
        frames: list[pd.DataFrame] = []
        held = 0
        done = 0  # rows of the sheet seen so far
        first = start  # the 0-based row of the first held frame
        for rows in self._slices():
            lo, done = done, done + len(rows)
            if done <= start:
                continue
            rows = rows[start - lo:] if lo < start else rows
            widths = set(map(len, rows))
            if len(widths) > 1:  # empty rows of a gap: every row as wide as the widest
                wide = max(widths)
                rows = [r if len(r) == wide else r + [None] * (wide - len(r)) for r in rows]
            frame = pd.DataFrame(rows, dtype=object)
            if frame.shape[1] > width:
                frame = frame.iloc[:, :width]
            frame = frame.reindex(columns=range(width))  # missing columns as NaN, like a short CSV row
            frames.append(frame)
            held += len(frame)
            if held >= chunk_rows:
                merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
                yield np.arange(first + 1, first + 1 + len(merged)), merged
                first += len(merged)
                frames, held = [], 0
        if frames:
            merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            yield np.arange(first + 1, first + 1 + len(merged)), merged

    def _slices(self, first_slice: int | None = None) -> Iterator[list[list[Any]]]:
        """The rows of each slice, at their absolute positions (a gap before a slice comes as empty rows).

        A full read parses the next slice in a background thread while the caller works on this one: calamine
        releases the GIL while it parses, so on two cores the parse and the import's own work overlap. The queue
        holds one slice: memory stays at about three slices whatever the sheet's size."""
        if first_slice is not None:
            items: Iterator[Any] = (self._parse(*body) for body in self._bodies(first_slice))
        else:
            items = self._in_background()
        done = 0
        for has_refs, start, rows in items:
            if not rows:
                continue
            # with ``r`` attributes calamine's positions are the sheet's own; without, they count from this slice
            first = start[0] if has_refs else done + start[0]
            if first < done:
                raise CorruptFileError(tr("The workbook is damaged (sheet {name}: rows out of order).").format(
                    name=self.name), code="corrupt")
            if start[1]:
                pad = [""] * start[1]
                rows = [pad + r for r in rows]
            gap, done = first - done, first + len(rows)
            if done > self.limits.max_rows:
                raise _too_many_rows(self.limits)
            yield [[] for _ in range(gap)] + rows if gap else rows

    def _in_background(self) -> Iterator[tuple[bool, tuple[int, int] | None, list[list[Any]]]]:
        """The slices parsed by calamine in a thread while the caller works on the previous one."""
        return in_background((self._parse(*body) for body in self._bodies(None)), name=f"xlsx-slices-{self.name}")

    def _bodies(self, first_slice: int | None) -> Iterator[tuple[bytes, bytes, bytes]]:
        """(the worksheet's opening up to ``<sheetData>``, one slice of rows, the closing tags), slice by slice.
        Every chunk is checked as it is inflated, before it joins the pending bytes a slice is cut from."""
        pending: list[bytes] = []
        size = 0
        opening: bytes | None = None
        closing = end_tag = b""
        limit = first_slice or SLICE_BYTES
        check = _PartCheck(self.info, self.limits, self.unpacked_before)
        with self.path.open("rb") as fh:
            for chunk in itertools.chain(_inflate(fh, self.info), [None]):
                last = chunk is None
                if not last:
                    check.feed(chunk)  # raises before an oversized or unsafe chunk can reach calamine
                    pending.append(chunk)
                    size += len(chunk)
                if opening is None:
                    buf = b"".join(pending)
                    m = _SHEETDATA_RE.search(buf)
                    if m is None:
                        if size > 4 * _MB or last:
                            raise CorruptFileError(tr("The workbook is damaged (sheet {name} has no data part).")
                                                   .format(name=self.name), code="corrupt")
                        pending = [buf]
                        continue
                    if m.group(2):  # <sheetData/>: no rows
                        return
                    root = _ROOT_RE.search(buf)
                    opening = buf[:m.end()]
                    closing = b"</" + m.group(1) + b"sheetData></" + (root.group(1) if root else b"worksheet") + b">"
                    end_tag = b"</" + m.group(1) + b"row>"
                    pending, size = [buf[m.end():]], len(buf) - m.end()
                if size < limit and not last:
                    continue
                buf = b"".join(pending)
                start = 0
                while len(buf) - start >= limit:  # cut after the first row end past the slice's size
                    cut = buf.find(end_tag, start + limit)
                    if cut < 0:
                        break
                    cut += len(end_tag)
                    yield opening, buf[start:cut], closing
                    start, limit = cut, SLICE_BYTES
                if last:
                    stop = buf.find(closing[:closing.index(b">") + 1], start)
                    body = buf[start:stop] if stop >= 0 else buf[start:]
                    if body.strip():
                        yield opening, body, closing
                    return
                pending, size = [buf[start:]], len(buf) - start

    def _parse(self, opening: bytes, body: bytes, closing: bytes,
               ) -> tuple[bool, tuple[int, int] | None, list[list[Any]]]:
        """Calamine's rows of one slice: (rows carry ``r`` references, first cell's position, rows)."""
        import python_calamine as pc

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            for name, data in self.parts.items():
                zf.writestr(name, data)
            zf.writestr(self.info.filename, opening + body + closing)
        out.seek(0)
        try:
            sheet = pc.CalamineWorkbook.from_filelike(out).get_sheet_by_name(self.name)
            start = sheet.start
            rows = sheet.to_python() if start is not None else []
        except Exception as exc:  # noqa: BLE001 - any calamine error on a vetted part means damaged XML
            raise CorruptFileError(tr("The workbook is damaged (sheet {name}: {error}).").format(
                name=self.name, error=_short(exc)), code="corrupt") from exc
        return bool(_ROW_WITH_REF_RE.match(body)), start, rows


_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


def _open_xlsx(path: Path, limits: Limits) -> RawFile:
    check = check_xlsx(path, limits)
    if sum(check.dims.values()) > limits.max_rows:
        raise _too_many_rows(limits)
    import python_calamine as pc

    try:
        tables, names = _calamine_tables(path, limits, check)
    except IngestError:
        raise
    except pc.PasswordError as exc:
        raise PasswordProtectedError(tr("This is a password-protected workbook.")) from exc
    except Exception as first:  # noqa: BLE001 - calamine refused it: give openpyxl a chance before giving up
        check.check_rest()  # openpyxl reads every part its own way: all of them vetted whole first
        try:
            tables, names = _openpyxl_tables(path, limits)
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise CorruptFileError(tr("The workbook is damaged or not a real .xlsx ({error}).").format(
                error=_short(first)), code="corrupt") from exc
    return RawFile(path, FileType.XLSX, None, tables, names)


def _openpyxl_tables(path: Path, limits: Limits) -> tuple[list[Table], list[str]]:
    import openpyxl

    with warnings.catch_warnings():  # POI-written files lack a default style; openpyxl warns, harmlessly
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)  # data_only: cached formula values
    tables = []
    for ws in wb.worksheets:
        n_rows = ws.max_row or 0

        def rows(ws: Any = ws) -> Iterator[list[Any]]:
            for r in ws.iter_rows(min_row=1, min_col=1, values_only=True):
                yield ["" if v is None else v for v in r]

        head = [r for _, r in zip(range(HEAD_ROWS), rows(), strict=False)]
        tables.append(Table(name=ws.title, head=head, n_rows=n_rows, _rows=rows, limits=limits))
    return tables, list(wb.sheetnames)


def _open_xls(path: Path, limits: Limits) -> RawFile:
    import python_calamine as pc

    try:
        tables, names = _calamine_tables(path, limits)
    except IngestError:
        raise
    except pc.PasswordError as exc:
        raise PasswordProtectedError(tr("This is a password-protected workbook.")) from exc
    except Exception as first:  # noqa: BLE001 - fall back to xlrd, which knows odd BIFF8 writers
        try:
            tables, names = _xlrd_tables(path, limits)
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001
            if "encrypted" in str(exc).lower():
                raise PasswordProtectedError(tr("This is a password-protected workbook.")) from exc
            raise CorruptFileError(tr("The .xls workbook is damaged ({error}).").format(error=_short(first)),
                                   code="corrupt") from exc
    return RawFile(path, FileType.XLS, None, tables, names)


def _xlrd_tables(path: Path, limits: Limits) -> tuple[list[Table], list[str]]:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    tables = []
    total = 0
    for sheet in book.sheets():
        total += sheet.nrows
        if total > limits.max_rows:
            raise _too_many_rows(limits)
        rows = []
        for r in range(sheet.nrows):
            out = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    out.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    out.append("")
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    out.append(None)
                else:
                    out.append(cell.value)
            rows.append(out)
        tables.append(memory_table(sheet.name, rows, limits))
    return tables, book.sheet_names()


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


# ---------------------------------------------------------------------------------------------------------- CSV

ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


def detect_encoding(path: Path) -> str:
    """UTF-8 with BOM, UTF-8, then GB18030 (a superset of GBK/GB2312); UTF-16 when it has a BOM (Excel's
    'Unicode text'). The whole file is validated in blocks, so a GBK byte deep in the file is not missed."""
    with path.open("rb") as fh:
        start = fh.read(4)
    if start.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        decoder = codecs.getincrementaldecoder(enc)(errors="strict")
        try:
            with path.open("rb") as fh:
                while block := fh.read(4 * _MB):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    raise UnsupportedFileError(tr("The file is not text in UTF-8 or GBK/GB18030, so it cannot be read as CSV."),
                               code="encoding")


def _sniff_delimiter(sample: str) -> str:
    line = next((ln for ln in sample.splitlines() if ln.strip()), "")
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _count_lines(path: Path) -> int:
    n = 0
    last = b""
    with path.open("rb") as fh:
        while block := fh.read(4 * _MB):
            n += block.count(b"\n")
            last = block
    return n + (1 if last and not last.endswith(b"\n") else 0)


def _open_csv(path: Path, limits: Limits) -> RawFile:
    encoding = detect_encoding(path)
    # Physical lines bound the records from above: a cheap early refusal of oversized files.
    if _count_lines(path) > limits.max_rows:
        raise _too_many_rows(limits)
    with path.open("r", encoding=encoding, newline="") as fh:
        sample = fh.read(64 * 1024)
    delimiter = _sniff_delimiter(sample)
    csv.field_size_limit(16 * _MB)

    def rows() -> Iterator[list[Any]]:
        with path.open("r", encoding=encoding, newline="") as fh:
            yield from csv.reader(fh, delimiter=delimiter)

    try:
        head = [r for _, r in zip(range(HEAD_ROWS), rows(), strict=False)]
    except csv.Error as exc:
        raise CorruptFileError(tr("The CSV file is malformed ({error}).").format(error=_short(exc)),
                               code="corrupt") from exc

    def frames(start: int, chunk_rows: int, width: int,
               numeric: frozenset[int] = frozenset()) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
        yield from _csv_frames(path, encoding, delimiter, start, chunk_rows, width, limits, rows, numeric)

    table = Table(name=path.stem, head=head, n_rows=None, _rows=rows, _frames=frames, limits=limits)
    return RawFile(path, FileType.CSV, encoding, [table], [path.stem])


def _csv_frames(path: Path, encoding: str, delimiter: str, start: int, chunk_rows: int, width: int,
                limits: Limits, rows: RowSource, numeric: frozenset[int] = frozenset(),
                ) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """pandas' C reader in chunks: text columns as str (no NA guessing beyond the empty cell), numeric columns
    converted by the parser when every cell of the chunk is a plain number (``"8,471"`` included: separators are
    dropped exactly as ``numbers.parse_number`` drops them). Rows wider
    than the header make it fail, in which case the rest is read with the csv module."""
    done = start
    width = max(width, 1)
    dtypes = {i: str for i in range(width) if i not in numeric}
    try:
        reader = pd.read_csv(path, encoding=encoding, sep=delimiter, header=None, skiprows=start,
                             names=range(width), dtype=dtypes, keep_default_na=False, na_values=[""],
                             skip_blank_lines=False, chunksize=chunk_rows, engine="c", quotechar='"',
                             thousands=",", low_memory=False)
        with reader:
            for chunk in reader:
                n = len(chunk)
                if done + n > limits.max_rows:
                    raise _too_many_rows(limits)
                yield np.arange(done + 1, done + 1 + n), chunk
                done += n
        return
    except pd.errors.ParserError:
        pass
    except pd.errors.EmptyDataError:
        return
    yield from _frames_from_rows(rows(), done, chunk_rows, width, limits)


# --------------------------------------------------------------------------------------------------------- HTML

class _TableParser(html.parser.HTMLParser):
    """Cells of every <table>, with colspan padding; enough for Excel-openable HTML exports."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._stack: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._finish_row()
            self._row = []
        elif tag in ("td", "th") and self._stack:
            if self._row is None:
                self._row = []
            self._finish_cell()
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._finish_cell()
        elif tag == "tr":
            self._finish_row()
        elif tag == "table" and self._stack:
            self._finish_row()
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _finish_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._row.extend([""] * (self._span - 1))
        self._cell = None
        self._span = 1

    def _finish_row(self) -> None:
        self._finish_cell()
        if self._row is not None and self._stack:
            self._stack[-1].append(self._row)
        self._row = None


_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)


def _open_html(path: Path, limits: Limits) -> RawFile:
    raw = path.read_bytes()
    encoding = None
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        m = _CHARSET_RE.search(raw[:4096])
        if m:
            try:
                encoding = codecs.lookup(m.group(1).decode("ascii")).name
            except LookupError:
                encoding = None
            if encoding in ("gbk", "gb2312"):
                encoding = "gb18030"
    text = None
    for enc in ([encoding] if encoding else []) + ["utf-8", "gb18030"]:
        try:
            text = raw.decode(enc)
            encoding = enc
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:
        raise UnsupportedFileError(tr("The HTML file is not UTF-8 or GBK text."), code="encoding")
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    if not parser.tables:
        raise UnsupportedFileError(tr("The file is a web page without a table."), code="no_table")
    tables = []
    total = 0
    for i, rows in enumerate(parser.tables, start=1):
        total += len(rows)
        if total > limits.max_rows:
            raise _too_many_rows(limits)
        tables.append(memory_table(f"table{i}", rows, limits))
    return RawFile(path, FileType.HTML, encoding, tables, [t.name for t in tables])
