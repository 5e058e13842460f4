"""Entry point: ``parse_file(path)`` -> ``ParsedFile`` whose sections stream normalised pandas chunks.

A chunk's frame has one row per post/day with: ``row`` (the file row a user sees), the canonical fields present
(``title``, ``published_at``, ``date``...), one float column per catalog metric the level stores as a column
(NaN = missing, never 0), ``extra`` (a dict of every other reported value, or None), and the flags ``floor``
(keys whose value is a floor, e.g. ``10万+``), ``upper_bound`` (``<0.1%``) and ``unsettled``. Blank and total rows
are skipped and counted in ``Section.skipped``; unreadable cells become RowErrors (the cell is missing); rows
without their key fields become RowErrors and are left out.

Big tables stream: a CSV is read by pandas in ``chunk_rows`` pieces with every cell as text, and each column is
parsed vectorised (``numbers.parse_number_series``), so a clean numeric column never builds Python objects per row.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .detect import HeaderMatch, candidate_formats, detect, kv_entries, match_kv
from .errors import RowError, UnknownFormatError, tr
from .formats import (
    CANONICAL_FIELDS,
    DATE_KINDS,
    NUMBER_KINDS,
    Column,
    ReportFormat,
    column_metrics,
    header_percent,
    header_scale,
    norm_header,
)
from .numbers import (
    BEIJING,
    FLOOR,
    MISSING_TOKENS,
    parse_datetime,
    parse_datetime_series,
    parse_number_series,
)
from .readers import FileType, Limits, Table, open_file

DEFAULT_LIMITS = Limits()

TOTAL_MARKERS = frozenset({"合计", "总计", "累计", "汇总", "总和", "total", "sum", "grandtotal"})
"""Cell values that mark a summary row (compared after norm_header: no spaces, no trailing colon)."""

EXTRA_COLUMN_PREFIX = "extra."
"""Prefix of the extra values' columns when a section streams them as columns (``Section.extra_columns``)."""

_KEY_COLUMNS = ("title", "date", "platform_post_id", "material_id", "ad_group", "published_at", "channel")
_FLAG_COLUMNS = ("floor", "upper_bound", "unsettled")


@dataclass
class ParsedChunk:
    frame: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _Plan:
    """One column of a section: where its cells are and what they become."""

    pos: int
    header: str
    column: Column
    duplicate: bool = False  # a second column matching the same target: kept in extra under its header


@dataclass
class _Companion:
    header_row: int  # 0-based
    date_pos: int | None
    end: int | None  # 0-based index of the row that ends the block


@dataclass
class Section:
    """One table of a file, in one known format. ``chunks()`` can be iterated again (the file is re-read)."""

    format: ReportFormat
    table_name: str
    header_row: int  # 1-based row of the header (first label row for key/value sheets)
    total_rows: int | None  # data rows below the header when known without reading them
    ignored_columns: list[str]
    columns: dict[str, str]  # header as in the file -> target
    title: str | None = None  # block title above the header, e.g. 数据趋势概况(2026.06.07-2026.07.06)
    period: tuple[dt.date, dt.date] | None = None  # from the block title
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> rows, filled while chunks() runs
    # Set by a consumer that takes the extra values as columns (``extra.<key>``, NaN/None = missing) instead of a
    # dict per row: the PostgreSQL loader builds the JSON in the database, so a million rows never become dicts.
    # Streamed tables honour it; whole-table reads (pivots, sectioned sheets) always give dicts.
    extra_columns: bool = False
    _reader: Any = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return self.format.key

    def chunks(self) -> Iterator[ParsedChunk]:
        self.skipped = Counter()
        yield from self._reader(self)

    def read(self) -> ParsedChunk:
        """The whole section in one chunk (small files, tests)."""
        frames, errors = [], []
        for chunk in self.chunks():
            frames.append(chunk.frame)
            errors.extend(chunk.errors)
        frames = [f for f in frames if len(f)] or frames[:1]
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else (frames[0] if frames else pd.DataFrame())
        return ParsedChunk(frame, errors)


@dataclass
class ParsedFile:
    path: Path
    filename: str
    file_type: FileType
    encoding: str | None  # CSV/HTML text encoding used (utf-8-sig, utf-8, gb18030); None for workbooks
    sections: list[Section]
    collected_at: dt.datetime | None  # from the file name when it carries a time (Beijing time)
    unmatched_tables: list[str] = field(default_factory=list)  # sheets that matched no format (not read)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.format.key == key or s.format.kind == key:
                return s
        raise KeyError(key)


# ----------------------------------------------------------------------------------------------- file names

