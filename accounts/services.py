"""Writes of the accounts app. Each is idempotent where operators and scripts call it repeatedly."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Brand, BrandGrant, Membership, Organization, Role


@transaction.atomic
def organization_ensure(slug: str, *, name: str, kind: str = Organization.Kind.BRAND_TEAM,
                        owner_email: str | None = None) -> tuple[Organization, bool]:
    """Create the organization ``slug`` unless it exists (then its name and kind are left alone)."""
    org, created = Organization.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
    if owner_email:
        membership_ensure(org, owner_email, Role.OWNER)
    return org, created


@transaction.atomic
def brand_ensure(organization: Organization, slug: str, *, name: str, industry: str = "",
                 is_competitor: bool = False) -> tuple[Brand, bool]:
    return Brand.objects.get_or_create(
        organization=organization, slug=slug,
        defaults={"name": name, "industry": industry, "is_competitor": is_competitor},
    )


@transaction.atomic
def membership_ensure(organization: Organization, email: str, role: str, *, password: str | None = None,
                      full_name: str = "", brands: list[Brand] | None = None) -> Membership:
    """Make ``email`` a member with ``role``; creates the user (unusable password unless given)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(email=email.lower(), defaults={"full_name": full_name})
    if created or password:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    for brand in brands or []:
        BrandGrant.objects.get_or_create(organization=organization, membership=membership, brand=brand)
    return membership
