"""Valid create payloads per model for the isolation test, and the foreign keys to try from another tenant.

``CREATE_PAYLOADS`` serves routes whose POST creates a row of the view's model. ``ACTION_PAYLOADS`` serves
POST routes that act on existing rows instead (bulk operations), keyed by URL name: a valid payload, the
fields to fill with another tenant's ids, and a per-organization ``state`` that must not change when such a
payload is refused (and never changes in the other organization).
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Brand, Membership
from metrics.models import ContentCategory, ImportBatch, MappingTemplate, PostCategory, SocialAccount
from tests.factories import BrandFactory, ContentCategoryFactory, MappingTemplateFactory, PostFactory


@dataclass
class CreateCase:
    valid: Callable  # (org) -> payload
    foreign_keys: Callable = lambda org, other: {}  # (org, other_org) -> {field: value from other_org}
    format: str = "json"


@dataclass
class ActionCase:
    valid: Callable  # (org) -> payload acting on org's rows
    foreign_keys: Callable  # (org, other_org) -> {field: value naming another tenant's rows}
    state: Callable  # (org) -> a comparable picture of what the action writes in org
    format: str = "json"


def _membership_payload(org):
    brand = BrandFactory(organization=org)
    return {"email": f"new-{brand.pk}@example.com", "role": "client", "brands": [brand.pk]}


def _account_payload(org):
    brand = BrandFactory(organization=org)
    return {"brand": brand.pk, "platform": "douyin", "handle": f"glow-{brand.pk}", "display_name": "光感实验室"}


def _category_payload(org):
    parent = ContentCategoryFactory(organization=org)
    return {"name": f"Variant of {parent.pk}", "name_zh": "变体", "parent": parent.pk}


def _bulk_tag_payload(org):
    return {"posts": [PostFactory(organization=org).pk], "add": [ContentCategoryFactory(organization=org).pk]}


def _bulk_tag_foreign(org, other):
    # Each list mixes one of org's own ids with the other tenant's: nothing at all may be written.
    def ids(factory):
        return [factory(organization=org).pk, factory(organization=other).pk]

    return {"posts": ids(PostFactory), "add": ids(ContentCategoryFactory), "remove": ids(ContentCategoryFactory)}


def _import_payload(org):
    """A one-video Channels export (the smallest real layout: a UTF-8 CSV with BOM)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    brand = BrandFactory(organization=org)
    text = ("视频描述,视频ID,发布时间,完播率,平均播放时长,播放量,推荐,喜欢,评论量,分享量,关注量\r\n"
            f"新品试色,{brand.pk}0001,2026/5/29,4.41%,14.73秒,8412,96,233,41,57,12\r\n")
    upload = SimpleUploadedFile("视频号动态数据明细.csv", text.encode("utf-8-sig"), content_type="text/csv")
    return {"file": upload, "brand": brand.pk, "as_of": "2026-06-01T09:00:00"}


def _mapping_template_payload(org):
    n = MappingTemplate.objects.count()
    return {"name": f"快手作品 {n}", "platform": "kuaishou", "level": "post", "basis": "cumulative",
            "headers": ["作品", f"播放量{n}", "点赞"], "mapping": {"作品": "title", f"播放量{n}": "views", "点赞": "likes"}}


CREATE_PAYLOADS = {
    Brand: CreateCase(valid=lambda org: {"name": "Nova", "slug": f"nova-{Brand.objects.count()}"}),
    Membership: CreateCase(
        valid=_membership_payload,
        foreign_keys=lambda org, other: {"brands": [BrandFactory(organization=other).pk]},
    ),
    SocialAccount: CreateCase(
        valid=_account_payload,
        foreign_keys=lambda org, other: {"brand": BrandFactory(organization=other).pk},
    ),
    ContentCategory: CreateCase(
        valid=_category_payload,
        foreign_keys=lambda org, other: {"parent": ContentCategoryFactory(organization=other).pk},
    ),
    ImportBatch: CreateCase(
        valid=_import_payload,
        foreign_keys=lambda org, other: {"brand": BrandFactory(organization=other).pk,
                                         "mapping_template": MappingTemplateFactory(organization=other).pk},
        format="multipart",
    ),
    MappingTemplate: CreateCase(valid=_mapping_template_payload),
}

ACTION_PAYLOADS = {
    "post-bulk-tag": ActionCase(
        valid=_bulk_tag_payload,
        foreign_keys=_bulk_tag_foreign,
        state=lambda org: sorted(PostCategory.objects.filter(organization=org).values_list("post_id", "category_id")),
    ),
}
