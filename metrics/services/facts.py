"""From snapshots to period facts, and from facts to the daily rollup.

Per-post exports are cumulative: each is what a post had received up to the moment of collection
(DOMAIN.md §5). A post's growth on a day is therefore the difference between its last snapshot of that day
and its last snapshot before that day. Files arrive in any order, so the facts of a post are always rebuilt
from all its snapshots, never patched: a June file loaded before the May file gives the same facts as the
other way round.

Rules (documented here because every number depends on them):
- Days are Beijing-time days (settings.TIME_ZONE) of the collection time.
- The first snapshot counts from zero at publication: its whole value is that collection day's growth, and
  ``interval_start`` is the publication time (or None when unknown).
- A metric's value on a day is its last value reported that day; the day's growth is that minus its last
  value reported on an earlier day (zero when none did). A metric no snapshot of the day reports gives no
  fact value that day (NULL, never zero), and its next report is measured from its last known value.
- A counter that goes down (a platform correction, deleted comments) is kept as a negative delta and the
  fact is flagged ``decreased``; it is never hidden or clamped.
- A post that has facts from a daily report (a WeChat article's trend, an ad's day rows) is measured by those:
  its snapshots are kept but give no delta facts, which would count the same reads a second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, F, FilteredRelation, Max, OuterRef, Q, Subquery, Value, When

from accounts.models import Brand
from metrics.catalog import COLUMN_METRICS
from metrics.choices import FactSource
from metrics.models import (
    AccountDayRollup,
    DailyRollup,
    Post,
    PostCategory,
    PostDailyFact,
    PostSnapshot,
    PostTotal,
    PublishedDay,
)

REBUILD_CHUNK = 2_000  # posts per pass: bounds memory (snapshots of 2,000 posts) and the IN-list size


def _local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def deltas_from_snapshots(snapshots: list[dict], published_at: datetime | None, tz: ZoneInfo) -> list[dict]:
    """The daily facts of one post from its snapshots (dicts with ``collected_at`` and metric keys).

    Pure function: the rules are in the module docstring. Returns one dict per collection day with ``day``,
    ``interval_start``, ``decreased`` and one value per column metric.
    """
    ordered = sorted(snapshots, key=lambda s: s["collected_at"])
    facts = []
    carried: dict[str, float] = {}  # each metric's last known value before the current day
    previous_time = published_at
    for day, group in groupby(ordered, key=lambda s: _local_day(s["collected_at"], tz)):
        group = list(group)
        latest: dict[str, float] = {}  # each metric's last value reported on this day
        for snap in group:
            latest.update({key: snap[key] for key in COLUMN_METRICS if snap.get(key) is not None})
        fact = {"day": day, "interval_start": previous_time, "decreased": False}
        for key in COLUMN_METRICS:
            if key not in latest:
                fact[key] = None
                continue
            delta = latest[key] - carried.get(key, 0.0)
            fact[key] = delta
            fact["decreased"] = fact["decreased"] or delta < 0
        carried.update(latest)
        previous_time = group[-1]["collected_at"]
        facts.append(fact)
    return facts


def post_facts_rebuild(organization_id: int, post_ids: Iterable[int]) -> int:
    """Recompute the snapshot-delta facts of ``post_ids`` from all their snapshots; returns facts written.

    Must run inside the import's transaction (the caller's ``atomic``); daily-report facts are left alone.
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    post_ids = sorted(set(post_ids))
    written = 0
    for start in range(0, len(post_ids), REBUILD_CHUNK):
        chunk = post_ids[start : start + REBUILD_CHUNK]
        posts = {
            p["id"]: p
            for p in Post.objects.filter(organization_id=organization_id, id__in=chunk).values(
                "id", "brand_id", "account_id", "platform", "media_type", "paid_kind", "traffic",
                "content_format", "campaign_id", "published_at",
            )
        }
        snapshots = (
            PostSnapshot.objects.filter(organization_id=organization_id, post_id__in=chunk)
            .order_by("post_id", "collected_at")
            .values("post_id", "collected_at", *COLUMN_METRICS)
        )
        PostDailyFact.objects.filter(
            organization_id=organization_id, post_id__in=chunk, source=FactSource.DELTA
        ).delete()
        measured_daily = set(
            PostDailyFact.objects.filter(organization_id=organization_id, post_id__in=chunk, source=FactSource.DAILY)
            .values_list("post_id", flat=True).distinct()
        )
        rows = []
        for post_id, group in groupby(snapshots.iterator(chunk_size=5_000), key=lambda s: s["post_id"]):
            if post_id in measured_daily:
                continue
            post = posts[post_id]
            for fact in deltas_from_snapshots(list(group), post["published_at"], tz):
                rows.append(
                    PostDailyFact(
                        organization_id=organization_id, post_id=post_id, brand_id=post["brand_id"],
                        account_id=post["account_id"], platform=post["platform"], media_type=post["media_type"],
                        paid_kind=post["paid_kind"], traffic=post["traffic"],
                        content_format=post["content_format"], campaign_id=post["campaign_id"],
                        source=FactSource.DELTA, **fact,
                    )
                )
        rows_bulk_write(PostDailyFact, rows)
        written += len(rows)
    return written


