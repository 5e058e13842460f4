#!/usr/bin/env python
"""Synthetic export files for kpiboard's demo and benchmarks.

    python bench/generate.py demo --out DIR [--seed 7] [--end 2026-11-22] [--profile demo|full|tiny] [--scale 1.0]
    python bench/generate.py qianchuan-csv --rows 1000000 --out /tmp/x.csv [--encoding utf-8|utf-8-sig|gbk]
    python bench/generate.py qianchuan-csv --rows 1000000 --format xlsx --out /tmp/x.xlsx [--engine fast|openpyxl]
    python bench/generate.py xhs-files --files 1000 --rows 1000 --out DIR
    python bench/generate.py selfcheck [--profile demo|full|tiny] [--keep DIR]

Run from the repository root (or anywhere: the script puts the repository on ``sys.path``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.exportgen import bulk  # noqa: E402
from bench.exportgen.demo import generate_demo  # noqa: E402
from bench.exportgen.model import PROFILES, Config  # noqa: E402


def _date(s: str) -> date:
    return date.fromisoformat(s)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/generate.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("demo", help="the demo organisation's exports + manifest.json")
    d.add_argument("--out", required=True, type=Path)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--end", type=_date, default=None, help="last collection day (default: today in Asia/Shanghai; yesterday before noon)")
    d.add_argument("--profile", choices=sorted(PROFILES), default="demo",
                   help="demo (default: ~420 files, quick to import), full (every export weekly: ~1,800 files), tiny (a month)")
    d.add_argument("--weeks", type=int, default=None, help="weeks of collections (default 52; tiny: 4)")
    d.add_argument("--recent-weekly", type=int, default=None, help="the last N collections take every list export weekly")
    d.add_argument("--list-every", type=int, default=None, help="older list exports every N weeks (demo: 8; full: 1)")
    d.add_argument("--trend-every", type=int, default=None, help="XHS 近30日 workbooks every N weeks (default 4)")
    d.add_argument("--long-trend-every", type=int, default=None, help="WeChat/Douyin/Bilibili trends every N weeks (demo: 12)")
    d.add_argument("--ads-every", type=int, default=None, help="ad reports every N weeks (demo: 8; full: 1)")
    d.add_argument("--scale", type=float, default=None, help="multiplies posting rates (default 1.0: ~60-190 posts/account)")
    d.add_argument("--window-days", type=int, default=None, help="minimum reach of list exports in days (default 30)")
    d.add_argument("--no-ads", action="store_true", help="skip Ocean Engine / Qianchuan reports")

    q = sub.add_parser("qianchuan-csv", help="a large Qianchuan-like daily material report")
    q.add_argument("--rows", type=int, default=1_000_000)
    q.add_argument("--out", required=True, type=Path)
    q.add_argument("--seed", type=int, default=7)
    q.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    q.add_argument("--encoding", choices=("utf-8", "utf-8-sig", "gbk"), default="utf-8")
    q.add_argument("--empty", default="--", help="marker of empty cells: -- (default) or —")
    q.add_argument("--engine", choices=("fast", "openpyxl"), default="fast", help="xlsx writer (default: fast streaming writer)")
    q.add_argument("--compresslevel", type=int, default=6)
    q.add_argument("--end", type=_date, default=None)

    x = sub.add_parser("xhs-files", help="many 笔记列表明细表.xlsx files")
    x.add_argument("--files", type=int, default=1000)
    x.add_argument("--rows", type=int, default=1000)
    x.add_argument("--out", required=True, type=Path)
    x.add_argument("--seed", type=int, default=7)
    x.add_argument("--compresslevel", type=int, default=6)

    s = sub.add_parser("selfcheck", help="generate the demo into a temp dir and check every file")
    s.add_argument("--keep", type=Path, default=None, help="write into this directory instead of a temp dir")
    s.add_argument("--end", type=_date, default=None)
    s.add_argument("--profile", choices=sorted(PROFILES), default="demo")

    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    if a.cmd == "demo":
        cfg = Config.for_profile(a.profile, weeks=a.weeks, recent_weekly=a.recent_weekly, list_every=a.list_every,
                                 trend_every=a.trend_every, long_trend_every=a.long_trend_every, ads_every=a.ads_every,
                                 scale=a.scale, list_window_days=a.window_days, ads=False if a.no_ads else None)
        man = generate_demo(a.out, seed=a.seed, end=a.end, config=cfg)
        tot = man.to_dict()["totals"]
        print(json.dumps({"out": str(a.out), "manifest": str(a.out / "manifest.json"), **tot,
                          "seconds": round(time.perf_counter() - t0, 2)}, ensure_ascii=False))
    elif a.cmd == "qianchuan-csv":
        info = bulk.qianchuan_report(a.out, a.rows, seed=a.seed, fmt=a.format, encoding=a.encoding, empty=a.empty, engine=a.engine,
                                     compresslevel=a.compresslevel, end=a.end)
        print(json.dumps(info, ensure_ascii=False))
    elif a.cmd == "xhs-files":
        info = bulk.xhs_files(a.out, a.files, a.rows, seed=a.seed, compresslevel=a.compresslevel)
        print(json.dumps(info, ensure_ascii=False))
    elif a.cmd == "selfcheck":
        from bench.exportgen.selfcheck import run

        return run(keep=a.keep, end=a.end, profile=a.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
