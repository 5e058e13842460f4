"""The loader: a parsed export (``metrics.ingestion.parse.parse_file``) → the database.

One import is one transaction: the caller (``metrics.services.imports.import_batch_run``) opens it and the loader
refuses to run outside one, so a batch lands whole or not at all. The loader streams the parsed chunks and never
holds the whole file: per chunk it

1. reads the natural key of every row (``metrics.ingestion.keys``) and the account it belongs to (the brand's
   account on the platform, created when missing; KOL reports name their influencer per row: an account each);
2. resolves duplicates inside the file: **the later row in the file wins**; the earlier one is reported as a
   warning naming both rows (a warning never fails an all-or-nothing batch);
3. upserts the posts by natural key in bulk (one query for the chunk's known keys, ``bulk_create`` for new ones,
   ``bulk_update`` for changed fields; a field is never blanked because a report lacks it);
4. writes the numbers:
   - cumulative post sections → ``PostSnapshot`` at the batch's collection time, ``ON CONFLICT DO NOTHING`` on
     (organization, post, collected_at): snapshots are immutable, so a file imported twice or an overlapping
     export of the same collection adds nothing (only a duplicate row of *this* batch replaces its earlier row);
     the touched posts' period facts are then rebuilt from all their snapshots (``post_facts_rebuild``);
   - daily post sections (ad reports) → ``PostDailyFact(source='daily')`` upserted on (organization, post, day);
   - account sections → ``AccountDailyFact`` upserted on (organization, account, day), ``unsettled`` kept.
   A restated day replaces every value the new report gives and keeps the values it does not give (the XHS
   30-day workbooks each carry a few metrics of the same days); an unsettled day never overwrites a settled one.
5. finally rebuilds the daily rollup of the brand over the touched days only and bumps its data version.

On PostgreSQL the numbers of each chunk are COPied into a temporary staging table and land with one
``INSERT … SELECT … ON CONFLICT`` per chunk (psycopg2 ``copy_expert``); the extra values travel as typed columns
and the database builds their JSON. On SQLite (the embedded mode) the same upserts run as prepared
``INSERT … ON CONFLICT`` statements (``facts.rows_bulk_write``). Both paths give the same rows; the tests run on
both. While a chunk is written, the next one is read and parsed in a thread (``_prefetched``), so a large file
costs about the larger of parsing and writing rather than their sum.

Row errors: the parser's (unreadable cells and rows) and the loader's (no key, no date) are collected with row,
column, value and reason. In ``valid_rows`` mode the valid rows load and the errors are listed; in
``all_or_nothing`` mode any row error rejects the batch (the loader stops writing but reads on, so that the user
gets every error of the file at once). A file with no readable row is rejected with the reason. The stored list
is capped (``ERRORS_CAP``); the counts stay exact.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, models
from django.db.models import Max, Min
from django.utils import timezone, translation

from accounts.models import Brand
from metrics.catalog import ACCOUNT_COLUMN_METRICS, CATALOG, COLUMN_METRICS
from metrics.choices import AccountKind, ContentFormat, FactSource, MediaType, PaidKind, Traffic
from metrics.ingestion import keys as natural_keys
from metrics.ingestion.background import in_background
from metrics.ingestion.errors import tr
from metrics.ingestion.parse import EXTRA_COLUMN_PREFIX, _extra_dicts
from metrics.models import AccountDailyFact, Post, PostDailyFact, PostSnapshot, SocialAccount
from metrics.services.facts import (
    brand_data_changed,
    post_dimensions_sync,
    post_facts_rebuild,
    post_totals_rebuild,
    published_days_rebuild,
    rollup_rebuild,
    rows_bulk_write,
)

logger = logging.getLogger(__name__)

ERRORS_CAP = 10_000  # errors kept on the batch (the count stays exact); ~1 MB of JSON at most
FETCH_BATCH = 2_000  # natural keys per IN-list when looking posts up
ANALYZE_FROM_ROWS = 100_000  # rows written to one table by one load: from here its planner statistics are refreshed
IMPORT_WORK_MEM = "64MB"  # PostgreSQL: the upserts sort a chunk by (post, day); the default 4 MB spills to disk
PREFETCH_CHUNKS = 1  # parsed chunks waiting for the loader: one is enough to keep both cores busy
TEST_CHUNK_DELAY_ENV = "KPIBOARD_IMPORT_TEST_CHUNK_DELAY"  # seconds slept per chunk: lets tests kill a worker mid-way

DEFAULT_CONTENT_FORMAT = {
    "wechat_oa": ContentFormat.ARTICLE,
    "wechat_channels": ContentFormat.SHORT_VIDEO,
    "douyin": ContentFormat.SHORT_VIDEO,
    "kuaishou": ContentFormat.SHORT_VIDEO,
    "xiaohongshu": ContentFormat.IMAGE_NOTE,
    "bilibili": ContentFormat.LONG_VIDEO,
    "weibo": ContentFormat.POST,
}
_CONTENT_FORMATS = frozenset(ContentFormat.values)
_POST_FIELDS = ("platform_post_id", "url", "title", "published_at", "content_format", "status")
_DIMENSIONS = ("content_format",)  # post fields copied onto its facts: a change means re-syncing them
_ROW_FIELDS = ("_key", "_account", *natural_keys.ID_FIELDS, "url", "title", "published_at", "content_format",
               "status")


class LoadRejected(Exception):
    """The batch cannot be committed (row errors in all-or-nothing mode, no readable row). Carries the result so
    the service can record the counts and errors after rolling the transaction back."""

    def __init__(self, message: str, result: LoadResult) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


@dataclass
class ErrorLog:
    """Row errors and warnings of one import: the first ``cap`` kept, the counts exact."""

    cap: int = ERRORS_CAP
    items: list[dict] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    error_rows: set = field(default_factory=set)

    def add(self, row: int | None, column: str | None, value: Any, message: str, *, level: str = "error") -> None:
        if level == "warning":
            self.warnings += 1
        else:
            self.errors += 1
            if row is not None:
                self.error_rows.add(int(row))
        if len(self.items) < self.cap:
            self.items.append({"row": None if row is None else int(row), "column": column,
                               "value": _plain_value(value), "message": str(message), "level": level})

    @property
    def total(self) -> int:
        return self.errors + self.warnings


@dataclass
class LoadResult:
    """What one import did: the counts the batch records and the CLI prints."""

    platform: str = ""
    report_kind: str = ""
    file_type: str = ""
    encoding: str = ""
    rows: int = 0  # data rows read (valid or not)
    rows_ok: int = 0  # rows whose numbers were written
    rows_skipped: int = 0  # rows the parser passed over (blank, totals) and duplicates replaced by a later row
    rows_period: int = 0  # readable rows of period-total sections (posts recognised, numbers not stored)
    posts_created: int = 0
    posts_updated: int = 0
    snapshots: int = 0
    facts: int = 0  # post daily facts and account daily facts written from daily reports
    errors: ErrorLog = field(default_factory=ErrorLog)
    day_from: date | None = None
    day_to: date | None = None
    note: str = ""  # said after the counts in the batch's message

    @property
    def changed(self) -> bool:
        """Whether the load wrote anything (the brand's data version moves, its dashboards are warmed again)."""
        return bool(self.rows_ok or self.posts_created or self.posts_updated)

    def touch_days(self, first: date | None, last: date | None) -> None:
        if first is not None:
            self.day_from = first if self.day_from is None else min(self.day_from, first)
        if last is not None:
            self.day_to = last if self.day_to is None else max(self.day_to, last)


@dataclass
class LoadTarget:
    """Where the rows go: the upload names the organization, brand, collection time and mode."""

    organization_id: int
    brand: Brand
    collected_at: datetime
    mode: str = "valid_rows"
    batch_id: int | None = None
    on_progress: Callable[[int, int | None], None] | None = None
    rows_hint: int | None = None  # an estimate of the data rows when the parser cannot know (a CSV's lines)


def load_parsed(parsed: Any, target: LoadTarget) -> LoadResult:
    """Load every section of ``parsed`` (a ``ParsedFile``) into the database; see the module docstring.

    Runs inside the caller's transaction. Raises ``LoadRejected`` when the batch must not be committed (the caller
    rolls back) and lets database errors through (the task retries the transient ones).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("load_parsed must run inside the import's transaction (transaction.atomic)")
    result = LoadResult(file_type=str(getattr(parsed, "file_type", "") or ""),
                        encoding=str(getattr(parsed, "encoding", "") or ""))
    sections = list(parsed.sections)
    totals = [getattr(s, "total_rows", None) for s in sections]
    total = sum(totals) if totals and all(t is not None for t in totals) else target.rows_hint
    session = _Session(target, result, _writer())
    done = 0
    for section in sections:
        fmt = section.format
        result.platform = result.platform or fmt.platform
        result.report_kind = result.report_kind or fmt.kind
        loader = _SectionLoader(session, section)
        section.extra_columns = session.writer.columnar
        counted = 0
        # the reader's thread also derives each chunk's keys and days (see _SectionLoader.prepare)
        prepared = map(loader.prepare, section.chunks())
        with contextlib.closing(_prefetched(prepared)) as chunks:  # an error here stops the reader at once
            for chunk in chunks:
                done += loader.load_chunk(chunk.frame, chunk.errors)
                skipped = _section_skipped(section)  # the parser counts blank, total and keyless rows as it reads
                done += skipped - counted
                counted = skipped
                if target.on_progress is not None:
                    target.on_progress(done if total is None else min(done, total), total)
                _test_delay()
        skipped = _section_skipped(section)  # the reader is done: its counts are final
        done += skipped - counted
        counted = skipped
        loader.finish()
        missing_key = _section_skipped(section, ("missing_key",))
        result.rows += missing_key  # keyless rows are data rows the parser left out (and reported)
        result.rows_skipped += counted - missing_key
    session.finish()
    _raise_if_rejected(result, target)
    return result


def _prefetched(chunks: Iterator[Any], ahead: int = PREFETCH_CHUNKS) -> Iterator[Any]:
    """Iterate ``chunks`` with the next ones read and parsed in a thread meanwhile (``in_background``): the loader
    mostly waits for the database (a COPY, an upsert) and releases the GIL while it does, so reading chunk n+1
    overlaps writing chunk n. Row errors are worded in the caller's language."""
    language = translation.get_language()
    return in_background(chunks, ahead=ahead, name="kpiboard-parse",
                         context=lambda: translation.override(language))


def _raise_if_rejected(result: LoadResult, target: LoadTarget) -> None:
    log = result.errors
    if target.mode == "all_or_nothing" and log.errors:
        raise LoadRejected(
            tr("{n} row(s) could not be read, so nothing was imported (mode: all or nothing). Fix the rows listed "
               "and upload the file again.").format(n=len(log.error_rows) or log.errors), result)
    if result.rows_ok == 0 and result.rows_period == 0:
        if log.errors:
            first = next((e for e in log.items if e["level"] == "error"), None)
            reason = tr(" The first problem: row {row}: {message}").format(row=first["row"], message=first["message"]) \
                if first else ""
            raise LoadRejected(tr("No row of the file could be read ({n} error(s)).{reason}").format(
                n=log.errors, reason=reason), result)
        raise LoadRejected(tr("The file has no data rows to import."), result)


def _section_skipped(section: Any, reasons: Iterable[str] | None = None) -> int:
    """Rows the parser passed over so far (``Section.skipped``: reason → rows), for some or all reasons."""
    skipped = getattr(section, "skipped", None) or {}
    return sum(n for reason, n in skipped.items() if reasons is None or reason in reasons)


def _test_delay() -> None:
    """Test hook, read at call time: sleep between chunks so that a worker can be killed mid-batch."""
    delay = os.environ.get(TEST_CHUNK_DELAY_ENV) or getattr(settings, TEST_CHUNK_DELAY_ENV, None)
    if delay:
        time.sleep(float(delay))


# ------------------------------------------------------------------------------------------------ session


class _Session:
    """State shared by the sections of one import: accounts, posts seen, touched posts and days."""

    def __init__(self, target: LoadTarget, result: LoadResult, writer: _Writer) -> None:
        self.target = target
        self.result = result
        self.writer = writer
        self.org_id = target.organization_id
        self.brand = target.brand
        self.accounts: dict[tuple[str, str], int] = {}  # (platform, handle or "") -> account id
        self.posts: dict[tuple[str, str], tuple[int, tuple]] = {}  # (platform, key) -> (id, field values)
        self.post_rows: dict[tuple[str, str], tuple] = {}  # (platform, key) -> the last row's raw post fields
        self.created: set[int] = set()
        self.updated: set[int] = set()
        self.republished: set[int] = set()  # existing posts whose publication time this load changed
        self.redimensioned: set[int] = set()
        self.snapshot_posts: set[int] = set()
        self.daily_posts: set[int] = set()
        self.stopped = False  # all-or-nothing and an error seen: read on, write nothing more
        self.daily_section: Any = None  # the first section that wrote daily post figures

    # accounts ------------------------------------------------------------------------------------------------
    def default_account(self, platform: str) -> int:
        """The brand's own account on ``platform``, created (handle = brand slug) when it has none yet."""
        cache_key = (platform, "")
        if cache_key not in self.accounts:
            brand = self.brand
            own = SocialAccount.objects.filter(organization_id=self.org_id, brand=brand, platform=platform,
                                               kind=AccountKind.BRAND)
            account = own.filter(handle=brand.slug).first() or own.order_by("id").first()
            if account is None:
                account, _ = SocialAccount.objects.get_or_create(
                    organization_id=self.org_id, brand=brand, platform=platform, handle=brand.slug,
                    defaults={"display_name": brand.name, "kind": AccountKind.BRAND, "media_type": MediaType.OWNED,
                              "is_competitor": brand.is_competitor},
                )
            self.accounts[cache_key] = account.pk
        return self.accounts[cache_key]

    def influencer_accounts(self, platform: str, names: Iterable[str]) -> dict[str, int]:
        """Accounts of the influencers a KOL report names (kind kol, media type paid), created when new."""
        wanted = {n for n in names if (platform, n) not in self.accounts}
        if wanted:
            found = SocialAccount.objects.filter(organization_id=self.org_id, brand=self.brand, platform=platform,
                                                 handle__in=wanted).values_list("handle", "id")
            for handle, pk in found:
                self.accounts[(platform, handle)] = pk
            missing = [n for n in wanted if (platform, n) not in self.accounts]
            if missing:
                SocialAccount.objects.bulk_create([
                    SocialAccount(organization_id=self.org_id, brand=self.brand, platform=platform, handle=name[:200],
                                  display_name=name[:200], kind=AccountKind.KOL, media_type=MediaType.PAID,
                                  is_competitor=self.brand.is_competitor)
                    for name in missing
                ])
                for handle, pk in SocialAccount.objects.filter(
                        organization_id=self.org_id, brand=self.brand, platform=platform,
                        handle__in=[n[:200] for n in missing]).values_list("handle", "id"):
                    self.accounts[(platform, handle)] = pk
                for name in missing:  # names longer than a handle: map the full name too
                    self.accounts.setdefault((platform, name), self.accounts.get((platform, name[:200])))
        return {n: self.accounts[(platform, n)] for n in names}

    # posts ----------------------------------------------------------------------------------------------------
    def upsert_posts(self, platform: str, rows: pd.DataFrame, defaults: dict[str, str]) -> dict[str, int]:
        """Posts of the chunk's unique keys (``rows``: one row per key, the file's last) → {key: post id}."""
        rows = rows[[c for c in _ROW_FIELDS if c in rows.columns]]
        keys = rows["_key"].tolist()
        answer = keys
        # A daily report repeats every post in every chunk: a row whose post fields equal the ones this load
        # already applied for its key cannot change the post, so only new or different rows go on.
        # (Compared by a 64-bit hash of the row's post fields: one vectorised pass instead of a tuple per row.)
        fields = [c for c in rows.columns if c not in ("_key", "_account")]
        raws = (pd.util.hash_pandas_object(rows[fields], index=False).tolist() if fields and len(rows)
                else [0] * len(keys))
        fresh = [i for i, (k, raw) in enumerate(zip(keys, raws, strict=True)) if self.post_rows.get((platform, k)) != raw]
        if len(fresh) < len(keys):
            rows = rows.iloc[fresh]
            keys = [keys[i] for i in fresh]
        for i in fresh:
            self.post_rows[(platform, answer[i])] = raws[i]
        unknown = [k for k in keys if (platform, k) not in self.posts]
        for start in range(0, len(unknown), FETCH_BATCH):
            for values in Post.objects.filter(
                organization_id=self.org_id, brand=self.brand, platform=platform,
                natural_key__in=unknown[start:start + FETCH_BATCH],
            ).values("id", "natural_key", *_POST_FIELDS):
                self.posts[(platform, values["natural_key"])] = (values["id"], tuple(values[f] for f in _POST_FIELDS))
        new: list[Post] = []
        changed: dict[int, dict[str, Any]] = {}
        for row in rows.to_dict("records"):
            key = row["_key"]
            incoming = _post_values(row, defaults)
            known = self.posts.get((platform, key))
            if known is None:
                post = Post(organization_id=self.org_id, brand=self.brand, account_id=row["_account"],
                            platform=platform, natural_key=key, media_type=defaults["media_type"],
                            paid_kind=defaults["paid_kind"], traffic=defaults["traffic"],
                            **(incoming | {"content_format": incoming["content_format"] or defaults["format"]}))
                new.append(post)
                self.posts[(platform, key)] = (None, tuple(incoming[f] for f in _POST_FIELDS))
                continue
            post_id, current = known
            if post_id is None:  # created earlier in this chunk (a duplicate key already resolved): keep the first
                continue
            updates = {f: incoming[f] for f, old in zip(_POST_FIELDS, current, strict=True)
                       if _is_set(incoming[f]) and incoming[f] != old}
            if updates:
                changed.setdefault(post_id, {}).update(updates)
                merged = dict(zip(_POST_FIELDS, current, strict=True)) | updates
                self.posts[(platform, key)] = (post_id, tuple(merged[f] for f in _POST_FIELDS))
        if new:
            _insert_new(Post, new)
            for post in new:
                self.posts[(platform, post.natural_key)] = (post.pk, self.posts[(platform, post.natural_key)][1])
                self.created.add(post.pk)
        if changed:
            now = timezone.now()
            # One UPDATE per distinct set of changed fields: bulk_update writes every listed field of every row.
            by_fields: dict[tuple[str, ...], list[Post]] = {}
            for post_id, updates in changed.items():
                post = Post(pk=post_id, updated_at=now, **updates)
                by_fields.setdefault(tuple(sorted(updates)), []).append(post)
                if post_id not in self.created:
                    self.updated.add(post_id)
                if any(name in _DIMENSIONS for name in updates):
                    self.redimensioned.add(post_id)
                if "published_at" in updates and post_id not in self.created:
                    self.republished.add(post_id)
            for names, group in by_fields.items():
                Post.objects.bulk_update(group, [*names, "updated_at"], batch_size=500)
        return {k: self.posts[(platform, k)][0] for k in answer}

    def drop_delta_facts(self, post_ids: set[int]) -> None:
        """A post with a daily report is measured by it (``metrics.services.facts``): drop the facts its snapshots
        gave, once per post and load (new posts have none), and rebuild the rollup over their days."""
        check = sorted(post_ids - self.created - self.daily_posts)
        self.daily_posts.update(post_ids)
        for start in range(0, len(check), FETCH_BATCH):
            deltas = PostDailyFact.objects.filter(organization_id=self.org_id, post_id__in=check[start:start + FETCH_BATCH],
                                                  source=FactSource.DELTA)
            span = deltas.aggregate(first=Min("day"), last=Max("day"))
            if span["first"] is not None:
                self.result.touch_days(span["first"], span["last"])
                deltas.delete()

    def analyze_if_large(self) -> None:
        """After a large load, refresh the planner's statistics of the tables it grew (PostgreSQL, in this
        transaction). Until autovacuum gets to them (minutes later, or never where it is off), the planner thinks an
        organization has as many facts as before the load and reads the next imports' ``post_id IN (…)`` lookups
        through the wrong index: a 1,000-row file then took seconds per query instead of milliseconds."""
        if connection.vendor != "postgresql":
            return
        written = ((PostDailyFact, self.result.facts), (PostSnapshot, self.result.snapshots))
        grown = [model for model, rows in written if rows >= ANALYZE_FROM_ROWS]
        with connection.cursor() as cursor:
            for model in grown:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def finish(self) -> None:
        """Period facts of the posts that got snapshots, the rollup over the touched days, the data version."""
        result = self.result
        result.posts_created = len(self.created)
        result.posts_updated = len(self.updated - self.created)
        if self.stopped:
            return
        self.analyze_if_large()
        touched = sorted(self.snapshot_posts)
        if self.redimensioned:
            post_dimensions_sync(self.org_id, self.redimensioned)
            span = PostDailyFact.objects.filter(organization_id=self.org_id, post_id__in=self.redimensioned).aggregate(
                first=Min("day"), last=Max("day"))
            result.touch_days(span["first"], span["last"])
        if touched:
            post_facts_rebuild(self.org_id, touched)
            first = timezone.localdate(self.target.collected_at)
            last = PostDailyFact.objects.filter(organization_id=self.org_id, post_id__in=touched,
                                                source=FactSource.DELTA).aggregate(last=Max("day"))["last"]
            result.touch_days(first, max(first, last) if last else first)
        # the facts of these posts changed, or (updated) their publication time, which the totals carry
        post_totals_rebuild(self.org_id, self.snapshot_posts | self.daily_posts | self.updated)
        if result.day_from is not None:
            rollup_rebuild(self.org_id, [self.brand.pk], result.day_from, result.day_to)
        self.published_days()
        if result.changed:
            brand_data_changed(self.org_id, [self.brand.pk])

    def published_days(self) -> None:
        """``PublishedDay`` over the publication days of the posts this load created or gave figures (their totals
        changed); every day when it moved an existing post to another publication time (its old day is not known
        any more). A load never moves a post to another account or media type."""
        if self.republished:
            published_days_rebuild(self.org_id, [self.brand.pk])
            return
        touched = sorted(self.created | self.snapshot_posts | self.daily_posts)
        first = last = None
        for start in range(0, len(touched), FETCH_BATCH):
            span = Post.objects.filter(organization_id=self.org_id, id__in=touched[start:start + FETCH_BATCH]
                                       ).aggregate(first=Min("published_at"), last=Max("published_at"))
            if span["first"] is not None:
                first = span["first"] if first is None else min(first, span["first"])
                last = span["last"] if last is None else max(last, span["last"])
        if first is not None:
            published_days_rebuild(self.org_id, [self.brand.pk], timezone.localdate(first), timezone.localdate(last))


def _insert_new(model: type, objects: list) -> None:
    """``bulk_create`` of new rows, their ids set. On PostgreSQL one ``INSERT … VALUES … RETURNING id`` per 1,000
    rows with each value prepared as the ORM prepares it (``pre_save``, ``get_db_prep_save``), without compiling a
    statement per object: a daily report's 8,000 new posts spent most of their insert in that compilation."""
    try:
        from psycopg2.extras import execute_values
    except ImportError:  # psycopg 3
        execute_values = None
    if connection.vendor != "postgresql" or execute_values is None:
        model.objects.bulk_create(objects, batch_size=1_000)
        return
    meta, qn = model._meta, connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    plain = (models.CharField, models.TextField)  # a str goes to the driver as it is (URLField is a CharField)

    def prepare(f):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return lambda obj: now
        if isinstance(f, plain):
            return lambda obj: (value if isinstance(value := getattr(obj, f.attname), str) or value is None
                                else f.get_db_prep_save(value, connection))
        return lambda obj: f.get_db_prep_save(getattr(obj, f.attname), connection)

    prepared = [prepare(f) for f in fields]
    rows = [tuple(get(obj) for get in prepared) for obj in objects]
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES %s "  # noqa: S608
           f"RETURNING {qn(meta.pk.column)}")
    with connection.cursor() as cursor:
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with connection.wrap_database_errors:
            ids = execute_values(raw, sql, rows, page_size=1_000, fetch=True)
    for obj, (pk,) in zip(objects, ids, strict=True):  # RETURNING gives the rows in the order of VALUES
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _is_set(value: Any) -> bool:
    return value is not None and value != ""


