"""Xiaohongshu (小红书) creator exports; EXPORTS.md §5.

笔记列表明细表.xlsx is verified from three real files (notice row above the header, text dates
``2026年01月05日22时30分05秒``, rates as 0–1 fractions). The 近30日 workbooks (a 指标|数值 snapshot sheet plus one
日期|数值 sheet per trend) are known from parsers: sheet names are certain, cell formats are not. Their newest
day is not settled yet: rows are flagged ``unsettled``.
"""

from __future__ import annotations

from ..formats import ReportFormat, col

P = "xiaohongshu"

_FORMATS = (("图文", "image_note"), ("视频", "short_video"), ("直播", "livestream"))

NOTES = ReportFormat(
    key="xiaohongshu.notes", platform=P, level="post", basis="cumulative", content_format="image_note",
    label_en="Note list (笔记列表明细表)", label_zh="小红书笔记列表明细表",
    columns=(
        col("title", "笔记标题", required=True),
        col("platform_post_id", "笔记ID", "笔记id"),
        col("published_at", "首次发布时间", "发布时间", required=True),
        col("content_format", "体裁", values=_FORMATS, keep_raw="format_label"),
        col("impressions", "曝光", required=True),
        col("views", "观看量", required=True),
        col("cover_ctr", "封面点击率"),
        col("likes", "点赞"),
        col("comments", "评论"),
        col("collects", "收藏"),
        col("followers_gained", "涨粉"),
        col("shares", "分享"),
        col("avg_watch_seconds", "人均观看时长"),
        col("danmaku", "弹幕"),
    ),
    key_fields=(("platform_post_id",), ("title",), ("published_at",)),
    description="Titles can be empty; such notes are kept, keyed on their publish time (to the second).",
)


def _trend(target: str, *names: str, kind: str | None = None):
    # sheets are named after the metric, with or without 趋势 and a unit
    aliases = []
    for n in names:
        aliases += [f"{n}趋势", n]
    return col(target, *aliases, kind=kind)


ACCOUNT_TREND = ReportFormat(
    key="xiaohongshu.account_trend", platform=P, level="account", basis="daily", layout="sheets",
    label_en="Account trends, last 30 days (近30日…数据)", label_zh="小红书近30日账号趋势",
    columns=(
        _trend("impressions", "曝光", "曝光量"),
        _trend("views", "观看", "观看量"),
        _trend("cover_ctr", "封面点击率"),
        _trend("avg_watch_seconds", "平均观看时长", "观看时长", "时长"),
        _trend("completion_rate", "完播率", "总完播率"),
        _trend("likes", "点赞"),
        _trend("comments", "评论"),
        _trend("collects", "收藏"),
        _trend("shares", "分享"),
        _trend("posts_published", "总发布", "发布"),
        _trend("videos_published", "发布视频", kind="count"),
        _trend("image_notes_published", "发布图文", kind="count"),
        _trend("followers_net", "净涨粉"),
        _trend("followers_gained", "新增关注", "涨粉"),
        _trend("followers_lost", "取消关注"),
        _trend("profile_visits", "主页访客"),
        _trend("profile_follow_rate", "主页转粉率", kind="rate"),
    ),
    min_matched=2, last_day_unsettled=True,
    description="One sheet per trend (日期 | 数值); rows are merged by date. The newest day is flagged unsettled.",
)


def _summary(target: str, label: str, kind: str | None = None, change: bool = True):
    cols = [col(target, label, f"{label}(%)", f"{label}(s)", kind=kind)]
    if change:
        cols.append(col(f"{target}_change", f"{label}环比(%)", f"{label}环比", kind="rate"))
    return cols


ACCOUNT_SUMMARY = ReportFormat(
    key="xiaohongshu.account_summary", platform=P, level="account", basis="period", layout="keyvalue",
    label_en="Account totals, last 30 days (账号总体数据)", label_zh="小红书近30日账号总体数据",
    columns=(
        *_summary("impressions", "曝光"),
        *_summary("views", "观看"),
        *_summary("cover_ctr", "封面点击率"),
        *_summary("avg_watch_seconds", "平均观看时长"),
        *_summary("completion_rate", "总完播率"),
        *_summary("likes", "点赞"),
        *_summary("comments", "评论"),
        *_summary("collects", "收藏"),
        *_summary("shares", "分享"),
        *_summary("posts_published", "总发布"),
        *_summary("videos_published", "发布视频", kind="count"),
        *_summary("image_notes_published", "发布图文", kind="count"),
        *_summary("followers_net", "净涨粉"),
        *_summary("followers_gained", "新增关注"),
        *_summary("followers_lost", "取消关注"),
        *_summary("profile_visits", "主页访客"),
        *_summary("profile_follow_rate", "主页转粉率", kind="rate"),
    ),
    markers=("指标",), min_matched=2, key_fields=(),
    description="The snapshot sheet 账号总体…数据 (指标 | 数值): totals over the 30 days, with 环比 changes.",
)

FORMATS = (NOTES, ACCOUNT_TREND, ACCOUNT_SUMMARY)
