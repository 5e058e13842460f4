"""Writes of content tagging: the organization's category tree and the dimensions marketers give posts.

The default tree comes from DOMAIN.md: the guide's Weibo example (Education, Audience engage, Product
promotion, each with its sub-categories) and the content types seen across platforms, grouped under owned,
paid and earned content (§2). A post can carry several categories, so the two axes live side by side: the
category comparison compares siblings, never a topic against a content type.

Every change that moves a post's numbers to another group (media type, paid kind, traffic, format, campaign,
categories) ends in ``posts_refresh`` inside the same transaction, so facts, the daily rollup and the brands'
data version follow at once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from metrics.models import ContentCategory, Post, PostCategory
from metrics.services.facts import brand_data_changed, posts_refresh

# (name, 中文名, children): at most three levels (category → sub-category → variant).
DEFAULT_TREE: tuple = (
    ("Education", "教育", (
        ("Brand image", "品牌形象", ()),
        ("Beauty knowledge", "美妆知识", ()),
    )),
    ("Audience engage", "粉丝互动", (
        ("Lottery", "抽奖", ()),
        ("Trendy topics", "热点话题", ()),
    )),
    ("Product promotion", "产品推广", (
        ("Plain products", "产品展示", ()),
        ("Celebrity collaboration", "明星合作", ()),
    )),
    ("Owned content", "自有内容", (
        ("Educational content", "知识科普内容", ()),
        ("Shoppable content", "带货内容", ()),
        ("Brand livestream", "品牌直播", ()),
        ("Skit series", "短剧", ()),
    )),
    ("Paid content", "付费内容", (
        ("Promoted content", "推广内容（加热）", ()),
        ("Paid ads", "付费广告", ()),
        ("Influencer content", "达人合作内容", (
            ("Influencer educational content", "达人种草内容", ()),
            ("Influencer livestream", "达人直播", ()),
            ("Influencer shoppable content", "达人带货内容", ()),
            ("Influencer skit series", "达人短剧", ()),
        )),
    )),
    ("Earned content", "口碑内容", (
        ("User posts", "用户自发内容", ()),
        ("Unsolicited influencer posts", "达人自发内容", ()),
        ("Press mentions", "媒体报道", ()),
        ("Trending topics", "热门话题", ()),
    )),
)


@transaction.atomic
def categories_seed_defaults(organization: Organization) -> int:
    """Create the default category tree where it is missing; returns the number of categories created.

    Idempotent: nodes are matched by (parent, name) and existing ones are left as they are (a marketer's
    Chinese name stays). A default the organization renamed or moved is created again by a re-run; the seed
    runs once, when the organization is created, so that only matters to operators.
    """
    existing = {(c.parent_id, c.name): c for c in ContentCategory.objects.for_org(organization)}
    created = 0

    def ensure(nodes, parent: ContentCategory | None) -> None:
        nonlocal created
        for name, name_zh, children in nodes:
            node = existing.get((parent.pk if parent else None, name))
            if node is None:
                node = ContentCategory(organization=organization, parent=parent, name=name, name_zh=name_zh)
                node.save()
                created += 1
            ensure(children, node)

    ensure(DEFAULT_TREE, None)
    return created


def category_validate(category: ContentCategory) -> None:
    """Refuse a parent from another organization, a cycle, a tree deeper than three levels, a sibling's name.

    ``category`` is the unsaved candidate (a new node, or a copy of an existing one with the changes applied).
    Raises django's ValidationError keyed by field.
    """
    category.clean()
    siblings = ContentCategory.objects.for_org(category.organization_id).filter(
        Q(parent__isnull=True) if category.parent_id is None else Q(parent_id=category.parent_id), name=category.name
    )
    if category.pk is not None:
        siblings = siblings.exclude(pk=category.pk)
    if siblings.exists():
        raise ValidationError({"name": _("A category with this name already exists here.")})
    if category.pk is not None:
        # clean() checks the node itself; moving a node moves its subtree, which must still fit.
        new_depth = 0 if category.parent_id is None else category.parent.depth + 1
        below = ContentCategory.objects.filter(organization_id=category.organization_id)
        if below.filter(parent__parent_id=category.pk).exists():
            height = 2
        elif below.filter(parent_id=category.pk).exists():
            height = 1
        else:
            height = 0
        if new_depth + height >= ContentCategory.MAX_DEPTH:
            raise ValidationError({"parent": _("Categories go three levels deep at most.")})


def category_candidate(organization: Organization, instance: ContentCategory | None, changes: dict) -> ContentCategory:
    """The category as it would be after ``changes``, unsaved: what ``category_validate`` judges."""
    candidate = copy.copy(instance) if instance is not None else ContentCategory(organization=organization)
    for field, value in changes.items():
        setattr(candidate, field, value)
    return candidate


@transaction.atomic
def category_delete(category: ContentCategory) -> None:
    """Delete a category and its subtree. Taggings and the category's rollup rows go with them (cascade);
    the brands whose posts were tagged get a new data version so that cached category answers are not reused."""
    subtree = ContentCategory.objects.for_org(category.organization_id).filter(
        Q(pk=category.pk) | Q(parent_id=category.pk) | Q(parent__parent_id=category.pk)
    )
    brand_ids = set(
        PostCategory.objects.filter(organization_id=category.organization_id, category__in=subtree).values_list(
            "post__brand_id", flat=True
        )
    )
    category.delete()
    brand_data_changed(category.organization_id, brand_ids)


def _taggings_set(post: Post, categories: Iterable[ContentCategory]) -> bool:
    """Make ``categories`` the post's categories; returns whether anything changed."""
    wanted = {c.pk for c in categories}
    current = set(PostCategory.objects.filter(organization_id=post.organization_id, post=post).values_list(
        "category_id", flat=True
    ))
    if wanted == current:
        return False
    PostCategory.objects.filter(organization_id=post.organization_id, post=post,
                                category_id__in=current - wanted).delete()
    PostCategory.objects.bulk_create(
        [PostCategory(organization_id=post.organization_id, post=post, category_id=pk) for pk in wanted - current]
    )
    return True


