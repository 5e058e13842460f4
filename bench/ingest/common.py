"""What the ingestion benchmark's processes share: the environment, the database, the tenant and the input files.

Every measured step runs in a child process of its own (``bench.ingest.child``), started with the environment
built here, so that its peak RSS (``ru_maxrss``, the kernel's VmHWM) is the import's and nothing else's.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, time
from pathlib import Path

from bench import pg

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
INPUTS = OUT / "inputs"
MEDIA = OUT / "media"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kpiboard_bench_ingest"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"
DB_NAME_PREFIX = "kpiboard_bench_ingest"
ORG_SLUG = "bench-ingest"
USER_EMAIL = "bench-ingest@kpiboard.local"
SEED = 7
END = date(2026, 6, 30)  # fixed: the inputs are byte-identical from run to run
# A 1 M-row Qianchuan CSV is ~150 MB, past the 100 MB default upload limit (a setting): the benchmark raises it.
MAX_BYTES = 1024 * 1024 * 1024


def child_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of every process the benchmark starts (children, the Celery worker)."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CACHE_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "kpiboard.settings",
        "DEBUG": "false",  # DEBUG keeps every query in memory: not what a worker does
        "MEDIA_ROOT": str(MEDIA),
        "KPIBOARD_IMPORT_MAX_BYTES": str(MAX_BYTES),
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    return env


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiboard.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recreate_database(url: str) -> None:
    """Drop and create the benchmark's own database (only a ``kpiboard_bench_ingest[_…]`` one)."""
    pg.recreate_database(url, DB_NAME_PREFIX, force=True)


def create_tenant(brands: list[str]) -> dict:
    """The benchmark's organization, an owner with an API token, and one empty brand per scenario."""
    from rest_framework.authtoken.models import Token

    from accounts.models import Brand, Membership, Organization, Role, User

    org = Organization.objects.create(name="Bench Ingest", slug=ORG_SLUG, kind=Organization.Kind.AGENCY)
    user = User.objects.create_user(USER_EMAIL, "bench-ingest-password-1")
    Membership.objects.create(organization=org, user=user, role=Role.OWNER)
    token = Token.objects.create(user=user)
    for slug in brands:
        Brand.objects.create(organization=org, name=slug, slug=slug)
    return {"org": org.slug, "org_id": org.id, "token": token.key}


DATA_TABLES = ("metrics_postdailyfact", "metrics_postsnapshot", "metrics_postcategory", "metrics_dailyrollup",
               "metrics_accountdailyfact", "metrics_post", "metrics_socialaccount", "metrics_importbatch")


def empty_data_tables() -> None:
    """Every scenario starts from empty import tables (the previous scenario's rows would make its indexes
    bigger), with fresh planner statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("DROP TABLE IF EXISTS bench_floor_fact, bench_floor_post")
        cursor.execute("ANALYZE")


# ----------------------------------------------------------------------------------------------- inputs


def _cached(path: Path, params: dict, make) -> dict:
    """Generate ``path`` unless it exists with the same parameters (a ``.json`` sidecar records them)."""
    meta = path.with_name(path.name + ".json")
    if path.exists() and meta.exists():
        info = json.loads(meta.read_text())
        if info.get("params") == params:
            return info
    info = make()
    info["params"] = params
    meta.write_text(json.dumps(info, ensure_ascii=False, indent=1))
    return info


def qianchuan_input(rows: int, fmt: str = "csv") -> Path:
    """The Qianchuan-like daily material report of ``rows`` rows (bench/exportgen), as CSV or XLSX."""
    from bench.exportgen import bulk

    path = INPUTS / f"qianchuan_{rows}.{fmt}"
    INPUTS.mkdir(parents=True, exist_ok=True)
    params = {"rows": rows, "fmt": fmt, "seed": SEED, "end": END.isoformat()}
    _cached(path, params, lambda: bulk.qianchuan_report(path, rows, seed=SEED, fmt=fmt, end=END))
    return path


def xhs_input(files: int, rows: int) -> tuple[Path, list[str]]:
    """``files`` 笔记列表明细表.xlsx workbooks of ``rows`` notes each (bench/exportgen), with their names in order."""
    from bench.exportgen import bulk

    folder = INPUTS / f"xhs_{files}x{rows}"
    params = {"files": files, "rows": rows, "seed": SEED}
    marker = folder / "params.json"
    if not (marker.exists() and json.loads(marker.read_text()) == params):
        bulk.xhs_files(folder, files, rows, seed=SEED, end=datetime.combine(END, time(10, 0)))
        marker.write_text(json.dumps(params))
    names = json.loads((folder / "files.json").read_text(encoding="utf-8"))["names"]
    return folder, names
