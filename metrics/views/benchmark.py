"""Competitor benchmark: account-level ranking and content-level top posts, on separate tabs, labelled — the guide
warns never to compare one brand's account-level figures with another's content-level figures."""

from __future__ import annotations

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from metrics import presentation as fmt
from metrics.forms import BenchmarkForm
from metrics.kpis import PaidMode, benchmarks
from metrics.views import charts
from metrics.views.base import BrandPage, visible_brands

TABS = (("accounts", gettext_lazy("Account level")), ("content", gettext_lazy("Content level")))
TOP_POSTS = 20


class CompetitorBenchmarkView(BrandPage):
    """The brand against the competitor brands the member may see."""

    template_name = "metrics/competitor_benchmark.html"
    url_name = "competitor-benchmark"
    page_title = gettext_lazy("Competitor benchmark")
    # Campaign and category narrow the posts (content level, and each account's posts and engagement); followers
    # are account-level figures and stay whole, which the page says when either filter is set.
    filter_fields = ("platform", "media", "campaign", "category")

    def tab(self) -> str:
        tab = self.request.GET.get("tab")
        return tab if tab in dict(TABS) else "accounts"

    def get_options(self) -> BenchmarkForm:
        if not hasattr(self, "_options"):
            self._options = BenchmarkForm(self.request.GET)
        return self._options

    def paid_mode(self) -> str:
        return self.get_options().value("paid", PaidMode.EXCLUDE.value)

    def extra_params(self):
        return {"tab": self.tab()} if self.tab() != "accounts" else {}

    def compared_brands(self):
        brands = list(visible_brands(self.membership))
        if self.brand.is_competitor:
            return brands
        return [self.brand, *(b for b in brands if b.is_competitor)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters, period, lang = context["filters"], context["period"], get_language()
        tab = self.tab()
        paid = self.paid_mode()
        context["tabs"] = [
            {
                "key": key,
                "label": label,
                "active": key == tab,
                "url": filters.querystring(
                    tab=key if key != "accounts" else None, paid=paid if paid != PaidMode.EXCLUDE.value else None
                )
                or "?",
            }
            for key, label in TABS
        ]
        context["tab"] = tab
        context["paid"] = paid
        context["options"] = self.get_options()
        brands = self.compared_brands()
        context["competitors_visible"] = any(b.is_competitor for b in brands if b.pk != self.brand.pk) or (
            self.brand.is_competitor and len(brands) > 1
        )
        if not context["has_data"] and not context["competitors_visible"]:
            return context
        scope = filters.get_scope([b.pk for b in brands])
        context["post_only_filters"] = bool(scope.post_only_filters)
        result = benchmarks(scope, period, paid=paid, top=TOP_POSTS)
        own = self.brand.name
        if tab == "accounts":
            rows = sorted(result.account_level, key=lambda r: (r.platform, r.rank.get("followers") or 10**9))
            context["account_rows"] = [
                {
                    "platform": fmt.platform_label(r.platform),
                    "platform_key": r.platform,
                    "account": r.display_name or r.handle,
                    "brand": r.brand,
                    "own": r.brand_id == self.brand.pk,
                    "is_competitor": r.is_competitor,
                    "followers": fmt.format_number(r.followers),
                    "gained": fmt.format_number(r.followers_gained),
                    "lost": fmt.format_number(r.followers_lost),
                    "net": fmt.format_number(r.followers_net),
                    "posts": fmt.format_number(r.posts),
                    "engagement": fmt.format_metric("engagement", r.engagement),
                    "per_post_median": fmt.format_metric("engagement", r.engagement_per_post.median),
                    "per_post_mean": fmt.format_metric("engagement", r.engagement_per_post.mean),
                    "per_post_n": r.engagement_per_post.n,
                    "rank": r.rank,
                }
                for r in rows
            ]
            chart_rows = [
                {
                    "label": f"{r.display_name or r.handle} · {fmt.platform_label(r.platform)}",
                    "value": r.engagement_per_post.median,
                    "brand": r.brand,
                }
                for r in result.account_level
            ]
            chart_rows.sort(key=lambda r: -(r["value"] or 0))
            context["account_chart"] = charts.ranking_figure(
                chart_rows,
                "engagement",
                name=f"{self.brand.slug}-benchmark-accounts",
                title=_("Median engagement per post, by account"),
                highlight=[r["label"] for r in chart_rows if r["brand"] == own],
            )
        else:
            context["top_posts"] = result.content_level
            context["content_chart"] = charts.ranking_figure(
                [
                    {
                        "label": f"{i + 1}. {p.title[:18]} · {p.brand}",
                        "value": p.values.get("engagement"),
                        "brand": p.brand,
                    }
                    for i, p in enumerate(result.content_level[:10])
                ],
                "engagement",
                name=f"{self.brand.slug}-benchmark-content",
                title=_("Top posts by engagement"),
                highlight=[
                    f"{i + 1}. {p.title[:18]} · {p.brand}"
                    for i, p in enumerate(result.content_level[:10])
                    if p.brand_id == self.brand.pk
                ],
            )
        context["compared"] = brands
        context["language"] = lang
        return context