def rows_bulk_write(model: type, objects: list, unique_fields: list[str] | None = None,
                    update_fields: list[str] | None = None) -> None:
    """``bulk_create`` of ``objects`` (with ``unique_fields``: an upsert updating ``update_fields``).

    On the embedded database (SQLite) it is one prepared ``INSERT`` (``… ON CONFLICT DO UPDATE``) run with
    ``executemany``: the same statement and values as the ORM's (each field's ``pre_save`` and
    ``get_db_prep_save``), without compiling a many-row statement per batch, which cost the demo's ~400 small
    imports about a tenth of their time. PostgreSQL keeps ``bulk_create`` (its big loads go through COPY anyway).
    """
    if not objects:
        return
    if connection.vendor != "sqlite":
        if unique_fields:
            model.objects.bulk_create(objects, batch_size=500, update_conflicts=True, unique_fields=unique_fields,
                                      update_fields=update_fields)
        else:
            model.objects.bulk_create(objects, batch_size=2_000)
        return
    meta, qn = model._meta, connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608 - model metadata
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    if unique_fields:
        conflict = ", ".join(qn(meta.get_field(name).column) for name in unique_fields)
        updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in (meta.get_field(n).column for n in update_fields))
        sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def post_dimensions_sync(organization_id: int, post_ids: Iterable[int]) -> None:
    """Copy the posts' current dimensions (media type, format, campaign…) onto their facts: one UPDATE per
    ``REBUILD_CHUNK`` posts, each value read from the fact's post by a correlated subquery."""
    post_ids = sorted(set(post_ids))
    post = Post.objects.filter(organization_id=organization_id, pk=OuterRef("post_id"))
    names = ("account_id", "media_type", "paid_kind", "traffic", "content_format", "campaign_id")
    for start in range(0, len(post_ids), REBUILD_CHUNK):
        PostDailyFact.objects.filter(
            organization_id=organization_id, post_id__in=post_ids[start : start + REBUILD_CHUNK]
        ).update(**{name: Subquery(post.values(name)[:1]) for name in names})


_DIMS = ("brand_id", "account_id", "platform", "media_type", "paid_kind", "traffic", "content_format", "campaign_id")


