"""Bilibili (B站创作中心) exports; EXPORTS.md §6.

近期稿件对比 is verified from two real CSVs (30 columns, ``%`` strings, ``-`` on same-day videos). Its click-through
columns are star ratings (``3.5星``), kept as ratings (``cover_ctr_stars`` …), never turned into a percentage.
The daily trend CSV is known from parsers only.
"""

from __future__ import annotations

from ..formats import ReportFormat, col

P = "bilibili"

VIDEOS = ReportFormat(
    key="bilibili.videos", platform=P, level="post", basis="cumulative", content_format="long_video",
    label_en="Recent videos compared (近期稿件对比)", label_zh="B站近期稿件对比",
    columns=(
        col("title", "视频标题", "稿件标题", required=True),
        col("platform_post_id", "BV号", "稿件BV号", "bvid"),
        col("published_at", "发布时间", required=True),
        col("views", "播放量", required=True),
        col("guest_view_share", "游客播放占比", kind="rate"),
        col("follower_view_rate", "粉丝观看率", kind="rate"),
        col("cover_ctr_stars", "封标点击率", required=True),
        col("follower_ctr_stars", "粉丝点击率", kind="stars"),
        col("guest_ctr_stars", "游客点击率", kind="stars"),
        col("bounce_rate_3s", "3秒跳出率", kind="rate"),
        col("follower_bounce_rate_3s", "粉丝3秒跳出率", kind="rate"),
        col("guest_bounce_rate_3s", "游客3秒跳出率", kind="rate"),
        col("engagement_rate", "互动率", kind="rate"),
        col("follower_engagement_rate", "粉丝互动率", kind="rate"),
        col("guest_engagement_rate", "游客互动率", kind="rate"),
        col("followers_gained", "涨粉量"),
        col("play_to_follow_rate", "播转粉率", kind="rate"),
        col("followers_lost", "取关量"),
        col("likes", "点赞量"),
        col("like_rate", "点赞率", kind="rate"),
        col("comments", "评论量"),
        col("comment_rate", "评论率", kind="rate"),
        col("danmaku", "弹幕量"),
        col("danmaku_rate", "弹幕率", kind="rate"),
        col("collects", "收藏量"),
        col("collect_rate", "收藏率", kind="rate"),
        col("coins", "投币量"),
        col("coin_rate", "投币率", kind="rate"),
        col("shares", "转发量"),
        col("share_rate", "转发率", kind="rate"),
        col("avg_play_progress", "平均播放进度"),
    ),
    key_fields=(("platform_post_id",), ("title",)),
)

TREND = ReportFormat(
    key="bilibili.trend", platform=P, level="account", basis="daily",
    label_en="Daily trend (历史累计数据趋势)", label_zh="B站数据趋势",
    columns=(
        col("date", "时间", "日期", required=True),
        col("views", "播放量", required=True),
        col("followers_total", "累计粉丝", "粉丝总数"),
        col("likes", "点赞"),
        col("collects", "收藏"),
        col("coins", "硬币", "投币", required=True),
        col("comments", "评论"),
        col("danmaku", "弹幕"),
        col("shares", "分享"),
    ),
    description="One row per day; summary rows 累计/合计/总计 are skipped (counted).",
)

FORMATS = (VIDEOS, TREND)
