"""Ingestion benchmark: kpiboard's import against a floor measured in the same run, on PostgreSQL.

    .venv/bin/python -m bench.ingest.run                 # the full sizes (1 M rows, 1,000 files, 100 k rows)
    .venv/bin/python -m bench.ingest.run --quick         # small sizes: about a minute
    .venv/bin/python -m bench.ingest.run --scenarios floor,csv --rows 200000

The database (``DATABASE_URL``, default ``kpiboard_bench_ingest`` on 127.0.0.1) is dropped, recreated and
migrated; Redis db 4 (``--redis``) is the broker and cache and is emptied. Inputs come from the export generator
(``bench/exportgen``) into ``bench/out/inputs/`` and are reused while their parameters match. Every step runs
in a child process (``bench.ingest.child``), so its peak RSS is its own; every scenario starts from empty import
tables. Prints a Markdown table and writes every figure to ``bench/out/ingest-<time>.json``.

Scenarios (``--scenarios``):

- ``floor``: pandas ``read_csv`` of the N-row Qianchuan CSV, and ``COPY … FROM STDIN`` of the same rows,
  normalised as the import stores them, into copies of ``metrics_post`` / ``metrics_postdailyfact`` carrying only
  their natural-key unique indexes. Timed separately; their sum is the floor.
- ``csv``: upload to succeeded through the service (``import_batch_create`` + ``import_batch_run``), N rows.
- ``api``: the same file POSTed to the API with a real Celery worker (``--pool solo``) doing the import;
  upload to the poll that sees ``succeeded``; the worker's VmHWM.
- ``xlsx``: the same rows as an XLSX workbook, through the service; also the reader + parser alone.
- ``files``: F XHS note lists (笔记列表明细表.xlsx) of R rows, one batch each, and F/5 lists of R/10 rows, for
  the per-file overhead (see bench/README.md for its definition).
- ``iexport``: django-import-export (``bench.ingest.iexport``) against kpiboard on the same M rows.
"""

# The benchmark starts its own interpreter (children, the Celery worker) and git: fixed argument lists.
# ruff: noqa: S603, S607
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.ingest import common

SCENARIOS = ("floor", "csv", "api", "xlsx", "files", "iexport")
BRANDS = ("csv", "api", "xlsx", "files", "files-small", "files-warmup", "iexport", "kpiboard-iexport")
TARGETS = {"e2e_ratio": 3.0, "e2e_seconds": 30.0, "rss_mb": 1024.0, "xlsx_rows_per_s": 30_000.0,
           "file_overhead_ms": 200.0, "iexport_speedup": 20.0}


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


