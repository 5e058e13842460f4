"""Users, organizations (the tenant), memberships with roles, brands and the brands granted to clients."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address and a password."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organization(models.Model):
    """The tenant: an agency serving several brands, or a brand's own team."""

    class Kind(models.TextChoices):
        AGENCY = "agency", _("Agency")
        BRAND_TEAM = "brand_team", _("Brand team")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BRAND_TEAM)
    logo = models.ImageField(_("logo"), upload_to="logos/orgs/", blank=True)
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    MARKETER = "marketer", _("Marketer")
    VIEWER = "viewer", _("Viewer")
    CLIENT = "client", _("Client")


class Membership(TenantModel):
    """A user's role in an organization."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="uniq_membership_org_user")]
        ordering = ["organization", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"

    def can(self, capability: str) -> bool:
        from accounts.permissions import role_can

        return role_can(self.role, capability)

    def granted_brand_ids(self) -> list[int]:
        """Brands a client may see; every brand of the organization for the other roles."""
        if self.role != Role.CLIENT:
            return list(Brand.objects.filter(organization_id=self.organization_id).values_list("id", flat=True))
        return list(self.grants.values_list("brand_id", flat=True))


class Brand(TenantModel):
    """A brand the organization tracks: its own, a client's, or a competitor it benchmarks against."""

    tenant_brand_path = "pk"

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/brands/", blank=True)
    is_competitor = models.BooleanField(
        _("competitor"), default=False, help_text=_("A competitor's brand, tracked for benchmarks.")
    )
    # Bumped in the same transaction as every change to the brand's facts: cached KPI answers carry it in
    # their key, so a committed import is visible at once.
    data_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="uniq_brand_org_slug")]
        ordering = ["is_competitor", "name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self):
        return self.name


class BrandGrant(TenantModel):
    """A brand granted to a ``client`` member: clients read only the brands granted to them."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="grants")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="grants")

    tenant_brand_path = "brand"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership", "brand"], name="uniq_grant_member_brand")
        ]
        verbose_name = _("brand grant")
        verbose_name_plural = _("brand grants")

    def __str__(self):
        return f"{self.brand} → {self.membership.user}"
