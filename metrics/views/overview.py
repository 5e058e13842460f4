"""The organization overview: one card per brand with its headline KPIs for the period and their change, its last
successful import per platform and its open anomaly flags. Target completion joins the cards once SMART targets
exist (``row["targets"]``, empty until then)."""

from __future__ import annotations

from django.db.models import Max
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from metrics import presentation as fmt
from metrics.catalog import Level
from metrics.kpis import Granularity, kpi_report
from metrics.models import ImportBatch
from metrics.views import charts
from metrics.views.base import DashboardPage, anomaly_summary, brands_with_data, visible_brands
from metrics.views.brand import kpi_card

OVERVIEW_KPIS = (
    ("views", Level.POST),
    ("engagement", Level.POST),
    ("engagement_rate", Level.POST),
    ("posts_published", Level.POST),
    ("followers_net", Level.ACCOUNT),
)
FLAGS_SHOWN = 3


def last_imports(membership, brand_ids) -> dict[int, list[dict]]:
    """Each brand's last successful import per platform (when and which file), newest first."""
    rows = (
        ImportBatch.objects.for_membership(membership)
        .filter(brand_id__in=brand_ids, status=ImportBatch.Status.SUCCEEDED)
        .order_by()
        .values("brand_id", "platform")
        .annotate(last=Max("finished_at"), created=Max("created_at"))
    )
    out: dict[int, list[dict]] = {}
    for row in rows:
        moment = row["last"] or row["created"]
        out.setdefault(row["brand_id"], []).append(
            {
                "platform": row["platform"],
                "label": fmt.platform_label(row["platform"]) if row["platform"] else "—",
                "when": fmt.format_datetime(moment),
                "moment": moment,
            }
        )
    for items in out.values():
        items.sort(key=lambda item: item["moment"], reverse=True)
    return out


class OverviewView(DashboardPage):
    """Every brand of the organization the member may see, side by side."""

    template_name = "metrics/overview.html"
    page_title = gettext_lazy("Overview")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters, period, lang = context["filters"], context["period"], get_language()
        brands = list(visible_brands(self.membership))
        with_data = brands_with_data(self.membership, brands) if brands else set()
        imports = last_imports(self.membership, [b.pk for b in brands])
        query = filters.querystring()
        rows = []
        for brand in brands:
            row = {
                "brand": brand,
                "has_data": brand.pk in with_data,
                "imports": imports.get(brand.pk, []),
                "querystring": query,
            }
            if row["has_data"]:
                scope = filters.get_scope([brand.pk], include_competitors=brand.is_competitor)
                report = kpi_report(scope, period, tuple(k for k, _l in OVERVIEW_KPIS))
                cards = []
                for key, level in OVERVIEW_KPIS:
                    try:
                        cards.append(kpi_card(report.kpi(key, level), lang))
                    except KeyError:
                        continue
                row["cards"] = cards
                row["chart"] = (
                    charts.trend_figure(
                        {"": report.content_series},
                        "views",
                        period.granularity,
                        name=f"{brand.slug}-views",
                        compact=True,
                    )
                    if report.content_series
                    else None
                )
                row["flag_count"], row["flags"] = anomaly_summary(scope, period, FLAGS_SHOWN)
                # Target completion ("once targets exist"): campaigns has no SMART targets yet. When it does, a
                # selector gives each brand's targets with their progress here and _brand_row.html shows them.
                row["targets"] = None
            rows.append(row)
        context["own_rows"] = [r for r in rows if not r["brand"].is_competitor]
        context["competitor_rows"] = [r for r in rows if r["brand"].is_competitor]
        views = fmt.metric_label("views", lang)
        context["views_label"] = {
            Granularity.DAY: _("%(metric)s by day"),
            Granularity.WEEK: _("%(metric)s by week"),
            Granularity.MONTH: _("%(metric)s by month"),
        }.get(period.granularity, _("%(metric)s by day")) % {"metric": views}
        return context
