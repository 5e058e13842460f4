from rest_framework.routers import SimpleRouter

from metrics.api.kpis import kpi_urlpatterns
from metrics.api.views import ContentCategoryViewSet, PostViewSet, SocialAccountViewSet

router = SimpleRouter()
router.register("accounts", SocialAccountViewSet, basename="social-account")
router.register("categories", ContentCategoryViewSet, basename="category")
router.register("posts", PostViewSet, basename="post")

urlpatterns = router.urls
urlpatterns += kpi_urlpatterns

# Imports, the upload preview and saved column mappings (metrics.api.imports).
from metrics.api.imports import urlpatterns as import_urlpatterns  # noqa: E402

urlpatterns += import_urlpatterns
