"""The brand dashboard: headline KPIs, the funnel, trends per platform, owned/paid/earned and organic/paid
splits, followers gained and lost, the top content table and the anomaly flags — all from the KPI engine."""

from __future__ import annotations

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from metrics import presentation as fmt
from metrics.catalog import CATALOG, Level
from metrics.choices import MediaType, Traffic
from metrics.forms import TrendForm
from metrics.kpis import benchmarks, funnel, kpi_report
from metrics.kpis.kpis import kpi_platform_series
from metrics.models import SocialAccount
from metrics.views import charts
from metrics.views.base import BrandPage, anomaly_flags

HEADLINE = (
    ("views", Level.POST),
    ("engagement", Level.POST),
    ("engagement_rate", Level.POST),
    ("posts_published", Level.POST),
    ("followers_total", Level.ACCOUNT),
    ("followers_net", Level.ACCOUNT),
)
FOLLOWER_KEYS = ("followers_total", "followers_gained", "followers_lost", "followers_net")
SPLIT_METRICS = ("posts_published", "views", "engagement")
TREND_METRICS = (
    "views",
    "engagement",
    "engagement_rate",
    "likes",
    "comments",
    "shares",
    "collects",
    "clicks",
    "followers_gained",
)
# Each funnel stage's bar: the first of these the period has a value for.
STAGE_HEADLINE = {
    "awareness": ("views", "impressions", "reach"),
    "consideration": ("engagement", "likes", "comments"),
    "purchase": ("clicks", "conversions", "orders", "leads", "purchases"),
    "retention": ("repeat_purchases", "orders", "refunds"),
    "advocacy": ("shares", "mentions", "wows", "recommends"),
}
TOP_CONTENT = 10
STAGE_NOTES = {
    "retention": gettext_lazy(
        "Hard to measure on social platforms: PIPL limits the personal data needed to follow "
        "customers; refund rate and follower loss after pushes are the proxies."
    ),
    "advocacy": gettext_lazy(
        "Mostly off-platform (word of mouth, earned content); shares, mentions and earned "
        "content volume are the proxies."
    ),
}
MEDIA_COLORS = {MediaType.OWNED: "#1f6feb", MediaType.PAID: "#e8590c", MediaType.EARNED: "#1a7f37"}
TRAFFIC_COLORS = {Traffic.ORGANIC: "#1f6feb", Traffic.PAID: "#e8590c"}


def kpi_card(kpi, language: str | None = None) -> dict:
    """What a KPI card shows: label, value, change against the previous period and its tone, the formula."""
    metric = CATALOG[kpi.key]
    return {
        "key": kpi.key,
        "level": kpi.level,
        "label": metric.label(language or get_language()),
        "value": fmt.format_value(kpi.value, metric.unit, language),
        "previous": fmt.format_value(kpi.previous, metric.unit, language),
        "change": fmt.format_change(kpi.change_pct),
        "tone": fmt.change_tone(kpi.change_pct, metric.higher_is_better),
        "formula": kpi.formula,
        "raw": kpi.value,
    }


def funnel_stages(result, language: str | None = None) -> list[dict]:
    """The funnel's stages for the page: their KPIs as cards, quality KPIs, note, and the headline bar."""
    zh = fmt.is_chinese(language)
    stages = []
    for stage in result.total.stages:
        by_key = {k.key: k for k in stage.kpis if k.level == Level.ACCOUNT}
        by_key.update({k.key: k for k in stage.kpis if k.level == Level.POST})  # content level first: the funnel
        # follows the content from being seen to being shared
        headline = next((k for k in STAGE_HEADLINE.get(stage.key, ()) if by_key.get(k) and by_key[k].value), None)
        quality = [
            {
                "label": q.label_zh if zh else q.label,
                "value": fmt.format_value(q.value, q.unit, language),
                "median": fmt.format_value(q.median, q.unit, language) if q.median is not None else None,
                "n": q.n,
                "formula": q.formula,
            }
            for q in stage.quality
        ]
        stages.append(
            {
                "key": stage.key,
                "label": stage.label_zh if zh else _(stage.label),
                "kpis": [kpi_card(k, language) for k in stage.kpis if k.value is not None][:6],
                "quality": quality,
                "note": STAGE_NOTES.get(stage.key, stage.note),
                "headline": headline,
                "value": by_key[headline].value if headline else None,
            }
        )
    return stages


