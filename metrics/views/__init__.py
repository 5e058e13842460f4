"""The dashboard pages (HTML): organization overview, brand dashboard, category comparison, content explorer with
post detail, competitor benchmark. Every figure comes from the KPI engine (``metrics.kpis``)."""

from metrics.views.base import BrandPageStart
from metrics.views.benchmark import CompetitorBenchmarkView
from metrics.views.brand import BrandDashboardView
from metrics.views.categories import CategoryComparisonView
from metrics.views.content import ContentExplorerView, PostDetailView
from metrics.views.overview import OverviewView

__all__ = [
    "BrandDashboardView",
    "BrandPageStart",
    "CategoryComparisonView",
    "CompetitorBenchmarkView",
    "ContentExplorerView",
    "OverviewView",
    "PostDetailView",
]
