"""Anomaly flags, each with a reason a marketer can read (DOMAIN.md §5, "integrated assessment" and "bought
volume"). Four checks, thresholds in ``AnomalyThresholds``:

1. ``ratio_shift`` — per account and ISO week, the ratios likes / comments and likes / shares (from the daily
   rollup: the week's engagement deltas) against the account's own rolling median of the same ratio over its
   previous ``ratio_window_weeks`` weeks with data. A ratio ≥ ``ratio_factor`` × the median says likes jumped
   alone (like-bait such as "like this if you like the team", or bought likes); ≤ median / ``ratio_factor``
   says they fell alone (the bait or the purchases stopped). Needs ``ratio_min_history`` weeks of history and
   ``ratio_min_interactions`` comments + shares in the week, so that small numbers do not trigger it.
2. ``early_surge`` — where hourly snapshots exist (a snapshot within ``early_hours`` of publication and one at
   least ``early_min_age_hours`` after it, up to the period's end): early share = the highest count (views,
   likes, comments, shares) reported within ``early_hours`` of publication / the highest count reported up to
   the period's end (cumulative counters: the counts at those times). ≥ ``early_share`` (with a total of at
   least ``early_min_total``) is flagged: bought volume is bought mostly in the 2–3 hours after a push.
3. ``push_day_loss`` — follower loss on a day the account published (a push day) ≥ ``push_loss_factor`` × the
   median loss of its days without a push (over the period and the ``push_baseline_days`` before it, settled
   days only) and ≥ ``push_loss_min`` followers.
4. ``flat_growth`` — high engagement with flat follower growth over the period: engagement (Σ deltas)
   ≥ ``flat_min_engagement`` while net new followers per 1,000 interactions < ``flat_max_follows_per_1000`` and
   net growth ≤ ``flat_max_growth`` of the followers at the start (when known): people engage with single
   posts but the account as a whole does not convince them to follow.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import F, Max, Q, Sum
from django.utils.translation import gettext_noop

from metrics.catalog import CATALOG
from metrics.kpis.cache import cached
from metrics.kpis.kpis import account_facts
from metrics.kpis.queries import (
    coarse,
    combine,
    daily_sums,
    daily_sums_rows,
    input_keys,
    orm_filter,
    posts_queryset,
    published_rows,
    qn,
    resolve,
)
from metrics.kpis.scope import Period, Scope
from metrics.models import Post, PostSnapshot, PostTotal, PublishedDay, SocialAccount

# The engine's labels stay English (the API and the dashboards translate them: ``presentation.ANOMALY_TITLES``).
KINDS = {
    "ratio_shift": gettext_noop("Like : comment : share ratio shift"),
    "early_surge": gettext_noop("Outsized share of counts in the first hours"),
    "push_day_loss": gettext_noop("Follower loss on a push day"),
    "flat_growth": gettext_noop("High engagement, flat follower growth"),
}
EARLY_METRICS = PostTotal.EARLY_METRICS  # the per-post early figures the import keeps, in the same order


@dataclass(frozen=True)
class AnomalyThresholds:
    ratio_factor: float = 2.0
    ratio_window_weeks: int = 8
    ratio_min_history: int = 4
    ratio_min_interactions: int = 20
    early_hours: int = PostTotal.EARLY_HOURS
    early_share: float = PostTotal.EARLY_SHARE
    early_min_total: int = PostTotal.EARLY_MIN_TOTAL
    early_min_age_hours: int = PostTotal.EARLY_MIN_AGE_HOURS
    push_loss_factor: float = 2.0
    push_loss_min: int = 10
    push_baseline_days: int = 56
    push_min_quiet_days: int = 5
    flat_min_engagement: int = 1000
    flat_max_follows_per_1000: float = 1.0
    flat_max_growth: float = 0.005


@dataclass
class Anomaly:
    kind: str
    label: str
    reason: str
    account_id: int
    account: str
    platform: str
    start: date
    end: date
    post_id: int | None = None
    post_title: str = ""
    values: dict = field(default_factory=dict)


@dataclass
class AnomalyReport:
    scope: dict
    period: dict
    thresholds: dict
    anomalies: list[Anomaly]
    checked: dict[str, int]  # accounts (or posts, for early_surge) each check could look at
    notes: list[str]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def _accounts(scope: Scope) -> dict[int, SocialAccount]:
    qs = SocialAccount.objects.filter(organization_id=scope.organization_id, brand_id__in=scope.brand_ids)
    return {a.id: a for a in qs}


def _name(account: SocialAccount | None) -> str:
    return (account.display_name or account.handle) if account else ""


@cached("anomalies")
def anomalies(scope: Scope, period: Period, thresholds: AnomalyThresholds | None = None) -> AnomalyReport:
    """Every anomaly flag of ``scope`` in ``period`` (the four checks and their formulas are in the module
    docstring), sorted by start date, each with a readable ``reason`` and the numbers behind it."""
    t = thresholds or AnomalyThresholds()
    resolved = resolve(scope)
    accounts = _accounts(scope)
    found: list[Anomaly] = []
    checked: dict[str, int] = {}
    notes = []
    if not scope.brand_ids:
        return AnomalyReport(scope.as_dict(), period.as_dict(), asdict(t), [], dict.fromkeys(KINDS, 0), notes)
    checked["ratio_shift"] = _ratio_shift(scope, resolved, period, t, accounts, found)
    checked["early_surge"] = _early_surge(scope, resolved, period, t, accounts, found)
    if scope.post_only_filters:
        notes.append("Follower checks need account data, which has no " + ", ".join(scope.post_only_filters)
                     + ": push_day_loss and flat_growth were not run.")
        checked["push_day_loss"] = checked["flat_growth"] = 0
    else:
        checked["push_day_loss"] = _push_day_loss(scope, resolved, period, t, accounts, found)
        checked["flat_growth"] = _flat_growth(scope, resolved, period, t, accounts, found)
    found.sort(key=lambda a: (a.start, a.kind, a.account_id, a.post_id or 0))
    return AnomalyReport(scope.as_dict(), period.as_dict(), asdict(t), found, checked, notes)


def _ratio_shift(scope, resolved, period, t, accounts, found) -> int:
    first_week = period.start - timedelta(days=period.start.weekday())
    history_from = first_week - timedelta(weeks=t.ratio_window_weeks)
    weeks: dict[int, dict[date, dict[str, float]]] = defaultdict(dict)
    platforms = {}
    mondays: dict[date, date] = {}
    for account_id, platform, day, likes, comments, shares in daily_sums_rows(
            scope, resolved, history_from, period.end, ("likes", "comments", "shares"),
            group_by=("account_id", "platform", "day")):
        week = mondays.get(day)
        if week is None:
            week = mondays[day] = day - timedelta(days=day.weekday())
        platforms[account_id] = platform
        sums = weeks[account_id].get(week)
        if sums is None:
            sums = weeks[account_id][week] = {"likes": 0.0, "comments": 0.0, "shares": 0.0}
        sums["likes"] += likes or 0.0
        sums["comments"] += comments or 0.0
        sums["shares"] += shares or 0.0
    for account_id, by_week in weeks.items():
        history: dict[str, list[float]] = {"comments": [], "shares": []}
        for week in sorted(by_week):
            sums = by_week[week]
            ratios = {k: sums["likes"] / sums[k] for k in ("comments", "shares") if sums[k] > 0}
            enough = sums["comments"] + sums["shares"] >= t.ratio_min_interactions
            if week >= first_week and enough:
                shifted = {}
                for k, ratio in ratios.items():
                    past = history[k][-t.ratio_window_weeks:]
                    if len(past) < t.ratio_min_history:
                        continue
                    median = statistics.median(past)
                    if median > 0 and (ratio >= t.ratio_factor * median or ratio <= median / t.ratio_factor):
                        shifted[k] = (ratio, median, len(past))
                if shifted:
                    found.append(_ratio_anomaly(account_id, accounts, platforms, week, period, sums, shifted))
            if enough:
                for k, ratio in ratios.items():
                    history[k].append(ratio)
    return len(weeks)


def _ratio_anomaly(account_id, accounts, platforms, week, period, sums, shifted) -> Anomaly:
    parts, rose = [], False
    for k, (ratio, median, n) in shifted.items():
        direction = "rose" if ratio > median else "fell"
        rose = rose or ratio > median
        parts.append(f"likes per {k[:-1]} {direction} to {ratio:,.1f} against a rolling median of {median:,.1f} "
                     f"over the previous {n} weeks ({ratio / median:.1f}×)")
    cause = ("Likes moved without comments and shares: like-bait (\"like this if you…\") or bought likes."
             if rose else "Likes fell while comments and shares held: if earlier weeks used like-bait or bought "
                          "likes, this is where it stopped.")
    reason = f"Week of {week.isoformat()}: " + "; ".join(parts) + ". " + cause
    values = {"likes": sums["likes"], "comments": sums["comments"], "shares": sums["shares"]}
    values |= {f"likes_per_{k[:-1]}": r for k, (r, _, _) in shifted.items()}
    values |= {f"likes_per_{k[:-1]}_median": m for k, (_, m, _) in shifted.items()}
    return Anomaly(kind="ratio_shift", label=KINDS["ratio_shift"], reason=reason, account_id=account_id,
                   account=_name(accounts.get(account_id)), platform=platforms[account_id],
                   start=max(week, period.start), end=min(week + timedelta(days=6), period.end), values=values)


def _early_surge(scope, resolved, period, t, accounts, found, totals: bool = True) -> int:
    """One aggregate query per post (both databases): its last collection up to the period's end, its last
    collection within the first ``early_hours``, and the highest count reported in each window — counters are
    cumulative, so the highest count is the count at that time (a later downward correction only makes the
    early share look smaller).

    The database also applies the checks (a post is *checked* when it has an early collection and one at least
    ``early_min_age_hours`` after publication; it is *flagged* when early ≥ ``early_share`` × total for a count
    whose total is at least ``early_min_total``) and returns the number checked and the flagged posts only: on a
    brand-year (50,000 posts) shipping every post's row to Python and comparing there took longer than the query.

    The posts whose every snapshot precedes the period's end (all of a period ending today) take those aggregates
    from ``PostTotal``, which the import keeps over each post's whole life with the same window (when
    ``early_hours`` is ``PostTotal.EARLY_HOURS``): a brand-year reads 50,000 index entries instead of 500,000
    snapshots. ``totals=False`` reads every post's snapshots (tests show both give the same flags and count).
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    known = _early_surge_known(scope, resolved, period, t) if totals else None
    checked, rows = known if known is not None else _early_surge_rows(scope, resolved, period, t, totals)
    flagged = []
    for row in rows:
        post_id, published, last_at = row[0:3]
        published, last_at = _aware(published), _aware(last_at)
        shares = {}
        for i, k in enumerate(EARLY_METRICS):
            early_value, total = row[4 + 2 * i], row[5 + 2 * i]
            if early_value is not None and total is not None and total >= t.early_min_total \
                    and early_value / total >= t.early_share:
                shares[k] = (early_value, total)
        if shares:
            flagged.append((post_id, published, last_at, shares))
    posts = {p["id"]: p for p in Post.objects.filter(organization_id=scope.organization_id,
                                                      id__in=[f[0] for f in flagged])
             .values("id", "title", "account_id", "platform")}
    for post_id, published, last_at, shares in flagged:
        post = posts[post_id]
        parts = [f"{v / total:.0%} of its {k} ({_fmt(v)} of {_fmt(total)})" for k, (v, total) in shares.items()]
        day = published.astimezone(tz).date()
        reason = (f"Post of {day.isoformat()}: " + ", ".join(parts) + f" arrived in the first {t.early_hours} hours "
                  f"after publication (as of {last_at.astimezone(tz):%Y-%m-%d %H:%M}). Bought volume is bought "
                  f"mostly in the 2–3 hours after a push; analysts discard that window.")
        values = {f"{k}_early": v for k, (v, _) in shares.items()} | {f"{k}_total": tot for k, (_, tot) in shares.items()}
        found.append(Anomaly(kind="early_surge", label=KINDS["early_surge"], reason=reason,
                             account_id=post["account_id"], account=_name(accounts.get(post["account_id"])),
                             platform=post["platform"], start=day, end=day, post_id=post_id,
                             post_title=post["title"], values=values))
    return checked


