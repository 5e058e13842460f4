"""The demo's content tags: what a marketer of the demo agency would have tagged, by rules over titles.

Real organizations tag their posts by hand or in bulk in the content explorer; the demo has no marketer to do it,
so ``seed_demo`` applies these rules once after loading the files, through the same bulk-tagging service the
content explorer uses. Without tags the category comparison of the demo would be empty.

Rules, per post (a post can carry several tags, as in the guide):
- paid posts go under *Paid content* by their kind (influencer collaborations under *Influencer content*), earned
  posts under *Earned content → User posts*;
- owned posts get every keyword rule that matches the title: giveaways → *Audience engage → Lottery*, questions to
  the audience → *Trendy topics*, brand stories → *Education → Brand image*, know-how → *Beauty knowledge*,
  launches and reviews → *Product promotion → Plain products*; owned posts that match none stay untagged, as some
  always do in a real account.
"""

from __future__ import annotations

from collections import defaultdict

from accounts.models import Organization
from metrics.choices import MediaType, PaidKind
from metrics.models import ContentCategory, Post
from metrics.services.categories import posts_categories_bulk_update

# (keywords in the title, category path by English names)
TITLE_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("抽", "送正装", "送礼", "福利", "转发本条", "揪"), ("Audience engage", "Lottery")),
    (("你pick", "评论区说说", "评论区告诉", "挑战"), ("Audience engage", "Trendy topics")),
    (("品牌故事", "对话", "走进", "工序", "配方师"), ("Education", "Brand image")),
    (("科普", "成分", "指南", "攻略", "入门", "问答", "误区", "知识", "怎么选", "区别", "避坑", "医生", "教程", "干货"),
     ("Education", "Beauty knowledge")),
    (("新品", "上新", "上市", "测评", "实测", "vs", "对比", "限定"), ("Product promotion", "Plain products")),
)
PAID_RULES = {
    PaidKind.INFLUENCER: ("Paid content", "Influencer content", "Influencer educational content"),
    PaidKind.PROMOTED: ("Paid content", "Promoted content"),
    PaidKind.PAID_AD: ("Paid content", "Paid ads"),
}
EARNED = ("Earned content", "User posts")


def _categories_by_path(organization: Organization) -> dict[tuple[str, ...], int]:
    return {tuple(c.path_list()): c.pk for c in ContentCategory.objects.filter(organization=organization)}


def demo_posts_tag(organization: Organization) -> int:
    """Tag the organization's posts by the rules above; returns the number of taggings added (0 on a re-run)."""
    paths = _categories_by_path(organization)
    wanted: dict[int, set[int]] = defaultdict(set)  # category id -> post ids
    posts = Post.objects.filter(organization=organization).values_list("pk", "title", "media_type", "paid_kind")
    for pk, title, media_type, paid_kind in posts.iterator(chunk_size=5_000):
        if media_type == MediaType.PAID:
            path = PAID_RULES.get(paid_kind)
            if path in paths:
                wanted[paths[path]].add(pk)
            continue
        if media_type == MediaType.EARNED:
            if EARNED in paths:
                wanted[paths[EARNED]].add(pk)
            continue
        lowered = (title or "").lower()
        for keywords, path in TITLE_RULES:
            if path in paths and any(k in lowered for k in keywords):
                wanted[paths[path]].add(pk)
    added = 0
    for category_id, post_ids in wanted.items():
        added += posts_categories_bulk_update(organization.pk, post_ids, add=[category_id]).added
    return added
