"""Which export is this? Find the header row (or label column, or trend sheets) that best matches a known format.

Exports put notice rows, block titles and blank columns above or beside their headers, and one WeChat workbook
holds three tables side by side, so every row of the first ``HEAD_ROWS`` is scored, both whole and split into
runs of non-empty cells. Score = required headers present first, then headers matched, then fewer unknown cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from metrics import catalog

from .errors import UnknownFormatError, tr
from .formats import CANONICAL_FIELDS, Column, ReportFormat, norm_header, strip_unit
from .platforms import FORMATS, FORMATS_BY_KEY
from .readers import RawFile, Table


@dataclass
class SheetColumn:
    """Where one trend of a ``sheets`` layout lives."""

    column: Column
    table: Table
    header_row: int
    date_col: int
    value_col: int
    value_header: str


@dataclass
class HeaderMatch:
    format: ReportFormat
    table: Table | None
    header_row: int  # 0-based row index in the table (for keyvalue: the first label row)
    span: tuple[int, int]  # columns [start, end) the section reads
    columns: dict[int, Column]  # position -> column (for keyvalue: row index of the label)
    headers: dict[int, str]  # position -> header text as in the file
    duplicates: dict[int, Column] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    markers_ok: bool = True
    sheets: list[SheetColumn] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.columns)

    @property
    def full(self) -> bool:
        return self.markers_ok and not self.missing and self.matched >= max(self.format.min_matched, 2)

    @property
    def unmatched(self) -> int:
        return sum(1 for i in self.headers if i not in self.columns and i not in self.duplicates)

    @property
    def score(self) -> tuple[Any, ...]:
        n_req = sum(1 for c in self.format.columns if c.required)
        ratio = (n_req - len(self.missing)) / n_req if n_req else 1.0
        return (self.full, ratio, self.matched, -self.unmatched, -self.header_row)

    @property
    def ignored_columns(self) -> list[str]:
        return [h for i, h in sorted(self.headers.items()) if i not in self.columns and i not in self.duplicates]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    return str(value).strip()


@dataclass(frozen=True)
class _Prepared:
    """A format's aliases normalised once: per column (exact aliases, loose aliases), and every key."""

    columns: tuple[tuple[Column, tuple[str, ...], tuple[str, ...], bool], ...]
    keys: frozenset[str]


_PREPARED: dict[int, tuple[ReportFormat, _Prepared]] = {}


def _prepare(fmt: ReportFormat) -> _Prepared:
    hit = _PREPARED.get(id(fmt))  # by identity: hashing a whole format on every call costs more than matching
    if hit is not None and hit[0] is fmt:
        return hit[1]
    if len(_PREPARED) > 1024:
        _PREPARED.clear()
    cols = []
    keys: set[str] = set()
    for c in fmt.columns:
        exact = tuple(norm_header(a) for a in c.headers)
        loose = tuple(strip_unit(a) for a in exact)
        cols.append((c, exact, loose, any("/" in a for a in exact)))
        keys.update(exact)
        keys.update(loose)
    cols.sort(key=lambda t: not t[3])  # section-qualified aliases first (key/value sheets)
    prepared = _Prepared(tuple(cols), frozenset(keys))
    _PREPARED[id(fmt)] = (fmt, prepared)
    return prepared


def match_cells(fmt: ReportFormat, cells: Mapping[int, str], qualified: Mapping[int, str] | None = None
                ) -> tuple[dict[int, Column], dict[int, Column], list[str]]:
    """Assign cells (position -> header text) to the format's columns. Exact header first, then ignoring a unit
    suffix such as ``(元)``/``(%)``; a second cell matching an already used column is a duplicate (kept in extra).

    ``qualified``: the same cells as ``section/label`` (key/value sheets); aliases containing ``/`` match those,
    and their columns are assigned first so a repeated label (阅读次数 in two sections) lands in the right place.
    """
    prep = _prepare(fmt)
    normed = {i: norm_header(t) for i, t in cells.items() if _text(t)}
    loose = {i: strip_unit(n) for i, n in normed.items()}
    qnormed = {i: norm_header(t) for i, t in (qualified or {}).items()}
    used: dict[int, Column] = {}
    missing: list[Column] = []
    if not (prep.keys.intersection(normed.values()) or prep.keys.intersection(loose.values())
            or prep.keys.intersection(qnormed.values())):
        return used, {}, [c.label for c in fmt.columns if c.required]
    for column, exact, loose_aliases, _ in prep.columns:
        found = None
        for a, la in zip(exact, loose_aliases, strict=True):
            if "/" in a:
                found = next((i for i, n in qnormed.items() if n == a and i not in used), None)
            else:
                found = next((i for i, n in normed.items() if n == a and i not in used), None)
                if found is None:
                    found = next((i for i, n in loose.items() if n == la and i not in used), None)
            if found is not None:
                break
        if found is not None:
            used[found] = column
        elif column.required:
            missing.append(column)
    dups: dict[int, Column] = {}
    if len(used) < len(normed):
        by_column = {id(c): (exact, la) for c, exact, la, _ in prep.columns}
        for i, n in normed.items():
            if i in used:
                continue
            for column in used.values():
                exact, la = by_column[id(column)]
                if n in exact or loose[i] in la:
                    dups[i] = column
                    break
    order = {id(c): k for k, c in enumerate(fmt.columns)}
    return used, dups, [c.label for c in sorted(missing, key=lambda c: order[id(c)])]


