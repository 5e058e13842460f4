from django.db import models
from django.utils.translation import gettext_lazy as _

from metrics.catalog import PLATFORM_LABELS, Platform


class PlatformChoices(models.TextChoices):
    WECHAT_OA = Platform.WECHAT_OA.value, PLATFORM_LABELS[Platform.WECHAT_OA][0]
    WECHAT_CHANNELS = Platform.WECHAT_CHANNELS.value, PLATFORM_LABELS[Platform.WECHAT_CHANNELS][0]
    DOUYIN = Platform.DOUYIN.value, PLATFORM_LABELS[Platform.DOUYIN][0]
    KUAISHOU = Platform.KUAISHOU.value, PLATFORM_LABELS[Platform.KUAISHOU][0]
    XIAOHONGSHU = Platform.XIAOHONGSHU.value, PLATFORM_LABELS[Platform.XIAOHONGSHU][0]
    BILIBILI = Platform.BILIBILI.value, PLATFORM_LABELS[Platform.BILIBILI][0]
    WEIBO = Platform.WEIBO.value, PLATFORM_LABELS[Platform.WEIBO][0]


class MediaType(models.TextChoices):
    OWNED = "owned", _("Owned")
    PAID = "paid", _("Paid")
    EARNED = "earned", _("Earned")


class PaidKind(models.TextChoices):
    NONE = "", _("Not paid")
    PROMOTED = "promoted", _("Promoted content")
    PAID_AD = "paid_ad", _("Paid ad")
    INFLUENCER = "influencer", _("Influencer collaboration")


class Traffic(models.TextChoices):
    ORGANIC = "organic", _("Organic")
    PAID = "paid", _("Paid")


class ContentFormat(models.TextChoices):
    ARTICLE = "article", _("Article")
    IMAGE_NOTE = "image_note", _("Image note")
    SHORT_VIDEO = "short_video", _("Short video")
    LONG_VIDEO = "long_video", _("Long video")
    LIVESTREAM = "livestream", _("Livestream")
    SKIT_EPISODE = "skit_episode", _("Skit-series episode")
    AD = "ad", _("Ad")
    POST = "post", _("Post")


class AccountKind(models.TextChoices):
    BRAND = "brand", _("Brand account")
    KOL = "kol", _("Influencer (KOL)")
    KOC = "koc", _("Influencer (KOC)")
    MEDIA = "media", _("Media / press")
    USER = "user", _("User")


class FactSource(models.TextChoices):
    DELTA = "delta", _("Difference of snapshots")
    DAILY = "daily", _("Daily report")
