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
production); entries live ``settings.KPIBOARD_KPI_CACHE_SECONDS`` (default 26 hours: a day of warmed pages).
"""

from __future__ import annotations

import contextlib
import contextvars
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
    memo = _MEMO.get()
    if memo is not None and ("versions", scope.organization_id) in memo:
        wanted = set(scope.brand_ids)
        return [row for row in memo[("versions", scope.organization_id)] if row[0] in wanted]
    brands = Brand.objects.filter(organization_id=scope.organization_id)
    if memo is None:
        brands = brands.filter(id__in=scope.brand_ids)
    rows = (
        brands.order_by("id")
        .annotate(accounts=Count("social_accounts"), accounts_changed=Max("social_accounts__updated_at"))
        .values_list("id", "data_version", "updated_at", "accounts", "accounts_changed")
    )
    found = [(i, version, str(changed), accounts, str(accounts_changed))
             for i, version, changed, accounts, accounts_changed in rows]
    if memo is None:
        return found
    memo[("versions", scope.organization_id)] = found
    wanted = set(scope.brand_ids)
    return [row for row in found if row[0] in wanted]


def _category_version(organization_id: int) -> list:
    from metrics.models import ContentCategory

    memo = _MEMO.get()
    if memo is not None and ("categories", organization_id) in memo:
        return memo[("categories", organization_id)]
    found = ContentCategory.objects.filter(organization_id=organization_id).aggregate(n=Count("id"),
                                                                                       last=Max("updated_at"))
    version = [found["n"], found["last"].isoformat() if found["last"] else None]
    if memo is not None:
        memo[("categories", organization_id)] = version
    return version


_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kpiboard_kpi_versions", default=None)


@contextlib.contextmanager
def versions_memo():
    """Within the block, the versions that make up cache keys are read once per organization: one query for all
    its brands (and one for its category tree) however many engine answers the block asks for.

    A dashboard page asks the engine for up to twenty answers (one per brand on the overview, per platform and
    split on a brand's dashboard); each used to read its brands' versions with a query of its own. The memo lives
    for one block — one page request — so an import committed meanwhile is seen by the next request, as without
    it. The keys are the same inside and outside the block.
    """
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


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
    ``SET LOCAL`` lasts until the end of the transaction this opens, so it never leaks to other requests' queries.
    Inside a transaction that is already open (a test, a view in ``transaction.atomic``) no savepoint is made
    (two more statements per answer): the settings then last until that transaction ends, which only spares
    its later statements the JIT as well.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:  # one round trip for both (set_config(…, true) is SET LOCAL)
            cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)",
                           [getattr(settings, "KPIBOARD_KPI_WORK_MEM", "64MB")])
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
            cache.set(key, result, settings.KPIBOARD_KPI_CACHE_SECONDS)
            return result

        wrapper.uncached = fn
        return wrapper

    return decorator
