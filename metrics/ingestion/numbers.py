"""The one parser of numbers, durations and dates found in Chinese platform exports.

Every importer goes through here so that ``"8,471"``, ``12.3%``, ``1.2万``, ``10万+``, ``14.73秒``, ``3.5星``,
``2026年01月05日22时30分05秒`` and Excel serials mean the same thing everywhere. Two entry points per type:
a scalar one (``parse_number``, ``parse_datetime``) and a vectorised one for pandas columns
(``parse_number_series``, ``parse_datetime_series``) whose fast path stays in numpy/pandas and sends only the
odd cells, deduplicated, to the scalar parser.

Rules that matter for the numbers we show:
- Missing (``-``, ``--``, ``—``, ``/``, empty, ``N/A``) is ``None``/NaN, never zero.
- A rate is a 0–1 fraction: ``12.3%`` -> 0.123; a bare number stays as is unless the header says ``(%)``
  (then it is a percent number and is divided by 100).
- ``<0.1%`` keeps 0.001 with the flag ``upper_bound``; ``10万+`` keeps 100000 with the flag ``floor``.
- Star ratings (``3.5星``) stay ratings, never percentages.
- Times are Beijing time (Asia/Shanghai) and come back tz-aware; naive workbook datetimes are Beijing time.
- Anything else raises ``ValueParseError`` (scalar) or is listed as an error (vectorised): never a silent 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .errors import tr

BEIJING = ZoneInfo("Asia/Shanghai")

FLOOR = "floor"  # the true value is at least this (10万+)
UPPER_BOUND = "upper_bound"  # the true value is at most this (<0.1%)

KINDS = ("count", "number", "rate", "seconds", "stars", "cny")

MISSING_TOKENS = frozenset({
    "", "-", "--", "---", "—", "——", "–", "－", "/", "\\", "n/a", "na", "#n/a", "null", "none", "nan", "nat",
    "暂无", "暂无数据", "无数据", "未知", "*",
})

_EXCEL_EPOCH = dt.datetime(1899, 12, 30, tzinfo=BEIJING)  # serial 1 = 1900-01-01 with Excel's 1900 leap-year bug folded in
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_MULTIPLIERS = {"万": 1e4, "w": 1e4, "亿": 1e8, "千": 1e3, "k": 1e3, "百万": 1e6, "千万": 1e7}
_COUNT_UNITS = ("人次", "次", "人", "条", "个", "篇", "份", "单", "件", "位")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?")
_DURATION_RE = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)(?:小时|时|hours?|hrs?|h))?"
    r"(?:(?P<m>\d+(?:\.\d+)?)(?:分钟|分|mins?|minutes?|m))?"
    r"(?:(?P<s>\d+(?:\.\d+)?)(?:秒钟|秒|secs?|seconds?|s))?"
)
_CLOCK_RE = re.compile(r"(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?")
_DATETIME_RE = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})\s*(?:[:分]\s*(?P<S>\d{1,2})(?P<frac>\.\d+)?\s*秒?|分)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)


class ValueParseError(ValueError):
    """A value that is not missing and not a number/date we understand. ``reason`` is shown to the user."""

    def __init__(self, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


@dataclass(frozen=True, slots=True)
class Number:
    value: float | None
    flag: str | None = None  # FLOOR or UPPER_BOUND


MISSING = Number(None)


def _clean(text: str) -> str:
    # NFKC turns full-width digits, ％, ，, （）, ＜ and the ideographic space into their ASCII forms.
    return unicodedata.normalize("NFKC", text).replace("\u200b", "").replace("\ufeff", "").strip()


def is_missing(value: Any) -> bool:
    """True for None, NaN/NaT and the placeholder strings exports use for 'no value'."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return _clean(value).lower() in MISSING_TOKENS
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _finite(value: float, raw: Any) -> float:
    if not math.isfinite(value):
        raise ValueParseError(tr("not a finite number"), raw)
    return value


def parse_seconds_text(text: str) -> float | None:
    """``14.73秒``, ``83s``, ``1分23秒``, ``20.7分钟``, ``00:01:23``, ``01:23`` (mm:ss) -> seconds; None if no match."""
    t = text.lower().replace(" ", "")
    m = _CLOCK_RE.fullmatch(t)
    if m:
        a, b, c = m.groups()
        if c is None:  # mm:ss, the usual way a duration is written in these UIs
            return int(a) * 60 + int(b)
        return int(a) * 3600 + int(b) * 60 + float(c)
    m = _DURATION_RE.fullmatch(t)
    if m and any(m.group(g) for g in ("h", "m", "s")):
        h, mi, s = (float(m.group(g) or 0) for g in ("h", "m", "s"))
        return h * 3600 + mi * 60 + s
    return None


