"""The main menu's dashboard entries (``nav_items`` in templates/base.html).

Register ``metrics.context_processors.navigation`` in ``TEMPLATES[...]["context_processors"]`` so that every
page (the accounts pages too) shows them; the dashboard pages also set them themselves.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# The filters that mean the same on every dashboard page and so travel with the menu's links. Campaign and
# category are left behind: a campaign belongs to one brand and the category filter is page-specific.
SHARED_PARAMS = ("period", "start", "end", "grain", "platform", "media", "traffic")

# (label, URL name of the brand's page, URL name of the page without a brand, URL names that mark it active)
_BRAND_PAGES = (
    (_("Brand dashboard"), "brand-dashboard", "brand-dashboard-start", ("brand-dashboard", "brand-dashboard-start")),
    (
        _("Categories"),
        "category-comparison",
        "category-comparison-start",
        ("category-comparison", "category-comparison-start"),
    ),
    (
        _("Content"),
        "content-explorer",
        "content-explorer-start",
        ("content-explorer", "content-explorer-start", "post-detail"),
    ),
    (
        _("Competitors"),
        "competitor-benchmark",
        "competitor-benchmark-start",
        ("competitor-benchmark", "competitor-benchmark-start"),
    ),
)


def nav_items(request) -> list[dict]:
    """The menu entries: the organization overview, the current brand's pages, imports. (The logo links to the
    plain list of brands.)

    On a brand's page the links stay on that brand; elsewhere they go to the brand last looked at (the
    ``…-start`` routes redirect). The shared filters in the query string come along, so the period chosen on one
    page holds on the next.
    """
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else None
    brand = match.kwargs.get("brand") if match else None
    query = {k: request.GET[k] for k in SHARED_PARAMS if request.GET.get(k)}
    suffix = "?" + urlencode(query) if query else ""
    items = [
        {
            "key": "dashboard",
            "label": _("Overview"),
            "url": reverse("dashboard") + suffix,
            "active": current == "dashboard",
        }
    ]
    for label, name, start_name, active_names in _BRAND_PAGES:
        url = reverse(name, kwargs={"brand": brand}) if brand else reverse(start_name)
        items.append({"key": name, "label": label, "url": url + suffix, "active": current in active_names})
    try:
        imports = reverse("imports")  # the ingestion pages; absent until they are installed
    except NoReverseMatch:
        imports = None
    if imports:
        items.append(
            {
                "key": "imports",
                "label": _("Imports"),
                "url": imports,
                "active": bool(current and current.startswith("import")),
            }
        )
    return items


def navigation(request) -> dict:
    """``nav_items`` for signed-in members of an organization; nothing for the others."""
    if getattr(request, "membership", None) is None:
        return {}
    return {"nav_items": nav_items(request)}
