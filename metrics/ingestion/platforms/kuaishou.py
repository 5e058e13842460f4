"""Kuaishou (快手) exports.

No real file is known (EXPORTS.md §4): this map uses the best-known headers of the 作品列表明细 export, taken from
one importer that says it uses the real headers (作品 as the title column, 涨粉量). Real files are welcome; adjust
the aliases when one arrives.
"""

from __future__ import annotations

from ..formats import ReportFormat, col

P = "kuaishou"

WORKS = ReportFormat(
    key="kuaishou.works", platform=P, level="post", basis="cumulative", content_format="short_video",
    label_en="Works list (作品列表明细, unverified)", label_zh="快手作品列表明细（未经实物验证）",
    columns=(
        col("title", "作品", "作品标题", "作品名称", required=True),
        col("platform_post_id", "作品ID", "作品id"),
        col("published_at", "发布时间"),
        col("content_format", "作品类型", values=(("图文", "image_note"), ("短剧", "skit_episode"),
                                             ("直播", "livestream"), ("视频", "short_video")),
            keep_raw="format_label"),
        col("views", "播放量", required=True),
        col("completion_rate", "完播率"),
        col("avg_watch_seconds", "平均播放时长"),
        col("likes", "点赞量"),
        col("comments", "评论量"),
        col("collects", "收藏量"),
        col("shares", "分享量"),
        col("followers_gained", "涨粉量", required=True),
    ),
    key_fields=(("platform_post_id",), ("title",), ("published_at",)),
)

FORMATS = (WORKS,)
