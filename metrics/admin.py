"""The operators' admin of the metrics models.

Snapshots are what a platform reported and stay read-only; facts and the rollup are derived from them (and
from daily reports) and stay read-only too, since an edit here would disagree with the next rebuild. Big
foreign keys are raw id fields: a select of every post or account would load the whole table.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel
from metrics.models import (
    AccountDailyFact,
    ContentCategory,
    DailyRollup,
    ImportBatch,
    MappingTemplate,
    Post,
    PostCategory,
    PostDailyFact,
    PostSnapshot,
    SocialAccount,
)
from metrics.services.facts import posts_refresh


class TenantAdminForm(forms.ModelForm):
    """Operators pick related rows by raw id: refuse one from another organization than the row's own."""

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        if organization is None:
            return cleaned
        for name, value in cleaned.items():
            if name != "organization" and isinstance(value, TenantModel) and value.organization_id != organization.pk:
                self.add_error(name, _("This belongs to another organization."))
        return cleaned


class TenantAdmin(admin.ModelAdmin):
    form = TenantAdminForm


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that are reported or derived: visible, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SocialAccount)
class SocialAccountAdmin(TenantAdmin):
    list_display = ["handle", "display_name", "platform", "brand", "kind", "media_type", "is_competitor",
                    "organization"]
    list_filter = ["platform", "kind", "media_type", "is_competitor", "organization"]
    search_fields = ["handle", "display_name", "platform_account_id", "brand__name"]
    list_select_related = ["brand", "organization"]
    raw_id_fields = ["brand"]


@admin.register(ContentCategory)
class ContentCategoryAdmin(TenantAdmin):
    list_display = ["path", "name_zh", "depth", "organization"]
    list_filter = ["depth", "organization"]
    search_fields = ["name", "name_zh", "path"]
    list_select_related = ["organization"]
    raw_id_fields = ["parent"]
    readonly_fields = ["depth", "path"]


class PostCategoryInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            category = form.cleaned_data.get("category") if hasattr(form, "cleaned_data") else None
            if category is not None and category.organization_id != self.instance.organization_id:
                raise ValidationError(_("A post can only carry categories of its own organization."))


class PostCategoryInline(admin.TabularInline):
    model = PostCategory
    formset = PostCategoryInlineFormSet
    fields = ["category"]
    raw_id_fields = ["category"]
    extra = 0


@admin.register(Post)
class PostAdmin(TenantAdmin):
    list_display = ["__str__", "platform", "brand", "account", "published_at", "content_format", "media_type",
                    "traffic", "organization"]
    list_filter = ["platform", "media_type", "paid_kind", "traffic", "content_format", "organization"]
    search_fields = ["title", "platform_post_id", "url", "natural_key"]
    list_select_related = ["brand", "account", "organization"]
    raw_id_fields = ["brand", "account", "campaign"]
    readonly_fields = ["natural_key", "created_at", "updated_at"]
    date_hierarchy = "published_at"
    inlines = [PostCategoryInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # platforms' links are https

    def save_formset(self, request, form, formset, change):
        for tagging in formset.save(commit=False):
            tagging.organization_id = form.instance.organization_id
            tagging.save()
        for tagging in formset.deleted_objects:
            tagging.delete()

    def save_related(self, request, form, formsets, change):
        # The admin's whole change view runs in one transaction: facts and the rollup follow the new dimensions
        # and categories in it, as they do after an API PATCH.
        super().save_related(request, form, formsets, change)
        posts_refresh(form.instance.organization_id, [form.instance.pk])


@admin.register(PostCategory)
class PostCategoryAdmin(ReadOnlyAdmin):
    """Taggings are changed on the post (its inline refreshes the facts), listed here for searching."""

    list_display = ["post", "category", "organization"]
    list_filter = ["organization"]
    search_fields = ["post__title", "category__path"]
    list_select_related = ["post", "category", "organization"]


@admin.register(PostSnapshot)
class PostSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["post", "collected_at", "views", "likes", "comments", "shares", "batch", "organization"]
    list_filter = ["organization"]
    search_fields = ["post__title", "post__platform_post_id"]
    list_select_related = ["post", "organization"]
    raw_id_fields = ["post", "batch"]
    date_hierarchy = "collected_at"


@admin.register(PostDailyFact)
class PostDailyFactAdmin(ReadOnlyAdmin):
    list_display = ["post", "day", "platform", "media_type", "source", "views", "likes", "decreased", "organization"]
    list_filter = ["source", "decreased", "platform", "media_type", "organization"]
    search_fields = ["post__title", "post__platform_post_id"]
    list_select_related = ["post", "organization"]
    raw_id_fields = ["post", "brand", "account"]
    date_hierarchy = "day"


@admin.register(AccountDailyFact)
class AccountDailyFactAdmin(ReadOnlyAdmin):
    list_display = ["account", "day", "platform", "followers_total", "followers_gained", "followers_lost",
                    "unsettled", "organization"]
    list_filter = ["platform", "unsettled", "organization"]
    search_fields = ["account__handle", "account__display_name"]
    list_select_related = ["account", "organization"]
    raw_id_fields = ["account", "brand", "batch"]
    date_hierarchy = "day"


@admin.register(DailyRollup)
class DailyRollupAdmin(ReadOnlyAdmin):
    list_display = ["day", "brand", "platform", "media_type", "traffic", "content_format", "category", "posts",
                    "views", "organization"]
    list_filter = ["platform", "media_type", "traffic", "content_format", "organization"]
    list_select_related = ["brand", "category", "organization"]
    raw_id_fields = ["brand", "account", "category"]
    date_hierarchy = "day"


@admin.register(ImportBatch)
class ImportBatchAdmin(TenantAdmin):
    list_display = ["id", "original_name", "brand", "platform", "report_kind", "status", "rows_ok", "rows_error",
                    "uploaded_by", "created_at", "organization"]
    list_filter = ["status", "platform", "mode", "organization"]
    search_fields = ["original_name", "sha256", "report_kind", "uploaded_by__email"]
    list_select_related = ["brand", "uploaded_by", "organization"]
    raw_id_fields = ["brand", "uploaded_by", "mapping_template", "duplicate_of"]
    readonly_fields = ["sha256", "size", "rows_total", "rows_done", "rows_ok", "rows_error", "rows_skipped",
                       "posts_created", "posts_updated", "snapshots", "facts", "errors", "attempts", "claimed_by",
                       "started_at", "heartbeat_at", "finished_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"


@admin.register(MappingTemplate)
class MappingTemplateAdmin(TenantAdmin):
    list_display = ["name", "platform", "level", "basis", "created_by", "organization"]
    list_filter = ["platform", "level", "basis", "organization"]
    search_fields = ["name", "signature"]
    list_select_related = ["created_by", "organization"]
    raw_id_fields = ["created_by"]