def run_child(env: dict, step: str, **kwargs) -> dict:
    """Run one step in a child process; its last stdout line is the JSON result."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench.ingest.child", step, json.dumps(kwargs)], env=env,
                          cwd=common.ROOT, capture_output=True, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"step {step} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1])
    log(f"{step}: {json.dumps(result, ensure_ascii=False)[:400]} ({time.perf_counter() - started:.1f} s wall)")
    return result


# ------------------------------------------------------------------------------------------ Celery worker


class Worker:
    """A real Celery worker (solo pool: the import runs in the worker process itself, whose VmHWM is read)."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.log_path = log_path
        self.log = log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kpiboard", "worker", "--pool", "solo", "--concurrency", "1",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", "bench-ingest@%h"], env=env, cwd=common.ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the Celery worker exited: see {self.log_path}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise SystemExit(f"the Celery worker did not start in {timeout:.0f} s: see {self.log_path}")

    def peak_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_s(self) -> float:
        """User + system CPU seconds the worker process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# -------------------------------------------------------------------------------------------- scenarios


def prepare(args) -> dict:
    """Recreate and migrate the database, empty Redis db, create the tenant (in this process)."""
    common.recreate_database(args.database_url)
    os.environ.update(common.child_env(args.database_url, args.redis))
    common.setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    return common.create_tenant(list(BRANDS))


def fresh() -> None:
    common.empty_data_tables()


def scenario_floor(args, env, results) -> None:
    path = common.qianchuan_input(args.rows, "csv")
    fresh()
    results["floor"] = run_child(env, "floor", path=str(path))


def scenario_csv(args, env, results) -> None:
    path = common.qianchuan_input(args.rows, "csv")
    fresh()
    results["csv"] = run_child(env, "service_import", path=str(path), brand="csv")


def scenario_api(args, env, results, tenant) -> None:
    path = common.qianchuan_input(args.rows, "csv")
    fresh()
    worker = Worker(env, common.OUT / "ingest-celery-worker.log")
    try:
        worker.wait_ready()
        cpu = worker.cpu_s()
        result = run_child(env, "api_upload", path=str(path), brand="api", token=tenant["token"],
                           timeout=args.api_timeout)
        result["worker_rss_peak_mb"] = worker.peak_mb()
        result["worker_cpu_s"] = worker.cpu_s() - cpu
    finally:
        worker.stop()
    results["api"] = result


def scenario_xlsx(args, env, results) -> None:
    path = common.qianchuan_input(args.xlsx_rows, "xlsx")
    fresh()
    results["xlsx_read"] = run_child(env, "read_only", path=str(path))
    fresh()
    results["xlsx"] = run_child(env, "service_import", path=str(path), brand="xlsx")


def scenario_files(args, env, results) -> None:
    folder, names = common.xhs_input(args.files, args.file_rows)
    small_rows = max(1, args.file_rows // 10)
    small_folder, small_names = common.xhs_input(max(1, args.files // 5), small_rows)
    fresh()
    results["files"] = run_child(env, "service_files", folder=str(folder), names=names, brand="files",
                                 warmup_brand="files-warmup")
    results["files"]["rows_per_file"] = args.file_rows
    fresh()
    results["files_small"] = run_child(env, "service_files", folder=str(small_folder), names=small_names,
                                       brand="files-small", warmup_brand="files-warmup")
    results["files_small"]["rows_per_file"] = small_rows


def scenario_iexport(args, env, results) -> None:
    path = common.qianchuan_input(args.iexport_rows, "csv")
    fresh()
    results["iexport_kpiboard"] = run_child(env, "service_import", path=str(path), brand="kpiboard-iexport")
    for bulk in (True, False) if args.iexport_default_rows else (True,):
        rows = args.iexport_rows if bulk else args.iexport_default_rows
        fresh()
        if not bulk and rows != args.iexport_rows:
            path_small = common.qianchuan_input(rows, "csv")
            results["iexport_kpiboard_default_rows"] = run_child(env, "service_import", path=str(path_small),
                                                                 brand="kpiboard-iexport")
            fresh()
        else:
            path_small = path
        results["iexport_bulk" if bulk else "iexport_default"] = run_child(
            env, "import_export", path=str(path_small), brand="iexport", rows=rows, bulk=bulk)


# ------------------------------------------------------------------------------------------------ report


def figures(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, verdict) rows of the report."""
    out = []

    def add(name, value, target=None, ok=None):
        out.append((name, value, target or "", "" if ok is None else ("met" if ok else "NOT met")))

    floor = results.get("floor")
    floor_s = floor["read_csv_s"] + floor["copy_s"] if floor else None
    if floor:
        add(f"floor: pandas read_csv, {floor['rows']:,} rows", f"{floor['read_csv_s']:.2f} s")
        add(f"floor: COPY FROM STDIN, {floor['posts']:,} posts + {floor['facts']:,} facts",
            f"{floor['copy_s']:.2f} s ({floor['copy_facts_s']:.2f} s facts)")
        add("floor: read_csv + COPY", f"{floor_s:.2f} s")
    csv = results.get("csv")
    if csv:
        add(f"CSV end to end (service), {csv['rows']:,} rows", f"{csv['seconds']:.2f} s "
            f"({csv['rows'] / csv['seconds']:,.0f} rows/s; import process CPU {csv['cpu_s']:.1f} s)", f"≤ {TARGETS['e2e_seconds']:.0f} s",
            csv["seconds"] <= TARGETS["e2e_seconds"] and csv["status"] == "succeeded")
        if floor_s:
            ratio = csv["seconds"] / floor_s
            add("CSV end to end ÷ floor", f"{ratio:.2f}×", f"≤ {TARGETS['e2e_ratio']:.0f}×", ratio <= TARGETS["e2e_ratio"])
        add("CSV import process peak RSS", f"{csv['rss_peak_mb']:.0f} MB", "< 1024 MB",
            csv["rss_peak_mb"] < TARGETS["rss_mb"])
    api = results.get("api")
    if api:
        add(f"CSV upload → succeeded via API + Celery worker, {api.get('rows') or 0:,} rows",
            f"{api['seconds']:.2f} s (upload {api['upload_s']:.2f} s; worker CPU {api['worker_cpu_s']:.1f} s)", f"≤ {TARGETS['e2e_seconds']:.0f} s",
            api["seconds"] <= TARGETS["e2e_seconds"] and api["status"] == "succeeded")
        if floor_s:
            ratio = api["seconds"] / floor_s
            add("API + worker ÷ floor", f"{ratio:.2f}×", f"≤ {TARGETS['e2e_ratio']:.0f}×", ratio <= TARGETS["e2e_ratio"])
        add("Celery worker peak RSS (VmHWM)", f"{api['worker_rss_peak_mb']:.0f} MB", "< 1024 MB",
            api["worker_rss_peak_mb"] < TARGETS["rss_mb"])
    xlsx, xread = results.get("xlsx"), results.get("xlsx_read")
    if xread:
        add(f"XLSX reader + parser alone, {xread['rows']:,} rows", f"{xread['seconds']:.2f} s "
            f"({xread['rows'] / xread['seconds']:,.0f} rows/s, peak RSS {xread['rss_peak_mb']:.0f} MB)")
    if xlsx:
        rate = xlsx["rows"] / xlsx["seconds"]
        add(f"XLSX end to end (service), {xlsx['rows']:,} rows",
            f"{xlsx['seconds']:.2f} s ({rate:,.0f} rows/s; import process CPU {xlsx['cpu_s']:.1f} s)",
            f"≥ {TARGETS['xlsx_rows_per_s']:,.0f} rows/s", rate >= TARGETS["xlsx_rows_per_s"]
            and xlsx["status"] == "succeeded")
        add("XLSX import process peak RSS", f"{xlsx['rss_peak_mb']:.0f} MB", "< 1024 MB",
            xlsx["rss_peak_mb"] < TARGETS["rss_mb"])
    files, small = results.get("files"), results.get("files_small")
    if files:
        per_file = files["seconds"] / files["files"]
        add(f"{files['files']:,} files of {files['rows_per_file']:,} rows (XHS note lists)",
            f"{files['seconds']:.1f} s, {per_file * 1000:.0f} ms per file (median "
            f"{files['per_file_median_s'] * 1000:.0f} ms; CPU {files['files_cpu_s'] / files['files'] * 1000:.0f} ms), "
            f"{files['n_failed']} failed")
        if csv:
            per_row = csv["seconds"] / csv["rows"]
            overhead = per_file - files["rows_per_file"] * per_row
            add("per-file overhead (a): per file − rows × per-row cost of the big CSV run",
                f"{overhead * 1000:.0f} ms", f"≤ {TARGETS['file_overhead_ms']:.0f} ms",
                overhead * 1000 <= TARGETS["file_overhead_ms"])
        if small:
            small_per_file = small["seconds"] / small["files"]
            per_row = (per_file - small_per_file) / (files["rows_per_file"] - small["rows_per_file"])
            overhead = small_per_file - small["rows_per_file"] * per_row
            add(f"per-file overhead (b): intercept of {small['files']} files of {small['rows_per_file']} rows "
                f"({small_per_file * 1000:.0f} ms each) and the above", f"{overhead * 1000:.0f} ms "
                f"(XHS row: {per_row * 1e6:.0f} µs)", f"≤ {TARGETS['file_overhead_ms']:.0f} ms",
                overhead * 1000 <= TARGETS["file_overhead_ms"])
    kb = results.get("iexport_kpiboard")
    for key, label in (("iexport_bulk", "use_bulk + skip_diff"), ("iexport_default", "defaults")):
        ie = results.get(key)
        if not ie or not kb:
            continue
        ours = kb if ie["rows"] == kb["rows"] else results.get("iexport_kpiboard_default_rows", kb)
        speedup = ie["seconds"] / ours["seconds"]
        add(f"django-import-export ({label}), {ie['rows']:,} rows", f"{ie['seconds']:.1f} s "
            f"(posts {ie['posts_s']:.1f} s; CPU {ie['cpu_s']:.0f} s) vs kpiboard {ours['seconds']:.2f} s "
            f"(CPU {ours['cpu_s']:.1f} s)")
        add(f"kpiboard speed-up over django-import-export ({label})", f"{speedup:.1f}×",
            f"≥ {TARGETS['iexport_speedup']:.0f}×", speedup >= TARGETS["iexport_speedup"])
    return out