def _post_values(row: dict, defaults: dict[str, str]) -> dict[str, Any]:
    """The post fields a row reports (empty strings / None where it reports nothing)."""
    title = row.get("title")
    title = "" if not natural_keys._present(title) else str(title).strip()
    url = row.get("url")
    url = "" if not natural_keys._present(url) else str(url).strip()[:1000]
    published = row.get("published_at")
    if not natural_keys._present(published):
        published = None
    elif isinstance(published, pd.Timestamp):
        published = published.to_pydatetime()
    if isinstance(published, datetime) and timezone.is_naive(published):
        published = timezone.make_aware(published, natural_keys.BEIJING)
    fmt = row.get("content_format")
    fmt = fmt if isinstance(fmt, str) and fmt in _CONTENT_FORMATS else None  # None: the report does not say
    status = row.get("status")
    status = "" if not natural_keys._present(status) else str(status).strip()[:40]
    return {
        "platform_post_id": (natural_keys.row_platform_id(row) or "")[:200],
        "url": url,
        "title": title,
        "published_at": published,
        "content_format": fmt,
        "status": status,
    }


# ------------------------------------------------------------------------------------------------ sections


class _SectionLoader:
    """One section (one table of the file): its level and basis decide where its numbers go."""

    def __init__(self, session: _Session, section: Any) -> None:
        self.session = session
        self.section = section
        self.fmt = section.format
        self.platform = self.fmt.platform
        self.level = self.fmt.level
        self.basis = self.fmt.basis
        self.metrics = ACCOUNT_COLUMN_METRICS if self.level == "account" else COLUMN_METRICS
        self.seen_hashes: list[np.ndarray] = []  # per chunk: sorted identity hashes (duplicates across chunks)
        self.seen_rows: list[np.ndarray] = []
        self.defaults = self._post_defaults()
        self.warned_period = False
        self.repeated_in_chunk = False  # a row of the current chunk repeats an identity an earlier chunk gave

    def _post_defaults(self) -> dict[str, str]:
        fmt_default = getattr(self.fmt, "content_format", None)
        is_ad = fmt_default == ContentFormat.AD
        return {
            "format": fmt_default or DEFAULT_CONTENT_FORMAT.get(self.platform, ContentFormat.POST),
            "media_type": MediaType.PAID if is_ad else MediaType.OWNED,
            "paid_kind": PaidKind.PAID_AD if is_ad else PaidKind.NONE,
            "traffic": Traffic.PAID if is_ad else Traffic.ORGANIC,
        }

    # ---------------------------------------------------------------------------------------------------------
    def load_chunk(self, frame: pd.DataFrame, parser_errors: list) -> int:
        """Load one parsed chunk; returns the number of data rows it held.

        A row with an unreadable cell is left out (the parser hands it over with the cell missing): loading it
        without the value would store a collection that lacks it, and the snapshot, being immutable, would then
        keep the fixed file's row out when the user uploads it again.
        """
        session, result, log = self.session, self.session.result, self.session.result.errors
        error_rows = set()
        for error in parser_errors or ():
            row = getattr(error, "row", None)
            log.add(row, getattr(error, "column", None), getattr(error, "value", None),
                    getattr(error, "message", str(error)), level=getattr(error, "level", "error") or "error")
            if row is not None:
                error_rows.add(int(row))
        if frame is None or len(frame) == 0:
            self._stop_if_needed()
            return 0
        frame = frame.reset_index(drop=True)
        if "row" not in frame.columns:
            frame["row"] = np.arange(1, len(frame) + 1)
        n_rows = len(frame)
        result.rows += n_rows
        valid = self._validate(frame)
        if error_rows and getattr(self.fmt, "layout", "table") == "table":
            # (sheets/keyvalue layouts number cells per sheet or label: their rows do not name frame rows)
            valid &= ~frame["row"].isin(error_rows)
        frame = frame.loc[valid]
        self._stop_if_needed()
        if session.stopped or frame.empty:
            return n_rows
        if self.basis not in ("cumulative", "daily"):
            self._period_rows(frame)
            return n_rows
        frame = self._resolve_duplicates(frame)
        if self.level == "account":
            self._account_rows(frame)
        else:
            self._post_rows(frame)
        return n_rows

    def _stop_if_needed(self) -> None:
        session = self.session
        if session.target.mode == "all_or_nothing" and session.result.errors.errors and not session.stopped:
            session.stopped = True

    def _needs_day(self) -> bool:
        # an account row is a day's figures, except in a period-totals section (read, not stored: no date needed)
        return self.basis == "daily" or (self.level == "account" and self.basis == "cumulative")

    def prepare(self, chunk: Any) -> Any:
        """The chunk's natural keys (``_key``) and days (``_day``), derived from its own cells only: this runs in the
        reader's thread (``_prefetched``), while the loader's thread waits for the database with the previous
        chunk. ``_validate`` reports the rows these leave empty."""
        frame = getattr(chunk, "frame", None)
        if frame is None or len(frame) == 0:
            return chunk
        if self.level == "post":
            frame["_key"] = natural_keys.post_keys(frame)
        if self._needs_day():
            days = frame["_day"] = (_day_series(frame["date"]) if "date" in frame.columns
                                    else pd.Series(None, index=frame.index, dtype=object))  # reported by _validate
            if self.level == "post" and self.basis == "daily" and days.notna().all():
                frame["_day_ordinal"] = np.fromiter((d.toordinal() for d in days.tolist()), dtype="int64",
                                                    count=len(days))
        if self.basis in ("cumulative", "daily"):
            frame["_identity_hash"] = pd.util.hash_pandas_object(frame[self._identity(frame)], index=False)
        return chunk

    def _validate(self, frame: pd.DataFrame) -> pd.Series:
        """Rows the loader can use: a post needs a natural key, a daily row a date. The others are row errors."""
        log = self.session.result.errors
        valid = pd.Series(True, index=frame.index)
        if self.level == "post":
            no_key = frame["_key"].isna()
            message = tr("The row has no post id, URL, title or publish time to recognise the post by.")
            for row in frame.loc[no_key, "row"].tolist():
                log.add(row, None, None, message)
            valid &= ~no_key
        if self._needs_day():
            dates = frame["_day"]
            no_day = dates.isna()
            for row in frame.loc[no_day & valid, "row"].tolist():
                log.add(row, "date", None, tr("The row has no readable date."))
            valid &= ~no_day
        return valid

    def _identity(self, frame: pd.DataFrame) -> list[str]:
        if self.level == "post":
            return ["_key", "_day"] if self.basis == "daily" else ["_key"]
        names = ["_day"]
        if "account_name" in frame.columns:
            frame["_account_name"] = frame["account_name"].where(frame["account_name"].notna(), "").astype(str)
            names.insert(0, "_account_name")
        return names

    def _resolve_duplicates(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The later row of the file wins; the earlier one is a warning naming both rows."""
        log, result = self.session.result.errors, self.session.result
        # One 64-bit hash per row's identity (``prepare``) serves both checks: within the chunk, against the earlier
        # chunks.
        hashes = frame["_identity_hash"]
        earlier = hashes.duplicated(keep="last")
        if earlier.any():
            later_row = frame["row"].groupby(hashes.to_numpy(), sort=False).transform("last")
            for row, later in zip(frame.loc[earlier, "row"].tolist(), later_row[earlier].tolist(), strict=True):
                log.add(row, None, None, _repeat_message(row, later, self._what()), level="warning")
            result.rows_skipped += int(earlier.sum())
            frame, hashes = frame.loc[~earlier], hashes[~earlier]
        hashes = hashes.to_numpy()
        order = np.argsort(hashes, kind="stable")
        hashes, rows = hashes[order], frame["row"].to_numpy()[order]  # sorted: each search below walks memory once
        self.repeated_in_chunk = False
        for seen, seen_rows in zip(self.seen_hashes, self.seen_rows, strict=True):
            pos = np.searchsorted(seen, hashes)
            pos[pos >= len(seen)] = 0
            hit = seen[pos] == hashes
            self.repeated_in_chunk = self.repeated_in_chunk or bool(hit.any())
            in_file_order = np.argsort(rows[hit], kind="stable")
            for row, earlier_row in zip(rows[hit][in_file_order].tolist(), seen_rows[pos[hit]][in_file_order].tolist(),
                                        strict=True):
                log.add(earlier_row, None, None, _repeat_message(earlier_row, row, self._what()), level="warning")
                result.rows_skipped += 1
                result.rows_ok -= 1  # the earlier row was counted when its chunk loaded
                if self.level == "account" or self.basis == "daily":
                    result.facts -= 1  # and so was its daily figure, which the later row now replaces
        self.seen_hashes.append(hashes)
        self.seen_rows.append(rows)
        return frame

    def _what(self) -> str:
        if self.level == "account":
            return tr("account and day")
        return tr("post and day") if self.basis == "daily" else tr("post")

    def _metric_frame(self, frame: pd.DataFrame, extra_from: Iterable[str] = ()) -> tuple[pd.DataFrame, list[str]]:
        """The metric columns the chunk reports (float, NaN = missing) and ``extra`` as clean dicts."""
        present = [m for m in self.metrics if m in frame.columns]
        values = pd.DataFrame(index=frame.index)
        reported = []
        for name in present:
            column = frame[name]
            if not pd.api.types.is_float_dtype(column):
                column = pd.to_numeric(column, errors="coerce")
            column = column.astype("float64").replace([np.inf, -np.inf], np.nan)
            if column.notna().any():
                values[name] = column
                reported.append(name)
        extra_cols = [c for c in extra_from if c in frame.columns]
        extras = frame["extra"].tolist() if "extra" in frame.columns else [None] * len(frame)
        streamed = [c for c in frame.columns if isinstance(c, str) and c.startswith(EXTRA_COLUMN_PREFIX)]
        if streamed and self.session.writer.columnar and not extra_cols:
            # the writer builds the JSON from these columns in the database; ``extra`` keeps only the flags
            for name in streamed:
                values[name] = frame[name]
        elif streamed:
            built = _extra_dicts({c[len(EXTRA_COLUMN_PREFIX):]: frame[c].to_numpy() for c in streamed}, len(frame))
            extras = [b if not e else ({**e, **b} if b else e) for e, b in zip(extras, built, strict=True)]
        for flag in ("floor", "upper_bound"):  # keys whose value is a floor (10万+) or an upper bound (<0.1%)
            if flag in frame.columns:
                flagged = frame[flag]
                flagged = flagged[flagged.notna()]
                if len(flagged):
                    extras = list(extras)
                    for pos, keys in zip(frame.index.get_indexer(flagged.index), flagged.tolist(), strict=True):
                        if keys:
                            extras[pos] = {**(extras[pos] or {}), flag: list(keys)}
        if extra_cols:
            more = frame[extra_cols].to_dict("records")
            extras = [_merge_extra(e, m) for e, m in zip(extras, more, strict=True)]
        values["extra"] = [e if e else None for e in extras]  # cleaned by the writer (JSON text or dicts)
        return values, reported

    # ---------------------------------------------------------------------------------------------------------
    def _accounts_for(self, frame: pd.DataFrame) -> pd.Series:
        session = self.session
        default = session.default_account(self.platform)
        accounts = pd.Series(default, index=frame.index, dtype="int64")
        if "account_name" in frame.columns:
            names = frame["account_name"]
            named = names.notna() & (names.astype(str).str.strip() != "")
            if named.any():
                clean = names[named].astype(str).str.strip()
                ids = session.influencer_accounts(self.platform, sorted(set(clean.tolist())))
                accounts[named] = clean.map(ids).astype("int64")
        return accounts

    def _post_rows(self, frame: pd.DataFrame) -> None:
        session, result = self.session, self.session.result
        frame = frame.copy()
        frame["_account"] = self._accounts_for(frame)
        kol = frame["_account"] != session.default_account(self.platform)
        last = frame.drop_duplicates("_key", keep="last")
        post_ids = self._upsert(last, kol)
        post_id = frame["_key"].map(post_ids).astype("int64")
        values, reported = self._metric_frame(frame)
        values.insert(0, "post_id", post_id.to_numpy())
        if self.basis == "cumulative":
            written = session.writer.snapshots(session, values, reported)
            result.snapshots += written
            session.snapshot_posts.update(post_id.tolist())
        else:
            session.drop_delta_facts(set(post_ids.values()))
            values.insert(1, "day", frame["_day"].to_numpy())
            # Nothing of this chunk can exist yet when every post was created by this load, no earlier chunk gave
            # the same post and day, and no other section of the file wrote daily figures.
            session.daily_section = session.daily_section or self
            new_rows = (session.daily_section is self and not self.repeated_in_chunk
                        and bool(post_id.isin(session.created).all()))
            result.facts += session.writer.post_facts(session, values, reported, new_rows=new_rows)
            if "_day_ordinal" in frame.columns:  # from ``prepare``
                first, last = frame["_day_ordinal"].min(), frame["_day_ordinal"].max()
                result.touch_days(date.fromordinal(int(first)), date.fromordinal(int(last)))
            else:
                result.touch_days(min(frame["_day"]), max(frame["_day"]))
        result.rows_ok += len(frame)

    def _upsert(self, last: pd.DataFrame, kol: pd.Series) -> dict[str, int]:
        session = self.session
        if not kol[last.index].any():
            return session.upsert_posts(self.platform, last, self.defaults)
        influencer = dict(self.defaults, media_type=MediaType.PAID, paid_kind=PaidKind.INFLUENCER)
        ids = session.upsert_posts(self.platform, last.loc[~kol[last.index]], self.defaults)
        ids.update(session.upsert_posts(self.platform, last.loc[kol[last.index]], influencer))
        return ids

    def _account_rows(self, frame: pd.DataFrame) -> None:
        session, result = self.session, self.session.result
        accounts = self._accounts_for(frame)
        not_columns = [c for c in frame.columns if c in _CATALOG_KEYS and c not in ACCOUNT_COLUMN_METRICS]
        values, reported = self._metric_frame(frame, extra_from=not_columns)
        values.insert(0, "account_id", accounts.to_numpy())
        values.insert(1, "day", frame["_day"].to_numpy())
        unsettled = frame["unsettled"] if "unsettled" in frame.columns else pd.Series(False, index=frame.index)
        values.insert(2, "unsettled", unsettled.fillna(False).astype(bool).to_numpy())
        result.facts += session.writer.account_facts(session, values, reported)
        result.rows_ok += len(frame)

    def _period_rows(self, frame: pd.DataFrame) -> None:
        """Totals over the range chosen at download (neither lifetime nor one day) fit neither snapshots nor daily
        facts: the posts are recognised, the numbers are not stored (said once per section)."""
        session, result = self.session, self.session.result
        if self.level == "post":
            frame = frame.copy()
            frame["_account"] = self._accounts_for(frame)
            session.upsert_posts(self.platform, frame.drop_duplicates("_key", keep="last"), self.defaults)
        if not self.warned_period:
            result.errors.add(None, None, None, tr("{report}: totals over the period chosen at download are not stored "
                                                   "as daily figures; the rows were read but their numbers not "
                                                   "imported.").format(report=self.fmt.label_en), level="warning")
            self.warned_period = True
        result.rows_skipped += len(frame)
        result.rows_period += len(frame)

    def finish(self) -> None:
        self.seen_hashes.clear()
        self.seen_rows.clear()


_CATALOG_KEYS = frozenset(CATALOG)


def _repeat_message(earlier: int, later: int, what: str) -> str:
    return tr("Row {earlier} repeats the {what} of row {later}: row {later} (the later one) is imported, row {earlier} "
              "is not.").format(earlier=earlier, later=later, what=what)


def _day_series(values: pd.Series) -> pd.Series:
    """Dates of a chunk as ``datetime.date`` (Beijing days for aware datetimes), NaT/None where unreadable."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(natural_keys.BEIJING)
        days = values.dt.date
        return days.where(values.notna(), None)

    def one(value):
        if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, datetime):
            return value.astimezone(natural_keys.BEIJING).date() if value.tzinfo else value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            return None

    return values.map(one).astype(object)


