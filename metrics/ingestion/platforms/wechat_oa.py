"""WeChat Official Account (公众号) exports; see EXPORTS.md §1.

Real samples: 关键数据/热门文章数据/每日收入明细 CSVs and a cell dump of a tendency workbook. The BIFF8 tendency and
article-detail workbooks and the HTML ``user_analysis.xls`` are known from parsers and the dump only.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from ..formats import Pivot, ReportFormat, col

P = "wechat_oa"


def post_id_from_url(url: str) -> str | None:
    """A stable article id from its link: ``<__biz>:<mid>:<idx>`` (long links) or the short-link token."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if "weixin.qq.com" not in parts.netloc:
        return None
    q = parse_qs(parts.query)
    if "mid" in q and "idx" in q:
        biz = q.get("__biz", [""])[0]
        return f"{biz}:{q['mid'][0]}:{q['idx'][0]}"
    path = parts.path.rstrip("/")
    if path.startswith("/s/") and len(path) > 3:
        return path[3:]
    return None


_CHANNEL_PIVOT_DAY = Pivot(keys=("date",), by="channel", totals=("全部",))
_CHANNEL_PIVOT_ARTICLE = Pivot(keys=("title", "published_at"), by="channel", totals=("全部",))

TENDENCY_READS = ReportFormat(
    key="wechat_oa.tendency_reads", platform=P, level="account", basis="daily",
    label_en="Daily readers by channel (trend workbook, block 1)", label_zh="数据趋势概况：阅读人数（按渠道）",
    columns=(
        col("date", "日期", required=True),
        col("channel", "渠道", required=True),
        col("reach", "阅读人数", required=True),
    ),
    pivot=_CHANNEL_PIVOT_DAY,
    description="tendency_<start>_<end>.xls block B–D: one row per day × channel; the 全部 row is the day total "
                "(-> reach), the channel rows go to extra['reach_by_channel'] and are never added up.",
)

TENDENCY_DAILY = ReportFormat(
    key="wechat_oa.tendency_daily", platform=P, level="account", basis="daily",
    label_en="Daily shares, read-original clicks, favourites, posts (trend workbook, block 2)",
    label_zh="数据趋势概况：分享/阅读原文/收藏/发表",
    columns=(
        col("date", "日期", required=True),
        col("shares", "分享人数", required=True),
        col("clicks", "跳转阅读原文人数", "阅读原文人数", required=True),
        col("collects", "微信收藏人数"),
        col("posts_published", "发表篇数", "群发篇数", required=True),
    ),
)

TENDENCY_ARTICLES = ReportFormat(
    key="wechat_oa.tendency_articles", platform=P, level="post", basis="cumulative", content_format="article",
    label_en="Top articles' readers by channel (trend workbook, block 3)", label_zh="数据来源概况：文章阅读人数（按渠道）",
    columns=(
        col("channel", "传播渠道", required=True),
        col("published_at", "发表日期", "发表时间"),
        col("title", "内容标题", "文章标题", required=True),
        col("reach", "阅读人数", required=True),
        col("reach_share", "阅读人数占比", kind="rate"),
    ),
    pivot=_CHANNEL_PIVOT_ARTICLE,
    description="Block L–P: article × channel for the period's top articles; the 全部 row gives the article's reach.",
)

_LIST_FORMATS = (("文章", "article"), ("图文", "article"), ("贴图", "image_note"), ("图片", "image_note"),
                 ("视频", "short_video"), ("音频", "post"))

ARTICLE_LIST = ReportFormat(
    key="wechat_oa.article_list", platform=P, level="post", basis="cumulative", content_format="article",
    label_en="Published content list (2026)", label_zh="已发表内容（数据明细）",
    columns=(
        col("title", "内容标题", required=True),
        col("published_at", "发表日期", "发表时间", required=True),
        col("reach", "阅读人数", required=True),
        col("shares", "分享人数", required=True),
        col("followers_gained", "阅读后关注人数"),
        col("recipients", "送达人数"),
        col("delivery_completion_rate", "送达完成率", kind="rate"),
        col("completion_rate", "阅读完成率", "完读率"),
        col("url", "内容url", "文章链接", "链接"),
        col("content_format", "数据来源概况", "内容类型", values=_LIST_FORMATS, keep_raw="format_label"),
    ),
    post_id_from_url=post_id_from_url,
    description="已发表内容 → 已通知内容/全部 → 下载数据明细, 2026 generation; an intro line 数据来源概况 may sit above.",
)

ARTICLE_LIST_2025 = ReportFormat(
    key="wechat_oa.article_list_2025", platform=P, level="post", basis="cumulative", content_format="article",
    label_en="Published content list (2025)", label_zh="已通知内容（2025版）",
    columns=(
        col("title", "内容标题", required=True),
        col("published_at", "发表时间", "发表日期", required=True),
        col("reach", "总阅读人数", required=True),
        col("views", "总阅读次数", required=True),
        col("sharers", "总分享人数", kind="count"),
        col("shares", "总分享次数", "分享次数"),
        col("followers_gained", "阅读后关注人数"),
        col("recipients", "送达人数"),
        col("push_reads", "公众号消息阅读次数", kind="count"),
        col("open_rate", "送达阅读率"),
        col("first_shares", "首次分享次数", kind="count"),
        col("share_reads", "分享产生阅读次数", kind="count"),
        col("first_share_rate", "首次分享率", kind="rate"),
        col("reads_per_share", "每次分享带来阅读次数", "首次分享带来阅读次数", kind="number"),
        col("completion_rate", "阅读完成率"),
        col("url", "内容url", "文章链接"),
    ),
    post_id_from_url=post_id_from_url,
)

