"""Dashboard pages. A page route takes one id at most (a brand's slug or a post's id); everything else — the
period, platform, media type, traffic, campaign, category, metric, sort, search, tab — is in the query string,
so a link reproduces the view. The ``…-start`` routes are the menu's entries without a brand: they open the
brand last looked at."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from metrics import views
from metrics.views import imports as import_views


def _start(target, title):
    return views.BrandPageStart.as_view(target=target, page_title=title)


urlpatterns = [
    path("dashboard/", views.OverviewView.as_view(), name="dashboard"),
    path("dashboard/brand/", _start("brand-dashboard", _("Brand dashboard")), name="brand-dashboard-start"),
    path("categories/", _start("category-comparison", _("Category comparison")), name="category-comparison-start"),
    path("content/", _start("content-explorer", _("Content explorer")), name="content-explorer-start"),
    path("competitors/", _start("competitor-benchmark", _("Competitor benchmark")), name="competitor-benchmark-start"),
    path("brands/<slug:brand>/dashboard/", views.BrandDashboardView.as_view(), name="brand-dashboard"),
    path("brands/<slug:brand>/categories/", views.CategoryComparisonView.as_view(), name="category-comparison"),
    path("brands/<slug:brand>/content/", views.ContentExplorerView.as_view(), name="content-explorer"),
    path("brands/<slug:brand>/competitors/", views.CompetitorBenchmarkView.as_view(), name="competitor-benchmark"),
    path("content/posts/<int:pk>/", views.PostDetailView.as_view(), name="post-detail"),
    # Imports (metrics.views.imports): upload, history, one batch, its errors, column mapping, templates.
    path("imports/", import_views.ImportsView.as_view(), name="imports"),
    path("imports/mapping/", import_views.ColumnMappingView.as_view(), name="import-mapping"),
    path("imports/<int:pk>/", import_views.ImportBatchDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/errors.csv", import_views.ImportErrorsCsvView.as_view(), name="import-errors-csv"),
    path("imports/templates/<int:pk>/delete/", import_views.MappingTemplateDeleteView.as_view(),
         name="import-template-delete"),
]