def _plain_value(value: Any) -> Any:
    """A cell value as JSON can store it (errors keep what the user typed)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.generic):
        return _plain_value(value.item())
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return _plain_value(value)


def _clean_extra(extra: Any) -> dict | None:
    """``extra`` as JSON-safe dict (NaN → null, numpy → Python), None when empty."""
    if not extra or not isinstance(extra, dict):
        return None
    return _clean(extra)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _json_text(extra: Any) -> str | None:
    """``extra`` as JSON text for the COPY; the parser's values are plain already, so the per-value cleaning only
    runs when a value JSON cannot hold (NaN, infinity) turns up."""
    if not extra or not isinstance(extra, dict):
        return None
    try:
        return json.dumps(extra, ensure_ascii=False, allow_nan=False, default=_json_default)
    except ValueError:
        return json.dumps(_clean(extra), ensure_ascii=False, default=_json_default)


def _merge_extra(extra: Any, more: dict) -> dict | None:
    values = {k: v for k, v in more.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
    if not values:
        return extra if isinstance(extra, dict) else None
    return {**(extra if isinstance(extra, dict) else {}), **values}


# ------------------------------------------------------------------------------------------------ writers


class _Writer:
    """Writes the numbers of one chunk; returns how many rows it wrote (snapshots: new ones only).

    ``columnar``: the writer takes a chunk's extra values as ``extra.<key>`` columns (see ``Section.extra_columns``)
    next to ``extra`` (then only the floor / upper-bound flags); otherwise ``extra`` holds every value as a dict.
    """

    columnar = False

    def snapshots(self, session: _Session, values: pd.DataFrame, reported: list[str]) -> int:
        raise NotImplementedError

    def post_facts(self, session: _Session, values: pd.DataFrame, reported: list[str], *,
                   new_rows: bool = False) -> int:
        """Upsert the chunk's daily figures; ``new_rows``: none of them can exist yet (a writer may go faster)."""
        raise NotImplementedError

    def account_facts(self, session: _Session, values: pd.DataFrame, reported: list[str]) -> int:
        raise NotImplementedError


