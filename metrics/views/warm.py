"""Warming the dashboards after an import, so that the first visit is served from the KPI engine's cache.

At the engine's benchmark scale (1 M posts) a single engine answer takes 0.1–2 s to compute and a dashboard page
asks for up to fifteen of them; from the cache the same page is served in well under 300 ms. Every import bumps the
brands' data version (new cache keys), so right after an import the pages would be cold. ``dashboards_warm``
renders the pages a member opens first — the organization overview and each brand's dashboard, category
comparison, content explorer and benchmark, with the default filters — through the real views, as a member of the
organization, so that the engine's answers land in the cache under exactly the keys the pages ask for.

Every import that changed data enqueues it when its transaction commits (``import_batch_run`` →
``dashboards_warm_enqueue`` → the worker's ``metrics.tasks.dashboards_warm_task``), where a worker runs the tasks.
A new day moves every period preset, so Celery beat also warms every organization at 00:05 Beijing time
(``metrics.tasks.dashboards_warm_daily_task``); the answers then stay cached for the day
(``KPIBOARD_KPI_CACHE_SECONDS``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Brand, Membership, Role

logger = logging.getLogger(__name__)

DEFAULT_PRESETS = ("last_30_days",)
# After an import: the periods marketers open every morning (the pages' default first). A cold brand-year page
# costs 0.5-4 s at the benchmark scale; warmed, it is served in ~100 ms.
AFTER_IMPORT_PRESETS = ("last_30_days", "this_month", "last_90_days", "this_year")
BRAND_PAGES = ("brand-dashboard", "category-comparison", "content-explorer", "competitor-benchmark")
# The roles whose view of the organization is whole: their scopes are the ones most members share.
WARMING_ROLES = (Role.OWNER, Role.MANAGER, Role.MARKETER, Role.VIEWER)


def _render(view, request, **kwargs) -> int:
    response = view(request, **kwargs)
    if hasattr(response, "render"):
        response.render()
    return response.status_code


def dashboards_warm(
    organization_id: int, brand_ids: Iterable[int] | None = None, presets: Iterable[str] = DEFAULT_PRESETS
) -> dict:
    """Render the overview and the pages of ``brand_ids`` (default: every brand) for each period preset; returns
    ``{"pages": n, "seconds": s}``. Pages of other brands that compare with these (benchmarks) are warmed too."""
    from django.urls import resolve

    started = time.monotonic()
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(organization_id=organization_id, role__in=WARMING_ROLES)
        .order_by("id")
        .first()
    )
    if membership is None:
        return {"pages": 0, "seconds": 0.0}
    brands = Brand.objects.filter(organization_id=organization_id)
    if brand_ids is not None:
        changed = set(brand_ids)
        # A competitor's data changes every own brand's benchmark: warm those too.
        if brands.filter(pk__in=changed, is_competitor=True).exists():
            changed |= set(brands.filter(is_competitor=False).values_list("pk", flat=True))
        brands = brands.filter(pk__in=changed)
    factory = RequestFactory()
    pages = 0
    urls = [reverse("dashboard")]
    for brand in brands.order_by("is_competitor", "name"):
        urls += [reverse(name, kwargs={"brand": brand.slug}) for name in BRAND_PAGES]
    for preset in presets:
        for url in urls:
            request = factory.get(url, {"period": preset})
            request.user = membership.user or AnonymousUser()
            request.membership = membership
            request.session = SessionStore()
            match = resolve(url)
            request.resolver_match = match
            status = _render(match.func, request, **match.kwargs)
            if status != 200:
                logger.warning("dashboards_warm: %s gave %s", url, status)
            pages += 1
    seconds = round(time.monotonic() - started, 2)
    logger.info("dashboards_warm: %s pages of organization %s in %s s", pages, organization_id, seconds)
    return {"pages": pages, "seconds": seconds}