def _early_surge_rows(scope, resolved, period, t, totals: bool) -> tuple[int, list[tuple]]:
    """(posts checked, the flagged posts' rows: post id, publication, last collection, early collection, then per
    early metric its early and total figure) from the snapshots, and from ``PostTotal`` for the posts whose every
    snapshot precedes the period's end when ``totals`` (see ``_early_surge``)."""
    start, end = period.bounds()
    window = timedelta(hours=t.early_hours)
    min_age = timedelta(hours=t.early_min_age_hours)
    early = Q(collected_at__gte=F("post__published_at"), collected_at__lte=F("post__published_at") + window)
    aggregates = {"last_at": Max("collected_at"), "early_at": Max("collected_at", filter=early)}
    for k in EARLY_METRICS:
        aggregates[f"early_{k}"] = Max(k, filter=early)
        aggregates[f"total_{k}"] = Max(k)
    posts = posts_queryset(scope, resolved, period)
    settled = None
    if totals and t.early_hours == PostTotal.EARLY_HOURS:
        # Posts whose every snapshot precedes the period's end: their lifetime figures kept by the import are
        # the aggregates below (same window, same maxima), read from one index range instead of their snapshots.
        # Every post with a snapshot has a total (its snapshots gave it facts): the others are the posts whose
        # total has a collection at or after the end, read from the snapshots.
        totals_of_period = PostTotal.objects.filter(organization_id=scope.organization_id,
                                                    brand_id__in=scope.brand_ids, published_at__gte=start,
                                                    published_at__lt=end)
        settled = totals_of_period.filter(last_collected_at__lt=end)
        posts = posts.filter(id__in=totals_of_period.filter(last_collected_at__gte=end).values("post_id"))
    checked_posts = (
        PostSnapshot.objects.filter(organization_id=scope.organization_id, collected_at__lt=end,
                                    post__in=posts.values("id"))
        .order_by().values("post_id", "post__published_at").annotate(**aggregates)
        .filter(early_at__isnull=False, last_at__gte=F("post__published_at") + min_age)
    )
    sql, params = checked_posts.query.sql_with_params()
    if settled is not None:
        figures = [name for k in EARLY_METRICS for name in (f"early_{k}", f"max_{k}")]
        from_totals = (
            settled.filter(post_id__in=posts_queryset(scope, resolved, period).values("id"),
                           early_collected_at__isnull=False, last_collected_at__gte=F("published_at") + min_age)
            .order_by().values_list("post_id", "published_at", "last_collected_at", "early_collected_at", *figures)
        )
        more_sql, more_params = from_totals.query.sql_with_params()
        sql, params = f"{sql} UNION ALL {more_sql}", (*params, *more_params)
    flag_params: list = []
    flags = []
    for k in EARLY_METRICS:
        total, early_value = qn(f"total_{k}"), qn(f"early_{k}")
        flags.append(f"(a.{total} >= %s AND a.{early_value} >= %s * a.{total})")
        flag_params += [t.early_min_total, t.early_share]
    columns = ", ".join(f"a.{qn(name)}" for name in ("post_id", "post__published_at", *aggregates))
    # Assembled from the ORM's compiled query and quoted aliases; thresholds travel as parameters.
    query = (f"WITH checked AS ({sql}) SELECT c.n, {columns} FROM (SELECT COUNT(*) AS n FROM checked) c "  # noqa: S608
             f"LEFT JOIN checked a ON ({' OR '.join(flags)})")
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, *flag_params])
        rows = cursor.fetchall()
    return (rows[0][0] if rows else 0), [row[1:] for row in rows if row[1] is not None]  # None: the count alone