def _writer() -> _Writer:
    return _PostgresWriter() if connection.vendor == "postgresql" else _OrmWriter()


def _records(values: pd.DataFrame, columns: list[str]) -> list[dict]:
    frame = values[columns].astype(object).where(values[columns].notna(), None)
    records = frame.to_dict("records")
    if "extra" in columns:
        for record in records:
            record["extra"] = _clean_extra(record["extra"])
    return records


class _OrmWriter(_Writer):
    """SQLite (the embedded mode): ``bulk_create`` with the same merge rules as the PostgreSQL SQL."""

    def snapshots(self, session, values, reported):
        org_id, at, batch_id = session.org_id, session.target.collected_at, session.target.batch_id
        post_ids = values["post_id"].tolist()
        existing: dict[int, int | None] = {}
        for start in range(0, len(post_ids), FETCH_BATCH):
            existing.update(PostSnapshot.objects.filter(
                organization_id=org_id, collected_at=at, post_id__in=post_ids[start:start + FETCH_BATCH],
            ).values_list("post_id", "batch_id"))
        new, mine = [], []
        for record in _records(values, ["post_id", "extra", *reported]):
            post_id = record.pop("post_id")
            extra = record.pop("extra") or {}
            if post_id not in existing:
                new.append(PostSnapshot(organization_id=org_id, post_id=post_id, collected_at=at, batch_id=batch_id,
                                        extra=extra, **record))
            elif batch_id is not None and existing[post_id] == batch_id:
                mine.append((post_id, extra, record))
        PostSnapshot.objects.bulk_create(new, batch_size=1_000, ignore_conflicts=True)
        for post_id, extra, record in mine:  # a later row of this same file replaces its earlier row
            PostSnapshot.objects.filter(organization_id=org_id, post_id=post_id, collected_at=at,
                                        batch_id=batch_id).update(
                extra=extra, updated_at=timezone.now(), **{m: record.get(m) for m in COLUMN_METRICS})
        return len(new)

    def post_facts(self, session, values, reported, *, new_rows=False):
        org_id = session.org_id
        columns = ["post_id", "day", "extra", *reported]
        records = _records(values, columns)
        post_ids = sorted(set(values["post_id"].tolist()))
        days = values["day"]
        posts = {}
        for start in range(0, len(post_ids), FETCH_BATCH):
            for p in Post.objects.filter(id__in=post_ids[start:start + FETCH_BATCH]).values(
                    "id", "brand_id", "account_id", "platform", "media_type", "paid_kind", "traffic",
                    "content_format", "campaign_id"):
                posts[p["id"]] = p
        existing = {}
        for start in range(0, len(post_ids), FETCH_BATCH):
            for fact in PostDailyFact.objects.filter(
                    organization_id=org_id, post_id__in=post_ids[start:start + FETCH_BATCH],
                    day__gte=min(days), day__lte=max(days)).values("post_id", "day", "extra", *COLUMN_METRICS):
                existing[(fact["post_id"], fact["day"])] = fact
        objects = []
        for record in records:
            post = posts[record["post_id"]]
            old = existing.get((record["post_id"], record["day"]), {})
            merged = {m: record.get(m) if record.get(m) is not None else old.get(m) for m in COLUMN_METRICS}
            extra = _merge_json(old.get("extra"), record["extra"])
            objects.append(PostDailyFact(
                organization_id=org_id, post_id=post["id"], brand_id=post["brand_id"], account_id=post["account_id"],
                platform=post["platform"], media_type=post["media_type"], paid_kind=post["paid_kind"],
                traffic=post["traffic"], content_format=post["content_format"], campaign_id=post["campaign_id"],
                day=record["day"], interval_start=None, source=FactSource.DAILY, decreased=False, extra=extra,
                **merged))
        rows_bulk_write(PostDailyFact, objects, ["organization", "post", "day"],
                        [*COLUMN_METRICS, "extra", "source", "decreased", "interval_start", "account", "brand",
                         "platform", "media_type", "paid_kind", "traffic", "content_format", "campaign_id", "updated_at"])
        return len(objects)

    def account_facts(self, session, values, reported):
        org_id, batch_id = session.org_id, session.target.batch_id
        records = _records(values, ["account_id", "day", "unsettled", "extra", *reported])
        account_ids = sorted(set(values["account_id"].tolist()))
        accounts = dict(SocialAccount.objects.filter(id__in=account_ids).values_list("id", "platform"))
        days = values["day"]
        existing = {
            (f["account_id"], f["day"]): f
            for f in AccountDailyFact.objects.filter(
                organization_id=org_id, account_id__in=account_ids, day__gte=min(days), day__lte=max(days),
            ).values("account_id", "day", "unsettled", "extra", *ACCOUNT_COLUMN_METRICS)
        }
        objects = []
        for record in records:
            old = existing.get((record["account_id"], record["day"]))
            unsettled = bool(record["unsettled"])
            if old is not None and unsettled and not old["unsettled"]:
                merged = {m: old[m] for m in ACCOUNT_COLUMN_METRICS}  # an unsettled day never beats a settled one
                unsettled = False
            else:
                old = old or {}
                merged = {m: record.get(m) if record.get(m) is not None else old.get(m)
                          for m in ACCOUNT_COLUMN_METRICS}
            objects.append(AccountDailyFact(
                organization_id=org_id, account_id=record["account_id"], brand_id=session.brand.pk,
                platform=accounts[record["account_id"]], day=record["day"], unsettled=unsettled, batch_id=batch_id,
                extra=_merge_json((old or {}).get("extra"), record["extra"]), **merged))
        rows_bulk_write(AccountDailyFact, objects, ["organization", "account", "day"],
                        [*ACCOUNT_COLUMN_METRICS, "unsettled", "batch", "extra", "updated_at"])
        return len(objects)