_UNIX_PAIR_RE = re.compile(r"(?:^|[_\-\s])(\d{10})[_\-](\d{10})(?:\D|$)")
_UNIX_ONE_RE = re.compile(r"_(\d{10})(?:\D|$)")
_DATE_PAIR_RE = re.compile(r"(\d{4}-?\d{2}-?\d{2})\s*(?:_|至|到|~|～|-{1,2})\s*(\d{4}-?\d{2}-?\d{2})")


def collected_at_from_filename(name: str | os.PathLike[str] | None) -> dt.datetime | None:
    """When a download was made, from its name (Beijing time):

    - ``tendency_<start>_<end>.xls`` / ``total_<ts>_<ts>.csv``: the end unix time (the download moment);
    - ``热门文章数据_<unix>.csv`` (and other ``_<unix>`` names): that unix time;
    - ``关键数据_<start>_<end>.csv``, ``每日收入明细<start>至<end>.csv``: the end date (00:00; a lower bound).
    """
    if not name:
        return None
    stem = Path(str(name)).name
    m = _UNIX_PAIR_RE.search(stem)
    if m:
        return dt.datetime.fromtimestamp(int(m.group(2)), tz=BEIJING)
    m = _DATE_PAIR_RE.search(stem)
    if m:
        end = m.group(2).replace("-", "")
        try:
            return dt.datetime(int(end[:4]), int(end[4:6]), int(end[6:]), tzinfo=BEIJING)
        except ValueError:
            return None
    m = _UNIX_ONE_RE.search(stem)
    if m:
        return dt.datetime.fromtimestamp(int(m.group(1)), tz=BEIJING)
    return None


_PERIOD_RE = re.compile(r"(\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2})\s*[-~至到]\s*(\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2})")


def _period(title: str | None) -> tuple[dt.date, dt.date] | None:
    if not title:
        return None
    m = _PERIOD_RE.search(title)
    if not m:
        return None
    try:
        a, b = (parse_datetime(g.replace(".", "-").replace("/", "-")) for g in m.groups())
    except ValueError:
        return None
    return (a.date(), b.date()) if a and b else None


# ------------------------------------------------------------------------------------------------- entry point

def parse_file(path: str | os.PathLike[str], *, filename: str | None = None, platform: str | None = None,
               kind: str | None = None, mapping: ReportFormat | Mapping[str, str] | None = None,
               chunk_rows: int = 50_000, limits: Limits = DEFAULT_LIMITS) -> ParsedFile:
    """Open, vet and recognise a file; the sections' rows are read when their ``chunks()`` are iterated.

    ``filename``: the name the user uploaded (``path`` may be a temp file): used for the collection time and the
    WeChat article title. ``platform``/``kind`` force the format (kind as ``works`` or ``douyin.works``).
    ``mapping``: a user's saved template (a ReportFormat from ``ReportFormat.from_mapping``, or header -> target
    with ``platform`` given): only it is tried.
    """
    path = Path(path)
    filename = filename or path.name
    if mapping is not None:
        fmt = mapping if isinstance(mapping, ReportFormat) else _adhoc(platform, mapping)
        formats = [fmt]
    else:
        formats = candidate_formats(platform, kind)
    raw = open_file(path, limits)
    try:
        matches, unmatched = detect(raw, formats)
    except UnknownFormatError as exc:
        if kind is not None and exc.closest is None and len(formats) == 1:
            raise UnknownFormatError(
                tr("No header of {label} ({key}) was found; missing: {missing}.").format(
                    label=formats[0].label_zh, key=formats[0].key,
                    missing="、".join(formats[0].required_headers)),
                closest=formats[0], missing=formats[0].required_headers) from exc
        raise
    sections = []
    kv_context: dict[int, dict[str, Any]] = {}
    for m in matches:
        sections.append(_make_section(m, filename, chunk_rows, kv_context))
    return ParsedFile(path, filename, raw.file_type, raw.encoding, sections, collected_at_from_filename(filename),
                      unmatched)


def _adhoc(platform: str | None, mapping: Mapping[str, str]) -> ReportFormat:
    if not platform:
        raise ValueError("a column mapping needs the platform")
    targets = set(mapping.values())
    daily = "date" in targets
    post = bool(targets & {"title", "platform_post_id", "url", "material_id", "ad_group"})
    return ReportFormat.from_mapping(platform, "post" if post else "account", "daily" if daily else "cumulative",
                                     mapping, "column mapping")


def _block_title(table: Table, header_row: int, span: tuple[int, int]) -> str | None:
    if header_row == 0:
        return None
    row = table.head[header_row - 1] if header_row - 1 < len(table.head) else []
    texts = [str(v).strip() for v in row[span[0]:span[1]] if v is not None and str(v).strip()]
    return texts[0] if len(set(texts)) == 1 or len(texts) == 1 else None


