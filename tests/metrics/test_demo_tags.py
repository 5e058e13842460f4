"""The demo's tagging rules: paid and earned posts by kind, owned posts by title keywords, nothing twice."""

import pytest

from metrics.demo_tags import demo_posts_tag
from metrics.models import PostCategory
from tests.factories import PostFactory, SocialAccountFactory


def _names(post):
    return sorted(c.name for c in post.categories.all())


@pytest.mark.django_db
def test_demo_tags_follow_the_rules_and_a_rerun_adds_nothing(org, other_org, brand):
    account = SocialAccountFactory(organization=org, brand=brand, platform="xiaohongshu")
    giveaway = PostFactory(organization=org, brand=brand, account=account, title="双11福利｜评论区抽5位送正装")
    story = PostFactory(organization=org, brand=brand, account=account, title="品牌故事｜我们为什么坚持做精华")
    launch_guide = PostFactory(organization=org, brand=brand, account=account, title="新品首发｜精华入门指南")
    plain = PostFactory(organization=org, brand=brand, account=account, title="周末快乐")
    kol = PostFactory(organization=org, brand=brand, account=account, title="新品首发", media_type="paid",
                      paid_kind="influencer")
    earned = PostFactory(organization=org, brand=brand, account=account, title="抽奖", media_type="earned")
    foreign = PostFactory(organization=other_org, title="评论区抽5位送正装")

    added = demo_posts_tag(org)

    assert _names(giveaway) == ["Lottery"]
    assert _names(story) == ["Brand image"]
    assert _names(launch_guide) == ["Beauty knowledge", "Plain products"]
    assert _names(plain) == []
    assert _names(kol) == ["Influencer educational content"]  # paid: by kind, never by title
    assert _names(earned) == ["User posts"]
    assert _names(foreign) == []  # another organization is never touched
    assert added == PostCategory.objects.filter(organization=org).count() == 6
    assert demo_posts_tag(org) == 0