def _early_surge_known(scope, resolved, period, t) -> tuple[int, list[tuple]] | None:
    """``_early_surge_rows`` from what the import keeps, or None where that cannot answer. It answers with the
    default thresholds (those ``PostTotal.early_checked`` and ``early_surge`` were computed with), for a scope
    ``PublishedDay`` serves, when no post of the period was collected at or after its end (every post's lifetime
    figures are then its figures as of the end): the count is Σ ``PublishedDay.early_checked``, the flagged posts
    the few totals with ``early_surge``. Two small reads instead of every post's totals."""
    defaults = (PostTotal.EARLY_HOURS, PostTotal.EARLY_SHARE, PostTotal.EARLY_MIN_TOTAL, PostTotal.EARLY_MIN_AGE_HOURS)
    if (t.early_hours, t.early_share, t.early_min_total, t.early_min_age_hours) != defaults or not coarse(scope):
        return None
    days = PublishedDay.objects.filter(orm_filter(scope, resolved, tagging=None), day__gte=period.start,
                                       day__lte=period.end).aggregate(checked=Sum("early_checked"),
                                                                      last=Max("last_collected_at"))
    start, end = period.bounds()
    if days["last"] is not None and days["last"] >= end:
        return None
    figures = [name for k in EARLY_METRICS for name in (f"early_{k}", f"max_{k}")]
    flagged = PostTotal.objects.filter(
        organization_id=scope.organization_id, brand_id__in=scope.brand_ids, early_surge=True,
        published_at__gte=start, published_at__lt=end,
        post_id__in=posts_queryset(scope, resolved, period).values("id"),
    ).order_by().values_list("post_id", "published_at", "last_collected_at", "early_collected_at", *figures)
    return days["checked"] or 0, list(flagged)


