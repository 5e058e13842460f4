"""Campaigns: what posts are grouped under for KPIs and targets (targets and tracked links build on it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel


class Campaign(TenantModel):
    """A marketing campaign of one brand over a date range (e.g. a Double 11 push)."""

    tenant_brand_path = "brand"

    brand = models.ForeignKey("accounts.Brand", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    utm_campaign = models.CharField(_("utm_campaign"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "brand", "slug"], name="uniq_campaign_slug")]
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name
