"""One measured step of the ingestion benchmark, run in a process of its own:

    python -m bench.ingest.child STEP '{"json": "arguments"}'

prints one JSON object on its last line: the step's figures plus ``rss_peak_mb`` (``ru_maxrss``: the highest
resident set size this process reached, i.e. VmHWM), ``rss_start_mb`` (after Django's start-up, before the
step) and ``cpu_s`` (this process's user + system CPU time during the step; PostgreSQL's is not in it). The parent (``bench.ingest.run``) starts it with the environment of ``bench.ingest.common.child_env``.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.ingest.common import ORG_SLUG, setup_django


def _rss_mb() -> float:
    """The current resident set size (VmRSS), in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# ------------------------------------------------------------------------------------------------- floor


def floor(path: str) -> dict:
    """The floor: pandas ``read_csv`` of the file, then ``COPY … FROM STDIN`` of the same rows, normalised as the
    import stores them, into copies of the target tables that carry only their natural-key unique index."""
    import pandas as pd
    from django.db import connection, transaction

    started = time.perf_counter()
    frame = pd.read_csv(path)
    read_csv = time.perf_counter() - started
    rows = len(frame)
    posts, facts = _normalise_qianchuan(frame, connection)
    del frame
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_fact, bench_floor_post")
        cursor.execute("CREATE TABLE bench_floor_post (LIKE metrics_post INCLUDING DEFAULTS INCLUDING IDENTITY)")
        cursor.execute("CREATE UNIQUE INDEX ON bench_floor_post (organization_id, brand_id, platform, natural_key)")
        cursor.execute("CREATE TABLE bench_floor_fact "
                       "(LIKE metrics_postdailyfact INCLUDING DEFAULTS INCLUDING IDENTITY)")
        cursor.execute("CREATE UNIQUE INDEX ON bench_floor_fact (organization_id, post_id, day)")
    timings = {}
    for table, (columns, text) in (("bench_floor_post", posts), ("bench_floor_fact", facts)):
        # CSV as the import's own COPY uses; an unquoted empty cell is NULL, except in the two blank text columns
        not_null = ", FORCE_NOT_NULL (url, status)" if table == "bench_floor_post" else ""
        buffer = io.StringIO(text)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{not_null})", buffer)
        timings[table] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM bench_floor_post), (SELECT count(*) FROM bench_floor_fact)")
        n_posts, n_facts = cursor.fetchone()
        cursor.execute("DROP TABLE bench_floor_fact, bench_floor_post")
    return {"rows": rows, "read_csv_s": read_csv, "copy_posts_s": timings["bench_floor_post"],
            "copy_facts_s": timings["bench_floor_fact"], "copy_s": sum(timings.values()), "posts": n_posts,
            "facts": n_facts, "copy_mb": (len(posts[1]) + len(facts[1])) / 1e6}


