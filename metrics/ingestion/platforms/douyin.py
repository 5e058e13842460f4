"""Douyin (抖音) creator exports and the Ocean Engine (巨量引擎) / Qianchuan (巨量千川) ad reports; EXPORTS.md §3.

作品列表 is an xlsx (sometimes named ``.CSV``) with 16 columns, rates as 0–1 fractions, no work id (rows are keyed
on title + publish time). Ad reports are one row per day × ad group / material, units in the headers.
"""

from __future__ import annotations

from ..formats import ReportFormat, col

P = "douyin"

_FORMATS = (("图文", "image_note"), ("直播", "livestream"), ("短剧", "skit_episode"), ("视频", "short_video"))

WORKS = ReportFormat(
    key="douyin.works", platform=P, level="post", basis="cumulative", content_format="short_video",
    label_en="Works list (作品列表)", label_zh="抖音作品列表",
    columns=(
        col("title", "作品名称", "作品标题", required=True),
        col("platform_post_id", "作品ID", "作品id", "视频ID"),
        col("published_at", "发布时间", required=True),
        col("content_format", "体裁", "作品体裁", values=_FORMATS, keep_raw="format_label"),
        col("status", "审核状态"),
        col("views", "播放量", required=True),
        col("completion_rate", "完播率", required=True),
        col("completion_rate_5s", "5s完播率", "5秒完播率"),
        col("cover_ctr", "封面点击率"),
        col("bounce_rate_2s", "2s跳出率", "2秒跳出率"),
        col("avg_watch_seconds", "平均播放时长"),
        col("likes", "点赞量", required=True),
        col("shares", "分享量"),
        col("comments", "评论量"),
        col("collects", "收藏量"),
        col("profile_visits", "主页访问量"),
        col("followers_gained", "粉丝增量"),
    ),
    key_fields=(("platform_post_id",), ("title",), ("published_at",)),
)

ACCOUNT_TREND = ReportFormat(
    key="douyin.account_trend", platform=P, level="account", basis="daily",
    label_en="Account trend by day (账号趋势)", label_zh="抖音账号趋势",
    columns=(
        col("date", "日期", required=True),
        col("posts_published", "投稿量", required=True),
        col("views", "总播放量", required=True),
        col("likes", "总点赞量"),
        col("shares", "总分享量"),
        col("comments", "总评论量"),
        col("completion_rate_5s", "5秒完播率", "5s完播率"),
        col("bounce_rate_2s", "2秒跳出率", "2s跳出率"),
        col("cover_ctr", "封面点击率"),
        col("avg_watch_seconds", "平均播放时长"),
        col("followers_gained", "涨粉量", "新增粉丝"),
        col("followers_total", "粉丝总数", "总粉丝量"),
    ),
    description="Accepted by one importer as 账号趋势表 (origin page not stated: WEAK).",
)

_AD_KEYS = (("date", "platform_post_id"), ("date", "title"))

OCEAN_ENGINE = ReportFormat(
    key="douyin.ocean_engine_ads", platform=P, level="post", basis="daily", content_format="ad",
    label_en="Ocean Engine ad group report (巨量引擎)", label_zh="巨量引擎广告组报表",
    columns=(
        col("date", "时间", "日期", required=True),
        col("ad_group", "广告组id", "广告组ID", "计划id", "计划ID"),
        col("title", "广告组", "广告组名称", "计划名称"),
        col("campaign", "广告计划", "广告活动", "项目名称"),
        col("impressions", "展示数", required=True),
        col("clicks", "点击数", required=True),
        col("ctr", "点击率(%)", "点击率"),
        col("cpc", "平均点击单价(元)", "平均点击单价"),
        col("cpm", "平均千次展现费用(元)", "平均千次展现费用"),
        col("cost", "总花费(元)", "总花费", "消耗", "消耗(元)", required=True),
        col("conversions", "转化数"),
        col("cost_per_conversion", "转化成本", kind="cny"),
        col("conversion_rate", "转化率", kind="rate"),
        col("deep_conversions", "深度转化次数", "深度转化数", kind="count"),
        col("cost_per_deep_conversion", "深度转化成本", kind="cny"),
        col("deep_conversion_rate", "深度转化率", kind="rate"),
    ),
    key_fields=_AD_KEYS,
    description="One row = day × ad group. Conversions are attributed to the spend date and restated for up to "
                "30 days: re-import overlapping windows.",
)