def _make_section(m: HeaderMatch, filename: str, chunk_rows: int, ctx: dict[int, dict[str, Any]]) -> Section:
    fmt = m.format
    plan = [_Plan(pos, m.headers.get(pos, c.label), c) for pos, c in sorted(m.columns.items())]
    plan += [_Plan(pos, m.headers[pos], c, True) for pos, c in sorted(m.duplicates.items())]
    plan.sort(key=lambda p: p.pos)
    if fmt.layout == "sheets":
        columns = {s.table.name: s.column.target for s in m.sheets}
        sec = Section(fmt, "+".join(s.table.name for s in m.sheets), m.sheets[0].header_row + 1, None, [], columns,
                      _reader=lambda s: _read_sheets(s, m))
        return sec
    assert m.table is not None  # noqa: S101 - table layouts always have one
    table = m.table
    columns = {p.header: (p.column.target if not p.duplicate else f"extra:{p.header}") for p in plan}
    if fmt.layout == "keyvalue":
        shared = ctx.setdefault(id(table), {})
        sec = Section(fmt, table.name, m.header_row + 1, 1, m.ignored_columns, columns,
                      _reader=lambda s: _read_keyvalue(s, m, filename, shared))
        shared["kv"] = sec
        return sec
    title = _block_title(table, m.header_row, m.span)
    end = None
    if id(table) in ctx:  # a table inside a key/value sheet (the article trend): it ends at its block's end
        end = _block_end(table, m)
        date_pos = next((p.pos for p in plan if p.column.target == "date" and not p.duplicate), None)
        ctx[id(table)].setdefault("companions", []).append(_Companion(m.header_row, date_pos, end))
    total = None
    if table.n_rows is not None:
        total = max((end if end is not None else table.n_rows) - m.header_row - 1, 0)
    sec = Section(fmt, table.name, m.header_row + 1, total, m.ignored_columns, columns, title, _period(title))
    shared = ctx.get(id(table))
    width = max([m.span[1], *(len(r) for r in table.head)])
    sec._reader = lambda s: _read_table(s, table, m, plan, width, chunk_rows, end, shared)
    return sec


def _block_end(table: Table, m: HeaderMatch) -> int | None:
    """Inside a sectioned sheet a table ends at the first blank row or section-title row."""
    for i, row in enumerate(table.iter_rows()):
        if i <= m.header_row:
            continue
        filled = [v for v in row if v is not None and str(v).strip() != ""]
        if len(filled) <= 1:
            return i
    return None


# ------------------------------------------------------------------------------------------------------ readers

def _read_table(sec: Section, table: Table, m: HeaderMatch, plan: list[_Plan], width: int, chunk_rows: int,
                end: int | None, shared: dict[str, Any] | None) -> Iterator[ParsedChunk]:
    fmt = sec.format
    constants: dict[str, Any] = {}
    if shared is not None and "constants" in shared:
        constants = shared["constants"]
    elif shared is not None and "kv" in shared:
        for _ in shared["kv"].chunks():  # the key/value part sets the title the trend rows belong to
            pass
        constants = shared.get("constants", {})
    whole = fmt.pivot is not None or fmt.last_day_unsettled or end is not None
    span_cols = list(range(m.span[0], m.span[1]))
    pieces: list[ParsedChunk] = []
    numeric = frozenset(p.pos for p in plan if p.column.read_as in NUMBER_KINDS)
    for rows, raw in table.frames(m.header_row + 1, chunk_rows if not whole else 10**9, width, numeric):
        if end is not None:
            keep = rows <= end
            rows, raw = rows[keep], raw[keep]
            if not len(rows):
                break
        chunk = _normalise(fmt, plan, raw, rows, span_cols, sec.skipped, constants, sheet=table.name,
                           extra_columns=sec.extra_columns and not whole)
        if whole:
            pieces.append(chunk)
        else:
            yield chunk
    if whole:
        frame = pd.concat([p.frame for p in pieces], ignore_index=True) if pieces else _empty_frame(fmt)
        errors = [e for p in pieces for e in p.errors]
        if fmt.pivot is not None:
            frame, more = _pivot(frame, fmt, table.name)
            errors += more
        _mark_unsettled(frame, fmt)
        yield ParsedChunk(frame, errors)


