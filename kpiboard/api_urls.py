"""The REST API: /api/v1/ (the user's organizations, token) and tenant resources under /api/v1/orgs/<slug>/."""

from django.urls import include, path

from accounts.api.views import MeView, ObtainTokenView, OrganizationListView
from metrics.api.catalog import CatalogView

tenant_patterns = [
    path("", include("accounts.api.urls")),
    path("", include("metrics.api.urls")),
]

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("token/", ObtainTokenView.as_view(), name="api-token"),
    path("catalog/", CatalogView.as_view(), name="api-catalog"),
    path("orgs/", OrganizationListView.as_view(), name="api-org-list"),
    path("orgs/<slug:org_slug>/", include(tenant_patterns)),
]
