"""Large benchmark files, generated vectorised (numpy 2 string ufuncs), streamed to disk in chunks (flat memory).

- :func:`qianchuan_report`: a Qianchuan-like daily material report (15 columns, split by day) of N rows, as CSV
  (UTF-8 / UTF-8-BOM / GBK) or XLSX (the fast streaming writer of :mod:`.xlsx`, or openpyxl ``write_only``).
- :func:`xhs_files`: N ``笔记列表明细表.xlsx`` files of M notes each, in Apache POI's exact layout.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np
from numpy.dtypes import StringDType

from .common import rng_for, today_shanghai, unique_download_name
from .text import TitleMaker, material_name
from .writers.ads import QIANCHUAN_15
from .writers.xiaohongshu import NOTES_13, NOTICE
from .xlsx import Workbook, col_letter, xml_text

S = StringDType()
_LUT2 = np.array([f"{i:02d}" for i in range(100)], dtype=S)
_LUT1 = np.array([str(i) for i in range(10)], dtype=S)
_add = np.strings.add


def _s(a) -> np.ndarray:
    return np.asarray(a).astype(S)


def fmt_money(x: np.ndarray) -> np.ndarray:
    """floats -> '1234.56' (two decimals)."""
    c = np.round(np.asarray(x, dtype=np.float64) * 100).astype(np.int64)
    return _add(_add(_s(c // 100), "."), _LUT2[c % 100])


def fmt_pct(x: np.ndarray) -> np.ndarray:
    """fractions -> '3.21%'."""
    c = np.round(np.asarray(x, dtype=np.float64) * 10000).astype(np.int64)
    return _add(_add(_add(_s(c // 100), "."), _LUT2[c % 100]), "%")


def _join(cols: list[np.ndarray], sep: str) -> np.ndarray:
    out = cols[0]
    for c in cols[1:]:
        out = _add(_add(out, sep), c)
    return out


# ------------------------------------------------------------ Qianchuan ---
class _QianchuanPlan:
    """Materials and day layout for ``rows`` rows: each day lists the day's active materials."""

    def __init__(self, rows: int, seed: int, end: date):
        self.rows = rows
        self.seed = seed
        self.days = int(min(365, max(1, -(-rows // 2000))))
        self.per_day = -(-rows // self.days)
        self.end = end
        self.start = end - timedelta(days=self.days - 1)
        rng = rng_for(seed, "bulk-qianchuan", "materials")
        self.m = int(min(max(self.per_day * 3, 100), 200_000))
        cats = ("beauty", "coffee")
        names = []
        created = []
        first = self.start
        for i in range(self.m):
            d = first - timedelta(days=int(rng.integers(0, 60)))
            names.append(material_name(rng, cats[i % 2], d, i))
            created.append(datetime.combine(d, dtime(int(rng.integers(9, 23)), int(rng.integers(60)), int(rng.integers(60))))
                           .strftime("%Y-%m-%d %H:%M:%S"))
        self.ids = _s(rng.integers(7_300_000_000_000_000_000, 7_499_999_999_999_999_999, self.m, dtype=np.int64))
        self.names = np.array(names, dtype=S)
        self.names_xml = np.array([xml_text(n) for n in names], dtype=S)
        self.created = np.array(created, dtype=S)
        self.ctr = rng.uniform(0.006, 0.04, self.m)
        self.cvr = rng.uniform(0.01, 0.06, self.m)
        self.aov = rng.uniform(29, 199, self.m)
        self.budget = rng.lognormal(6.3, 0.9, self.m)
        self.play3s = rng.uniform(0.25, 0.6, self.m)
        self.comp = rng.uniform(0.03, 0.2, self.m)
        self.dates = np.array([(self.start + timedelta(days=i)).isoformat() for i in range(self.days)], dtype=S)

    def chunk(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        rng = rng_for(self.seed, "bulk-qianchuan", "chunk", lo)
        i = np.arange(lo, hi, dtype=np.int64)
        day = i // self.per_day
        j = i % self.per_day
        mat = (day * 7919 + j) % self.m
        n = hi - lo
        spend = self.budget[mat] * rng.lognormal(0, 0.5, n)
        spend[rng.random(n) < 0.06] = 0.0
        spend = np.round(spend, 2)
        imp = np.where(spend > 0, (spend / rng.uniform(0.02, 0.06, n)).astype(np.int64), rng.integers(0, 30, n))
        clicks = rng.binomial(imp, self.ctr[mat])
        orders = rng.binomial(clicks, self.cvr[mat])
        gmv = np.round(orders * self.aov[mat] * rng.uniform(0.85, 1.2, n), 2)
        return {"day": day, "mat": mat, "spend": spend, "imp": imp, "clicks": clicks, "orders": orders, "gmv": gmv,
                "play3s": self.play3s[mat] * rng.uniform(0.9, 1.1, n), "comp": self.comp[mat] * rng.uniform(0.85, 1.15, n)}

    def text_columns(self, c: dict[str, np.ndarray], empty: str, xml: bool = False) -> list[np.ndarray]:
        """The 15 columns as strings (CSV cells)."""
        imp, clicks, orders, spend, gmv = c["imp"], c["clicks"], c["orders"], c["spend"], c["gmv"]
        e = np.array(empty, dtype=S)
        with np.errstate(divide="ignore", invalid="ignore"):
            ctr = np.where(imp > 0, fmt_pct(np.where(imp > 0, clicks / np.maximum(imp, 1), 0)), e)
            cvr = np.where(clicks > 0, fmt_pct(orders / np.maximum(clicks, 1)), e)
            roi = np.where(spend > 0, fmt_money(gmv / np.where(spend > 0, spend, 1)), e)
            cpo = np.where(orders > 0, fmt_money(spend / np.maximum(orders, 1)), e)
        p3 = np.where(imp > 0, fmt_pct(c["play3s"]), e)
        pc = np.where(imp > 0, fmt_pct(c["comp"]), e)
        names = self.names_xml if xml else self.names
        return [self.dates[c["day"]], self.ids[c["mat"]], names[c["mat"]], self.created[c["mat"]], fmt_money(spend), fmt_money(gmv),
                _s(orders), _s(imp), _s(clicks), ctr, cvr, roi, cpo, p3, pc]


def qianchuan_report(out: str | Path, rows: int = 1_000_000, *, seed: int = 7, fmt: str = "csv", encoding: str = "utf-8",
                     empty: str = "--", engine: str = "fast", chunk: int = 50_000, compresslevel: int = 6,
                     end: date | None = None) -> dict:
    """Write a Qianchuan-like material report of ``rows`` data rows (plus the header) to ``out``."""
    t0 = time.perf_counter()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plan = _QianchuanPlan(rows, seed, end or today_shanghai() - timedelta(days=1))
    tmp = out.with_name(out.name + ".part")
    if fmt == "csv":
        with open(tmp, "wb") as f:
            f.write((",".join(QIANCHUAN_15) + "\r\n").encode(encoding))
            line = ",".join(["%s"] * len(QIANCHUAN_15)) + "\r\n"
            for lo in range(0, rows, chunk):
                hi = min(rows, lo + chunk)
                cols = [c.tolist() for c in plan.text_columns(plan.chunk(lo, hi), empty)]
                f.write("".join([line % t for t in zip(*cols, strict=True)]).encode(encoding))
        os.replace(tmp, out)
    elif fmt == "xlsx" and engine == "fast":
        created = datetime.combine(plan.end + timedelta(days=1), dtime(9, 30))
        wb = Workbook("generic", created=created, compresslevel=compresslevel)
        wb.add_sheet("Sheet1", stream=_qc_xlsx_rows(plan, rows, chunk, empty), ncols=len(QIANCHUAN_15), nrows=rows + 1)
        wb.save(out)
    elif fmt == "xlsx" and engine == "openpyxl":
        _qc_openpyxl(plan, rows, chunk, empty, out)
    else:
        raise ValueError(f"unknown format/engine {fmt}/{engine}")
    secs = time.perf_counter() - t0
    return {"path": str(out), "rows": rows, "bytes": out.stat().st_size, "seconds": round(secs, 2), "format": fmt,
            "engine": engine if fmt == "xlsx" else None, "encoding": encoding if fmt == "csv" else None,
            "days": plan.days, "materials": plan.m}


_NUMERIC_QC = {4, 5, 6, 7, 8}  # 整体消耗, 整体成交金额, 订单数, 展现, 点击: numeric cells in the xlsx


def _qc_xlsx_rows(plan: _QianchuanPlan, rows: int, chunk: int, empty: str) -> Iterator[str]:
    head = "".join(f'<c t="inlineStr"><is><t>{xml_text(h)}</t></is></c>' for h in QIANCHUAN_15)
    yield f'<row r="1">{head}</row>'
    cell_num, cell_str = "<c><v>%s</v></c>", '<c t="inlineStr"><is><t>%s</t></is></c>'
    fmt = '<row r="%d">' + "".join(cell_num if k in _NUMERIC_QC else cell_str for k in range(len(QIANCHUAN_15))) + "</row>"
    for lo in range(0, rows, chunk):
        hi = min(rows, lo + chunk)
        cols = [c.tolist() for c in plan.text_columns(plan.chunk(lo, hi), empty, xml=True)]
        yield "".join([fmt % t for t in zip(range(lo + 2, hi + 2), *cols, strict=True)])


def _qc_openpyxl(plan: _QianchuanPlan, rows: int, chunk: int, empty: str, out: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(QIANCHUAN_15)
    for lo in range(0, rows, chunk):
        hi = min(rows, lo + chunk)
        c = plan.chunk(lo, hi)
        cols = plan.text_columns(c, empty)
        py = [col.tolist() for col in cols]
        for k in _NUMERIC_QC:
            py[k] = [float(v) if "." in v else int(v) for v in py[k]]
        for r in zip(*py, strict=True):
            ws.append(r)
    fixed = datetime(plan.end.year, plan.end.month, plan.end.day, 9, 30)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    tmp = out.with_name(out.name + ".part")
    with pinned_zip_clock(fixed):
        wb.save(tmp)
    os.replace(tmp, out)


class pinned_zip_clock:  # noqa: N801 - used as a context manager
    """Pin the clocks openpyxl reads while saving (zip entry times, the temp file's mtime, ``modified`` in core.xml)
    so that its output is byte-identical for a seed."""

    def __init__(self, when: datetime):
        import calendar
        import time as _t

        self._when = when
        self._ts = calendar.timegm(when.timetuple())
        self._time_mod = _t

    def __enter__(self):
        import datetime as _dt
        import types
        import zipfile

        import openpyxl.writer.excel as _excel

        ts, tm, when = self._ts, self._time_mod, self._when

        class _Clock:
            @staticmethod
            def time():
                return ts

            @staticmethod
            def localtime(secs=None):
                return tm.gmtime(ts)

        class _DT(_dt.datetime):
            @classmethod
            def now(cls, tz=None):
                return when.replace(tzinfo=tz) if tz else when

        self._saved = (zipfile.time, _excel.datetime)
        zipfile.time = _Clock
        _excel.datetime = types.SimpleNamespace(datetime=_DT, timezone=_dt.timezone)
        return self

    def __exit__(self, *exc):
        import zipfile

        import openpyxl.writer.excel as _excel

        zipfile.time, _excel.datetime = self._saved
        return False


# ------------------------------------------------------------------ XHS ---
def _title_pool(seed: int, n: int = 4000) -> list[str]:
    out = []
    for cat in ("beauty", "coffee"):
        tm = TitleMaker(rng_for(seed, "bulk-xhs", cat), cat, "光感实验室" if cat == "beauty" else "醇萃咖啡", "xiaohongshu")
        rng = rng_for(seed, "bulk-xhs", cat, "dates")
        for _ in range(n // 2):
            out.append(tm.make(date(2026, 1, 1) + timedelta(days=int(rng.integers(0, 365)))))
    return [xml_text(t) for t in out]


def _xhs_sheet_rows(seed: int, k: int, rows: int, titles: list[str], end: datetime) -> tuple[Iterator[str], int]:
    """Rows 3.. of one 笔记列表明细表 in POI's cell XML, newest note first."""
    from .common import java_double

    rng = rng_for(seed, "bulk-xhs", "file", k)
    n = rows
    secs = np.sort(rng.integers(0, 365 * 86400, n))  # seconds before ``end``: newest first
    t = np.datetime64(end.replace(microsecond=0), "s") - secs.astype("timedelta64[s]")
    days = t.astype("datetime64[D]")
    y = days.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    sod = (t - days).astype(np.int64)
    video = rng.random(n) < 0.3
    views = np.floor(rng.lognormal(6.5, 1.3, n))
    ctr_m = np.round(rng.uniform(0.02, 0.27, n), 3)
    imp = np.where(video & (rng.random(n) < 0.05), 0.0, np.floor(views / np.maximum(ctr_m, 0.01) * rng.uniform(0.8, 1.2, n)))
    ctr = np.where(imp > 0, ctr_m, 0.0)
    likes = np.floor(views * rng.uniform(0.005, 0.09, n))
    nums = [imp, views, None, likes, np.floor(likes * rng.uniform(0.05, 0.3, n)), np.floor(likes * rng.uniform(0.2, 1.0, n)),
            np.floor(views * rng.uniform(0, 0.01, n)), np.floor(likes * rng.uniform(0.02, 0.2, n)),
            rng.integers(5, 60, n).astype(np.float64), np.where(video & (rng.random(n) < 0.2), rng.integers(0, 20, n), 0).astype(np.float64)]
    cell_s = '<c r="%s%%d" s="2" t="inlineStr"><is><t>%%s</t></is></c>'
    tpl = ['<row r="%d" customHeight="true" ht="20.0">\n', cell_s % "A", cell_s % "B", cell_s % "C"]
    args: list[list] = [titles_pick := [titles[i] for i in rng.integers(0, len(titles), n)], None, None]
    del titles_pick
    cols_py: list[list] = []
    for j, v in enumerate(nums):
        letter = "DEFGHIJKLM"[j]
        if v is None:  # 封面点击率: a 3-decimal fraction
            tpl.append(f'<c r="{letter}%d" s="2" t="n"><v>%r</v></c>')
            cols_py.append(ctr.tolist())
        elif v.max(initial=0) >= 1e7:  # Java prints large doubles in E notation
            tpl.append(f'<c r="{letter}%d" s="2" t="n"><v>%s</v></c>')
            cols_py.append([java_double(x) for x in v.tolist()])
        else:
            tpl.append(f'<c r="{letter}%d" s="2" t="n"><v>%d.0</v></c>')
            cols_py.append(v.astype(np.int64).tolist())
    tpl.append("</row>\n")
    fmt = "".join(tpl)
    dates = [f"{a}年{b:02d}月{c:02d}日{h // 3600:02d}时{h // 60 % 60:02d}分{h % 60:02d}秒"
             for a, b, c, h in zip(y.tolist(), mo.tolist(), d.tolist(), sod.tolist(), strict=True)]
    kinds = ["视频" if v else "图文" for v in video.tolist()]
    head = []
    for r, vals in ((1, [NOTICE] * 13), (2, NOTES_13)):
        cells = "".join(f'<c r="{col_letter(i)}{r}" s="1" t="inlineStr"><is><t>{xml_text(v)}</t></is></c>' for i, v in enumerate(vals))
        head.append(f'<row r="{r}" customHeight="true" ht="20.0">\n{cells}</row>\n')

    rr = list(range(3, n + 3))
    seq = [rr, rr, args[0], rr, dates, rr, kinds]
    for c in cols_py:
        seq += [rr, c]

    def gen() -> Iterator[str]:
        yield "".join(head)
        yield "".join([fmt % t for t in zip(*seq, strict=True)])

    return gen(), n + 2


def _xhs_one(job: tuple) -> int:
    seed, k, rows, titles, created, path, compresslevel = job
    stream, nrows = _xhs_sheet_rows(seed, k, rows, titles, created)
    wb = Workbook("poi", created=created, compresslevel=compresslevel)
    wb.add_sheet("Sheet1", stream=stream, ncols=13, nrows=nrows, merges=["A1:M1"])
    wb.save(path)
    return Path(path).stat().st_size


_POOL_TITLES: list[str] = []


def _xhs_worker(job: tuple) -> int:
    seed, k, rows, created, path, compresslevel = job
    return _xhs_one((seed, k, rows, _POOL_TITLES, created, path, compresslevel))


def xhs_files(out_dir: str | Path, files: int = 1000, rows: int = 1000, *, seed: int = 7, compresslevel: int = 6,
              end: datetime | None = None, jobs: int | None = None) -> dict:
    """Write ``files`` 笔记列表明细表 workbooks of ``rows`` notes each (browser naming: ``笔记列表明细表 (n).xlsx``).

    ``jobs`` worker processes (default: the machine's cores); the output does not depend on it.
    """
    global _POOL_TITLES
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = min(rows, 1000)  # the platform exports at most 1000 notes per file
    _POOL_TITLES = _title_pool(seed, 2000)
    end = end or datetime.combine(today_shanghai(), dtime(10, 0))
    taken: set[str] = set()
    names = [unique_download_name(out, "笔记列表明细表.xlsx", taken) for _ in range(files)]
    work = [(seed, k, rows, end - timedelta(minutes=files - k), str(out / names[k]), compresslevel) for k in range(files)]
    jobs = jobs or min(os.cpu_count() or 1, 4)
    if jobs > 1 and files > 4:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs) as pool:
            sizes = pool.map(_xhs_worker, work, chunksize=max(1, files // (jobs * 8)))
    else:
        sizes = [_xhs_worker(w) for w in work]
    secs = time.perf_counter() - t0
    info = {"dir": str(out), "files": files, "rows_per_file": rows, "bytes": int(sum(sizes)), "seconds": round(secs, 2),
            "jobs": jobs, "names": names}
    (out / "files.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return {k: v for k, v in info.items() if k != "names"}