def _read_keyvalue(sec: Section, m: HeaderMatch, filename: str, shared: dict[str, Any]) -> Iterator[ParsedChunk]:
    fmt = sec.format
    table = m.table
    rows = list(table.iter_rows())
    stop = len(rows)
    for comp in shared.get("companions", []):
        stop = min(stop, comp.header_row)
    full = match_kv(fmt, table, rows[:stop])
    entries = {r: (label, vcol) for r, _, label, vcol in kv_entries(rows, 0, stop)}
    plan = []
    values: list[Any] = []
    cell_rows: list[int] = []
    for k, (r, column) in enumerate(sorted(full.columns.items())):
        label, vcol = entries[r]
        plan.append(_Plan(k, label, column))
        values.append(rows[r][vcol])
        cell_rows.append(r + 1)
    for r, column in sorted(full.duplicates.items()):
        label, vcol = entries[r]
        plan.append(_Plan(len(values), label, column, True))
        values.append(rows[r][vcol])
        cell_rows.append(r + 1)
    sec.ignored_columns = [label for r, (label, _) in sorted(entries.items())
                           if r not in full.columns and r not in full.duplicates]
    sec.columns = {p.header: p.column.target for p in plan}
    constants: dict[str, Any] = {}
    if fmt.level == "post":
        first = next(([str(v).strip() for v in row if str(v).strip()] for row in rows if any(
            str(v).strip() for v in row)), [])
        title = first[0] if len(first) == 1 else None
        if not title:
            fm = re.search(r"数据明细[（(](.+)[）)]", filename or "")
            title = fm.group(1) if fm else None
        if title and not any(p.column.target == "title" for p in plan):
            constants["title"] = title
        dates = _companion_dates(shared, rows)
        if dates is not None and not any(p.column.target == "published_at" for p in plan):
            constants["published_at"] = dates
    # the trend rows of the same sheet belong to this post
    shared["constants"] = {k: v for k, v in constants.items() if k in ("title", "published_at")}
    raw = pd.DataFrame([values], columns=range(len(values)), dtype=object)
    chunk = _normalise(fmt, plan, raw, np.array([m.header_row + 1]), list(range(len(values))), sec.skipped,
                       constants, cell_rows={p.pos: np.array([cell_rows[p.pos]]) for p in plan}, sheet=table.name)
    yield chunk


def _companion_dates(shared: dict[str, Any], rows: list[list[Any]]) -> Any:
    """Earliest date of the companion trend table (WeChat's article detail has no publish date)."""
    out = None
    for comp in shared.get("companions", []):
        if comp.date_pos is None:
            continue
        stop = comp.end if comp.end is not None else len(rows)
        vals = [rows[i][comp.date_pos] for i in range(comp.header_row + 1, stop) if comp.date_pos < len(rows[i])]
        parsed = parse_datetime_series(pd.Series(vals, dtype=object), date_only=True).values.dropna()
        if len(parsed) and (out is None or parsed.min() < out):
            out = parsed.min()
    return out


def _read_sheets(sec: Section, m: HeaderMatch) -> Iterator[ParsedChunk]:
    """One trend per sheet (日期 | 数值), merged by date into one account row per day."""
    fmt = sec.format
    errors: list[RowError] = []
    by_date: dict[Any, dict[int, tuple[Any, int]]] = {}
    first_row: dict[Any, int] = {}
    plan = [_Plan(0, "日期", Column("date", ("日期",), "date"))]
    for k, sc in enumerate(m.sheets, start=1):
        # the unit may sit in the sheet name or in the value header (封面点击率(%)): either makes it a percent
        unit_header = next((h for h in (sc.value_header, sc.table.name) if header_percent(h)), None)
        plan.append(_Plan(k, unit_header or sc.table.name, sc.column))
        rows = list(sc.table.iter_rows())[sc.header_row + 1:]
        dates, values, numbers = [], [], []
        for i, row in enumerate(rows, start=sc.header_row + 2):
            d = row[sc.date_col] if sc.date_col < len(row) else None
            v = row[sc.value_col] if sc.value_col < len(row) else None
            if _blank(d) and _blank(v):
                sec.skipped["blank"] += 1
                continue
            if norm_header(d) in TOTAL_MARKERS:
                sec.skipped["total"] += 1
                continue
            dates.append(d)
            values.append(v)
            numbers.append(i)
        parsed = parse_datetime_series(pd.Series(dates, dtype=object), date_only=True)
        for pos, value, reason in parsed.errors:
            errors.append(RowError(numbers[pos], "日期", value, reason, sc.table.name))
        for d, v, rn in zip(parsed.values, values, numbers, strict=True):
            if pd.isna(d):
                if not any(e.row == rn and e.sheet == sc.table.name for e in errors):
                    errors.append(RowError(rn, "日期", None, tr("no date: row left out"), sc.table.name))
                sec.skipped["missing_key"] += 1
                continue
            by_date.setdefault(d, {})[k] = (v, rn)
            first_row.setdefault(d, rn)
    dates_sorted = sorted(by_date)
    n = len(dates_sorted)
    data = {0: pd.Series(dates_sorted, dtype=object)}
    cell_rows = {}
    for k in range(1, len(m.sheets) + 1):
        data[k] = pd.Series([by_date[d].get(k, (None, 0))[0] for d in dates_sorted], dtype=object)
        cell_rows[k] = np.array([by_date[d].get(k, (None, first_row[d]))[1] for d in dates_sorted])
    raw = pd.DataFrame(data)
    rows = np.array([first_row[d] for d in dates_sorted], dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
    chunk = _normalise(fmt, plan, raw, rows, list(range(len(plan))), sec.skipped, {}, cell_rows=cell_rows,
                       sheet=None)
    _mark_unsettled(chunk.frame, fmt)
    yield ParsedChunk(chunk.frame, errors + chunk.errors)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _mark_unsettled(frame: pd.DataFrame, fmt: ReportFormat) -> None:
    if fmt.last_day_unsettled and "date" in frame and len(frame):
        last = frame["date"].max()
        frame["unsettled"] = (frame["date"] == last).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------------- normalise

def _empty_frame(fmt: ReportFormat) -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype=np.int64), "extra": pd.Series(dtype=object),
                         "floor": pd.Series(dtype=object), "upper_bound": pd.Series(dtype=object),
                         "unsettled": pd.Series(dtype=bool)})


