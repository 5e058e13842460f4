"""WeChat Channels (视频号助手) exports; see EXPORTS.md §2.

动态数据明细 (下载表格): UTF-8 CSV with BOM, one row per video, 19 columns (15 in older exports). 推荐 is the ♡
"recommend" and 喜欢 the 👍 like: two different signals. There is no impressions and no favourites column.
"""

from __future__ import annotations

from ..formats import ReportFormat, col

P = "wechat_channels"

POSTS = ReportFormat(
    key="wechat_channels.posts", platform=P, level="post", basis="cumulative", content_format="short_video",
    label_en="Video list (动态数据明细)", label_zh="视频号动态数据明细",
    columns=(
        col("title", "视频描述", "动态描述", "视频标题", required=True),
        col("platform_post_id", "视频ID", "动态ID"),
        col("published_at", "发布时间", required=True),
        col("completion_rate", "完播率"),
        col("avg_watch_seconds", "平均播放时长"),
        col("views", "播放量", required=True),
        col("recommends", "推荐", required=True),
        col("likes", "喜欢", required=True),
        col("comments", "评论量"),
        col("shares", "分享量"),
        col("followers_gained", "关注量"),
        col("forwards_chats_moments", "转发聊天和朋友圈", kind="count"),
        col("set_as_ringtone", "设为铃声", kind="count"),
        col("set_as_status", "设为状态", kind="count"),
        col("set_as_moments_cover", "设为朋友圈封面", kind="count"),
        col("clicks", "企微链接点击次数"),
        col("link_clickers", "企微链接点击人数", kind="count"),
        col("contacts_added", "添加到通讯录次数", kind="count"),
        col("contacts_added_people", "添加到通讯录人数", kind="count"),
    ),
)

FORMATS = (POSTS,)
