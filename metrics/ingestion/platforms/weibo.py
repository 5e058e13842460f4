"""Weibo (微博) exports.

No official export file and no parser of one are known (EXPORTS.md §7): these maps use the series the 微博数据中心
charts show and the usual public post fields. Real 数据助手 exports are welcome; adjust the aliases then.
"""

from __future__ import annotations

from ..formats import ReportFormat, col

P = "weibo"

POSTS = ReportFormat(
    key="weibo.posts", platform=P, level="post", basis="cumulative", content_format="post",
    label_en="Posts (单条博文, unverified)", label_zh="微博博文数据（未经实物验证）",
    columns=(
        col("title", "博文", "内容", "博文内容", "微博内容", "微博正文", required=True),
        col("platform_post_id", "博文ID", "微博ID", "mid"),
        col("url", "博文链接", "微博链接", "链接"),
        col("published_at", "发布时间", "发博时间", required=True),
        col("views", "阅读数", "阅读量", "阅读次数", required=True),
        col("shares", "转发", "转发数", "转发量"),
        col("comments", "评论", "评论数", "评论量"),
        col("likes", "点赞", "点赞数", "点赞量"),
        col("clicks", "点击数", "点击量"),
    ),
)

ACCOUNT_DAILY = ReportFormat(
    key="weibo.account_daily", platform=P, level="account", basis="daily",
    label_en="Account daily series (unverified)", label_zh="微博账号每日数据（未经实物验证）",
    columns=(
        col("date", "日期", "时间", required=True),
        col("views", "阅读次数", "当天阅读次数", "阅读数", required=True),
        col("reach", "阅读人数", "当天阅读人数"),
        col("views_to_date", "截止当日累计阅读次数", kind="count"),
        col("shares", "转发", "被转发次数", "转发数", "转发量", required=True),
        col("comments", "评论", "被评论次数", "评论数", "评论量"),
        col("likes", "点赞", "被点赞次数", "点赞数", "点赞量"),
        col("posts_published", "发博量", "发博数"),
        col("followers_gained", "新增粉丝", "涨粉"),
        col("followers_total", "粉丝数", "粉丝总数"),
    ),
)

FORMATS = (POSTS, ACCOUNT_DAILY)
