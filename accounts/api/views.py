from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.mixins import OrgScopedMixin
from accounts.api.serializers import BrandSerializer, MembershipSerializer, OrganizationSerializer, UserSerializer
from accounts.models import Brand, Membership, Organization, Role


class MeView(APIView):
    """The signed-in user and their organizations."""

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class OrganizationListView(generics.ListAPIView):
    """The organizations the signed-in user belongs to, with their role in each."""

    serializer_class = OrganizationSerializer
    pagination_class = None

    def get_queryset(self):
        mine = Membership.objects.filter(user=self.request.user).values("organization_id")
        return Organization.objects.filter(id__in=mine)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["roles"] = dict(
            Membership.objects.filter(user=self.request.user).values_list("organization_id", "role")
        )
        return context


class ObtainTokenView(APIView):
    """Exchange e-mail and password for an API token (send it as `Authorization: Token <key>`)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=inline_serializer("TokenRequest", {"email": serializers.EmailField(), "password": serializers.CharField()}),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        user = authenticate(request, email=request.data.get("email", ""), password=request.data.get("password", ""))
        if user is None:
            return Response({"detail": "Wrong e-mail or password."}, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class BrandViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    """Brands of the organization (clients: the brands granted to them)."""

    queryset = Brand.objects.all()
    serializer_class = BrandSerializer
    capabilities = {"create": "manage_brands", "update": "manage_brands", "partial_update": "manage_brands",
                    "destroy": "manage_brands"}


class MembershipViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    """Members of the organization and their roles; `brands` lists what a client may see."""

    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    capabilities = {"list": "view_members", "retrieve": "view_members", "write": "manage_members"}

    def filter_scoped_queryset(self, queryset):
        return queryset.select_related("user").prefetch_related("grants").order_by("user__email")

    def perform_destroy(self, instance):
        owners = Membership.objects.for_org(self.organization).filter(role=Role.OWNER)
        if instance.role == Role.OWNER and owners.count() == 1:
            from rest_framework.exceptions import ValidationError

            raise ValidationError("The last owner cannot be removed.")
        instance.delete()
