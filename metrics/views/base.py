"""What every dashboard page shares: the tenant mixin, the brand in the URL, the filter bar, the menu.

A page reads its figures from the KPI engine (``metrics.kpis``) with the ``Scope`` and ``Period`` the filter bar
gives; it never counts or sums by itself, so a number is the same here, in the API and in the reports.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.models import Brand
from accounts.views import OrgPageMixin
from metrics import presentation
from metrics.context_processors import nav_items
from metrics.forms import DashboardFilterForm
from metrics.kpis.cache import versions_memo
from metrics.models import AccountDailyFact, Post
from metrics.presentation import ANOMALY_SEVERITY, ANOMALY_TITLES, anomaly_reason

SESSION_BRAND = "dashboard_brand_id"  # the brand last looked at: the menu's brand pages open on it


def imports_url() -> str | None:
    """The Imports page (ingestion), or None while it is not installed."""
    try:
        return reverse("imports")
    except NoReverseMatch:
        return None


def visible_brands(membership):
    """The brands the member may see (clients: the granted ones), own brands first."""
    return Brand.objects.for_membership(membership).order_by("is_competitor", "name")


def brand_has_data(membership, brand) -> bool:
    """Whether anything was ever imported for the brand (posts or account figures), whatever the filters."""
    posts = Post.objects.for_membership(membership).filter(brand=brand)
    accounts = AccountDailyFact.objects.for_membership(membership).filter(brand=brand)
    return posts.exists() or accounts.exists()


def brands_with_data(membership, brands) -> set[int]:
    """Ids of ``brands`` that have imported data, in one query."""
    posts = Post.objects.filter(organization_id=membership.organization_id, brand=OuterRef("pk"))
    facts = AccountDailyFact.objects.filter(organization_id=membership.organization_id, brand=OuterRef("pk"))
    rows = (
        Brand.objects.filter(pk__in=[b.pk for b in brands])
        .annotate(has_posts=Exists(posts), has_facts=Exists(facts))
        .values_list("pk", "has_posts", "has_facts")
    )
    return {pk for pk, has_posts, has_facts in rows if has_posts or has_facts}


class DashboardPage(OrgPageMixin, TemplateView):
    """Base of the dashboard pages: filters from the query string, page title, the menu's entries."""

    page_title = ""
    filter_fields: tuple[str, ...] = ("grain", "platform", "media", "traffic", "campaign", "category")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.brand = None

    def dispatch(self, request, *args, **kwargs):
        # A page asks the engine for many answers: their cache keys share one read of the brands' versions.
        with versions_memo():
            return super().dispatch(request, *args, **kwargs)

    def get_filters(self) -> DashboardFilterForm:
        if not hasattr(self, "_filters"):
            self._filters = DashboardFilterForm(self.request.GET, membership=self.membership, brand=self.brand)
        return self._filters

    def extra_params(self) -> dict[str, str]:
        """Page-specific query parameters the filter bar keeps when it reloads the page."""
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = self.get_filters()
        period = filters.get_period()
        context.update(
            page_title=self.page_title,
            brand=self.brand,
            filters=filters,
            filter_fields=self.filter_fields,
            extra_params=self.extra_params(),
            period=period,
            period_text=presentation.format_period(period.start, period.end),
            previous_text=presentation.format_period(period.previous().start, period.previous().end),
            querystring=filters.querystring(),
            imports_url=imports_url(),
            can_upload=self.membership.can("upload_data"),
            can_tag=self.membership.can("tag_content"),
        )
        context.setdefault("nav_items", nav_items(self.request))
        return context


class BrandPage(DashboardPage):
    """A page about one brand, named by its slug in the URL (404 for a brand the member may not see)."""

    scoped_model = Brand
    scoped_url_kwarg = "brand"
    scoped_lookup = "slug"
    url_name = ""  # this page's URL name, for the brand switcher

    def get(self, request, *args, **kwargs):
        self.load_brand()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.load_brand()
        return self.handle_post(request, *args, **kwargs)

    def handle_post(self, request, *args, **kwargs):
        from django.http import HttpResponseNotAllowed

        return HttpResponseNotAllowed(["GET"])

    def load_brand(self):
        self.brand = self.get_scoped(**{self.scoped_lookup: self.kwargs[self.scoped_url_kwarg]})
        if self.request.session.get(SESSION_BRAND) != self.brand.pk:
            self.request.session[SESSION_BRAND] = self.brand.pk

    def brand_scope(self, filters):
        """The engine's scope for this brand with the filters. A competitor brand's accounts are flagged as
        competitors' accounts, which a brand's own KPIs leave out; on the competitor's own page they are the point."""
        return filters.get_scope([self.brand.pk], include_competitors=self.brand.is_competitor)

    def brand_links(self) -> list[dict]:
        return [
            {
                "slug": b.slug,
                "name": b.name,
                "is_competitor": b.is_competitor,
                "url": reverse(self.url_name, kwargs={"brand": b.slug}),
            }
            for b in visible_brands(self.membership)
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["brand_links"] = self.brand_links()
        context["has_data"] = brand_has_data(self.membership, self.brand)
        return context


class BrandPageStart(OrgPageMixin, TemplateView):
    """A menu entry without a brand: opens the brand last looked at (else the first own brand), keeping the
    query string; a member who sees no brand gets an empty state."""

    target = ""
    page_title = ""
    template_name = "metrics/no_brands.html"

    def get(self, request, *args, **kwargs):
        brands = list(visible_brands(self.membership))
        if not brands:
            return super().get(request, *args, **kwargs)
        remembered = request.session.get(SESSION_BRAND)
        brand = next((b for b in brands if b.pk == remembered), brands[0])
        query = request.META.get("QUERY_STRING", "")
        return redirect(reverse(self.target, kwargs={"brand": brand.slug}) + (f"?{query}" if query else ""))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.page_title
        context.setdefault("nav_items", nav_items(self.request))
        return context


PAGE_TITLES = {
    "dashboard": _("Overview"),
    "brand-dashboard": _("Brand dashboard"),
    "category-comparison": _("Category comparison"),
    "content-explorer": _("Content explorer"),
    "competitor-benchmark": _("Competitor benchmark"),
}


def anomaly_flags(membership, scope, period, limit: int | None = None) -> list[dict]:
    """The engine's anomaly flags of the scope over the period, newest first, ready for ``metrics/_flags.html``."""
    return anomaly_summary(scope, period, limit)[1]


def anomaly_summary(scope, period, limit: int | None = None) -> tuple[int, list[dict]]:
    """(how many flags the engine raised, the newest ``limit`` of them for the page)."""
    from metrics.kpis import anomalies

    found = anomalies(scope, period).anomalies
    shown = list(reversed(found))[:limit] if limit else list(reversed(found))
    flags = []
    for anomaly in shown:
        when = (
            presentation.format_date(anomaly.start)
            if anomaly.start == anomaly.end
            else presentation.format_period(anomaly.start, anomaly.end)
        )
        flags.append(
            {
                "kind": anomaly.kind,
                "title": ANOMALY_TITLES.get(anomaly.kind, anomaly.label),
                "reason": anomaly_reason(anomaly),
                "engine_reason": anomaly.reason,
                "severity": ANOMALY_SEVERITY.get(anomaly.kind, "medium"),
                "when": when,
                "account": anomaly.account,
                "platform": presentation.platform_label(anomaly.platform),
                "post_url": reverse("post-detail", kwargs={"pk": anomaly.post_id}) if anomaly.post_id else None,
                "post_title": anomaly.post_title,
            }
        )
    return len(found), flags
