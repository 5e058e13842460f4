"""Benchmarks against competitors, kept at the right level (DOMAIN.md §5: never compare one brand's
account-level figures with another's content-level figures).

- **Account level**, one row per account (own and competitors'): followers (last reported value in the
  period), followers gained / lost / net (Σ over settled days; net as the platform reports it, else
  gained − lost), posts published in the period, total engagement (Σ of the period's daily engagement deltas of
  the account's posts, with the platform's engagement formula) and engagement per post (median and mean with n,
  over the posts published in the period, each with its lifetime-to-date engagement at the period's end).
  Ranks are within a platform (1 = best), because follower counts of a Weibo and a WeChat account do not
  compare.
- **Content level**: the top posts across own and competitor accounts by lifetime-to-date engagement at the
  period's end, with account, date and engagement columns.

Paid content: ``paid="exclude"`` (default) keeps both levels organic (paid traffic, paid media and accounts
of paid media left out), ``"include"`` pools them and marks each post.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum

from accounts.models import Brand
from metrics.catalog import CATALOG
from metrics.choices import MediaType, Traffic
from metrics.kpis.cache import cached
from metrics.kpis.categories import MetricStats
from metrics.kpis.queries import (
    combine,
    daily_sums,
    fetch_post_values,
    group_stats,
    input_keys,
    post_values_sql,
    posts_queryset,
    resolve,
)
from metrics.kpis.scope import PaidMode, Period, Scope
from metrics.models import AccountDailyFact, Post, SocialAccount

POST_COLUMNS = ("views", "likes", "comments", "shares", "collects", "engagement", "engagement_rate")
RANKED = ("followers", "followers_net", "posts", "engagement", "engagement_per_post")


@dataclass
class AccountBenchmark:
    account_id: int
    handle: str
    display_name: str
    platform: str
    brand_id: int
    brand: str
    is_competitor: bool
    followers: float | None
    followers_gained: float | None
    followers_lost: float | None
    followers_net: float | None
    posts: int
    engagement: float | None
    engagement_per_post: MetricStats
    rank: dict[str, int | None] = field(default_factory=dict)


@dataclass
class PostBenchmark:
    post_id: int
    title: str
    url: str
    account_id: int
    account: str
    platform: str
    brand_id: int
    brand: str
    is_competitor: bool
    paid: bool
    published_at: datetime | None
    date: date | None
    values: dict[str, float | None]


@dataclass
class Benchmarks:
    scope: dict
    period: dict
    paid: str
    account_level: list[AccountBenchmark]
    content_level: list[PostBenchmark]
    notes: list[str]


def _organic(scope: Scope) -> Scope:
    media = tuple(m for m in (scope.media_types or (MediaType.OWNED, MediaType.EARNED)) if m != MediaType.PAID)
    # A scope asking for paid media only has nothing organic left: a media type no row has keeps it empty.
    return scope.narrowed(traffic=(Traffic.ORGANIC,), media_types=media or ("none",))


def _rank(rows: list[AccountBenchmark]) -> None:
    """Standard competition ranking (1, 2, 2, 4) within each platform; None for unknown values."""
    by_platform = defaultdict(list)
    for row in rows:
        by_platform[row.platform].append(row)
    for group in by_platform.values():
        for name in RANKED:
            def value(r, name=name):
                return r.engagement_per_post.median if name == "engagement_per_post" else getattr(r, name)
            known = sorted((value(r) for r in group if value(r) is not None), reverse=True)
            for r in group:
                v = value(r)
                r.rank[name] = None if v is None else known.index(v) + 1


@cached("benchmarks")
def benchmarks(scope: Scope, period: Period, *, paid: str = PaidMode.EXCLUDE, top: int = 20) -> Benchmarks:
    """Account-level and content-level benchmarks of the scope's accounts, own and competitors'.

    ``scope.brand_ids`` holds the own brands and the competitor brands to compare with (the API adds the
    visible competitor brands); competitor accounts are kept (``include_competitors`` forced on).
    Account level: followers = last value in the period; gained/lost/net = Σ settled days; posts = count
    published; engagement = Σ_{day ∈ period} engagement deltas; engagement_per_post = median/mean (n) of each
    post's lifetime-to-date engagement. Content level: the ``top`` posts by that engagement.
    """
    paid_mode = PaidMode(paid)
    scope = scope.narrowed(include_competitors=True)
    content_scope = _organic(scope) if paid_mode == PaidMode.EXCLUDE else scope
    resolved = resolve(content_scope)
    accounts = SocialAccount.objects.filter(organization_id=scope.organization_id, brand_id__in=scope.brand_ids)
    if scope.platforms:
        accounts = accounts.filter(platform__in=scope.platforms)
    if scope.account_ids:
        accounts = accounts.filter(id__in=scope.account_ids)
    if scope.media_types:
        accounts = accounts.filter(media_type__in=scope.media_types)
    if paid_mode == PaidMode.EXCLUDE:
        accounts = accounts.exclude(media_type=MediaType.PAID)
    accounts = list(accounts.select_related("brand").order_by("platform", "handle"))
    account_ids = [a.id for a in accounts]

    # Account-level facts: settled-day sums and the last followers total in the period.
    facts = AccountDailyFact.objects.filter(organization_id=scope.organization_id, account_id__in=account_ids,
                                            day__gte=period.start, day__lte=period.end)
    settled = Q(unsettled=False)
    sums = {r["account_id"]: r for r in facts.order_by().values("account_id").annotate(
        gained=Sum("followers_gained", filter=settled), lost=Sum("followers_lost", filter=settled),
        net=Sum("followers_net", filter=settled))}
    followers = dict(facts.filter(followers_total__isnull=False).order_by("account_id", "day")
                     .values_list("account_id", "followers_total"))  # the last day wins

    # Content-level sums per account (the period's engagement deltas).
    engagement = CATALOG["engagement"]
    by_account: dict[int, dict[str, dict]] = defaultdict(dict)
    for row in daily_sums(content_scope, resolved, period.start, period.end, input_keys(["engagement"]),
                          group_by=("account_id", "platform")):
        by_account[row["account_id"]][row["platform"]] = row
    posts = dict(posts_queryset(content_scope, resolved, period).order_by().values("account_id")
                 .annotate(n=Count("id")).values_list("account_id", "n"))
    stats = group_stats(content_scope, resolved, period, ("engagement",), group_by=("account_id",),
                        top=("engagement", top))
    top_ids = stats[("*",)].top_post_ids if ("*",) in stats else []

    rows = []
    for account in accounts:
        s = sums.get(account.id, {})
        net = s.get("net")
        if net is None and s.get("gained") is not None and s.get("lost") is not None:
            net = s["gained"] - s["lost"]
        stat = stats.get((account.id,))
        per_post = stat.metrics["engagement"] if stat else None
        rows.append(AccountBenchmark(
            account_id=account.id, handle=account.handle, display_name=account.display_name,
            platform=account.platform, brand_id=account.brand_id, brand=account.brand.name,
            is_competitor=account.is_competitor or account.brand.is_competitor,
            followers=followers.get(account.id), followers_gained=s.get("gained"), followers_lost=s.get("lost"),
            followers_net=net, posts=posts.get(account.id, 0),
            engagement=combine(engagement, by_account[account.id]) if account.id in by_account else None,
            engagement_per_post=MetricStats(median=per_post.median, mean=per_post.mean, n=per_post.n,
                                            sum=per_post.sum) if per_post else MetricStats(None, None, 0),
        ))
    _rank(rows)
    return Benchmarks(
        scope=scope.as_dict(), period=period.as_dict(), paid=paid_mode.value, account_level=rows,
        content_level=top_posts(content_scope, resolved, period, top_ids, {a.id: a for a in accounts}),
        notes=["Account level and content level are separate tables: compare rows within one table only.",
               "Ranks are within a platform (1 = best).",
               "Account sums exclude unsettled days."],
    )


def top_posts(scope: Scope, resolved, period: Period, post_ids: list[int], accounts: dict[int, SocialAccount]):
    """The given top posts (ranked by ``group_stats``: lifetime-to-date engagement at the period's end, ties
    by id) with their values and the catalog's per-platform engagement formula."""
    sql, params = post_values_sql(scope, resolved, period, POST_COLUMNS, post_ids=post_ids)
    names, found = fetch_post_values(sql, params)
    at = {n: i for i, n in enumerate(names)}
    by_id = {r[0]: r for r in found}
    rows = [by_id[i] for i in post_ids if i in by_id]
    ids = [r[0] for r in rows]
    posts = {p.id: p for p in Post.objects.filter(organization_id=scope.organization_id, id__in=ids)}
    brands = {b.id: b for b in Brand.objects.filter(organization_id=scope.organization_id,
                                                    id__in={r[at["brand_id"]] for r in rows})}
    tz = ZoneInfo(settings.TIME_ZONE)
    out = []
    for row in rows:
        post = posts[row[0]]
        account = accounts.get(post.account_id) or post.account
        brand = brands[post.brand_id]
        out.append(PostBenchmark(
            post_id=post.id, title=post.title, url=post.url, account_id=post.account_id,
            account=account.display_name or account.handle, platform=post.platform, brand_id=post.brand_id,
            brand=brand.name, is_competitor=account.is_competitor or brand.is_competitor, paid=bool(row[at["paid"]]),
            published_at=post.published_at,
            date=post.published_at.astimezone(tz).date() if post.published_at else None,
            values={k: None if row[at[f"v_{k}"]] is None else float(row[at[f"v_{k}"]]) for k in POST_COLUMNS},
        ))
    return out
