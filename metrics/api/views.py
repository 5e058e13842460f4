"""Tenant API of the metrics app: social accounts, the category tree, posts and their tagging.

Views stay thin: ``OrgScopedMixin`` scopes every queryset and checks the role, ``filters`` narrows and orders,
serializers validate, ``metrics.services.categories`` writes.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts.api.mixins import OrgScopedMixin
from metrics.api.filters import (
    POST_ORDERING,
    TRUE_VALUES,
    PostFilterSet,
    SocialAccountFilterSet,
    posts_with_lifetime_totals,
)
from metrics.api.serializers import (
    BulkTagResultSerializer,
    BulkTagSerializer,
    CategoryTreeNodeSerializer,
    ContentCategorySerializer,
    PostDetailSerializer,
    PostSerializer,
    PostTagsSerializer,
    SocialAccountSerializer,
)
from metrics.models import ContentCategory, Post, PostSnapshot, SocialAccount
from metrics.services.categories import category_delete, post_tags_update, posts_categories_bulk_update


class MetricsPagination(PageNumberPagination):
    """The project's page-number pagination (PAGE_SIZE per page); ``page_size`` may ask for up to 200."""

    page_size_query_param = "page_size"
    max_page_size = 200


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This cannot be done in the current state.")
    default_code = "conflict"


class SocialAccountViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    """Social accounts: the brands' own, the influencers they pay, competitors' accounts.

    Imports create accounts as they meet them; members with ``manage_accounts`` add and correct them here.
    """

    queryset = SocialAccount.objects.all()
    serializer_class = SocialAccountSerializer
    pagination_class = MetricsPagination
    capabilities = {"write": "manage_accounts"}

    def filter_scoped_queryset(self, queryset):
        if self.action == "list":
            queryset = SocialAccountFilterSet.apply(queryset, self.request.query_params, self)
        return queryset

    @extend_schema(parameters=SocialAccountFilterSet.openapi())
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_destroy(self, instance):
        # Deleting an account would silently take its posts, snapshots and facts with it (cascade): an import's
        # history is not undone by a click in the API. Operators can do it in the admin.
        if instance.posts.exists():
            raise Conflict(_("This account has posts; it cannot be deleted through the API."))
        instance.delete()


class ContentCategoryViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    """The organization's content categories: category → sub-category → variant (three levels at most).

    The flat list is paginated and ordered by path; ``?tree=1`` returns the whole tree nested, unpaginated.
    """

    queryset = ContentCategory.objects.all()
    serializer_class = ContentCategorySerializer
    pagination_class = MetricsPagination
    capabilities = {"write": "manage_categories"}

    def filter_scoped_queryset(self, queryset):
        return queryset.prefetch_related("children")

    @extend_schema(
        parameters=[OpenApiParameter(
            "tree", OpenApiTypes.BOOL, OpenApiParameter.QUERY,
            description=_("Return the whole tree, nested and unpaginated: a list of root categories, each with "
                          "its children as objects (CategoryTreeNode) instead of ids."),
        )],
    )
    def list(self, request, *args, **kwargs):
        if request.query_params.get("tree", "").lower() in TRUE_VALUES:
            nodes = list(self.get_queryset().prefetch_related(None).order_by("depth", "name"))
            return Response(CategoryTreeNodeSerializer(_nest(nodes), many=True).data)
        return super().list(request, *args, **kwargs)

    def perform_update(self, serializer):
        with transaction.atomic():  # a rename or move rewrites the paths of the whole subtree
            serializer.save()

    def perform_destroy(self, instance):
        category_delete(instance)


def _nest(nodes: list[ContentCategory]) -> list[dict]:
    """Flat rows (parents before children) to nested dicts; siblings in name order."""
    by_id = {}
    roots = []
    for node in nodes:
        item = {"id": node.pk, "name": node.name, "name_zh": node.name_zh, "depth": node.depth,
                "path": node.path_list(), "children": []}
        by_id[node.pk] = item
        parent = by_id.get(node.parent_id)
        (parent["children"] if parent is not None else roots).append(item)
    return roots


class PostViewSet(OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Posts (content items). Imports create and update them; marketers (``tag_content``) set the dimensions
    that group their numbers (media type, paid kind, traffic, format, campaign, categories) and cost and effort.

    The list and the detail carry lifetime views, likes and engagement: the sums of the post's daily facts (see
    ``metrics.api.filters.posts_with_lifetime_totals`` for why facts and not the latest snapshot). Relations are
    batch-loaded (the account joined, categories prefetched), so a page costs the same queries at any size.
    """

    queryset = Post.objects.all()
    pagination_class = MetricsPagination
    capabilities = {"partial_update": "tag_content", "bulk_tag": "tag_content"}
    serializers_by_action = {
        "retrieve": PostDetailSerializer,
        "partial_update": PostTagsSerializer,
        "bulk_tag": BulkTagSerializer,
    }

    def get_serializer_class(self):
        return self.serializers_by_action.get(self.action, PostSerializer)

    def filter_scoped_queryset(self, queryset):
        queryset = posts_with_lifetime_totals(queryset.select_related("account").prefetch_related("categories"))
        if self.action == "list":
            queryset = PostFilterSet.apply(queryset, self.request.query_params, self)
            queryset = POST_ORDERING.apply(queryset, self.request.query_params)
        elif self.action in ("retrieve", "partial_update"):
            snapshots = PostSnapshot.objects.filter(organization_id=self.organization.pk).order_by("collected_at")
            queryset = queryset.prefetch_related(Prefetch("snapshots", queryset=snapshots))
        return queryset

    @extend_schema(parameters=[*PostFilterSet.openapi(), POST_ORDERING.openapi()])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PostTagsSerializer, responses=PostDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the post's dimensions and categories; its facts and the daily rollup follow at once."""
        post = self.get_object()
        serializer = self.get_serializer(post, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        post_tags_update(post, **serializer.validated_data)
        fresh = self.get_object()  # re-read: lifetime totals and categories as stored now
        return Response(PostDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=BulkTagSerializer, responses=BulkTagResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-tag")
    def bulk_tag(self, request, *args, **kwargs):
        """Add and remove categories on many posts in one transaction. Every id must be the organization's
        (clients: of their brands); otherwise nothing is written and the answer (400) names the unknown ids."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = posts_categories_bulk_update(self.organization.pk, data["posts"], add=data["add"],
                                              remove=data["remove"])
        return Response(BulkTagResultSerializer(result).data)
