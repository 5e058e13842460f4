"""factory_boy factories for every tenant-owned model, and the registry the isolation test walks.

``FACTORIES`` maps each model to a factory that builds a complete row inside one organization (its foreign
keys in the same organization). A model served by an API route or page without an entry here makes the
isolation test fail: a new route must come with a way to prove it is scoped.
"""

import itertools
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Brand, BrandGrant, Membership, Organization, Role, User
from campaigns.models import Campaign
from metrics.models import (
    AccountDailyFact,
    ContentCategory,
    ImportBatch,
    MappingTemplate,
    Post,
    PostCategory,
    PostDailyFact,
    PostSnapshot,
    SocialAccount,
)

_seq = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "pw-kpiboard-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.VIEWER


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    industry = "beauty"


class BrandGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrandGrant

    organization = factory.SubFactory(OrganizationFactory)
    membership = factory.SubFactory(
        MembershipFactory, organization=factory.SelfAttribute("..organization"), role=Role.CLIENT
    )
    brand = factory.SubFactory(BrandFactory, organization=factory.SelfAttribute("..organization"))


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    organization = factory.SubFactory(OrganizationFactory)
    brand = factory.SubFactory(BrandFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialAccount

    organization = factory.SubFactory(OrganizationFactory)
    brand = factory.SubFactory(BrandFactory, organization=factory.SelfAttribute("..organization"))
    platform = "xiaohongshu"
    handle = factory.Sequence(lambda n: f"handle{n}")
    display_name = factory.Sequence(lambda n: f"账号{n}")


class ContentCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentCategory

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    organization = factory.SubFactory(OrganizationFactory)
    brand = factory.SubFactory(BrandFactory, organization=factory.SelfAttribute("..organization"))
    account = factory.SubFactory(
        SocialAccountFactory,
        organization=factory.SelfAttribute("..organization"),
        brand=factory.SelfAttribute("..brand"),
    )
    platform = factory.SelfAttribute("account.platform")
    natural_key = factory.Sequence(lambda n: f"id:post-{n}")
    platform_post_id = factory.Sequence(lambda n: f"post-{n}")
    title = factory.Sequence(lambda n: f"秋冬护肤 {n}")
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    content_format = "image_note"


class PostCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostCategory

    organization = factory.SubFactory(OrganizationFactory)
    post = factory.SubFactory(PostFactory, organization=factory.SelfAttribute("..organization"))
    category = factory.SubFactory(ContentCategoryFactory, organization=factory.SelfAttribute("..organization"))


class PostSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostSnapshot

    organization = factory.SubFactory(OrganizationFactory)
    post = factory.SubFactory(PostFactory, organization=factory.SelfAttribute("..organization"))
    collected_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=next(_seq) % 300))
    views = 1000
    likes = 50


class PostDailyFactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostDailyFact

    organization = factory.SubFactory(OrganizationFactory)
    post = factory.SubFactory(PostFactory, organization=factory.SelfAttribute("..organization"))
    brand = factory.SelfAttribute("post.brand")
    account = factory.SelfAttribute("post.account")
    platform = factory.SelfAttribute("post.platform")
    media_type = "owned"
    traffic = "organic"
    content_format = factory.SelfAttribute("post.content_format")
    day = factory.LazyFunction(lambda: timezone.localdate())
    views = 100


class AccountDailyFactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountDailyFact

    organization = factory.SubFactory(OrganizationFactory)
    account = factory.SubFactory(SocialAccountFactory, organization=factory.SelfAttribute("..organization"))
    brand = factory.SelfAttribute("account.brand")
    platform = factory.SelfAttribute("account.platform")
    day = factory.LazyFunction(lambda: timezone.localdate())
    followers_total = 1000


class ImportBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportBatch

    organization = factory.SubFactory(OrganizationFactory)
    brand = factory.SubFactory(BrandFactory, organization=factory.SelfAttribute("..organization"))
    file = factory.django.FileField(filename="笔记列表明细表.xlsx", data=b"PK\x03\x04")
    original_name = "笔记列表明细表.xlsx"
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    status = ImportBatch.Status.SUCCEEDED


class MappingTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MappingTemplate

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    platform = "kuaishou"
    headers = ["作品", "播放量"]
    signature = factory.Sequence(lambda n: f"{n:064x}")
    mapping = {"作品": "title", "播放量": "views"}


FACTORIES = {
    Brand: BrandFactory,
    BrandGrant: BrandGrantFactory,
    Membership: MembershipFactory,
    Campaign: CampaignFactory,
    SocialAccount: SocialAccountFactory,
    ContentCategory: ContentCategoryFactory,
    Post: PostFactory,
    PostCategory: PostCategoryFactory,
    PostSnapshot: PostSnapshotFactory,
    PostDailyFact: PostDailyFactFactory,
    AccountDailyFact: AccountDailyFactFactory,
    ImportBatch: ImportBatchFactory,
    MappingTemplate: MappingTemplateFactory,
}


def make(model, organization, **kwargs):
    """One complete row of ``model`` inside ``organization``."""
    try:
        factory_class = FACTORIES[model]
    except KeyError:
        raise AssertionError(f"No factory for {model.__name__}: add one to tests/factories.FACTORIES") from None
    return factory_class(organization=organization, **kwargs)