def rollup_rebuild(organization_id: int, brand_ids: Iterable[int], day_from: date | None = None,
                   day_to: date | None = None) -> None:
    """Rebuild the daily rollup of ``brand_ids`` over [day_from, day_to] (all days when None) from the facts.

    One INSERT … SELECT for all posts (category NULL) and one per tagged category: the database does the
    summing, the same SQL on SQLite and PostgreSQL.
    """
    brand_ids = list(brand_ids)
    if not brand_ids:
        return
    rollup = DailyRollup._meta.db_table
    fact = PostDailyFact._meta.db_table
    tagging = PostCategory._meta.db_table
    qn = connection.ops.quote_name
    where, params = _clear_days(DailyRollup, "f.", organization_id, brand_ids, day_from, day_to)

    dims = ", ".join(qn(d) for d in _DIMS)
    fdims = ", ".join(f"f.{qn(d)}" for d in _DIMS)
    metrics = ", ".join(qn(m) for m in COLUMN_METRICS)
    sums = ", ".join(f"SUM(f.{qn(m)})" for m in COLUMN_METRICS)
    now = "CURRENT_TIMESTAMP"
    columns = f"{qn('organization_id')}, {dims}, {qn('category_id')}, {qn('day')}, {qn('posts')}, {metrics}, " \
              f"{qn('created_at')}, {qn('updated_at')}"
    where_sql = " AND ".join(where)
    all_posts = (
        f"INSERT INTO {qn(rollup)} ({columns}) "  # noqa: S608 - identifiers quoted by qn, values bound
        f"SELECT f.{qn('organization_id')}, {fdims}, NULL, f.{qn('day')}, COUNT(*), {sums}, {now}, {now} "
        f"FROM {qn(fact)} f WHERE {where_sql} "
        f"GROUP BY f.{qn('organization_id')}, {fdims}, f.{qn('day')}"
    )
    per_category = (
        f"INSERT INTO {qn(rollup)} ({columns}) "  # noqa: S608 - identifiers quoted by qn, values bound
        f"SELECT f.{qn('organization_id')}, {fdims}, t.{qn('category_id')}, f.{qn('day')}, COUNT(*), {sums}, "
        f"{now}, {now} FROM {qn(fact)} f JOIN {qn(tagging)} t ON t.{qn('post_id')} = f.{qn('post_id')} "
        f"AND t.{qn('organization_id')} = f.{qn('organization_id')} WHERE {where_sql} "
        f"GROUP BY f.{qn('organization_id')}, {fdims}, t.{qn('category_id')}, f.{qn('day')}"
    )
    tagged = PostCategory.objects.filter(organization_id=organization_id, post__brand_id__in=brand_ids).exists()
    with connection.cursor() as cursor:
        cursor.execute(all_posts, params)
        if tagged:  # the per-category pass joins every fact of the range: skip it when no post is tagged
            cursor.execute(per_category, params)
    account_days_rebuild(organization_id, brand_ids, day_from, day_to)


_ACCOUNT_DAY_DIMS = ("brand_id", "account_id", "platform", "media_type")


def account_days_rebuild(organization_id: int, brand_ids: Iterable[int], day_from: date | None = None,
                         day_to: date | None = None) -> None:
    """``AccountDayRollup`` of ``brand_ids`` over [day_from, day_to] (all days when None) from the rollup's
    all-posts rows (``rollup_rebuild`` calls it after writing them): Σ per (brand, account, platform, media type,
    day)."""
    brand_ids = list(brand_ids)
    if not brand_ids:
        return
    qn = connection.ops.quote_name
    target, rollup = qn(AccountDayRollup._meta.db_table), qn(DailyRollup._meta.db_table)
    where, params = _clear_days(AccountDayRollup, "", organization_id, brand_ids, day_from, day_to)
    where.append(f"{qn('category_id')} IS NULL")
    keys = ", ".join(qn(c) for c in ("organization_id", *_ACCOUNT_DAY_DIMS, "day"))
    metrics = ", ".join(qn(m) for m in COLUMN_METRICS)
    sums = ", ".join(f"SUM({qn(m)})" for m in COLUMN_METRICS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {target} ({keys}, {qn('posts')}, {metrics}, {qn('created_at')}, {qn('updated_at')}) "  # noqa: S608
            f"SELECT {keys}, SUM({qn('posts')}), {sums}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM {rollup} "
            f"WHERE {' AND '.join(where)} GROUP BY {keys}",
            params,
        )