def _segments(row: Sequence[Any]) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, v in enumerate(row):
        if _text(v):
            if start is None:
                start = i
        elif start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(row)))
    return spans


def _cells_present(rows: Iterable[Sequence[Any]]) -> set[str]:
    return {norm_header(v) for r in rows for v in r if _text(v)}


def _match_table_formats(table: Table, formats: Sequence[ReportFormat]) -> list[HeaderMatch]:
    out = []
    formats = [f for f in formats if f.layout == "table"]
    known = frozenset().union(*(_prepare(f).keys for f in formats)) if formats else frozenset()
    for r, row in enumerate(table.head):
        segs = _segments(row)
        if not segs:
            continue
        texts = {i: _text(row[i]) for i in range(segs[0][0], segs[-1][1])}
        # a header row has at least two cells that some format knows; data rows stop here cheaply
        hits = sum(1 for t in texts.values() if t and (norm_header(t) in known or strip_unit(norm_header(t)) in known))
        if hits < 2:
            continue
        spans = [(segs[0][0], segs[-1][1])]
        if len(segs) > 1:
            spans += segs
        for fmt in formats:
            for span in spans:
                cells = {i: texts[i] for i in range(*span) if texts[i]}
                used, dups, missing = match_cells(fmt, cells)
                if not used:
                    continue
                out.append(HeaderMatch(fmt, table, r, span, used, cells, dups, missing))
    return out


def kv_entries(rows: Sequence[Sequence[Any]], start: int = 0, stop: int | None = None) -> list[tuple[int, str, str, int]]:
    """(row, section, label, value column) for every label/value row between ``start`` and ``stop``."""
    out = []
    section = ""
    for r in range(start, len(rows) if stop is None else min(stop, len(rows))):
        row = rows[r]
        filled = [i for i, v in enumerate(row) if _text(v)]
        if len(filled) == 1:
            section = _text(row[filled[0]])
        elif len(filled) >= 2:
            if norm_header(row[filled[1]]) in _KV_VALUE_HEADERS:
                continue  # the 数据指标 | 数值 header line of a block
            out.append((r, section, _text(row[filled[0]]), filled[1]))
    return out


_KV_VALUE_HEADERS = frozenset({"数值", "数据", "值", "value", "values"})


def match_kv(fmt: ReportFormat, table: Table, rows: Sequence[Sequence[Any]] | None = None) -> HeaderMatch:
    """A key/value sheet: labels in the first filled column, values next to them, under section titles."""
    rows = table.head if rows is None else rows
    present = _cells_present(rows)
    markers_ok = all(norm_header(m) in present for m in fmt.markers)
    entries = kv_entries(rows)
    cells = {r: label for r, _, label, _ in entries}
    qualified = {r: f"{section}/{label}" for r, section, label, _ in entries}
    used, dups, missing = match_cells(fmt, cells, qualified)
    header = min(used) if used else 0
    return HeaderMatch(fmt, table, header, (0, max((len(r) for r in rows), default=0)), used, cells, dups, missing,
                       markers_ok)