def _column_array(series: pd.Series) -> np.ndarray:
    if series.dtype.kind in "fiub":
        return series.to_numpy()
    return series.to_numpy(dtype=object)


def _blank_mask(a: np.ndarray) -> np.ndarray:
    m = pd.isna(a)
    if a.dtype == object:
        with np.errstate(all="ignore"):
            m = m | (a == "")
    return np.asarray(m, dtype=bool)


_TOTAL_VARIANTS = frozenset(v for m in TOTAL_MARKERS for v in (m, m.upper(), m.title(), f"{m}:", f"{m}：",
                                                                  f" {m}", f"{m} "))


def _marker_mask(a: np.ndarray, markers: frozenset[str] = _TOTAL_VARIANTS) -> np.ndarray:
    """Cells equal to a total marker (合计, 总计：...): a hashed lookup, cheap even on a million distinct titles."""
    return np.asarray(pd.Series(a, dtype=object).isin(markers), dtype=bool)


_ID_MISSING = frozenset(MISSING_TOKENS | {t.upper() for t in MISSING_TOKENS} | {"N/A", "NaN", "None", "Null"})


def _other_text(v: Any, kind: str) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, float) and v.is_integer() and kind == "id":
        return str(int(v))
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return str(v).strip() or None


_FACTORIZE_FROM = 2_000  # cells: below this a plain pass is as quick as factorising


