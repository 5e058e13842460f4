"""The one DRF mixin that owns tenant scoping for every API view under /api/v1/orgs/<org_slug>/.

It resolves the organization from the URL before the handler runs (a stranger's or unknown slug: 404),
checks the member's role against the view's ``capabilities`` map, and builds every queryset through
``Model.objects.for_membership``. Subclasses may not override ``get_queryset``: they narrow it with
``filter_scoped_queryset`` instead, so a view cannot forget the scope.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from accounts.tenancy import TenantModel, membership_for

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class OrgScopedMixin:
    """Base of every tenant API view. Set ``queryset`` (for the model) and ``capabilities``."""

    # capability required per action (viewsets) or per HTTP method (plain views); "read" for safe methods.
    capabilities: dict[str, str] = {}
    default_write_capability = "manage_organization"

    organization = None
    membership = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not override get_queryset; use filter_scoped_queryset.")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, IsAuthenticated, throttles
        self.membership = membership_for(request.user, kwargs.get("org_slug", ""))
        self.organization = self.membership.organization
        request.membership = self.membership
        capability = self.required_capability(request)
        if not self.membership.can(capability):
            raise PermissionDenied(f"Your role ({self.membership.role}) may not do this here.")

    def required_capability(self, request) -> str:
        action = getattr(self, "action", None)
        if action and action in self.capabilities:
            return self.capabilities[action]
        if request.method in self.capabilities:
            return self.capabilities[request.method]
        if request.method in SAFE_METHODS:
            return self.capabilities.get("read", "read")
        return self.capabilities.get("write", self.default_write_capability)

    def get_queryset(self):
        model = self.queryset.model
        if not issubclass(model, TenantModel):
            raise TypeError(f"{model.__name__} is not tenant-owned")
        return self.filter_scoped_queryset(model.objects.for_membership(self.membership))

    def filter_scoped_queryset(self, queryset):
        """Narrow (never widen) the scoped queryset: filters, select_related, ordering."""
        return queryset

    def get_object(self):
        try:
            return super().get_object()
        except (ValueError, TypeError):
            raise Http404 from None

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["organization"] = self.organization
        context["membership"] = self.membership
        return context

    def perform_create(self, serializer):
        serializer.save(organization=self.organization)


class TenantSerializerMixin:
    """Takes the organization from the context, never from the payload, and scopes every incoming
    foreign key to the member's organization: an id from another tenant is "does not exist"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        membership = self.context.get("membership")
        for field in self.fields.values():
            relation = getattr(field, "child_relation", field)
            queryset = getattr(relation, "queryset", None)
            if queryset is None or not issubclass(queryset.model, TenantModel):
                continue
            if membership is None:
                relation.queryset = queryset.none()
            else:
                relation.queryset = queryset.model.objects.for_membership(membership)


class TenantModelSerializer(TenantSerializerMixin, serializers.ModelSerializer):
    pass