def match_sheets(fmt: ReportFormat, tables: Sequence[Table]) -> HeaderMatch:
    """A ``sheets`` layout: each column is a sheet named after it, holding 日期 | 数值."""
    found: list[SheetColumn] = []
    used_tables: set[str] = set()
    for column in fmt.columns:
        aliases = [norm_header(a) for a in column.headers]
        for table in tables:
            if table.name in used_tables:
                continue
            name = norm_header(table.name)
            if name not in aliases and strip_unit(name) not in [strip_unit(a) for a in aliases]:
                continue
            for r, row in enumerate(table.head[:10]):
                cells = [norm_header(v) for v in row]
                date_col = next((i for i, c in enumerate(cells) if c in ("日期", "时间", "date")), None)
                if date_col is None:
                    continue
                value_col = next((i for i, c in enumerate(cells) if c and i != date_col), None)
                if value_col is None:
                    continue
                found.append(SheetColumn(column, table, r, date_col, value_col, _text(row[value_col])))
                used_tables.add(table.name)
                break
            if any(s.column is column for s in found):
                break
    cols = {i: s.column for i, s in enumerate(found)}
    headers = {i: s.table.name for i, s in enumerate(found)}
    return HeaderMatch(fmt, found[0].table if found else None, found[0].header_row if found else 0, (0, 0), cols,
                       headers, {}, [], True, found)


def detect_table(table: Table, formats: Sequence[ReportFormat]) -> tuple[list[HeaderMatch], HeaderMatch | None]:
    """Full matches found in one table (several for side-by-side blocks; a key/value sheet plus its companion
    tables), and the closest partial match when there is none."""
    candidates = _match_table_formats(table, formats)
    kv = [match_kv(f, table) for f in formats if f.layout == "keyvalue"]
    candidates += [m for m in kv if m.matched]
    if not candidates:
        return [], None
    best = max(candidates, key=lambda m: m.score)
    if not best.full:
        return [], best
    if best.format.layout == "keyvalue":
        return [best, *_companions(best, table)], None
    chosen = [best]
    # other blocks on the same header row, in columns the best match does not read
    others = sorted((m for m in candidates if m.full and m.header_row == best.header_row and m is not best
                     and m.format.layout == "table"), key=lambda m: m.score, reverse=True)
    for m in others:
        if all(m.span[1] <= c.span[0] or m.span[0] >= c.span[1] for c in chosen) and \
                m.format.key not in {c.format.key for c in chosen}:
            chosen.append(m)
    if len(chosen) == 1:
        # a single table reads its whole header row, so stray columns are reported, not lost
        row = table.head[best.header_row]
        segs = _segments(row)
        span = (segs[0][0], segs[-1][1])
        if span != best.span:
            cells = {i: _text(row[i]) for i in range(*span) if _text(row[i])}
            used, dups, missing = match_cells(best.format, cells)
            best = HeaderMatch(best.format, table, best.header_row, span, used, cells, dups, missing)
            chosen = [best]
    return sorted(chosen, key=lambda m: m.span[0]), None


def _companions(kv: HeaderMatch, table: Table) -> list[HeaderMatch]:
    out = []
    rows = list(table.iter_rows())
    for key in kv.format.companions:
        fmt = FORMATS_BY_KEY.get(key)
        if fmt is None:
            continue
        for r, row in enumerate(rows):
            segs = _segments(row)
            if not segs:
                continue
            span = (segs[0][0], segs[-1][1])
            cells = {i: _text(row[i]) for i in range(*span) if _text(row[i])}
            used, dups, missing = match_cells(fmt, cells)
            m = HeaderMatch(fmt, table, r, span, used, cells, dups, missing)
            if m.full:
                out.append(m)
                break
    return out


def candidate_formats(platform: str | None = None, kind: str | None = None,
                      extra: Sequence[ReportFormat] = ()) -> list[ReportFormat]:
    """Built-in (and extra) formats filtered by a forced platform and/or kind (``works`` or ``douyin.works``)."""
    formats = [*extra, *FORMATS]
    if platform:
        if platform not in catalog.ALL_PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        formats = [f for f in formats if f.platform == platform]
    if kind:
        wanted = [f for f in formats if f.key == kind or f.kind == kind]
        if not wanted:
            raise ValueError(f"unknown report kind {kind!r}" + (f" for {platform}" if platform else ""))
        formats = wanted
    return formats