def _text_values(a: np.ndarray, kind: str, *, distinct: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Cleaned text per cell (None when missing) and, when a cell spans lines, the full text (else None).

    One pass over the cells (text is the common case and stays cheap); numbers from a workbook become ids
    without a trailing ``.0``.

    A large column of text cells (a CSV's) is factorised first and only its distinct values are cleaned: a daily
    report repeats each title and id on every day's row, so a million cells hold a few thousand distinct texts."""
    if not distinct and len(a) > _FACTORIZE_FROM and pd.api.types.infer_dtype(a, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(a)
        clean, full_u = _text_values(np.asarray(uniques, dtype=object), kind, distinct=True)
        take = np.where(codes >= 0, codes, len(clean))
        arr = np.append(clean, None)[take]
        return arr, (None if full_u is None else np.append(full_u, None)[take])
    if kind == "id":
        out = [((v.strip() or None) if v.strip() not in _ID_MISSING else None) if type(v) is str
               else _other_text(v, kind) for v in a.tolist()]
    else:
        out = [(v.strip() or None) if type(v) is str else _other_text(v, kind) for v in a.tolist()]
    multi = [i for i, v in enumerate(out) if v is not None and "\n" in v]
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    if not multi:
        return arr, None
    full = np.full(len(out), None, dtype=object)
    for i in multi:
        lines = [ln.strip() for ln in arr[i].splitlines() if ln.strip()]
        full[i], arr[i] = arr[i], (lines[0] if lines else None)
    return arr, full


def _map_values(values: np.ndarray, pairs: tuple[tuple[str, str], ...]) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    mapped = []
    for u in uniques:
        n = norm_header(u)
        mapped.append(next((v for needle, v in pairs if norm_header(needle) in n), None))
    arr = np.array(mapped + [None], dtype=object)
    return arr[np.where(codes >= 0, codes, len(mapped))]


def _normalise(fmt: ReportFormat, plan: list[_Plan], raw: pd.DataFrame, rows: np.ndarray, span_cols: list[int],
               skipped: Counter[str], constants: Mapping[str, Any], *, cell_rows: Mapping[int, np.ndarray] | None = None,
               sheet: str | None = None, extra_columns: bool = False) -> ParsedChunk:
    """Raw cells of one chunk -> the normalised frame (see the module docstring); ``extra_columns``: the extra
    values as ``extra.<key>`` columns, ``extra`` itself None (see ``Section.extra_columns``)."""
    errors: list[RowError] = []
    rows = np.asarray(rows, dtype=np.int64)
    # numeric columns the CSV reader already converted stay numpy floats/ints (no Python object per cell)
    cols = {c: _column_array(raw[c]) if c in raw.columns else np.full(len(raw), None, dtype=object)
            for c in set(span_cols) | {p.pos for p in plan}}
    # 1. blank and total rows
    n0 = len(raw)
    keep = np.ones(n0, dtype=bool)
    undecided = np.arange(n0)  # rows not yet seen holding a value; numeric columns first (cheapest test)
    for c in sorted(span_cols, key=lambda c: cols[c].dtype == object):
        if not undecided.size:
            break
        undecided = undecided[_blank_mask(cols[c][undecided])]
    keep[undecided] = False
    blank = int(undecided.size)
    if blank:
        skipped["blank"] += blank
    pivot_by = fmt.pivot.by if fmt.pivot else None
    check = [p.pos for p in plan if p.column.target in _KEY_COLUMNS and p.column.target != pivot_by]
    if span_cols and span_cols[0] not in check and not any(
            p.pos == span_cols[0] and p.column.target == pivot_by for p in plan):
        check.append(span_cols[0])
    total = np.zeros(n0, dtype=bool)
    for c in check:
        total |= _marker_mask(cols[c])
    total &= keep
    if total.any():
        skipped["total"] += int(total.sum())
        keep &= ~total
    if not keep.all():
        idx = np.flatnonzero(keep)
        rows = rows[idx]
        cols = {c: a[idx] for c, a in cols.items()}
        if cell_rows is not None:
            cell_rows = {c: a[idx] for c, a in cell_rows.items()}
    n = len(rows)

    metric_keys = set(column_metrics(fmt.level))
    canonical: dict[str, Any] = {}
    metrics: dict[str, np.ndarray] = {}
    extra: dict[str, np.ndarray] = {}
    floors: dict[int, list[str]] = {}
    uppers: dict[int, list[str]] = {}

    def where(pos: int, p: _Plan) -> int:
        if cell_rows is not None and p.pos in cell_rows:
            return int(cell_rows[p.pos][pos])
        return int(rows[pos])

    for p in plan:
        a = cols[p.pos]
        column = p.column
        kind = column.read_as
        target = p.header if p.duplicate else column.target
        if kind in NUMBER_KINDS:
            res = parse_number_series(a, kind, percent=header_percent(p.header),
                                      scale=column.scale * header_scale(p.header, kind))
            for pos, value, reason in res.errors:
                errors.append(RowError(where(pos, p), p.header, value, reason, sheet))
            for pos, flag in res.flags.items():
                (floors if flag == FLOOR else uppers).setdefault(pos, []).append(target)
            if target in metric_keys and not p.duplicate:
                metrics[target] = res.values
            else:
                extra[target] = res.values
        elif kind in DATE_KINDS:
            res_d = parse_datetime_series(a, date_only=kind == "date")
            for pos, value, reason in res_d.errors:
                errors.append(RowError(where(pos, p), p.header, value, reason, sheet))
            if target in CANONICAL_FIELDS and not p.duplicate:
                canonical[target] = res_d.values
            else:
                extra[target] = np.array([None if pd.isna(v) else v.isoformat() for v in res_d.values], dtype=object)
        else:
            text, full = _text_values(a, kind)
            if column.values:
                mapped = _map_values(text, column.values)
                if column.keep_raw:
                    extra[column.keep_raw] = text
                text = mapped
            if target in CANONICAL_FIELDS and not p.duplicate:
                canonical[target] = text
                if full is not None and target == "title":
                    extra["full_title"] = full
            else:
                extra[target] = text

    # 2. constants, ids, derived counts
    for name, value in constants.items():
        if name not in canonical or all(v is None for v in canonical[name]):
            if name in ("published_at", "date"):
                canonical[name] = pd.Series([value] * n, dtype=f"datetime64[us, {BEIJING.key}]")
            else:
                canonical[name] = np.array([value] * n, dtype=object)
    if fmt.post_id_from_url and "url" in canonical:
        derived = np.array([fmt.post_id_from_url(u) if u else None for u in canonical["url"]], dtype=object)
        if "platform_post_id" in canonical:
            have = canonical["platform_post_id"]
            canonical["platform_post_id"] = np.where(pd.isna(have), derived, have)
        else:
            canonical["platform_post_id"] = derived
    for source in ("material_id", "ad_group"):
        if source in canonical:
            if "platform_post_id" in canonical:
                have = canonical["platform_post_id"]
                canonical["platform_post_id"] = np.where(pd.isna(have), canonical[source], have)
            else:
                canonical["platform_post_id"] = canonical[source]
    if fmt.content_format is not None or "content_format" in canonical:
        cf = canonical.get("content_format")
        if cf is None:
            canonical["content_format"] = np.full(n, fmt.content_format, dtype=object)
        elif fmt.content_format is not None:
            canonical["content_format"] = np.where(pd.isna(cf), fmt.content_format, cf)
    views = metrics.get("views")
    if views is not None:
        if "completion_rate" in extra and "completions" not in metrics and "completions" in metric_keys:
            metrics["completions"] = np.round(extra["completion_rate"].astype(np.float64) * views)
        if "avg_watch_seconds" in extra and "watch_seconds" not in metrics and "watch_seconds" in metric_keys:
            metrics["watch_seconds"] = extra["avg_watch_seconds"].astype(np.float64) * views
        # a derived count is as bounded as its inputs: 10万+ views, <0.1% completion
        for derived, source in (("completions", "completion_rate"), ("watch_seconds", "avg_watch_seconds")):
            if derived not in metrics:
                continue
            for flags in (floors, uppers):
                for pos, keys in flags.items():
                    if ("views" in keys or source in keys) and not np.isnan(metrics[derived][pos]):
                        keys.append(derived)

    # 3. rows without their key fields are left out
    alternatives = fmt.keys_required
    if alternatives and n:
        ok = np.zeros(n, dtype=bool)
        for alt in alternatives:
            have = np.ones(n, dtype=bool)
            for name in alt:
                v = canonical.get(name)
                have &= np.zeros(n, dtype=bool) if v is None else ~np.asarray(pd.isna(v), dtype=bool)
            ok |= have
        if not ok.all():
            need = tr(" or ").join("+".join(alt) for alt in alternatives)
            for pos in np.flatnonzero(~ok):
                errors.append(RowError(int(rows[pos]), None, None,
                                       tr("row has no {need}: left out").format(need=need), sheet))
            skipped["missing_key"] += int((~ok).sum())
            idx = np.flatnonzero(ok)
            rows = rows[idx]
            canonical = {k: (v.iloc[idx].reset_index(drop=True) if isinstance(v, pd.Series) else v[idx])
                         for k, v in canonical.items()}
            metrics = {k: v[idx] for k, v in metrics.items()}
            extra = {k: v[idx] for k, v in extra.items()}
            remap = {int(old): new for new, old in enumerate(idx)}
            floors = {remap[p]: v for p, v in floors.items() if p in remap}
            uppers = {remap[p]: v for p, v in uppers.items() if p in remap}
            n = len(idx)

    # 4. assemble
    out: dict[str, Any] = {"row": rows}
    for name in CANONICAL_FIELDS:
        if name in canonical:
            v = canonical[name]
            out[name] = v.reset_index(drop=True) if isinstance(v, pd.Series) else v
    for key in sorted(metrics, key=_metric_order):
        out[key] = metrics[key]
    if extra_columns:
        out["extra"] = np.full(n, None, dtype=object)
        for key, values in extra.items():
            out[EXTRA_COLUMN_PREFIX + key] = values
    else:
        out["extra"] = _extra_dicts(extra, n)
    out["floor"] = _flag_array(floors, n)
    out["upper_bound"] = _flag_array(uppers, n)
    out["unsettled"] = np.zeros(n, dtype=bool)
    frame = pd.DataFrame(out)
    errors.sort(key=lambda e: (e.row or 0))
    return ParsedChunk(frame, errors)


def _metric_order(key: str) -> int:
    from metrics import catalog

    keys = list(catalog.CATALOG)
    return keys.index(key) if key in keys else len(keys)


def _flag_array(flags: Mapping[int, list[str]], n: int) -> np.ndarray:
    arr = np.full(n, None, dtype=object)
    for pos, keys in flags.items():
        arr[pos] = tuple(dict.fromkeys(keys))
    return arr


def _extra_dicts(extra: Mapping[str, np.ndarray], n: int) -> list[dict[str, Any] | None]:
    """One dict per row of the values that have no column (missing values left out; None when empty).

    Rows are grouped by which keys they have, so each group is built with plain ``dict(zip(...))``."""
    if not extra or not n:
        return [None] * n
    keys = list(extra)
    arrays = [np.asarray(extra[k], dtype=object) if not isinstance(extra[k], np.ndarray) else extra[k] for k in keys]
    present = np.zeros(n, dtype=np.int64)
    for bit, arr in enumerate(arrays):
        have = ~np.asarray(pd.isna(arr), dtype=bool)
        present |= have.astype(np.int64) << bit
    out = np.full(n, None, dtype=object)
    for pattern in np.unique(present):
        if pattern == 0:
            continue
        idx = np.flatnonzero(present == pattern)
        ks = [k for bit, k in enumerate(keys) if pattern >> bit & 1]
        cols = [arrays[bit][idx].tolist() for bit in range(len(keys)) if pattern >> bit & 1]
        built = np.empty(len(idx), dtype=object)
        built[:] = _dict_builder(len(ks))(ks, cols)
        out[idx] = built
    return out.tolist()


@lru_cache(maxsize=64)
def _dict_builder(k: int) -> Callable[[list[str], list[list[Any]]], list[dict[str, Any]]]:
    """``[{k0: v0, k1: v1, ...} for v0, v1, ... in zip(*cols)]`` for k keys: a dict display is about three times
    faster than ``dict(zip(keys, values))``, which matters at a million rows. The source is built from the
    number ``k`` only; keys and values arrive as arguments."""
    if k > 64:
        return lambda keys, cols: [dict(zip(keys, vals, strict=True)) for vals in zip(*cols, strict=True)]
    names = [f"v{i}" for i in range(k)]
    keys = [f"k{i}" for i in range(k)]
    src = (f"def build(keys, cols):\n    {', '.join(keys)}, = keys\n"
           f"    return [{{{', '.join(f'{a}: {b}' for a, b in zip(keys, names, strict=True))}}} "
           f"for {', '.join(names)}, in zip(*cols)]\n")
    namespace: dict[str, Any] = {}
    exec(src, namespace)  # noqa: S102 - generated from an integer; no file data reaches the source
    return namespace["build"]


# ------------------------------------------------------------------------------------------------------- pivot

def _pivot(frame: pd.DataFrame, fmt: ReportFormat, sheet: str | None) -> tuple[pd.DataFrame, list[RowError]]:
    """Day × channel (or article × channel) rows -> one row per day/article: the total row's values, and the
    channel rows in ``extra["<metric>_by_channel"]`` (never summed: channels overlap and the total is given)."""
    pivot = fmt.pivot
    assert pivot is not None  # noqa: S101
    errors: list[RowError] = []
    if not len(frame):
        return frame.drop(columns=[pivot.by], errors="ignore"), errors
    totals = {norm_header(t) for t in pivot.totals}
    value_cols = [c for c in frame.columns if c not in ("row", "extra", *_FLAG_COLUMNS, *CANONICAL_FIELDS)]
    records = frame.to_dict("records")
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    order: list[tuple[Any, ...]] = []
    for rec in records:
        channel = rec.get(pivot.by)
        if channel is None:
            errors.append(RowError(rec["row"], pivot.by, None, tr("no channel: row left out"), sheet))
            continue
        key = tuple(None if pd.isna(rec.get(k)) else rec.get(k) for k in pivot.keys)
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"total": None, "first": rec, "split": {}}
            order.append(key)
        if norm_header(channel) in totals:
            g["total"] = rec
        else:
            g["split"][channel] = rec
    out = []
    for key in order:
        g = groups[key]
        base = dict(g["total"] or g["first"])
        if g["total"] is None:
            for c in value_cols:
                base[c] = np.nan
            base["extra"] = None
            base["floor"] = base["upper_bound"] = None
        extra = dict(base.get("extra") or {})
        for channel, rec in g["split"].items():
            for c in value_cols:
                v = rec.get(c)
                if v is not None and v == v:
                    extra.setdefault(f"{c}_by_{pivot.by}", {})[channel] = v
            for k, v in (rec.get("extra") or {}).items():
                if isinstance(v, (int, float)) and v == v:
                    extra.setdefault(f"{k}_by_{pivot.by}", {})[channel] = v
        base["extra"] = extra or None
        out.append(base)
    result = pd.DataFrame(out, columns=[c for c in frame.columns if c != pivot.by])
    for c in value_cols:
        result[c] = result[c].astype(np.float64)
    for c in ("date", "published_at"):
        if c in frame.columns:
            result[c] = pd.Series(result[c], dtype=frame[c].dtype)
    result["unsettled"] = result["unsettled"].astype(bool)
    return result, errors


__all__ = ["DEFAULT_LIMITS", "EXTRA_COLUMN_PREFIX", "ParsedChunk", "ParsedFile", "Section", "collected_at_from_filename", "parse_file"]