def markdown(rows) -> str:
    lines = ["| figure | value | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def machine() -> dict:
    info = {"python": platform.python_version(), "cpus": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
        with open("/proc/meminfo") as fh:
            info["memory_gb"] = round(int(fh.readline().split()[1]) / 1024 / 1024, 1)
        info["load_average"] = os.getloadavg()
    except (OSError, StopIteration):
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        info["postgresql"] = cursor.fetchone()[0]
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=common.ROOT, capture_output=True,
                                        text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=common.ROOT, capture_output=True, text=True,
                               check=False).stdout.strip()
        info["uncommitted_work"] = bool(dirty)
    except OSError:
        pass
    return info


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated: {', '.join(SCENARIOS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--rows", type=int, default=None, help="rows of the Qianchuan CSV (default 1,000,000)")
    parser.add_argument("--xlsx-rows", type=int, default=None, help="rows of the XLSX (default: --rows)")
    parser.add_argument("--files", type=int, default=None, help="XHS files (default 1,000)")
    parser.add_argument("--file-rows", type=int, default=1000, help="rows per XHS file (default 1,000)")
    parser.add_argument("--iexport-rows", type=int, default=None, help="rows for django-import-export (100,000)")
    parser.add_argument("--iexport-default-rows", type=int, default=None,
                        help="also run django-import-export with its default settings on this many rows")
    parser.add_argument("--api-timeout", type=float, default=900)
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", common.DEFAULT_REDIS))
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default bench/out/ingest-<time>.json)")
    args = parser.parse_args(argv)
    args.database_url = os.environ.get("DATABASE_URL") or common.DEFAULT_URL
    if not args.database_url.startswith("postgres"):
        raise SystemExit("the benchmark runs on PostgreSQL: DATABASE_URL=postgres://…/kpiboard_bench_ingest")
    quick = args.quick
    args.rows = args.rows or (50_000 if quick else 1_000_000)
    args.xlsx_rows = args.xlsx_rows or args.rows
    args.files = args.files or (10 if quick else 1000)
    args.iexport_rows = args.iexport_rows or (1_000 if quick else 100_000)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    common.OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    log(f"preparing {args.database_url.rsplit('/', 1)[-1]} and {args.redis}")
    tenant = prepare(args)
    env = common.child_env(args.database_url, args.redis)
    results: dict = {}
    for name in SCENARIOS:
        if name not in chosen:
            continue
        log(f"scenario {name}")
        if name == "api":
            scenario_api(args, env, results, tenant)
        else:
            globals()[f"scenario_{name}"](args, env, results)
    table = figures(results)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "arguments": {k: v for k, v in vars(args).items() if k not in ("out",)}, "results": results,
              "table": table, "seconds": time.perf_counter() - started}
    out = args.out or common.OUT / f"ingest-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    print(markdown(table))
    print(f"\n{report['machine']}\nJSON: {out}")


if __name__ == "__main__":
    main()