def _merge_json(old: Any, new: Any) -> dict | None:
    if not old:
        return new or None
    if not new:
        return old
    return {**old, **new}


def _number(table: str, column: str) -> str:
    """A staged float8 as SQL: NaN is how a missing number travels (see ``_PostgresWriter._stage``)."""
    return f"NULLIF({table}.{column}, 'NaN'::float8)"


_PG_EPOCH = date(2000, 1, 1)  # PostgreSQL's day zero
_PG_EPOCH_DAYS = (_PG_EPOCH - date(1970, 1, 1)).days  # … in numpy's days (since 1970-01-01)
_PG_EPOCH_ORDINAL = _PG_EPOCH.toordinal()  # … in ``date.toordinal()`` days
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_BINARY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _binary_copy(frame: pd.DataFrame, names: list[str], sql_types: list[str]) -> bytes | None:
    """The rows of ``frame`` as PostgreSQL's binary COPY format, or None when a cell needs a variable width.

    Every row of this format is the field count, then per field its byte length (-1 for NULL) and its bytes, big
    endian. When every column is an id (bigint), a day (date), a number (float8, NaN for missing), a flag
    (boolean) or entirely NULL, all rows have the same layout: one numpy structured array holds the whole chunk,
    filled column by column.
    """
    fields: list[tuple[str, str]] = [("count", ">i2")]
    fills: list[tuple[str, int, np.ndarray | None]] = []  # (field, byte length or -1, values)
    for i, (name, sql_type) in enumerate(zip(names, sql_types, strict=True)):
        column = frame[name]
        if sql_type in ("jsonb", "text"):
            if column.notna().any():
                return None
            fields.append((f"l{i}", ">i4"))
            fills.append((f"l{i}", -1, None))
            continue
        if sql_type != "double precision" and column.isna().any():
            return None
        try:
            if sql_type == "bigint":
                data, dtype, width = column.to_numpy(dtype="int64"), ">i8", 8
            elif sql_type == "double precision":
                data, dtype, width = column.to_numpy(dtype="float64", na_value=np.nan), ">f8", 8
            elif sql_type == "date":
                if pd.api.types.is_datetime64_any_dtype(column):
                    days = column.to_numpy(dtype="datetime64[D]").astype("int64") - _PG_EPOCH_DAYS
                else:  # datetime.date objects (``_day_series``)
                    days = np.fromiter((d.toordinal() for d in column.tolist()), dtype="int64", count=len(column))
                    days -= _PG_EPOCH_ORDINAL
                data, dtype, width = days, ">i4", 4
            elif sql_type == "boolean":
                data, dtype, width = column.to_numpy(dtype="bool"), ">u1", 1
            else:
                return None
        except (AttributeError, TypeError, ValueError):
            return None
        fields.append((f"l{i}", ">i4"))
        fields.append((f"v{i}", dtype))
        fills.append((f"l{i}", width, None))
        fills.append((f"v{i}", 0, data))
    rows = np.empty(len(frame), dtype=np.dtype(fields))
    rows["count"] = len(names)
    for field_name, width, data in fills:
        rows[field_name] = data if data is not None else width
    return b"".join((_BINARY_HEADER, rows.tobytes(), _BINARY_TRAILER))