class BrandDashboardView(BrandPage):
    """One brand over a period: everything a marketer checks first."""

    template_name = "metrics/brand_dashboard.html"
    url_name = "brand-dashboard"
    page_title = gettext_lazy("Brand dashboard")

    def get_trend_form(self) -> TrendForm:
        if not hasattr(self, "_trend"):
            lang = get_language()
            self._trend = TrendForm(
                self.request.GET, metric_choices=[(k, CATALOG[k].label(lang)) for k in TREND_METRICS]
            )
        return self._trend

    def brand_platforms(self, scope) -> list[str]:
        """The platforms the brand has accounts on (or the one chosen in the filter)."""
        if scope.platforms:
            return list(scope.platforms)
        found = (
            SocialAccount.objects.for_membership(self.membership)
            .filter(brand=self.brand)
            .values_list("platform", flat=True)
            .distinct()
        )
        return sorted(set(found))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["trend_form"] = self.get_trend_form()
        if not context["has_data"]:
            return context
        filters, period, lang = context["filters"], context["period"], get_language()
        scope = self.brand_scope(filters)
        metrics = tuple(dict.fromkeys([k for k, _l in HEADLINE] + list(FOLLOWER_KEYS)))
        report = kpi_report(scope, period, metrics)
        cards = []
        for key, level in HEADLINE:
            try:
                cards.append(kpi_card(report.kpi(key, level), lang))
            except KeyError:  # account level left empty by a content-only filter
                continue
        context["cards"] = cards
        context["account_level_hidden"] = not report.account and bool(scope.post_only_filters)
        context["period_empty"] = all(c["raw"] in (None, 0) for c in cards)

        # Trends per platform.
        trend_metric = self.get_trend_form().value("metric", "views")
        series = kpi_platform_series(scope, period, (trend_metric,), tuple(self.brand_platforms(scope)))
        context["trend_metric"] = trend_metric
        context["trend_chart"] = charts.trend_figure(
            series,
            trend_metric,
            period.granularity,
            name=f"{self.brand.slug}-trend-{trend_metric}",
            title=_("%(metric)s by platform") % {"metric": CATALOG[trend_metric].label(lang)},
        )

        # Owned / paid / earned and organic / paid.
        media = [m for m in MediaType if not scope.media_types or m in scope.media_types]
        media_groups = [(str(m.label), self.split_values(scope.narrowed(media_types=(m,)), period)) for m in media]
        context["media_chart"] = charts.split_figure(
            media_groups,
            SPLIT_METRICS,
            name=f"{self.brand.slug}-owned-paid-earned",
            colors=[MEDIA_COLORS[m] for m in media],
        )
        context["media_rows"] = self.split_rows(media_groups)
        traffic = [t for t in Traffic if not scope.traffic or t in scope.traffic]
        traffic_groups = [(str(t.label), self.split_values(scope.narrowed(traffic=(t,)), period)) for t in traffic]
        context["traffic_chart"] = charts.split_figure(
            traffic_groups,
            SPLIT_METRICS,
            name=f"{self.brand.slug}-organic-paid",
            colors=[TRAFFIC_COLORS[t] for t in traffic],
        )
        context["traffic_rows"] = self.split_rows(traffic_groups)

        # Followers: account level.
        context["followers_chart"] = charts.followers_figure(
            report.account_series,
            period.granularity,
            name=f"{self.brand.slug}-followers",
            title=_("Followers gained and lost"),
        )
        context["follower_cards"] = [kpi_card(k, lang) for k in report.account if k.key in FOLLOWER_KEYS]

        # Funnel.
        result = funnel(scope, period)
        stages = funnel_stages(result, lang)
        context["funnel_stages"] = stages
        context["funnel_chart"] = charts.funnel_figure(
            [{"stage": s["key"], "metric": s["headline"], "value": s["value"]} for s in stages if s["headline"]],
            name=f"{self.brand.slug}-funnel",
            # The section heading names the stages; the title inside the chart says whose and when, so that a
            # downloaded PNG stands on its own.
            title=f"{self.brand.name} · {context['period_text']}",
        )

        # Top content, as the guide's table: content, date, account, engagement, likes, reposts, comments.
        bench = benchmarks(scope, period, paid="include", top=TOP_CONTENT)
        context["top_posts"] = [p for p in bench.content_level if not p.is_competitor]
        context["flags"] = anomaly_flags(self.membership, scope, period)
        return context

    @staticmethod
    def split_values(scope, period) -> dict:
        report = kpi_report(scope, period, SPLIT_METRICS)
        return {k.key: k.value for k in report.content}

    @staticmethod
    def split_rows(groups) -> list[dict]:
        totals = {k: sum((v.get(k) or 0) for _label, v in groups) for k in SPLIT_METRICS}
        rows = []
        for label, values in groups:
            rows.append(
                {
                    "label": label,
                    "cells": [
                        {
                            "value": fmt.format_metric(k, values.get(k)),
                            "share": fmt.format_percent((values.get(k) or 0) / totals[k]) if totals[k] else fmt.DASH,
                        }
                        for k in SPLIT_METRICS
                    ],
                }
            )
        return rows
