"""Category comparison: medians and means per category and sub-category (small samples marked), each post against
its category's median, drill-down into a category (the ``category`` filter), organic and paid kept apart."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from metrics import presentation as fmt
from metrics.catalog import CATALOG
from metrics.forms import ComparisonForm
from metrics.kpis import PaidMode, category_comparison
from metrics.kpis.categories import DEFAULT_METRICS, spread_sample
from metrics.views import charts
from metrics.views.base import BrandPage

TABLE_METRICS = ("views", "likes", "comments", "shares", "engagement", "engagement_rate")
CHART_METRICS = DEFAULT_METRICS
DRILL_ITEMS = 50  # posts listed under a drilled-down category
STRIP_POINTS = 150  # dots per group in the strip plot: beyond this the dots hide each other and the page grows


def group_label(group, language: str | None = None, relative_to: int = 0) -> str:
    """A category's name in the active language (``All posts`` for the baseline)."""
    if group.category_id is None:
        return _("All posts")
    names = group.path_zh if fmt.is_chinese(language) else group.path
    return " / ".join(names[relative_to:]) or names[-1]


SEGMENT_LABELS = {"organic": gettext_lazy("Organic"), "paid": gettext_lazy("Paid"), "all": gettext_lazy("All")}


class CategoryComparisonView(BrandPage):
    """The guide's category table for one brand, with a strip plot of posts against their category's median."""

    template_name = "metrics/category_comparison.html"
    url_name = "category-comparison"
    page_title = gettext_lazy("Category comparison")
    filter_fields = ("platform", "media", "traffic", "campaign", "category")

    def get_options(self) -> ComparisonForm:
        if not hasattr(self, "_options"):
            lang = get_language()
            self._options = ComparisonForm(
                self.request.GET, metric_choices=[(k, CATALOG[k].label(lang)) for k in CHART_METRICS]
            )
        return self._options

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        options = self.get_options()
        context["options"] = options
        if not context["has_data"]:
            return context
        filters, period, lang = context["filters"], context["period"], get_language()
        metric = options.value("metric", "engagement")
        paid = options.value("paid", PaidMode.SEPARATE.value)
        scope = self.brand_scope(filters)
        drilled = filters.value("category")
        # The strip plot draws the drilled category and its children, else the top-level categories, and a sample
        # of each one's posts: the engine keeps just those (a brand-year's answer would otherwise carry 50,000 posts
        # in and out of the cache).
        shown_depth = (drilled.depth + 1) if drilled else 0
        result = category_comparison(
            scope,
            period,
            metrics=CHART_METRICS,
            paid=paid,
            with_items=True,
            items_sample=(metric, STRIP_POINTS),
            items_depths=(drilled.depth, shown_depth) if drilled else (shown_depth,),
        )
        base_depth = drilled.depth if drilled else 0
        base_url = reverse(self.url_name, kwargs={"brand": self.brand.slug})
        rows = []
        for group in [*result.overall, *result.groups]:
            rows.append(
                {
                    "category_id": group.category_id,
                    "label": group_label(group, lang, base_depth if drilled else 0),
                    "depth": max(group.depth - base_depth, 0) if group.category_id else 0,
                    "segment": group.segment,
                    "segment_label": SEGMENT_LABELS.get(group.segment, group.segment),
                    "n": group.n,
                    "paid_n": group.paid_n,
                    "small_sample": group.small_sample,
                    "is_total": group.category_id is None,
                    "drill_url": (base_url + filters.querystring(category=group.category_id))
                    if group.category_id and group.category_id != (drilled.pk if drilled else None)
                    else None,
                    "cells": [
                        {
                            "median": fmt.format_metric(k, group.metrics[k].median),
                            "mean": fmt.format_metric(k, group.metrics[k].mean),
                            "n": group.metrics[k].n,
                        }
                        for k in TABLE_METRICS
                    ],
                }
            )
        context["rows"] = rows
        context["table_metrics"] = TABLE_METRICS
        context["metric"] = metric
        context["small_sample_threshold"] = result.small_sample_threshold
        context["median_definition"] = result.median_definition
        context["drilled"] = drilled
        context["drill_up_url"] = (
            base_url + filters.querystring(category=drilled.parent_id if drilled and drilled.parent_id else None)
            if drilled
            else None
        )

        # The strip plot: the drilled category and its children, else the top-level categories.
        plotted = [g for g in result.groups if g.depth == shown_depth or (drilled and g.category_id == drilled.pk)]
        groups = []
        for group in plotted:
            label = group_label(group, lang, shown_depth if drilled else 0)
            if result.paid == PaidMode.SEPARATE:
                label = f"{label} · {SEGMENT_LABELS[group.segment]}"
            groups.append(
                {
                    "label": label,
                    "median": group.metrics[metric].median,
                    "posts": [
                        {"title": i.title, "value": i.values.get(metric), "paid": i.paid}
                        for i in spread_sample(group.items or [], metric, STRIP_POINTS)
                    ],
                }
            )
        context["strip_chart"] = charts.strip_figure(
            groups,
            metric,
            name=f"{self.brand.slug}-categories-{metric}",
            title=_("Each post against its category's median: %(metric)s") % {"metric": CATALOG[metric].label(lang)},
        )
        context["strip_sampled"] = any(g.n > STRIP_POINTS for g in plotted)
        context["strip_points"] = STRIP_POINTS
        context["paid_mode"] = result.paid
        context["any_tagged"] = bool(result.groups)

        # Drill-down: the chosen category's posts and their index against its median.
        if drilled:
            items = [i for g in result.groups if g.category_id == drilled.pk for i in (g.top_items or [])]
            context["drill_items"] = [
                {
                    "post_id": i.post_id,
                    "title": i.title,
                    "published_at": i.published_at,
                    "platform": i.platform,
                    "paid": i.paid,
                    "value": fmt.format_metric(metric, i.values.get(metric)),
                    "index": f"{i.index[metric]:.2f}×" if i.index.get(metric) is not None else fmt.DASH,
                    "above": (i.index.get(metric) or 0) >= 1,
                }
                for i in sorted(items, key=lambda i: -(i.values.get(metric) or 0))[:DRILL_ITEMS]
            ]
        return context