def _aware(value):
    """A datetime from a raw cursor: SQLite gives naive UTC text, PostgreSQL aware datetimes."""
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _push_day_loss(scope, resolved, period, t, accounts, found) -> int:
    day_from = period.start - timedelta(days=t.push_baseline_days)
    losses = defaultdict(dict)
    for account_id, day, lost in account_facts(scope, resolved).filter(
        day__gte=day_from, day__lte=period.end, unsettled=False, followers_lost__isnull=False
    ).values_list("account_id", "day", "followers_lost"):
        losses[account_id][day] = lost
    pushes = defaultdict(dict)
    for account_id, day, n in published_rows(scope.narrowed(account_ids=tuple(losses) or (0,)), resolved,
                                             Period(day_from, period.end), group_by=("account_id", "day")):
        pushes[account_id][day] = n
    for account_id, by_day in losses.items():
        quiet = [lost for day, lost in by_day.items() if day not in pushes[account_id]]
        if len(quiet) < t.push_min_quiet_days:
            continue
        baseline = statistics.median(quiet)
        for day, lost in sorted(by_day.items()):
            pushed = pushes[account_id].get(day)
            if not pushed or day < period.start or lost < t.push_loss_min or lost < t.push_loss_factor * baseline:
                continue
            times = f" ({lost / baseline:.1f}×)" if baseline else ""
            reason = (f"Lost {_fmt(lost)} followers on {day.isoformat()}, a day with {pushed} push"
                      f"{'es' if pushed > 1 else ''}, against a median of {_fmt(baseline)} a day without pushes"
                      f"{times} over {len(quiet)} days: the content pushed may be driving followers away.")
            account = accounts.get(account_id)
            found.append(Anomaly(kind="push_day_loss", label=KINDS["push_day_loss"], reason=reason,
                                 account_id=account_id, account=_name(account),
                                 platform=account.platform if account else "", start=day, end=day,
                                 values={"followers_lost": lost, "pushes": pushed, "quiet_day_median": baseline,
                                         "quiet_days": len(quiet)}))
    return len(losses)


