"""The tenancy core: the one scoped path through which every tenant-owned row is read.

Every tenant-owned model inherits ``TenantModel``: it carries its ``organization`` and is read through
``Model.objects.for_membership(membership)``, which filters by the organization and, for a ``client``
member, by the brands granted to them. The API mixin (``accounts.api.mixins``) and the page mixin
(``accounts.views``) call nothing else, so an id from another organization is simply not found: 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from accounts.models import Membership, Organization


class TenantQuerySet(models.QuerySet):
    def for_org(self, organization: Organization | int) -> TenantQuerySet:
        org_id = organization if isinstance(organization, int) else organization.pk
        return self.filter(organization_id=org_id)

    def for_membership(self, membership: Membership) -> TenantQuerySet:
        """Rows of the member's organization that the member may see (clients: granted brands only)."""
        from accounts.models import Role

        qs = self.filter(organization_id=membership.organization_id)
        brand_path = self.model.tenant_brand_path
        if membership.role == Role.CLIENT and brand_path is not None:
            granted = membership.grants.values("brand_id")
            qs = qs.filter(**{f"{brand_path}__in": granted})
        return qs


class TenantModel(models.Model):
    """Abstract base of every tenant-owned model: organization, created_at, updated_at."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    # The lookup path from this model to its Brand ("brand", "post__brand", "pk" for Brand itself), or None
    # when a row belongs to the organization as a whole. Clients see only rows of their granted brands.
    tenant_brand_path: ClassVar[str | None] = None

    class Meta:
        abstract = True


def membership_for(user, org_slug: str) -> Membership:
    """The user's membership in the organization named by ``org_slug``.

    Raises Http404 both when the organization does not exist and when the user is not a member, so that a
    stranger cannot tell the two apart.
    """
    from accounts.models import Membership

    if not user or not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(organization__slug=org_slug, user=user)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def scoped_get(model: type[TenantModel], membership: Membership, **lookup) -> TenantModel:
    """One row of ``model`` visible to ``membership``, or Http404 (never another tenant's row)."""
    try:
        return model.objects.for_membership(membership).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