class _PostgresWriter(_Writer):
    """PostgreSQL: COPY the chunk into a temporary staging table, then one INSERT … SELECT … ON CONFLICT.

    COPY moves ~1 M rows/s of this shape where ``bulk_create`` manages ~50 k: the staging table keeps the upsert
    a single statement per chunk. The staging tables are ``ON COMMIT DROP``: they vanish with the transaction.
    """

    STAGES = {
        "snapshot": ("kpi_stage_snapshot", ["post_id bigint", "extra jsonb"], COLUMN_METRICS),
        "post_fact": ("kpi_stage_post_fact", ["post_id bigint", "day date", "extra jsonb"], COLUMN_METRICS),
        "account_fact": ("kpi_stage_account_fact", ["account_id bigint", "day date", "unsettled boolean",
                                                    "extra jsonb"], ACCOUNT_COLUMN_METRICS),
    }

    columnar = True

    def __init__(self) -> None:
        self.created: dict[tuple, str] = {}  # (kind, extra column types) -> staging table

    def _stage(self, cursor, kind: str, values: pd.DataFrame, columns: list[str]) -> tuple[str, str, dict]:
        """COPY the chunk into a staging table; returns the table, the SQL of a row's ``extra`` and its parameters.

        The extra values arrive as typed columns (``extra.<key>``, see ``Section.extra_columns``) and the database
        builds the JSON (``jsonb_build_object``, nulls stripped): encoding a million dicts in Python costs more
        than the whole COPY. A column of mixed values (rare) is folded into the row's ``extra`` dict instead.

        Numbers travel as float8 with NaN for missing (the INSERTs read them through ``NULLIF(…, 'NaN')``), so that
        a chunk whose every cell has a fixed width (ids, days, numbers, flags; no text, no ``extra`` dict) goes as
        binary COPY built by numpy, with no text formatting at all; any other chunk goes as CSV.
        """
        table, fixed, metrics = self.STAGES[kind]
        frame = values[columns].copy()
        extras = frame["extra"].tolist()
        typed: list[tuple[str, str, pd.Series]] = []  # (key, SQL type, values)
        mixed: dict[str, list] = {}  # key -> values of a column of mixed types
        for name in values.columns:
            if not (isinstance(name, str) and name.startswith(EXTRA_COLUMN_PREFIX)):
                continue
            key, column = name[len(EXTRA_COLUMN_PREFIX):], values[name]
            if pd.api.types.is_float_dtype(column) or pd.api.types.is_integer_dtype(column):
                typed.append((key, "double precision",
                              column.astype("float64").replace([np.inf, -np.inf], np.nan)))
            elif pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
                typed.append((key, "text", column))
            else:
                mixed[key] = column.tolist()
        if mixed:
            extras = [_merge_extra(e, {key: cells[i] for key, cells in mixed.items()}) for i, e in enumerate(extras)]
        frame["extra"] = [_json_text(e) for e in extras]
        for i, (_key, _sql_type, column) in enumerate(typed):
            frame[f"x{i}"] = column.to_numpy()
        signature = (kind, tuple(t for _, t, _ in typed))
        if not self.created:  # the first chunk of the import: sorts for the upserts stay in memory
            cursor.execute(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'")
        if signature not in self.created:
            # Named by its shape: an earlier import in the same transaction (tests; a batch retried) may have left
            # a staging table of another shape, which CREATE … IF NOT EXISTS would otherwise reuse.
            shape = hashlib.sha1(repr(signature).encode(), usedforsecurity=False).hexdigest()[:12]
            name = f"{table}_{shape}"
            metric_defs = ", ".join(f"{m} double precision" for m in metrics)
            extra_defs = "".join(f", x{i} {t}" for i, (_, t, _) in enumerate(typed))
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({', '.join(fixed)}, {metric_defs}{extra_defs}) "
                           f"ON COMMIT DROP")
            self.created[signature] = name
        stage = self.created[signature]
        cursor.execute(f"TRUNCATE {stage}")
        names = [*columns, *(f"x{i}" for i in range(len(typed)))]
        sql_types = dict(part.split(" ", 1) for part in fixed) | {f"x{i}": t for i, (_, t, _) in enumerate(typed)}
        binary = _binary_copy(frame, names, [sql_types.get(n, "double precision") for n in names])
        if binary is not None:
            sql = f"COPY {stage} ({', '.join(names)}) FROM STDIN WITH (FORMAT binary)"
            buffer: io.IOBase = io.BytesIO(binary)
        else:
            sql = f"COPY {stage} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)"
            buffer = io.StringIO()
            frame.to_csv(buffer, header=False, index=False, na_rep="")
            buffer.seek(0)
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        with connection.wrap_database_errors:  # a dropped connection must surface as Django's OperationalError
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, buffer)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())
        if not typed:
            return stage, "s.extra", {}
        # The JSON is built as text and parsed once: `"key":` || the number's shortest text, the missing ones
        # skipped by concat_ws. jsonb_build_object of to_jsonb(float8) values took twice as long (each number
        # goes float8 → text → numeric there too, and the object is built and stripped of nulls).
        params = {f"xk{i}": json.dumps(key, ensure_ascii=False) + ":" for i, (key, _, _) in enumerate(typed)}
        members = [f"%(xk{i})s || " + (f"{_number('s', f'x{i}')}::text" if sql_type == "double precision"
                                       else f"to_jsonb(s.x{i})::text")
                   for i, (_, sql_type, _) in enumerate(typed)]
        # concat_ws takes at most 100 arguments: 90 members a group, an empty group dropped
        groups = [f"NULLIF(concat_ws(',', {', '.join(members[start:start + 90])}), '')"
                  for start in range(0, len(members), 90)]
        built = f"('{{' || concat_ws(',', {', '.join(groups)}) || '}}')::jsonb"
        merged = built if binary is not None else f"{built} || COALESCE(s.extra, '{{}}'::jsonb)"  # binary: no extra
        return stage, f"NULLIF({merged}, '{{}}'::jsonb)", params

    def snapshots(self, session, values, reported):
        with connection.cursor() as cursor:
            stage, extra, params = self._stage(cursor, "snapshot", values, ["post_id", "extra", *reported])
            metrics = ", ".join(COLUMN_METRICS)
            cursor.execute(
                f"""
                WITH written AS (
                    INSERT INTO {PostSnapshot._meta.db_table} AS t
                        (organization_id, created_at, updated_at, post_id, collected_at, batch_id, extra, {metrics})
                    SELECT %(org)s, now(), now(), s.post_id, %(at)s, %(batch)s, COALESCE({extra}, '{{}}'::jsonb),
                           {", ".join(_number("s", m) for m in COLUMN_METRICS)}
                    FROM {stage} s
                    ON CONFLICT (organization_id, post_id, collected_at) DO UPDATE SET
                        extra = EXCLUDED.extra, updated_at = now(),
                        {", ".join(f"{m} = EXCLUDED.{m}" for m in COLUMN_METRICS)}
                    WHERE t.batch_id = %(batch)s
                    RETURNING (xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted) FROM written
                """,  # noqa: S608 (identifiers from model metadata and the catalog; values are parameters)
                {"org": session.org_id, "at": session.target.collected_at, "batch": session.target.batch_id, **params},
            )
            return cursor.fetchone()[0]

    def post_facts(self, session, values, reported, *, new_rows=False):
        with connection.cursor() as cursor:
            stage, extra, params = self._stage(cursor, "post_fact", values, ["post_id", "day", "extra", *reported])
            metrics = ", ".join(COLUMN_METRICS)
            # Rows that cannot exist yet (posts this load created, days no earlier chunk gave) skip the speculative
            # insertion of ON CONFLICT; DO NOTHING stays as the guard, and a row it left out fails the count check.
            conflict = "ON CONFLICT (organization_id, post_id, day) DO NOTHING" if new_rows else f"""
                ON CONFLICT (organization_id, post_id, day) DO UPDATE SET
                    {", ".join(f"{m} = COALESCE(EXCLUDED.{m}, t.{m})" for m in COLUMN_METRICS)},
                    extra = CASE WHEN t.extra IS NULL THEN EXCLUDED.extra WHEN EXCLUDED.extra IS NULL THEN t.extra
                                 ELSE t.extra || EXCLUDED.extra END,
                    source = EXCLUDED.source, decreased = false, interval_start = NULL,
                    brand_id = EXCLUDED.brand_id, account_id = EXCLUDED.account_id, platform = EXCLUDED.platform,
                    media_type = EXCLUDED.media_type, paid_kind = EXCLUDED.paid_kind, traffic = EXCLUDED.traffic,
                    content_format = EXCLUDED.content_format, campaign_id = EXCLUDED.campaign_id, updated_at = now()"""
            cursor.execute(
                f"""
                INSERT INTO {PostDailyFact._meta.db_table} AS t
                    (organization_id, created_at, updated_at, post_id, brand_id, account_id, platform, media_type,
                     paid_kind, traffic, content_format, campaign_id, day, interval_start, source, decreased, extra,
                     {metrics})
                SELECT %(org)s, now(), now(), s.post_id, p.brand_id, p.account_id, p.platform, p.media_type,
                       p.paid_kind, p.traffic, p.content_format, p.campaign_id, s.day, NULL, %(source)s, false,
                       {extra}, {", ".join(_number("s", m) for m in COLUMN_METRICS)}
                FROM {stage} s JOIN {Post._meta.db_table} p ON p.id = s.post_id
                ORDER BY s.post_id, s.day  -- the unique index's order: far fewer page misses on big reports
                {conflict}
                """,  # noqa: S608 (identifiers from model metadata and the catalog; values are parameters)
                {"org": session.org_id, "source": FactSource.DAILY.value, **params},
            )
            if new_rows and cursor.rowcount != len(values):
                raise RuntimeError(f"{len(values) - cursor.rowcount} daily figure(s) of new posts already existed")
            return cursor.rowcount

    def account_facts(self, session, values, reported):
        with connection.cursor() as cursor:
            stage, extra, params = self._stage(cursor, "account_fact", values,
                                               ["account_id", "day", "unsettled", "extra", *reported])
            metrics = ", ".join(ACCOUNT_COLUMN_METRICS)
            # An unsettled day (the platform is still counting it) never overwrites a settled one.
            keep_old = "(EXCLUDED.unsettled AND NOT t.unsettled)"
            cursor.execute(
                f"""
                INSERT INTO {AccountDailyFact._meta.db_table} AS t
                    (organization_id, created_at, updated_at, account_id, brand_id, platform, day, unsettled,
                     batch_id, extra, {metrics})
                SELECT %(org)s, now(), now(), s.account_id, a.brand_id, a.platform, s.day, s.unsettled,
                       %(batch)s, {extra}, {", ".join(_number("s", m) for m in ACCOUNT_COLUMN_METRICS)}
                FROM {stage} s JOIN {SocialAccount._meta.db_table} a ON a.id = s.account_id
                ON CONFLICT (organization_id, account_id, day) DO UPDATE SET
                    {", ".join(f"{m} = CASE WHEN {keep_old} THEN t.{m} ELSE COALESCE(EXCLUDED.{m}, t.{m}) END"
                               for m in ACCOUNT_COLUMN_METRICS)},
                    extra = CASE WHEN t.extra IS NULL THEN EXCLUDED.extra WHEN EXCLUDED.extra IS NULL THEN t.extra
                                 ELSE t.extra || EXCLUDED.extra END,
                    unsettled = t.unsettled AND EXCLUDED.unsettled,
                    batch_id = EXCLUDED.batch_id, updated_at = now()
                """,  # noqa: S608 (identifiers from model metadata and the catalog; values are parameters)
                {"org": session.org_id, "batch": session.target.batch_id, **params},
            )
            return cursor.rowcount