@transaction.atomic
def post_tags_update(post: Post, *, categories: Iterable[ContentCategory] | None = None, **dimensions) -> Post:
    """Set a post's dimensions (media type, paid kind, traffic, format, cost, effort, campaign) and categories.

    The caller has scoped ``post``, ``campaign`` and ``categories`` to the member's organization. Facts and
    the rollup are rebuilt only when something that groups the numbers changed (cost and effort are read from
    the post itself).
    """
    changed = [field for field, value in dimensions.items() if getattr(post, field) != value]
    for field in changed:
        setattr(post, field, dimensions[field])
    if changed:
        post.clean()
        # Only the changed columns: an import may be updating the post's title or status meanwhile.
        post.save(update_fields=[*changed, "updated_at"])
    regroup = any(field not in ("cost", "effort_hours") for field in changed)
    if categories is not None:
        regroup = _taggings_set(post, categories) or regroup
    if regroup:
        posts_refresh(post.organization_id, [post.pk])
    return post


@dataclass(frozen=True)
class BulkTagResult:
    posts: int
    added: int
    removed: int


@transaction.atomic
def posts_categories_bulk_update(organization_id: int, post_ids: Iterable[int], add: Iterable[int] = (),
                                 remove: Iterable[int] = ()) -> BulkTagResult:
    """Add and remove categories on many posts in one transaction, then refresh the posts whose tags changed.

    The ids must already be checked against the member's scope (the API answers 400 naming the others before
    calling this). Adding a tag a post has, or removing one it lacks, is a no-op.
    """
    post_ids, add, remove = set(post_ids), set(add), set(remove)
    taggings = PostCategory.objects.filter(organization_id=organization_id, post_id__in=post_ids)
    removed_posts = set(taggings.filter(category_id__in=remove).values_list("post_id", flat=True))
    removed, _by_model = taggings.filter(category_id__in=remove).delete()
    have = set(taggings.filter(category_id__in=add).values_list("post_id", "category_id"))
    missing = [(p, c) for p in sorted(post_ids) for c in sorted(add) if (p, c) not in have]
    PostCategory.objects.bulk_create(
        [PostCategory(organization_id=organization_id, post_id=p, category_id=c) for p, c in missing],
        batch_size=1_000,
    )
    touched = removed_posts | {p for p, _c in missing}
    if touched:
        posts_refresh(organization_id, sorted(touched))
    return BulkTagResult(posts=len(touched), added=len(missing), removed=removed)
