"""A small but complete brand for the dashboard tests: accounts on three platforms, posts published over the
last weeks with two collections each (so facts are snapshot differences), paid and earned content, tagged
categories, account follower figures and a competitor. Everything goes through the real fact path
(``posts_refresh``), so the pages read what an import would have written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from accounts.models import Brand, Organization
from metrics.models import AccountDailyFact, ContentCategory, Post, PostCategory, PostSnapshot, SocialAccount
from metrics.services.facts import posts_refresh
from tests.factories import BrandFactory, CampaignFactory, SocialAccountFactory

PLATFORMS = ("xiaohongshu", "douyin", "weibo")


@dataclass
class BrandData:
    brand: Brand
    competitor: Brand
    posts: list[Post] = field(default_factory=list)
    accounts: list[SocialAccount] = field(default_factory=list)
    categories: dict[str, ContentCategory] = field(default_factory=dict)


def _category(org, name, name_zh, parent=None):
    category, _ = ContentCategory.objects.get_or_create(
        organization=org, parent=parent, name=name, defaults={"name_zh": name_zh}
    )
    return category


def build_brand_data(
    org: Organization,
    brand: Brand | None = None,
    *,
    competitor: Brand | None = None,
    posts_per_platform: int = 8,
    competitor_slug: str = "rival-brand",
) -> BrandData:
    """Create the data set in ``org`` (call it once per test: it adds, it does not reconcile)."""
    now = timezone.now()
    brand = brand or BrandFactory(organization=org, name="Glow Lab 光感实验室", slug="glow-lab")
    competitor = competitor or BrandFactory(
        organization=org, name="Lumi Beauty 露米", slug=competitor_slug, is_competitor=True
    )
    data = BrandData(brand=brand, competitor=competitor)
    education = _category(org, "Education", "教育")
    data.categories = {
        "education": education,
        "brand_image": _category(org, "Brand image", "品牌形象", education),
        "knowledge": _category(org, "Beauty knowledge", "美妆知识", education),
        "promotion": _category(org, "Product promotion", "产品推广"),
    }
    campaign = CampaignFactory(organization=org, brand=brand, name="Double 11 双十一", slug="double-11")
    snapshots, taggings, facts = [], [], []
    owners = [brand]
    if not SocialAccount.objects.filter(organization=org, brand=competitor).exists():
        owners.append(competitor)  # a competitor shared by two calls gets its data once
    for owner in owners:
        for p_index, platform in enumerate(PLATFORMS):
            account = SocialAccountFactory(
                organization=org,
                brand=owner,
                platform=platform,
                handle=f"{owner.slug}-{platform}",
                display_name=f"{owner.name.split()[0]} {platform}",
                is_competitor=owner.is_competitor,
            )
            data.accounts.append(account)
            for i in range(posts_per_platform):
                published = now - timedelta(days=3 + i * 3, hours=p_index)
                paid = owner == brand and i % 4 == 3
                earned = owner == brand and i % 7 == 5
                post = Post.objects.create(
                    organization=org,
                    brand=owner,
                    account=account,
                    platform=platform,
                    natural_key=f"id:{owner.slug}-{platform}-{i}",
                    platform_post_id=f"{platform}-{i}",
                    title=f"{'秋冬护肤' if i % 2 else '新品试色'} {owner.slug} {platform} #{i}",
                    published_at=published,
                    content_format="short_video" if platform == "douyin" else "image_note",
                    media_type="paid" if paid else "earned" if earned else "owned",
                    paid_kind="promoted" if paid else "",
                    traffic="paid" if paid else "organic",
                    campaign=campaign if owner == brand and i % 3 == 0 else None,
                )
                data.posts.append(post)
                scale = (p_index + 1) * (i + 2) * (3 if owner.is_competitor else 1)
                for hours, share in ((20, 0.6), (24 * 2 + 5, 1.0)):
                    collected = min(published + timedelta(hours=hours), now - timedelta(minutes=5))
                    snapshots.append(
                        PostSnapshot(
                            organization=org,
                            post=post,
                            collected_at=collected,
                            views=round(1000 * scale * share),
                            likes=round(80 * scale * share),
                            comments=round(9 * scale * share),
                            shares=round(12 * scale * share),
                            collects=round(20 * scale * share),
                            followers_gained=round(3 * scale * share),
                            clicks=round(15 * scale * share),
                        )
                    )
                if owner == brand and i % 4 != 1:  # a quarter of the posts stay untagged
                    tag = ("brand_image", "knowledge", "promotion")[i % 3]
                    taggings.append(PostCategory(organization=org, post=post, category=data.categories[tag]))
            facts.extend(
                AccountDailyFact(
                    organization=org,
                    account=account,
                    brand=owner,
                    platform=platform,
                    day=timezone.localdate() - timedelta(days=d),
                    followers_total=10_000 + 50 * (35 - d),
                    followers_gained=60 + d % 5,
                    followers_lost=10 + d % 3,
                    followers_net=50 + d % 5 - d % 3,
                )
                for d in range(35)
            )
    PostSnapshot.objects.bulk_create(snapshots)
    PostCategory.objects.bulk_create(taggings)
    AccountDailyFact.objects.bulk_create(facts)
    posts_refresh(org.pk, [p.pk for p in data.posts])
    return data