def _normalise_qianchuan(frame, connection) -> tuple[tuple[list[str], str], tuple[list[str], str]]:
    """The rows a Qianchuan daily report becomes, as COPY text (not timed): one post per material (natural key
    ``id:<素材ID>``) and one daily fact per row, with every column the import fills. The report's columns are
    mapped with kpiboard's own column map (``douyin.qianchuan_materials_daily``) so that the same values land
    in the same columns: catalog column metrics as numbers (rates as fractions), the other values in ``extra``
    as JSON, ``--`` as NULL."""
    import numpy as np
    import pandas as pd

    from metrics.catalog import COLUMN_METRICS
    from metrics.ingestion.platforms.douyin import QIANCHUAN_DAILY

    by_header = {h: c for c in QIANCHUAN_DAILY.columns for h in c.headers}
    now = "2026-07-01 00:00:00+00"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_organization WHERE slug = %s", [ORG_SLUG])
        org = cursor.fetchone()[0]
    ids = frame["素材ID"].astype(str)
    codes, uniques = pd.factorize(ids)
    first = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy()
    post_ids = codes + 1
    posts = pd.DataFrame({
        "id": np.arange(1, len(uniques) + 1), "organization_id": org, "created_at": now, "updated_at": now,
        "brand_id": 1, "account_id": 1, "platform": "douyin", "natural_key": "id:" + pd.Series(uniques),
        "platform_post_id": uniques, "url": "", "title": frame["素材名称"].to_numpy()[first],
        "published_at": pd.Series(frame["素材创建时间"].to_numpy()[first]) + "+08",
        "content_format": "ad", "media_type": "paid", "paid_kind": "paid_ad", "traffic": "paid", "status": "",
    })
    columns, extra = {}, {}
    for header in frame.columns:
        col = by_header.get(header)
        if col is None or col.target in ("date", "material_id", "title", "published_at"):
            continue
        values = frame[header]
        if not pd.api.types.is_numeric_dtype(values):
            text = values.astype(str)
            pct = text.str.endswith("%")
            values = pd.to_numeric(text.str.rstrip("%").replace({"--": None, "—": None}), errors="coerce")
            values = values.where(~pct, values / 100)
        (columns if col.target in COLUMN_METRICS else extra)[col.target] = values.astype(float)
    facts = pd.DataFrame({"organization_id": org, "created_at": now, "updated_at": now, "post_id": post_ids,
                          "brand_id": 1, "account_id": 1, "platform": "douyin", "media_type": "paid",
                          "paid_kind": "paid_ad", "traffic": "paid", "content_format": "ad", "day": frame["日期"],
                          "source": "daily", "decreased": "f"})
    for key, values in columns.items():
        facts[key] = values
    keys = list(extra)
    json_rows = [json.dumps({k: v for k, v in zip(keys, vals, strict=True) if v == v})
                 for vals in zip(*(extra[k].tolist() for k in keys), strict=True)]
    facts["extra"] = json_rows

    def text(df: pd.DataFrame) -> tuple[list[str], str]:
        out = io.StringIO()
        df.to_csv(out, header=False, index=False, na_rep="", lineterminator="\n")
        return list(df.columns), out.getvalue()

    return text(posts), text(facts)


# ------------------------------------------------------------------------------------------ the service


def _brand(slug: str):
    from accounts.models import Brand

    return Brand.objects.get(organization__slug=ORG_SLUG, slug=slug)


def _import_one(path: Path, brand, as_of: datetime | None, name: str | None = None):
    from django.core.files import File

    from metrics.services.imports import import_batch_create, import_batch_run

    with path.open("rb") as fh:
        batch = import_batch_create(None, brand, File(fh, name=name or path.name), as_of=as_of, enqueue=False)
    return import_batch_run(batch.pk, batch.organization_id)


def _batch_figures(batch) -> dict:
    return {"batch": batch.pk, "status": batch.status, "message": batch.message[:300], "rows": batch.rows_total,
            "rows_ok": batch.rows_ok, "posts_created": batch.posts_created, "snapshots": batch.snapshots,
            "facts": batch.facts, "errors": batch.rows_error, "file_type": batch.file_type}


def service_import(path: str, brand: str) -> dict:
    """Upload to succeeded through the service the API and the CLI use: ``import_batch_create`` (store and hash
    the file, create the batch) + ``import_batch_run`` (claim, parse, load, commit)."""
    target = _brand(brand)
    started = time.perf_counter()
    batch = _import_one(Path(path), target, None)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, **_batch_figures(batch)}


