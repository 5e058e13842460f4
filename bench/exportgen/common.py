"""Shared helpers: time zone, seeded RNG streams, seasonality, number/date formatting, CSV writing."""

from __future__ import annotations

import csv
import io
import math
import os
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

try:  # the machine has tzdata; keep a fixed-offset fallback (Shanghai has had no DST since 1991)
    from zoneinfo import ZoneInfo

    TZ = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover
    TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

UTC = UTC
EXCEL_EPOCH = datetime(1899, 12, 30)


# ---------------------------------------------------------------- RNG ----
def stable_int(*parts: object) -> int:
    """A stable 32-bit integer for a tuple of names (never Python's salted ``hash``)."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    """An independent, reproducible random stream per (seed, purpose...)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *(stable_int(p) for p in parts)]))


# --------------------------------------------------------------- time ----
def now_shanghai() -> datetime:
    return datetime.now(TZ)


def today_shanghai() -> date:
    return now_shanghai().date()


def aware(dt: datetime) -> datetime:
    """A naive Beijing-time datetime -> aware (Asia/Shanghai)."""
    return dt.replace(tzinfo=TZ) if dt.tzinfo is None else dt


def iso(dt: datetime) -> str:
    """ISO 8601 with +08:00 (the manifest's collection times)."""
    return aware(dt).isoformat()


def unix(dt: datetime) -> int:
    return int(aware(dt).timestamp())


def excel_serial(dt: datetime) -> float:
    delta = dt.replace(tzinfo=None) - EXCEL_EPOCH
    return delta.days + delta.seconds / 86400.0


def daterange(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


# ------------------------------------------------------- seasonality ----
# Chinese New Year (first day of the lunar year)
CNY = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}


def _bump(d: date, center: date, sd_days: float) -> float:
    x = (d - center).days / sd_days
    return math.exp(-0.5 * x * x)


def season_factor(d: date) -> float:
    """Multiplier of reach/spend on a day: lifts around 618 and Double 11 (and 12), dip around CNY."""
    y = d.year
    f = 1.0
    f += 0.55 * _bump(d, date(y, 6, 14), 7.0) + 0.35 * (1.0 if d in (date(y, 6, 17), date(y, 6, 18)) else 0.0)
    f += 0.85 * _bump(d, date(y, 11, 7), 8.0) + 0.6 * (1.0 if d in (date(y, 11, 10), date(y, 11, 11)) else 0.0)
    f += 0.20 * _bump(d, date(y, 12, 11), 4.0)
    for cy in (y - 1, y, y + 1):
        c = CNY.get(cy)
        if c is None:
            continue
        off = (d - c).days
        if -9 <= off <= 7:  # the holiday: people travel, brands post less, reach dips
            f *= 0.62 + 0.02 * abs(off - (-1))
        elif -24 <= off <= -10:  # 年货节 before the holiday
            f += 0.18
    if d.month == 8 and 15 <= d.day <= 25:  # a summer lull
        f *= 0.92
    return f


def festival_of(d: date) -> str | None:
    """The shopping festival a post published on ``d`` would talk about, if any."""
    y = d.year
    if date(y, 5, 20) <= d <= date(y, 6, 18):
        return "618"
    if date(y, 10, 15) <= d <= date(y, 11, 11):
        return "双11"
    if date(y, 12, 1) <= d <= date(y, 12, 12):
        return "双12"
    for cy in (y, y + 1):
        c = CNY.get(cy)
        if c and -28 <= (d - c).days <= -8:
            return "年货节"
        if c and -7 <= (d - c).days <= 6:
            return "春节"
    if d.month == 3 and d.day <= 8:
        return "38节"
    if d.month == 2 and 7 <= d.day <= 14:
        return "情人节"
    return None


def season_word(d: date) -> str:
    return {12: "冬季", 1: "冬季", 2: "早春", 3: "春季", 4: "春季", 5: "初夏", 6: "夏日", 7: "夏日", 8: "夏末",
            9: "秋季", 10: "秋冬", 11: "秋冬"}[d.month]


# --------------------------------------------------------- formatting ----
def pct(x: float, decimals: int = 2, strip: bool = False) -> str:
    """0.0441 -> '4.41%'. ``strip`` drops trailing zeros ('27%', '0.8%') the way Bilibili shows them."""
    v = round(100.0 * float(x), decimals)
    if strip:
        s = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
        return (s if s not in ("-0", "") else "0") + "%"
    return f"{v:.{decimals}f}%"


def thousands(n: int) -> str:
    return f"{int(n):,}"


def java_double(x: float) -> str:
    """Java's Double.toString, which Apache POI writes into <v> (296.0, 0.166, 1.2235E7)."""
    x = float(x)
    if x == 0:
        return "0.0"
    ax = abs(x)
    if 1e-3 <= ax < 1e7:
        s = repr(x)
        if "e" in s or "E" in s:  # pragma: no cover - repr never uses exponent in this range
            s = f"{x:f}"
        return s if "." in s else s + ".0"
    exp = int(math.floor(math.log10(ax)))
    mant = x / 10**exp
    if abs(mant) >= 10:  # rounding at the edge
        mant /= 10
        exp += 1
    m = repr(float(mant))
    m = m if "." in m else m + ".0"
    return f"{m}E{exp}"


def float32_noise(x: float, decimals: int = 6) -> float:
    """0.121233 -> 0.1212330013513565: a 6-decimal rate stored as float32, read back as double."""
    return float(np.float32(round(float(x), decimals)))


def cn_datetime_xhs(dt: datetime) -> str:
    return dt.strftime("%Y年%m月%d日%H时%M分%S秒")


def cn_date(d: date) -> str:
    return d.strftime("%Y年%m月%d日")


def cn_datetime_bili(dt: datetime) -> str:
    return dt.strftime("%Y年%m月%d日 %H:%M:%S")


def slash_date(d: date | datetime) -> str:
    return f"{d.year}/{d.month}/{d.day}"


# --------------------------------------------------------------- files ----
def unique_download_name(directory: Path, name: str, taken: set[str]) -> str:
    """Browser download naming: ``name``, ``name (1)``, ``name (2)``... before the extension."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate = name
    n = 0
    while candidate in taken or (directory / candidate).exists():
        n += 1
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
    taken.add(candidate)
    return candidate


def write_csv(path: Path, header: list[str] | None, rows, *, encoding: str = "utf-8", quoting=csv.QUOTE_MINIMAL,
              lineterminator: str = "\n", preamble: list[str] | None = None) -> int:
    """Write a CSV in the given encoding ('utf-8-sig' adds the BOM; 'gbk'/'gb18030' as downloaded on Windows)."""
    buf = io.StringIO()
    for line in preamble or ():
        buf.write(line + lineterminator)
    w = csv.writer(buf, quoting=quoting, lineterminator=lineterminator)
    if header is not None:
        w.writerow(header)
    n = 0
    for r in rows:
        w.writerow(r)
        n += 1
    data = buf.getvalue().encode(encoding, errors="strict")
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return n