ARTICLE_DETAIL = ReportFormat(
    key="wechat_oa.article_detail", platform=P, level="post", basis="cumulative", content_format="article",
    label_en="Single article detail (数据明细)", label_zh="单篇文章数据明细", layout="keyvalue",
    columns=(
        col("reach", "阅读(人)", "阅读人数"),
        col("views", "阅读次数", "阅读(次)"),
        col("avg_read_seconds", "平均停留时长(秒)", "平均停留时长(s)", "平均停留时长", kind="seconds"),
        col("completion_rate", "完读率", "阅读完成率"),
        col("shares", "分享(人)", "分享次数", "分享人数"),
        col("wows", "在看(人)", "在看次数", "在看人数"),
        col("likes", "点赞(人)", "点赞次数", "点赞人数"),
        col("collects", "收藏(人)", "收藏次数", "收藏人数"),
        col("rewards_cny", "赞赏(分)", scale=0.01),
        col("comments", "评论(条)", "评论数", "评论"),
        col("followers_gained", "新增关注(人)", "阅读后关注人数", "新增关注"),
        col("listens", "听全文(人)", kind="count"),
        col("engagement_rate", "互动率", kind="rate"),
        col("recipients", "送达人数"),
        col("push_readers", "公众号消息阅读人数", kind="count"),
        col("first_sharers", "首次分享人数", kind="count"),
        col("sharers", "总分享人数", kind="count"),
        col("share_readers", "分享产生的阅读人数", kind="count"),
        col("impressions", "推荐转化/曝光次数", "曝光次数"),
        col("recommend_reads", "推荐转化/阅读次数", kind="count"),
        col("recommend_follows", "推荐转化/关注人数", kind="count"),
    ),
    markers=("数据指标",), min_matched=3, companions=("wechat_oa.article_detail_trend",),
    description="数据明细（篇名）.xls: title row, then sections (数据概况, 阅读转化, ...) of 数据指标|数值 rows, then the "
                "阅读数据趋势明细 table. No publish date in the file: the earliest trend date is used.",
)

ARTICLE_DETAIL_TREND = ReportFormat(
    key="wechat_oa.article_detail_trend", platform=P, level="post", basis="daily", content_format="article",
    label_en="Single article daily readers by channel", label_zh="单篇文章阅读数据趋势明细",
    columns=(
        col("date", "日期", required=True),
        col("channel", "传播渠道", required=True),
        col("reach", "阅读人数", required=True),
        col("shares", "分享人数"),
    ),
    pivot=_CHANNEL_PIVOT_DAY,
)

USER_GROWTH = ReportFormat(
    key="wechat_oa.user_growth", platform=P, level="account", basis="daily",
    label_en="Follower growth (user_analysis.xls)", label_zh="用户增长",
    columns=(
        col("date", "时间", "日期", required=True),
        col("followers_gained", "新关注人数", required=True),
        col("followers_lost", "取消关注人数", required=True),
        col("followers_net", "净增关注人数"),
        col("followers_total", "累积关注人数", "累计关注人数"),
    ),
    description="An HTML table saved as .xls; 累积关注人数 is the running total.",
)

KEY_DATA = ReportFormat(
    key="wechat_oa.key_data", platform=P, level="account", basis="daily",
    label_en="Key data by day (search, 关键数据)", label_zh="关键数据",
    columns=(
        col("date", "日期", required=True),
        col("search_followers_gained", "当日粉丝数", kind="count", required=True),
        col("search_reads", "当日阅读数", kind="count", required=True),
    ),
    description="关键数据_<start>_<end>.csv. Filed by its owner with the 搜一搜 data (a guess), so the values stay in "
                "extra under search_* keys rather than feeding the account's follower and read totals. Days "
                "without data are absent, not zero.",
)

SEARCH_ARTICLES = ReportFormat(
    key="wechat_oa.search_articles", platform=P, level="post", basis="period", content_format="article",
    label_en="Top articles in search (热门文章数据)", label_zh="热门文章数据（搜一搜）",
    columns=(
        col("url", "链接", required=True),
        col("title", "文章名", required=True),
        col("search_impressions", "展示次数", required=True),
        col("search_clicks", "点击次数", required=True),
        col("search_ctr", "曝光有点率", "点击率", kind="rate"),
        col("search_rank", "排序位置"),
        col("search_keywords", "文章搜索词", kind="text"),
    ),
    post_id_from_url=post_id_from_url,
    description="热门文章数据_<unix>.csv: search impressions/clicks over the range chosen at download.",
)

AD_REVENUE = ReportFormat(
    key="wechat_oa.ad_revenue", platform=P, level="account", basis="daily",
    label_en="Ad revenue by day (流量主 每日收入明细)", label_zh="流量主每日收入明细",
    columns=(
        col("date", "时间", "日期", required=True),
        col("ad_requests", "拉取量", kind="count", required=True),
        col("ad_impressions", "曝光量", kind="count", required=True),
        col("ad_exposure_rate", "曝光率", kind="rate"),
        col("ad_clicks", "点击量", kind="count"),
        col("ad_ctr", "点击率", kind="rate"),
        col("ad_ecpm", "eCPM(元)", "ecpm", kind="cny"),
        col("ad_revenue", "收入(元)", "收入", required=True),
    ),
    description="Ad-slot figures (pulls, ad impressions, ad clicks) stay in extra: they are not the account's "
                "own impressions or clicks.",
)

FORMATS = (TENDENCY_READS, TENDENCY_DAILY, TENDENCY_ARTICLES, ARTICLE_LIST, ARTICLE_LIST_2025, ARTICLE_DETAIL,
           ARTICLE_DETAIL_TREND, USER_GROWTH, KEY_DATA, SEARCH_ARTICLES, AD_REVENUE)
