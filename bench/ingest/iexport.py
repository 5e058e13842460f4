"""What a Django developer would write with django-import-export to load a Qianchuan daily material report into
kpiboard's tables: one resource for the posts (one per 素材ID, natural key ``id:<素材ID>``) and one for the daily
facts (one per 素材ID and 日期), imported one after the other from the same file.

Written the way the library's documentation suggests, with its advice for large imports taken: the facts find
their post through ``CachedForeignKeyWidget`` and the posts resource finds existing posts through
``CachedInstanceLoader`` (one query for all posts instead of one per row), unchanged posts are skipped (``skip_unchanged``), and the import runs in one transaction. ``bulk=True`` additionally turns on
``use_bulk`` and ``skip_diff`` (the library's fastest documented settings). Small widgets read the export's
``--`` (missing) and ``2.62%`` cells; the rates the catalog keeps outside the metric columns go to ``extra``, as
kpiboard's import stores them. Only the benchmark uses this module.
"""

from __future__ import annotations

from import_export import fields, instance_loaders, resources, widgets

from metrics.models import Post, PostDailyFact, SocialAccount

MISSING = ("", "--", "—", "-")


class ReportNumber(widgets.FloatWidget):
    """A report's number: ``--`` is missing, ``2.62%`` is 0.0262."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() in MISSING:
            return None
        text = str(value).strip().replace(",", "")
        if text.endswith("%"):
            return float(text[:-1]) / 100
        return float(text)


NUMBER = ReportNumber()
EXTRA = {"ctr": "整体点击率", "conversion_rate": "整体转化率", "roi": "整体支付ROI", "cost_per_order": "整体成交订单成本",
         "play_rate_3s": "3秒播放率", "completion_rate": "完播率"}


def _account(brand) -> SocialAccount:
    account, _ = SocialAccount.objects.get_or_create(
        organization_id=brand.organization_id, brand=brand, platform="douyin", handle="qianchuan",
        defaults={"display_name": "千川", "media_type": "paid"})
    return account


def post_resource(brand, bulk: bool = False) -> resources.ModelResource:
    account = _account(brand)

    class PostResource(resources.ModelResource):
        natural_key = fields.Field(attribute="natural_key", column_name="natural_key")
        platform_post_id = fields.Field(attribute="platform_post_id", column_name="素材ID")
        title = fields.Field(attribute="title", column_name="素材名称")
        published_at = fields.Field(attribute="published_at", column_name="素材创建时间",
                                    widget=widgets.DateTimeWidget("%Y-%m-%d %H:%M:%S"))

        class Meta:
            model = Post
            fields = ("natural_key", "platform_post_id", "title", "published_at")
            import_id_fields = ("natural_key",)
            instance_loader_class = instance_loaders.CachedInstanceLoader  # one query, not one per row
            skip_unchanged = True
            use_bulk = bulk
            skip_diff = bulk

        def get_queryset(self):
            return Post.objects.filter(organization_id=brand.organization_id, brand=brand, platform="douyin")

        def before_import(self, dataset, **kwargs):
            if "natural_key" not in dataset.headers:
                dataset.append_col([f"id:{value}" for value in dataset["素材ID"]], header="natural_key")

        def before_save_instance(self, instance, row, **kwargs):
            instance.organization_id = brand.organization_id
            instance.brand = brand
            instance.account = account
            instance.platform = "douyin"
            instance.content_format = "ad"
            instance.media_type = "paid"
            instance.paid_kind = "paid_ad"
            instance.traffic = "paid"

    return PostResource()


def fact_resource(brand, bulk: bool = False) -> resources.ModelResource:
    class BrandPosts(widgets.CachedForeignKeyWidget):
        def get_queryset(self, value, row, *args, **kwargs):
            return Post.objects.filter(organization_id=brand.organization_id, brand=brand, platform="douyin")

    class PostDailyFactResource(resources.ModelResource):
        post = fields.Field(attribute="post", column_name="素材ID", widget=BrandPosts(Post, "platform_post_id"))
        day = fields.Field(attribute="day", column_name="日期", widget=widgets.DateWidget("%Y-%m-%d"))
        cost = fields.Field(attribute="cost", column_name="整体消耗", widget=NUMBER)
        gmv = fields.Field(attribute="gmv", column_name="整体成交金额", widget=NUMBER)
        orders = fields.Field(attribute="orders", column_name="整体成交订单数", widget=NUMBER)
        impressions = fields.Field(attribute="impressions", column_name="整体展现次数", widget=NUMBER)
        clicks = fields.Field(attribute="clicks", column_name="整体点击次数", widget=NUMBER)

        class Meta:
            model = PostDailyFact
            fields = ("post", "day", "cost", "gmv", "orders", "impressions", "clicks")
            import_id_fields = ("post", "day")
            use_bulk = bulk
            skip_diff = bulk

        def get_queryset(self):
            return PostDailyFact.objects.filter(organization_id=brand.organization_id, brand=brand)

        def before_save_instance(self, instance, row, **kwargs):
            post = instance.post
            instance.organization_id = post.organization_id
            instance.brand_id = post.brand_id
            instance.account_id = post.account_id
            for name in ("platform", "media_type", "paid_kind", "traffic", "content_format", "campaign_id"):
                setattr(instance, name, getattr(post, name))
            instance.source = "daily"
            extra = {key: NUMBER.clean(row.get(header)) for key, header in EXTRA.items()}
            instance.extra = {k: v for k, v in extra.items() if v is not None} or None

    return PostDailyFactResource()
