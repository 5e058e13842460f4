"""What the benchmarks share about their PostgreSQL databases."""

from __future__ import annotations

from urllib.parse import urlparse


def recreate_database(url: str, prefix: str, *, force: bool = False) -> None:
    """Drop and create the benchmark's own database: only one named ``prefix`` or ``prefix_…`` (each benchmark
    owns its databases). ``force``: end other sessions on it first (``DROP DATABASE … WITH (FORCE)``)."""
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if name != prefix and not name.startswith(prefix + "_"):
        raise SystemExit(f"refusing to drop {name!r}: this benchmark only drops {prefix}[_…] "
                         "(other benchmarks own other databases)")
    conn = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                            password=parsed.password, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"{" WITH (FORCE)" if force else ""}')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