def _flat_growth(scope, resolved, period, t, accounts, found) -> int:
    engagement = CATALOG["engagement"]
    by_account: dict[int, dict[str, dict]] = defaultdict(dict)
    for row in daily_sums(scope, resolved, period.start, period.end, input_keys(["engagement"]),
                          group_by=("account_id", "platform")):
        by_account[row["account_id"]][row["platform"]] = row
    facts = account_facts(scope, resolved).filter(day__gte=period.start, day__lte=period.end)
    settled = Q(unsettled=False)
    follows = {r["account_id"]: r for r in facts.order_by().values("account_id").annotate(
        gained=Sum("followers_gained", filter=settled), lost=Sum("followers_lost", filter=settled),
        net=Sum("followers_net", filter=settled))}
    first_total = {}
    for account_id, total in facts.filter(followers_total__isnull=False).order_by("account_id", "-day").values_list(
        "account_id", "followers_total"
    ):
        first_total[account_id] = total  # ordered by day descending: the earliest day is kept
    checked = 0
    for account_id, platforms in by_account.items():
        f = follows.get(account_id)
        if not f:
            continue
        net = f["net"] if f["net"] is not None else (
            f["gained"] - f["lost"] if f["gained"] is not None and f["lost"] is not None else None)
        interactions = combine(engagement, platforms)
        if net is None or interactions is None:
            continue
        checked += 1
        per_1000 = net / interactions * 1000 if interactions else None
        start_total = first_total.get(account_id)
        growth = net / start_total if start_total else None
        if (interactions < t.flat_min_engagement or per_1000 is None or per_1000 >= t.flat_max_follows_per_1000
                or (growth is not None and growth > t.flat_max_growth)):
            continue
        growth_text = f", {growth:.2%} growth" if growth is not None else ""
        reason = (f"{_fmt(interactions)} interactions from {period.start.isoformat()} to {period.end.isoformat()} "
                  f"but {net:+,.0f} followers ({per_1000:.1f} per 1,000 interactions{growth_text}): people engage "
                  f"with single posts, but the account as a whole does not convince them to follow. Re-assess the "
                  f"content strategy.")
        account = accounts.get(account_id)
        found.append(Anomaly(kind="flat_growth", label=KINDS["flat_growth"], reason=reason, account_id=account_id,
                             account=_name(account), platform=account.platform if account else "",
                             start=period.start, end=period.end,
                             values={"engagement": interactions, "followers_net": net, "followers_start": start_total,
                                     "follows_per_1000_interactions": per_1000, "growth": growth}))
    return checked