def published_days_rebuild(organization_id: int, brand_ids: Iterable[int], day_from: date | None = None,
                           day_to: date | None = None) -> None:
    """Rebuild ``PublishedDay`` of ``brand_ids`` for the publication days [day_from, day_to] (all when None) from
    the posts and their totals: posts per (brand, account, platform, media type, publication day in
    ``settings.TIME_ZONE``), how many of them the early-surge check can look at, their last collection.

    Call it after the totals of the posts it covers are current (``post_totals_rebuild``), in the same transaction.
    A post whose publication time, account or media type changed needs both its old and its new day rebuilt:
    callers that cannot tell the old day rebuild every day (``day_from`` None)."""
    brand_ids = list(brand_ids)
    if not brand_ids:
        return
    qn = connection.ops.quote_name
    target, post, total = (qn(m._meta.db_table) for m in (PublishedDay, Post, PostTotal))
    deleted = PublishedDay.objects.filter(organization_id=organization_id, brand_id__in=brand_ids)
    where = [f"p.{qn('organization_id')} = %s", f"p.{qn('brand_id')} IN ({', '.join(['%s'] * len(brand_ids))})",
             f"p.{qn('published_at')} IS NOT NULL"]
    params: list = [organization_id, *brand_ids]
    tz = ZoneInfo(settings.TIME_ZONE)
    if day_from is not None:
        deleted = deleted.filter(day__gte=day_from)
        where.append(f"p.{qn('published_at')} >= %s")
        params.append(connection.ops.adapt_datetimefield_value(datetime.combine(day_from, datetime.min.time(), tz)))
    if day_to is not None:
        deleted = deleted.filter(day__lte=day_to)
        where.append(f"p.{qn('published_at')} < %s")
        params.append(connection.ops.adapt_datetimefield_value(
            datetime.combine(day_to + timedelta(days=1), datetime.min.time(), tz)))
    deleted.delete()
    day, day_params = connection.ops.datetime_cast_date_sql(f"p.{qn('published_at')}", (), settings.TIME_ZONE)
    dims = ", ".join(f"p.{qn(c)}" for c in ("organization_id", *_ACCOUNT_DAY_DIMS))
    columns = ", ".join(qn(c) for c in ("organization_id", *_ACCOUNT_DAY_DIMS, "day", "posts", "early_checked",
                                        "last_collected_at", "created_at", "updated_at"))
    checked = f"CASE WHEN t.{qn('early_checked')} THEN 1 ELSE 0 END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {target} ({columns}) "  # noqa: S608 - identifiers quoted by qn, values bound
            f"SELECT {dims}, {day}, COUNT(*), COALESCE(SUM({checked}), 0), MAX(t.{qn('last_collected_at')}), "
            f"CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM {post} p LEFT JOIN {total} t "
            f"ON t.{qn('organization_id')} = p.{qn('organization_id')} AND t.{qn('post_id')} = p.{qn('id')} "
            f"WHERE {' AND '.join(where)} GROUP BY {dims}, {day}",
            [*day_params, *params, *day_params],
        )


def _clear_days(model, alias: str, organization_id: int, brand_ids: list[int], day_from: date | None,
                day_to: date | None) -> tuple[list[str], list]:
    """Delete ``model``'s rows of the brands over [day_from, day_to] (all days when None); returns the WHERE
    conditions (columns prefixed with ``alias``) and parameters that select the same brands and days in the
    table the rows are rebuilt from."""
    qn = connection.ops.quote_name
    deleted = model.objects.filter(organization_id=organization_id, brand_id__in=brand_ids)
    where = [f"{alias}{qn('organization_id')} = %s",
             f"{alias}{qn('brand_id')} IN ({', '.join(['%s'] * len(brand_ids))})"]
    params: list = [organization_id, *brand_ids]
    if day_from is not None:
        deleted = deleted.filter(day__gte=day_from)
        where.append(f"{alias}{qn('day')} >= %s")
        params.append(day_from)
    if day_to is not None:
        deleted = deleted.filter(day__lte=day_to)
        where.append(f"{alias}{qn('day')} <= %s")
        params.append(day_to)
    deleted.delete()
    return where, params


def brand_data_changed(organization_id: int, brand_ids: Iterable[int]) -> None:
    """Bump the brands' data version (in the caller's transaction) so cached KPI answers are not reused."""
    Brand.objects.filter(organization_id=organization_id, id__in=list(brand_ids)).update(
        data_version=F("data_version") + 1
    )


@transaction.atomic
def posts_refresh(organization_id: int, post_ids: Iterable[int]) -> None:
    """After snapshots or a post's dimensions changed: facts, rollup and data version, in one transaction."""
    post_ids = list(post_ids)
    post_dimensions_sync(organization_id, post_ids)
    post_facts_rebuild(organization_id, post_ids)
    post_totals_rebuild(organization_id, post_ids)
    brands = set(Post.objects.filter(organization_id=organization_id, id__in=post_ids).values_list("brand_id", flat=True))
    rollup_rebuild(organization_id, brands)
    published_days_rebuild(organization_id, brands)
    brand_data_changed(organization_id, brands)