_QIANCHUAN_COLUMNS = (
    col("material_id", "素材ID", "素材id", required=True),
    col("title", "素材名称", "素材标题"),
    col("published_at", "素材创建时间"),
    col("material_duration", "素材时长(秒)", "素材时长", kind="seconds"),
    col("material_source", "素材来源", kind="text"),
    col("material_tags", "素材标签", kind="text"),
    col("material_rating", "素材评估", kind="text"),
    col("cost", "整体消耗", "消耗(元)", "消耗", required=True),
    col("cost_basic", "基础消耗", kind="cny"),
    col("cost_boost", "追投调控消耗", kind="cny"),
    col("roi_boost", "追投调控支付ROI", kind="number"),
    col("roi", "整体支付ROI", "支付ROI"),
    col("gmv", "整体成交金额", "成交金额"),
    col("orders", "整体成交订单数", "成交订单数"),
    col("impressions", "整体展现次数", "展示次数", "展现次数"),
    col("clicks", "整体点击次数", "点击次数"),
    col("ctr", "整体点击率", "点击率"),
    col("conversion_rate", "整体转化率", "转化率", kind="rate"),
    col("cost_per_order", "整体成交订单成本", kind="cny"),
    col("net_roi", "净成交ROI", kind="number"),
    col("net_gmv", "净成交金额", kind="cny"),
    col("refund_rate_1h", "1小时内退款率", kind="rate"),
    col("net_gmv_settlement_rate", "净成交金额结算率", kind="rate"),
    col("net_orders", "净成交订单数", kind="count"),
    col("cpm", "平均千次展现费用(元)", "平均千次展现费用"),
    col("conversions", "转化数"),
    col("cost_per_conversion", "转化成本", kind="cny"),
    col("roi_direct", "直接支付ROI", kind="number"),
    col("orders_direct", "直接成交订单数", kind="count"),
    col("play_rate_3s", "3秒播放率", "3s播放率", kind="rate"),
    col("play_rate_5s", "5s播放率", "5秒播放率", kind="rate"),
    col("play_rate_10s", "10秒播放率", "10s播放率", kind="rate"),
    col("play_rate_25pct", "25%进度播放率", kind="rate"),
    col("play_rate_50pct", "50%进度播放率", kind="rate"),
    col("play_rate_75pct", "75%进度播放率", kind="rate"),
    col("completion_rate", "完播率"),
    col("views", "播放次数", "播放数"),
    col("valid_views", "有效播放数", kind="count"),
    col("likes", "点赞次数"),
    col("comments", "评论次数"),
    col("shares", "分享次数"),
    col("followers_gained", "新增关注数"),
    col("a3_new", "新增A3", kind="count"),
    col("a3_cost_7d", "7日A3成本", kind="cny"),
)

QIANCHUAN_DAILY = ReportFormat(
    key="douyin.qianchuan_materials_daily", platform=P, level="post", basis="daily", content_format="ad",
    label_en="Qianchuan material report by day (巨量千川 分日)", label_zh="巨量千川素材报表（分日）",
    columns=(col("date", "日期", "时间", required=True), *_QIANCHUAN_COLUMNS),
    key_fields=(("date", "material_id"),),
)

QIANCHUAN = ReportFormat(
    key="douyin.qianchuan_materials", platform=P, level="post", basis="cumulative", content_format="ad",
    label_en="Qianchuan material report (巨量千川)", label_zh="巨量千川素材报表",
    columns=_QIANCHUAN_COLUMNS,
    key_fields=(("material_id",),),
    description="Without a date column the rows are totals for the range chosen at download.",
)

FORMATS = (WORKS, ACCOUNT_TREND, OCEAN_ENGINE, QIANCHUAN_DAILY, QIANCHUAN)
