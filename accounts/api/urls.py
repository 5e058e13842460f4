from rest_framework.routers import SimpleRouter

from accounts.api.views import BrandViewSet, MembershipViewSet

router = SimpleRouter()
router.register("brands", BrandViewSet, basename="brand")
router.register("members", MembershipViewSet, basename="member")

urlpatterns = router.urls