def post_totals_rebuild(organization_id: int, post_ids: Iterable[int] | None = None) -> None:
    """Rewrite the ``PostTotal`` rows of ``post_ids`` (every post of the organization when None) from their facts.

    Call it in the transaction that changed the posts' facts, after the change (the loader's ``finish``,
    ``posts_refresh``): a post's row is then Σ of each column over all its facts, their count, their first and
    last day, and whether the first day precedes the post's publication day (Beijing time); a post left without
    facts has no row. The sums run over the facts in day order (the order the engine's per-period sums read them
    in), so a total equals the period sum of a period holding every fact.
    """
    qn = connection.ops.quote_name
    total, fact = qn(PostTotal._meta.db_table), qn(PostDailyFact._meta.db_table)
    metrics = ", ".join(qn(m) for m in COLUMN_METRICS)
    sums = ", ".join(f"SUM(f.{qn(m)})" for m in COLUMN_METRICS)
    columns = (f"{qn('organization_id')}, {qn('post_id')}, {qn('brand_id')}, {qn('first_day')}, {qn('last_day')}, "
               f"{qn('facts')}, {qn('facts_before_publication')}, {metrics}, {qn('created_at')}, {qn('updated_at')}")
    now = "CURRENT_TIMESTAMP"

    def rewrite(where: str, params: list, post_ids: list[int] | None) -> None:
        delete = f"DELETE FROM {total} WHERE {qn('organization_id')} = %s{where}"  # noqa: S608 - quoted identifiers
        insert = (
            f"INSERT INTO {total} ({columns}) "  # noqa: S608 - identifiers quoted by qn, values bound
            f"SELECT f.{qn('organization_id')}, f.{qn('post_id')}, MIN(f.{qn('brand_id')}), MIN(f.{qn('day')}), "
            f"MAX(f.{qn('day')}), COUNT(*), FALSE, {sums}, {now}, {now} "
            f"FROM (SELECT {qn('organization_id')}, {qn('post_id')}, {qn('brand_id')}, {qn('day')}, {metrics} "
            f"FROM {fact} WHERE {qn('organization_id')} = %s{where} "
            f"ORDER BY {qn('post_id')}, {qn('day')}) f GROUP BY f.{qn('organization_id')}, f.{qn('post_id')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(delete, [organization_id, *params])
            cursor.execute(insert, [organization_id, *params])
        _publication(organization_id, post_ids)
        _snapshot_figures(organization_id, post_ids)

    if post_ids is None:
        rewrite("", [], None)
        return
    post_ids = sorted(set(post_ids))
    for start in range(0, len(post_ids), REBUILD_CHUNK):
        chunk = post_ids[start : start + REBUILD_CHUNK]
        rewrite(f" AND {qn('post_id')} IN ({', '.join(['%s'] * len(chunk))})", chunk, chunk)


def _publication(organization_id: int, post_ids: list[int] | None) -> None:
    """Copy the posts' ``published_at`` onto ``post_ids``' totals (all the organization's when None) and set
    ``facts_before_publication``: the first fact day is before the publication day in ``settings.TIME_ZONE``.
    PostgreSQL does both in one UPDATE; SQLite (no time zones) compares the few rows in Python."""
    qn = connection.ops.quote_name
    total, post = qn(PostTotal._meta.db_table), qn(Post._meta.db_table)
    narrow, params = "", [organization_id]
    if post_ids is not None:
        narrow = f" AND t.{qn('post_id')} IN ({', '.join(['%s'] * len(post_ids))})"
        params += post_ids
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {total} t SET {qn('published_at')} = p.{qn('published_at')}, "  # noqa: S608
                f"{qn('facts_before_publication')} = COALESCE(t.{qn('first_day')} < "
                f"CAST((p.{qn('published_at')} AT TIME ZONE %s) AS DATE), FALSE) "
                f"FROM {post} p WHERE p.{qn('id')} = t.{qn('post_id')} AND t.{qn('organization_id')} = %s{narrow}",
                [settings.TIME_ZONE, *params],
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {total} AS t SET {qn('published_at')} = (SELECT p.{qn('published_at')} FROM {post} p "  # noqa: S608
            f"WHERE p.{qn('id')} = t.{qn('post_id')}) WHERE t.{qn('organization_id')} = %s{narrow}", params)
    totals = PostTotal.objects.filter(organization_id=organization_id, published_at__isnull=False)
    if post_ids is not None:
        totals = totals.filter(post_id__in=post_ids)
    tz = ZoneInfo(settings.TIME_ZONE)
    early = [post_id for post_id, first_day, published in totals.values_list("post_id", "first_day", "published_at")
             if first_day < _local_day(published, tz)]
    for start in range(0, len(early), REBUILD_CHUNK):
        PostTotal.objects.filter(organization_id=organization_id, post_id__in=early[start:start + REBUILD_CHUNK]
                                 ).update(facts_before_publication=True)


def _snapshot_figures(organization_id: int, post_ids: list[int] | None) -> None:
    """Set the snapshot figures of ``post_ids``' totals (all the organization's when None): last collection, last
    collection within ``PostTotal.EARLY_HOURS`` of publication, and per early metric the highest value in that
    window and overall — the same aggregates, with the same window expression, as the anomaly check's
    (``metrics.kpis.anomalies._early_surge``) over a period that holds every snapshot — and that check's verdict
    with its default thresholds (``early_checked``, ``early_surge``), in the same UPDATE."""
    qn = connection.ops.quote_name
    total = qn(PostTotal._meta.db_table)
    snapshots = PostSnapshot.objects.filter(organization_id=organization_id)
    narrow, narrow_params = "", []
    published = F("post__published_at")
    if post_ids is not None:
        # The post ids on every side of the joins: else PostgreSQL walks all the posts' primary key (a merge join)
        # and all the organization's totals (a hash join) for a chunk of 2,000.
        snapshots = snapshots.annotate(chunk_post=FilteredRelation("post", condition=Q(post__id__in=post_ids)))
        snapshots = snapshots.filter(post_id__in=post_ids)
        published = F("chunk_post__published_at")
        narrow = f" AND {total}.{qn('post_id')} IN ({', '.join(['%s'] * len(post_ids))})"
        narrow_params = post_ids
    early = Q(collected_at__gte=published, collected_at__lte=published + timedelta(hours=PostTotal.EARLY_HOURS))
    figures = {"last_collected_at": Max("collected_at"), "early_collected_at": Max("collected_at", filter=early)}
    for key in PostTotal.EARLY_METRICS:
        figures[f"early_{key}"] = Max(key, filter=early)
        figures[f"max_{key}"] = Max(key)
    # The early-surge check with its default thresholds, from the same aggregates (see ``PostTotal.early_surge``).
    checked = Q(s_early_collected_at__isnull=False,
                s_last_collected_at__gte=F("published") + timedelta(hours=PostTotal.EARLY_MIN_AGE_HOURS))
    surged = Q()
    for key in PostTotal.EARLY_METRICS:
        surged |= Q(**{f"s_max_{key}__gte": PostTotal.EARLY_MIN_TOTAL,
                       f"s_early_{key}__gte": F(f"s_max_{key}") * PostTotal.EARLY_SHARE})
    flags = {"early_checked": _flag(checked), "early_surge": _flag(checked & surged)}
    # Aliases other than the target columns' names: SQLite would read ``SET x = x`` as the target's own column.
    sql, params = (snapshots.order_by().annotate(published=published).values("post_id", "published")
                   .annotate(**{f"s_{name}": aggregate for name, aggregate in figures.items()})
                   .annotate(**{f"s_{name}": flag for name, flag in flags.items()}).query.sql_with_params())
    assignments = ", ".join(f"{qn(name)} = s.{qn('s_' + name)}" for name in (*figures, *flags))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {total} SET {assignments} FROM ({sql}) s "  # noqa: S608 - compiled ORM query, quoted names
            f"WHERE {total}.{qn('organization_id')} = %s AND {total}.{qn('post_id')} = s.{qn('post_id')}{narrow}",
            [*params, organization_id, *narrow_params],
        )


def _flag(condition: Q) -> Case:
    """True where ``condition`` holds, else False (also where it is NULL: a missing figure flags nothing)."""
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
