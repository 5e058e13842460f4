"""Caching of engine answers, keyed so that a committed import is visible at once and tenants never share.

Key = ``kpiboard:kpi:<function>:<organization id>:<sha256 of (organization id, function, normalised scope,
period, options, sorted (brand id, data_version, brand and accounts edit stamps) of the brands in scope[,
category tree version])>``.

- Every import bumps ``Brand.data_version`` in its own transaction (``metrics.services.facts.posts_refresh``), so
  the next question after the commit builds a new key: no invalidation to forget, stale entries just expire.
- The organization id is part of the key (in clear and in the digest), and the scope's brand ids come from the
  member's visible brands, so two organizations — or a client and a manager — with the same question never
  read each other's entry.
- Editing a brand or one of its accounts (competitor flag, media type, name) changes answers without an import:
  the brand's ``updated_at`` and its accounts' (count, last ``updated_at``) join the key.
- Category names and paths are part of some answers, and renaming a category does not touch the facts: the
  category tree's (count, last update) joins the key of every answer that shows or filters categories.

The backend is Django's cache (``settings.CACHES``: local memory in development and tests, Redis in
production); entries live ``settings.KPIBOARD_KPI_CACHE_SECONDS`` (default one hour).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max

CACHE_PREFIX = "kpiboard:kpi"


def _versions(scope) -> list[tuple]:
    """Per brand in scope: (id, data_version, last edit of the brand, its accounts' count and last edit).

    The accounts' part is there because editing an account changes answers without an import: flagging it a
    competitor's takes its posts out of the brand's own KPIs, its media type moves its account facts, its name
    is shown in benchmarks and anomalies. One query, like the data versions alone.
    """
    from accounts.models import Brand

    if not scope.brand_ids:
        return []
    rows = (
        Brand.objects.filter(organization_id=scope.organization_id, id__in=scope.brand_ids)
        .order_by("id")
        .annotate(accounts=Count("social_accounts"), accounts_changed=Max("social_accounts__updated_at"))
        .values_list("id", "data_version", "updated_at", "accounts", "accounts_changed")
    )
    return [(i, version, str(changed), accounts, str(accounts_changed))
            for i, version, changed, accounts, accounts_changed in rows]


def _category_version(organization_id: int) -> list:
    from metrics.models import ContentCategory

    found = ContentCategory.objects.filter(organization_id=organization_id).aggregate(n=Count("id"),
                                                                                       last=Max("updated_at"))
    return [found["n"], found["last"].isoformat() if found["last"] else None]


def cache_key(name: str, scope, period, options: dict, *, categories: bool = False) -> str:
    """The cache key of one engine answer (see the module docstring)."""
    payload = {
        "organization": scope.organization_id,
        "function": name,
        "scope": scope.as_dict(),
        "period": period.as_dict(),
        "options": options,
        "versions": _versions(scope),
    }
    if categories or scope.category_id is not None:
        payload["categories"] = _category_version(scope.organization_id)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return f"{CACHE_PREFIX}:{name}:{scope.organization_id}:{digest}"


@contextlib.contextmanager
def analytic_session():
    """Run the engine's statements with settings for short analytic queries (PostgreSQL; nothing on SQLite).

    - ``jit = off``: the planner's cost estimates for a brand-year trip the JIT threshold, and compiling the
      expressions took 6.3 s for a 4.5 s query in the benchmark (bench/README.md); these statements run in
      well under a second without it.
    - ``work_mem = 64MB``: the per-post sort and hash of a brand-year (~50,000 posts) spilled to disk at the
      default 4 MB.
    ``SET LOCAL`` lasts until the end of the transaction this opens, so it never leaks to other queries.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = %s", [getattr(settings, "KPIBOARD_KPI_WORK_MEM", "64MB")])
        yield


def cached(name: str, *, categories: bool = False):
    """Decorate an engine function ``fn(scope, period, *args, **options)``: its answer is cached under
    ``cache_key`` and computed in an ``analytic_session``; ``use_cache=False`` computes afresh (and does not
    store). ``fn.uncached`` is the raw one."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(scope, period, *args, use_cache: bool = True, **options):
            if not use_cache:
                with analytic_session():
                    return fn(scope, period, *args, **options)
            key = cache_key(name, scope, period, {"args": args, **options}, categories=categories)
            hit = cache.get(key)
            if hit is not None:
                return hit
            with analytic_session():
                result = fn(scope, period, *args, **options)
            cache.set(key, result, getattr(settings, "KPIBOARD_KPI_CACHE_SECONDS", 3600))
            return result

        wrapper.uncached = fn
        return wrapper

    return decorator
