from rest_framework.routers import SimpleRouter

from metrics.api.imports import urlpatterns as import_urlpatterns
from metrics.api.views import ContentCategoryViewSet, PostViewSet, SocialAccountViewSet

router = SimpleRouter()
router.register("accounts", SocialAccountViewSet, basename="social-account")
router.register("categories", ContentCategoryViewSet, basename="category")
router.register("posts", PostViewSet, basename="post")

urlpatterns = router.urls
# Imports, the upload preview and saved column mappings (metrics.api.imports).
urlpatterns += import_urlpatterns