def service_files(folder: str, names: list[str], brand: str, warmup_brand: str | None = None) -> dict:
    """Import the files one after the other (each its own batch, a minute apart as collections), timing each.

    A worker imports many files in one process: with ``warmup_brand`` the first file is imported once into that
    brand first, untimed, so that the figures do not carry the process's first-import costs (module imports,
    connections)."""
    target = _brand(brand)
    base = datetime.fromisoformat("2026-06-30T10:00:00+08:00") - timedelta(minutes=len(names))
    if warmup_brand and names:
        _import_one(Path(folder) / names[0], _brand(warmup_brand), base - timedelta(minutes=1), names[0])
    times, rows, posts, failed = [], 0, 0, []
    cpu = time.process_time()
    started = time.perf_counter()
    for k, name in enumerate(names):
        t0 = time.perf_counter()
        batch = _import_one(Path(folder) / name, target, base + timedelta(minutes=k), name)
        times.append(time.perf_counter() - t0)
        rows += batch.rows_total or 0
        posts += batch.posts_created
        if batch.status != "succeeded":
            failed.append({"file": name, "message": batch.message[:300]})
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu
    times.sort()
    return {"files": len(names), "seconds": total, "files_cpu_s": cpu, "rows": rows, "posts_created": posts, "failed": failed[:5],
            "n_failed": len(failed), "per_file_mean_s": total / max(len(names), 1),
            "per_file_median_s": times[len(times) // 2] if times else None}


def read_only(path: str) -> dict:
    """The reader and parser alone (no database): ``parse_file`` and every chunk of every section."""
    from metrics.ingestion.parse import parse_file

    started = time.perf_counter()
    parsed = parse_file(path)
    rows = 0
    for section in parsed.sections:
        for chunk in section.chunks():
            rows += len(chunk.frame)
    return {"seconds": time.perf_counter() - started, "rows": rows}


# ---------------------------------------------------------------------------------------------- the API


def api_upload(path: str, brand: str, token: str, timeout: float) -> dict:
    """POST the file to ``/api/v1/orgs/<slug>/imports/`` (multipart, token authentication, the whole Django stack
    in this process) and poll ``…/imports/<id>/`` until a Celery worker has finished it."""
    from django.test import Client

    target = _brand(brand)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/orgs/{ORG_SLUG}/imports/"
    client.get(url)  # not timed: the first request loads the URL conf and the API's modules, as a server has
    started = time.perf_counter()
    with open(path, "rb") as fh:
        response = client.post(url, {"file": fh, "brand": target.id})
    uploaded = time.perf_counter() - started
    if response.status_code != 202:
        return {"error": f"upload answered {response.status_code}: {response.content[:300]!r}"}
    batch_id = response.json()["id"]
    polls, body = 0, {}
    while time.perf_counter() - started < timeout:
        body = client.get(f"{url}{batch_id}/").json()
        polls += 1
        if body["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "upload_s": uploaded, "batch": batch_id, "status": body.get("status"),
            "rows": body.get("rows_total"), "message": (body.get("message") or "")[:300], "polls": polls}


# ------------------------------------------------------------------------------------ django-import-export


def import_export(path: str, brand: str, rows: int, bulk: bool) -> dict:
    """django-import-export importing the report's first ``rows`` rows into the same tables (``bench.ingest.
    iexport``): the posts resource over the distinct materials, then the daily facts resource over every row,
    each one ``import_data`` call; parsing the CSV into a tablib Dataset is timed too."""
    import tablib

    from bench.ingest.iexport import fact_resource, post_resource

    target = _brand(brand)
    with open(path, encoding="utf-8") as fh:
        text = "".join(line for _, line in zip(range(rows + 1), fh, strict=False))
    started = time.perf_counter()
    dataset = tablib.Dataset().load(text, format="csv")
    # One row per material for the posts resource: its cached instance loader does not see the posts it creates
    # during the same import, so a material on many days would be created many times.
    seen: set[str] = set()
    materials = tablib.Dataset(headers=dataset.headers)
    column = dataset.headers.index("素材ID")
    for row in dataset:
        if row[column] not in seen:
            seen.add(row[column])
            materials.append(row)
    posts = post_resource(target, bulk).import_data(materials, dry_run=False, use_transactions=True,
                                                    raise_errors=True)
    post_s = time.perf_counter() - started
    facts = fact_resource(target, bulk).import_data(dataset, dry_run=False, use_transactions=True,
                                                    raise_errors=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "posts_s": post_s, "rows": len(dataset), "bulk": bulk,
            "posts": dict(posts.totals), "facts": dict(facts.totals)}


STEPS = {"floor": floor, "service_import": service_import, "service_files": service_files, "read_only": read_only,
         "api_upload": api_upload, "import_export": import_export}


def main() -> None:
    step, args = sys.argv[1], json.loads(sys.argv[2])
    setup_django()
    from django.db import connection

    connection.ensure_connection()
    start = _rss_mb()
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = STEPS[step](**args)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    result.update({"rss_start_mb": start, "rss_peak_mb": _peak_mb(), "cpu_s": cpu})
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