def parse_number(value: Any, kind: str = "number", *, percent: bool = False, scale: float = 1.0) -> Number:
    """Parse one cell. ``kind`` is one of count, number, rate, seconds, stars, cny.

    ``percent``: the header says ``(%)`` so a bare number is a percent number (divided by 100).
    ``scale``: the header's unit for bare numbers (0.01 for fen, 60 for minutes, 1e4 for 万元); a value that
    carries its own unit (``1.2万``, ``20.7分钟``, ``12%``) is not scaled again.
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return MISSING
        raise ValueParseError(tr("a yes/no value where a number was expected"), value)
    if isinstance(value, (int, float, Decimal, np.integer, np.floating)):
        v = float(value)
        if math.isnan(v):
            return MISSING
        v = _finite(v, value)
        if percent:
            v /= 100
        return Number(_tidy(v * scale) if (percent or scale != 1.0) else v)
    if isinstance(value, dt.timedelta):
        if kind in ("seconds", "number"):
            return Number(value.total_seconds())
        raise ValueParseError(tr("a duration where a number was expected"), value)
    if isinstance(value, dt.time):
        if kind in ("seconds", "number"):  # a duration cell formatted hh:mm:ss comes back as a time of day
            return Number(value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6)
        raise ValueParseError(tr("a time where a number was expected"), value)
    if isinstance(value, (dt.date, dt.datetime)):
        raise ValueParseError(tr("a date where a number was expected"), value)
    if not isinstance(value, str):
        value = str(value)
    text = _clean(value)
    if text.lower() in MISSING_TOKENS:
        return MISSING
    return _parse_text(text, kind, percent, scale, value)


def _parse_text(text: str, kind: str, percent: bool, scale: float, raw: Any) -> Number:
    flag = None
    t = text.replace(" ", "")
    if t[:2] in ("<=", ">="):
        flag, t = (UPPER_BOUND if t[0] == "<" else FLOOR), t[2:]
    elif t[:1] in ("<", "≤", "＜"):
        flag, t = UPPER_BOUND, t[1:]
    elif t[:1] in (">", "≥", "＞"):
        flag, t = FLOOR, t[1:]
    if t.endswith("+") and len(t) > 1:
        flag, t = FLOOR, t[:-1]
    if not t:
        raise ValueParseError(tr("not a number"), raw)

    if kind == "seconds":
        secs = parse_seconds_text(t.replace(",", ""))
        if secs is not None:
            return Number(secs, flag)
    if kind == "stars" and t.endswith("星"):
        v = _plain(t[:-1], raw)
        if not 0 <= v <= 5:
            raise ValueParseError(tr("a star rating outside 0–5"), raw)
        return Number(v, flag)
    if kind in ("cny", "number"):
        for prefix in ("¥", "rmb", "cny"):
            if t.lower().startswith(prefix):
                t = t[len(prefix):]
        for suffix in ("元", "rmb", "cny"):
            if t.lower().endswith(suffix):
                t = t[: -len(suffix)]
    if kind in ("count", "number"):
        for unit in _COUNT_UNITS:
            if t.endswith(unit) and len(t) > len(unit):
                t = t[: -len(unit)]
                break

    if t.endswith("%") or t.endswith("‰"):
        if kind not in ("rate", "number"):
            raise ValueParseError(tr("a percentage in a {kind} column").format(kind=kind), raw)
        div = 100 if t.endswith("%") else 1000
        return Number(_tidy(_plain(t[:-1], raw) / div), flag)

    mult = None
    low = t.lower()
    for suffix in ("百万", "千万", "万", "亿", "千", "w", "k"):
        if low.endswith(suffix) and len(low) > len(suffix):
            mult, t = _MULTIPLIERS[suffix], t[: -len(suffix)]
            break
    v = _plain(t, raw)
    if mult is not None:
        if kind in ("rate", "stars", "seconds"):
            raise ValueParseError(tr("a 万/亿 amount in a {kind} column").format(kind=kind), raw)
        return Number(v * mult, flag)
    if kind == "stars" and not 0 <= v <= 5:
        raise ValueParseError(tr("a star rating outside 0–5"), raw)
    if percent:
        v /= 100
    return Number(_tidy(v * scale) if (percent or scale != 1.0) else v, flag)


def _tidy(v: float) -> float:
    """Drop the binary noise a division leaves (55.9% -> 0.559, not 0.5589999999999999)."""
    return float(f"{v:.12g}")


def _plain(t: str, raw: Any) -> float:
    t = t.replace(",", "").replace("_", "")
    if not _NUMBER_RE.fullmatch(t.lower()):
        raise ValueParseError(tr("not a number"), raw)
    return _finite(float(t), raw)


# ----------------------------------------------------------------------------------------------------------- dates

def excel_serial_to_datetime(serial: float) -> dt.datetime:
    """Excel 1900-epoch serial (46233.5 = 2026-07-31 12:00) -> Beijing datetime."""
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        raise ValueParseError(tr("a number outside the range of Excel dates"), serial)
    # round to the millisecond: serials carry float noise (0.999999 of a day)
    return _EXCEL_EPOCH + dt.timedelta(milliseconds=round(serial * 86_400_000))


def _from_number(v: float, raw: Any) -> dt.datetime:
    if math.isnan(v):
        raise ValueParseError(tr("missing"), raw)
    if v == int(v) and 19000101 <= v <= 21001231:  # YYYYMMDD written as a number
        s = str(int(v))
        try:
            return dt.datetime(int(s[:4]), int(s[4:6]), int(s[6:]), tzinfo=BEIJING)
        except ValueError:
            pass
    if 1e9 <= v < 1e10:  # unix seconds (API dumps); UTC instant shown in Beijing time
        return dt.datetime.fromtimestamp(v, tz=BEIJING)
    if 1e12 <= v < 1e13:  # unix milliseconds
        return dt.datetime.fromtimestamp(v / 1000, tz=BEIJING)
    return excel_serial_to_datetime(v)


def parse_datetime(value: Any) -> dt.datetime | None:
    """One date/time cell -> tz-aware Beijing datetime (midnight for a date); None when missing.

    Accepts ISO (``2026-06-07 12:16:33``), ``2026/5/29 8:05``, ``20260911``, ``2026.06.07``, Chinese
    (``2026年06月03日 16:41:25``, ``2026年01月05日22时30分05秒``), Excel serials, unix seconds, and the date/datetime
    objects workbook readers return (naive = Beijing time).
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueParseError(tr("not a date"), value)
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=BEIJING) if value.tzinfo is None else value.astimezone(BEIJING)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=BEIJING)
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else parse_datetime(pd.Timestamp(value))
    if isinstance(value, (int, float, np.integer, np.floating, Decimal)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return _from_number(float(value), value)
    text = _clean(str(value))
    if text.lower() in MISSING_TOKENS:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return _from_number(float(text), value)
    m = _DATETIME_RE.fullmatch(text)
    if not m:
        raise ValueParseError(tr("not a date we recognise"), value)
    g = m.groupdict()
    try:
        micro = round(float(g["frac"]) * 1e6) if g["frac"] else 0
        tz = BEIJING if not g["tz"] else dt.UTC if g["tz"] == "Z" else _offset(g["tz"])
        out = dt.datetime(int(g["y"]), int(g["mo"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0),
                          int(g["S"] or 0), micro, tzinfo=tz)
    except ValueError as exc:
        raise ValueParseError(tr("not a valid calendar date"), value) from exc
    return out.astimezone(BEIJING)


def _offset(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_date(value: Any) -> dt.date | None:
    """The Beijing calendar date of a cell (a datetime's time of day is dropped)."""
    out = parse_datetime(value)
    return None if out is None else out.date()


# -------------------------------------------------------------------------------------------------- vectorised

@dataclass
class NumberColumn:
    """Result of parsing one column: float64 values (NaN = missing), sparse flags and errors by position."""

    values: np.ndarray
    flags: dict[int, str] = field(default_factory=dict)
    errors: list[tuple[int, Any, str]] = field(default_factory=list)


@dataclass
class DateColumn:
    values: pd.Series  # datetime64[us, Asia/Shanghai], NaT = missing
    errors: list[tuple[int, Any, str]] = field(default_factory=list)


def _as_object_array(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series):
        if values.dtype.kind in "fiubM" and not isinstance(values.dtype, pd.DatetimeTZDtype):
            return values.to_numpy()
        return values.to_numpy(dtype=object, na_value=np.nan)
    arr = np.asarray(values)
    return arr if arr.dtype.kind in "fiubMO" else arr.astype(object)


def _missing_mask(arr: np.ndarray) -> np.ndarray:
    """NaN/None plus the placeholder strings (checked on the distinct values only, so it stays fast)."""
    mask = pd.isna(arr)
    rest = ~mask
    if rest.any():
        codes, uniques = pd.factorize(arr[rest])
        miss_u = np.fromiter((isinstance(u, str) and _clean(u).lower() in MISSING_TOKENS for u in uniques),
                             dtype=bool, count=len(uniques))
        if miss_u.any():
            sub = np.zeros(rest.sum(), dtype=bool)
            sub[codes >= 0] = miss_u[codes[codes >= 0]]
            mask = mask.copy()
            mask[np.flatnonzero(rest)[sub]] = True
    return mask


def parse_number_series(values: Any, kind: str = "number", *, percent: bool = False,
                        scale: float = 1.0) -> NumberColumn:
    """Vectorised ``parse_number``. Clean numeric text takes one numpy cast; otherwise the column is factorised
    and only its distinct values are parsed (a million ``12.3%`` cells hold a few thousand distinct strings)."""
    arr = _as_object_array(values)
    n = len(arr)
    bare_factor = (0.01 if percent else 1.0) * scale
    if arr.dtype.kind == "b":
        return NumberColumn(np.full(n, np.nan), errors=[(i, arr[i], "a yes/no value") for i in range(n)])
    if arr.dtype.kind in "fiu":
        return _finish(arr.astype(np.float64, copy=True), arr, bare_factor)
    try:
        return _finish(arr.astype(np.float64), arr, bare_factor)  # all cells clean numbers or NaN: the common case
    except (ValueError, TypeError):
        pass
    codes, uniques = pd.factorize(arr)
    uniques = np.asarray(uniques, dtype=object)
    res = _parse_distinct(uniques, kind, percent, scale, bare_factor)
    out = np.append(res.values, np.nan)[np.where(codes >= 0, codes, len(uniques))]
    result = NumberColumn(out)
    if res.flags or res.errors:
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]

        def positions(k: int) -> np.ndarray:
            lo, hi = np.searchsorted(sorted_codes, [k, k + 1])
            return order[lo:hi]

        for k, flag in res.flags.items():
            for pos in positions(k):
                result.flags[int(pos)] = flag
        for k, value, reason in res.errors:
            result.errors.extend((int(pos), value, reason) for pos in positions(k))
        result.errors.sort(key=lambda e: e[0])
    return result


def _finish(out: np.ndarray, arr: np.ndarray, bare_factor: float) -> NumberColumn:
    result = NumberColumn(out)
    inf = np.isinf(out)
    if inf.any():
        for i in np.flatnonzero(inf):
            result.errors.append((int(i), arr[i], "not a finite number"))
        out[inf] = np.nan
    if bare_factor != 1.0:
        out[:] = _tidy_array(out * bare_factor)
    return result


def _parse_distinct(uniques: np.ndarray, kind: str, percent: bool, scale: float,
                    bare_factor: float) -> NumberColumn:
    """Parse distinct cell values: plain numbers with pandas, the decorated rest one by one."""
    out = np.asarray(pd.to_numeric(uniques, errors="coerce"), dtype=np.float64).copy()
    result = _finish(out, uniques, bare_factor)
    odd_idx = np.flatnonzero(np.isnan(out) & ~pd.isna(uniques))
    odd_idx = odd_idx[~np.isin(odd_idx, [e[0] for e in result.errors])]
    if odd_idx.size:
        _parse_odd(uniques, odd_idx, out, result, kind, percent, scale)
    return result


def _tidy_array(values: np.ndarray) -> np.ndarray:
    """Vectorised ``_tidy``: round to 12 significant digits."""
    with np.errstate(all="ignore"):
        mag = np.floor(np.log10(np.abs(np.where(values == 0, 1, values))))
        decimals = np.clip(11 - mag, 0, 300)
        factor = 10.0 ** decimals
        return np.where(np.isfinite(values), np.round(values * factor) / factor, values)


_VECTOR_ODD_FROM = 16  # distinct odd values: from here the vectorised pass pays for itself


def _parse_odd(arr: np.ndarray, idx: np.ndarray, out: np.ndarray, result: NumberColumn, kind: str,
               percent: bool, scale: float) -> None:
    """Distinct values pandas could not read as plain numbers."""
    sub = arr[idx]
    if idx.size > _VECTOR_ODD_FROM and kind in ("rate", "number", "cny", "count"):
        # Distinct decorated values (money with separators, percents): one vectorised clean-up pass for the two
        # common decorations before the per-value parser, which is ~20 µs a value (a daily report's rate columns
        # hold thousands of distinct percents per chunk). The results equal the scalar parser's.
        s = pd.Series(sub, dtype=object).astype(str).str.strip().str.replace(",", "", regex=False)
        pct = s.str.endswith("%").to_numpy(dtype=bool, copy=True)
        if kind not in ("rate", "number"):
            pct[:] = False
        stripped = s.where(~pct, s.str[:-1])
        num = pd.to_numeric(stripped, errors="coerce").to_numpy(dtype=np.float64)
        bare = (0.01 if percent else 1.0) * scale
        num = np.where(pct, _tidy_array(num / 100), _tidy_array(num * bare) if bare != 1.0 else num)
        ok = ~np.isnan(num) & np.isfinite(num)
        out[idx[ok]] = num[ok]
        idx, sub = idx[~ok], sub[~ok]
    for pos, u in zip(idx, sub, strict=True):
        try:
            r = parse_number(u, kind, percent=percent, scale=scale)
        except ValueParseError as exc:
            out[pos] = np.nan
            result.errors.append((int(pos), u, exc.reason))
            continue
        out[pos] = np.nan if r.value is None else r.value
        if r.flag is not None:
            result.flags[int(pos)] = r.flag


_FAST_FORMATS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), f) for p, f in (
    (r"\d{4}-\d{1,2}-\d{1,2}", "%Y-%m-%d"),
    (r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}", "%Y-%m-%d %H:%M:%S"),
    (r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}", "%Y-%m-%d %H:%M"),
    (r"\d{4}/\d{1,2}/\d{1,2}", "%Y/%m/%d"),
    (r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}", "%Y/%m/%d %H:%M:%S"),
    (r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}", "%Y/%m/%d %H:%M"),
    (r"\d{8}", "%Y%m%d"),
    (r"\d{4}\.\d{1,2}\.\d{1,2}", "%Y.%m.%d"),
    (r"\d{4}年\d{1,2}月\d{1,2}日", "%Y年%m月%d日"),
    (r"\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2}:\d{2}", "%Y年%m月%d日 %H:%M:%S"),
    (r"\d{4}年\d{1,2}月\d{1,2}日\d{1,2}时\d{1,2}分\d{1,2}秒", "%Y年%m月%d日%H时%M分%S秒"),
))