def detect(raw: RawFile, formats: Sequence[ReportFormat]) -> tuple[list[HeaderMatch], list[str]]:
    """All sections of a file and the names of tables that matched nothing. Raises UnknownFormatError with the
    closest format and its missing headers when nothing matches anywhere."""
    sections: list[HeaderMatch] = []
    used: set[int] = set()
    for fmt in formats:
        if fmt.layout != "sheets":
            continue
        m = match_sheets(fmt, raw.tables)
        if m.full:
            sections.append(m)
            used |= {id(s.table) for s in m.sheets}
    closest: HeaderMatch | None = None
    unmatched: list[str] = []
    for table in raw.tables:
        if id(table) in used:
            continue
        if not any(_text(v) for row in table.head for v in row):
            continue  # empty sheet
        found, near = detect_table(table, formats)
        if found:
            sections.extend(found)
        else:
            unmatched.append(table.name)
            if near is not None and (closest is None or near.score > closest.score):
                closest = near
    if not sections:
        raise unknown_format_error(closest)
    return sections, unmatched


def unknown_format_error(closest: HeaderMatch | None) -> UnknownFormatError:
    if closest is None:
        return UnknownFormatError(tr("No table with known export headers was found in this file. Map its columns "
                                     "by hand (column mapping) to import it."))
    fmt = closest.format
    missing = closest.missing or ([] if closest.markers_ok else list(fmt.markers))
    headers = [h for _, h in sorted(closest.headers.items())]
    msg = tr("This file does not match a known export. Closest: {label} ({key}), row {row}; missing columns: "
             "{missing}. If the export changed, map its columns by hand (column mapping) and save the mapping as "
             "a template.").format(label=fmt.label_zh, key=fmt.key, row=closest.header_row + 1,
                                   missing="、".join(missing) or tr("(too few matching columns)"))
    return UnknownFormatError(msg, closest=fmt, missing=missing, headers=headers, row=closest.header_row + 1)


# ------------------------------------------------------------------------------------------------ mapping form

def _alias_index() -> dict[str, str]:
    """Normalised header -> suggested target, for the mapping form. Precedence: the catalog's own labels, then
    aliases of built-in formats that land on catalog metrics or canonical fields (majority vote), then generic
    Chinese words, then the format-specific extra names (ad_impressions...)."""
    index: dict[str, str] = {}
    for m in catalog.BASE_METRICS.values():
        for label in (m.zh, m.en, m.key):
            index.setdefault(norm_header(label), m.key)
    votes: dict[str, dict[str, int]] = {}
    for fmt in FORMATS:
        for c in fmt.columns:
            for a in c.headers:
                if "/" not in a:
                    votes.setdefault(norm_header(a), {}).setdefault(c.target, 0)
                    votes[norm_header(a)][c.target] += 1
    known = set(catalog.CATALOG) | set(CANONICAL_FIELDS)
    for n, counts in votes.items():
        good = {t: k for t, k in counts.items() if t in known}
        if good:
            index.setdefault(n, max(good, key=good.get))
    generic = {
        "标题": "title", "作品标题": "title", "名称": "title", "内容": "title", "title": "title",
        "链接": "url", "url": "url", "发布时间": "published_at", "发表时间": "published_at",
        "日期": "date", "时间": "date", "date": "date", "渠道": "channel", "账号": "account_name",
        "账号名称": "account_name", "广告组": "ad_group", "素材id": "material_id", "计划": "campaign",
        "id": "platform_post_id", "作品id": "platform_post_id",
    }
    for k, v in generic.items():
        index.setdefault(norm_header(k), v)
    for f in CANONICAL_FIELDS:
        index.setdefault(f, f)
    for n, counts in votes.items():
        index.setdefault(n, max(counts, key=counts.get))
    return index


def guess_mapping(headers: Iterable[Any]) -> dict[str, str]:
    """Suggested target for each header we recognise (headers we cannot place are left out).

    Uses every alias of the built-in formats and the catalog's labels; tries the exact header, then without a unit
    suffix (``(元)``, ``(%)``), then without the prefixes exports add (总/整体/累计/当日).
    """
    index = _alias_index()
    loose = {strip_unit(k): v for k, v in index.items()}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for h in headers:
        text = _text(h)
        if not text:
            continue
        n = norm_header(text)
        target = index.get(n) or loose.get(strip_unit(n))
        if target is None:
            for prefix in ("总", "整体", "累计", "当日", "当天", "平均"):
                if n.startswith(prefix):
                    target = index.get(n[len(prefix):]) or loose.get(strip_unit(n[len(prefix):]))
                    if target:
                        break
        if target is None or (target in CANONICAL_FIELDS and target in taken):
            continue
        taken.add(target)
        out[text] = target
    return out
