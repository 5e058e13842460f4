"""Serializers of the metrics API: social accounts, the category tree, posts with their snapshots, bulk tagging.

Every serializer that takes a foreign key inherits ``TenantSerializerMixin``: brand, parent, campaign and
category ids are looked up in the member's organization only, so another tenant's id is "does not exist".
Output serializers read relations that the views batch-load for the whole page (no query per row).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.mixins import TenantModelSerializer, TenantSerializerMixin
from campaigns.models import Campaign
from metrics.catalog import COLUMN_METRICS
from metrics.choices import MediaType
from metrics.models import ContentCategory, Post, PostSnapshot, SocialAccount
from metrics.services.categories import category_candidate, category_validate

BULK_TAG_MAX_POSTS = 5_000  # one request, one transaction: bounds the lock time and the refresh


def _drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class SocialAccountSerializer(TenantModelSerializer):
    class Meta:
        model = SocialAccount
        fields = ["id", "brand", "platform", "handle", "display_name", "platform_account_id", "kind", "media_type",
                  "is_competitor", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        # The unique constraint leads with the organization, which the payload never carries: check it here so
        # a duplicate is a 400 naming the handle, not an IntegrityError.
        current = self.instance
        brand = attrs.get("brand", getattr(current, "brand", None))
        platform = attrs.get("platform", getattr(current, "platform", None))
        handle = attrs.get("handle", getattr(current, "handle", None))
        clash = SocialAccount.objects.for_org(self.context["organization"]).filter(
            brand=brand, platform=platform, handle=handle
        )
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        if clash.exists():
            raise serializers.ValidationError({"handle": _("This brand already has an account with this handle here.")})
        return attrs


class ContentCategorySerializer(TenantModelSerializer):
    path = serializers.SerializerMethodField(help_text=_("Names from the root down to this category."))
    children = serializers.SerializerMethodField(help_text=_("Ids of the direct sub-categories."))

    class Meta:
        model = ContentCategory
        fields = ["id", "name", "name_zh", "parent", "depth", "path", "children", "created_at", "updated_at"]
        read_only_fields = ["depth", "created_at", "updated_at"]

    def get_path(self, obj) -> list[str]:
        return obj.path_list()

    def get_children(self, obj) -> list[int]:
        return [child.pk for child in obj.children.all()]

    def validate(self, attrs):
        candidate = category_candidate(self.context["organization"], self.instance, attrs)
        try:
            category_validate(candidate)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from None
        return attrs


class CategoryTreeNodeSerializer(serializers.Serializer):
    """A category with its sub-categories nested (``?tree=1``)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    depth = serializers.IntegerField()
    path = serializers.ListField(child=serializers.CharField())
    children = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, obj):
        return CategoryTreeNodeSerializer(obj["children"], many=True).data


class PostAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = SocialAccount
        fields = ["id", "platform", "handle", "display_name"]


class PostSerializer(serializers.ModelSerializer):
    """A post in lists: its dimensions, category ids and lifetime totals (sums of its daily facts)."""

    account = PostAccountSerializer(read_only=True)
    categories = serializers.SerializerMethodField()
    views = serializers.FloatField(source="lifetime_views", read_only=True, allow_null=True,
                                   help_text=_("Lifetime views: the sum of the post's daily facts."))
    likes = serializers.FloatField(source="lifetime_likes", read_only=True, allow_null=True,
                                   help_text=_("Lifetime likes: the sum of the post's daily facts."))
    engagement = serializers.FloatField(
        source="lifetime_engagement", read_only=True, allow_null=True,
        help_text=_("Lifetime engagement with the platform's formula (see /api/v1/catalog/)."),
    )

    class Meta:
        model = Post
        fields = ["id", "brand", "account", "platform", "platform_post_id", "url", "title", "published_at",
                  "content_format", "media_type", "paid_kind", "traffic", "cost", "effort_hours", "campaign",
                  "categories", "status", "views", "likes", "engagement", "created_at", "updated_at"]
        read_only_fields = fields

    def get_categories(self, obj) -> list[int]:
        return [category.pk for category in obj.categories.all()]


class PostSnapshotSerializer(serializers.ModelSerializer):
    """One collection: when, what the platform reported (only the metrics it reported), and the rest."""

    metrics = serializers.SerializerMethodField()

    class Meta:
        model = PostSnapshot
        fields = ["collected_at", "metrics", "extra", "batch"]
        read_only_fields = fields

    def get_metrics(self, obj) -> dict[str, float]:
        return {key: getattr(obj, key) for key in COLUMN_METRICS if getattr(obj, key) is not None}


class PostDetailSerializer(PostSerializer):
    """A post with its snapshots, oldest first."""

    snapshots = PostSnapshotSerializer(many=True, read_only=True)

    class Meta(PostSerializer.Meta):
        fields = [*PostSerializer.Meta.fields, "natural_key", "snapshots"]
        read_only_fields = fields


class PostTagsSerializer(TenantModelSerializer):
    """What a marketer may change on a post (PATCH). Imports own everything else."""

    categories = serializers.PrimaryKeyRelatedField(many=True, queryset=ContentCategory.objects.all(), required=False)
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Post
        fields = ["media_type", "paid_kind", "traffic", "content_format", "cost", "effort_hours", "campaign",
                  "categories"]

    def validate(self, attrs):
        post = self.instance
        media_type = attrs.get("media_type", post.media_type)
        paid_kind = attrs.get("paid_kind", post.paid_kind)
        if media_type != MediaType.PAID and paid_kind:
            raise serializers.ValidationError({"paid_kind": _("Only paid content has a paid kind.")})
        campaign = attrs.get("campaign", post.campaign if post.campaign_id else None)
        if campaign is not None and campaign.brand_id != post.brand_id:
            raise serializers.ValidationError({"campaign": _("The campaign belongs to another brand.")})
        return attrs


class BulkTagSerializer(TenantSerializerMixin, serializers.Serializer):
    """Add and remove categories on many posts at once. Unknown (or another tenant's) ids: 400 naming them."""

    posts = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=BULK_TAG_MAX_POSTS)
    add = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    remove = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)

    def validate(self, attrs):
        membership = self.context["membership"]
        errors = {}
        for field_name, model in (("posts", Post), ("add", ContentCategory), ("remove", ContentCategory)):
            wanted = set(attrs[field_name])
            found = set(model.objects.for_membership(membership).filter(pk__in=wanted).values_list("pk", flat=True))
            unknown = sorted(wanted - found)
            if unknown:
                errors[field_name] = [_("Not found: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}]
        if errors:
            raise serializers.ValidationError(errors)
        if not attrs["add"] and not attrs["remove"]:
            raise serializers.ValidationError(_("Give categories to add or to remove."))
        both = sorted(set(attrs["add"]) & set(attrs["remove"]))
        if both:
            raise serializers.ValidationError(
                {"remove": [_("Both added and removed: %(ids)s.") % {"ids": ", ".join(map(str, both))}]}
            )
        return attrs


class BulkTagResultSerializer(serializers.Serializer):
    posts = serializers.IntegerField(help_text=_("Posts whose categories changed."))
    added = serializers.IntegerField(help_text=_("Taggings added."))
    removed = serializers.IntegerField(help_text=_("Taggings removed."))