def parse_datetime_series(values: Any, *, date_only: bool = False) -> DateColumn:
    """Vectorised ``parse_datetime``: the column is factorised, the format of its first text value is tried on
    all distinct text values with ``pd.to_datetime(format=...)``, and whatever is left is parsed one by one."""
    arr = _as_object_array(values)
    errors: list[tuple[int, Any, str]] = []
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
        res = pd.Series(values.dt.tz_convert(BEIJING).to_numpy(), dtype=f"datetime64[us, {BEIJING.key}]")
        return DateColumn(res.dt.normalize() if date_only else res.reset_index(drop=True), errors)
    if arr.dtype.kind == "M":
        res = pd.Series(pd.DatetimeIndex(arr).as_unit("us").tz_localize(BEIJING))
        return DateColumn(res.dt.normalize() if date_only else res, errors)
    codes, uniques = pd.factorize(arr)
    uniques = np.asarray(uniques, dtype=object)
    vals = np.full(len(uniques), np.datetime64("NaT", "us"), dtype="datetime64[us]")
    todo = np.flatnonzero(~_missing_mask(uniques))
    is_text = np.fromiter((isinstance(u, str) for u in uniques[todo]), dtype=bool, count=todo.size)
    text = todo[is_text]
    if text.size:
        probe = str(uniques[text[0]]).strip()
        fmt = next((f for rx, f in _FAST_FORMATS if rx.fullmatch(probe)), None)
        if fmt is not None:
            got = pd.to_datetime(pd.Series(uniques[text], dtype=object), format=fmt, errors="coerce")
            got = got.to_numpy(dtype="datetime64[us]")
            ok = ~np.isnat(got)
            vals[text[ok]] = got[ok]
            todo = np.setdiff1d(todo, text[ok], assume_unique=True)
    bad: list[tuple[int, str]] = []
    for k in todo:
        try:
            d = parse_datetime(uniques[k])
            if d is not None:
                vals[k] = np.datetime64(d.astimezone(BEIJING).replace(tzinfo=None), "us")
        except (ValueParseError, OverflowError, OSError) as exc:
            bad.append((int(k), getattr(exc, "reason", "not a date we recognise")))
    out = np.append(vals, np.datetime64("NaT", "us"))[np.where(codes >= 0, codes, len(uniques))]
    if bad:
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        for k, reason in bad:
            lo, hi = np.searchsorted(sorted_codes, [k, k + 1])
            errors.extend((int(p), arr[p], reason) for p in order[lo:hi])
        errors.sort(key=lambda e: e[0])
    res = pd.Series(pd.DatetimeIndex(out).tz_localize(BEIJING))
    return DateColumn(res.dt.normalize() if date_only else res, errors)
