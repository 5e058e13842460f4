"""Imports: upload a file (``import_batch_create``), run it (``import_batch_run``), re-queue stuck ones.

An ``ImportBatch`` is the job row (Saleor's habit): who uploaded what and when, its status, progress, counts
and errors. The work happens in ``import_batch_run``, called by the Celery task (``metrics.tasks``), by
``manage.py ingest`` and by ``seed_demo`` alike, so every path imports the same way.

Running a batch, and why it is safe to run it twice:

(a) **claim** it in a short committed transaction: pending (or a running one whose worker died) → running,
    ``attempts`` + 1, ``started_at``, ``claimed_by`` = host:pid. The row is taken with ``skip_locked``, so a claim
    never waits behind a batch that is being loaded;
(b) **load** it in ONE transaction that first locks the batch row (``select_for_update(skip_locked=True)``): a
    second task started at the same time finds the row locked and returns without doing anything, and a task
    that finds the batch finished returns too. The final status, counts and errors are written in the same
    transaction as the data, so a reader sees either nothing or the whole batch.
    The load also locks the brand row: two imports into one brand queue up (their rollup rebuilds would
    otherwise race); imports into different brands run side by side.
(c) on a **rejection or error** the load transaction rolls back (no row of the file stays) and a separate short
    transaction records ``failed`` with the message; transient database errors (a dropped connection) are left
    to the task, which retries.

The load's writes are invisible to others until it commits, so its progress goes to the cache
(``import:progress:<id>``); the API merges it into the batch while it runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Brand, Membership
from metrics.catalog import ALL_PLATFORMS
from metrics.ingestion.keys import BEIJING
from metrics.ingestion.loader import LoadRejected, LoadResult, LoadTarget, load_parsed
from metrics.models import ImportBatch, MappingTemplate

logger = logging.getLogger(__name__)

PROGRESS_KEY = "import:progress:{id}"
PROGRESS_TTL = 24 * 3600
MAX_ATTEMPTS = 6  # claims of one batch (retries and redeliveries); past it the batch fails instead of looping
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
API_ERRORS_SHOWN = 100
DEFAULT_CHUNK_ROWS = 50_000  # rows per parsed chunk: ~20 MB of frame, one COPY + one upsert per chunk


@contextlib.contextmanager
def queries_unlogged() -> Iterator[None]:
    """For a command that imports many files in one process (``seed_demo``, ``ingest``): with ``DEBUG`` on, Django
    wraps every cursor to record each query and format its SQL with the parameters quoted, which made up ~10 % of
    the demo's load. Commands are single-threaded, so switching it off for their run touches nothing else."""
    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        yield
    finally:
        settings.DEBUG = debug


# ----------------------------------------------------------------------------------------------- create


def _sha256(uploaded: File) -> str:
    digest = hashlib.sha256()
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    return digest.hexdigest()


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def beijing_aware(moment: datetime | None) -> datetime | None:
    """A naive "data as of" is Beijing time (what every platform's backend shows)."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, BEIJING)


@transaction.atomic
def import_batch_create(membership: Membership | None, brand: Brand, uploaded_file: File, *,
                        platform: str | None = None, as_of: datetime | None = None,
                        mode: str = ImportBatch.Mode.VALID_ROWS, mapping_template: MappingTemplate | None = None,
                        enqueue: bool = True) -> ImportBatch:
    """Store an uploaded export and create its batch; the import runs in a task enqueued on commit.

    ``membership`` is the uploader (None for operator commands); it must be allowed to ``upload_data`` in the
    brand's organization. The same file (same sha256) already imported into the same brand is not loaded again:
    the new batch is marked succeeded with ``duplicate_of`` set and zero changes. ``enqueue=False`` leaves the run
    to the caller (``manage.py ingest`` and ``seed_demo`` run it in-process).
    """
    organization_id = brand.organization_id
    if membership is not None:
        if membership.organization_id != organization_id:
            raise ValidationError({"brand": "This brand does not exist."})
        if not membership.can("upload_data"):
            raise PermissionDenied(f"Your role ({membership.role}) may not upload data.")
    if platform and platform not in ALL_PLATFORMS:
        raise ValidationError({"platform": f"Unknown platform {platform!r}."})
    if mode not in ImportBatch.Mode.values:
        raise ValidationError({"mode": f"Unknown mode {mode!r}: use {' or '.join(ImportBatch.Mode.values)}."})
    if mapping_template is not None and mapping_template.organization_id != organization_id:
        raise ValidationError({"mapping_template": "This mapping template does not exist."})
    size = getattr(uploaded_file, "size", None) or 0
    limit = settings.KPIBOARD_IMPORT_MAX_BYTES
    if size > limit:
        raise ValidationError({"file": f"The file is {_size_text(size)}; the largest file kpiboard accepts is "
                                       f"{_size_text(limit)}. Export a shorter date range or split the file."})
    if size == 0:
        raise ValidationError({"file": "The file is empty."})
    original_name = Path(uploaded_file.name or "upload").name[:300]
    sha = _sha256(uploaded_file)
    batch = ImportBatch(
        organization_id=organization_id, brand=brand, uploaded_by=membership.user if membership else None,
        original_name=original_name, sha256=sha, size=size, platform=platform or "", platform_forced=bool(platform),
        as_of=beijing_aware(as_of), mode=mode, mapping_template=mapping_template,
    )
    original = (
        ImportBatch.objects.filter(organization_id=organization_id, brand=brand, sha256=sha,
                                   status=ImportBatch.Status.SUCCEEDED, duplicate_of__isnull=True)
        .order_by("created_at").first()
    )
    if original is not None:
        batch.file.name = original.file.name  # the bytes are the same: keep one copy
        batch.duplicate_of = original
        batch.status = ImportBatch.Status.SUCCEEDED
        batch.platform, batch.report_kind = original.platform, original.report_kind
        batch.file_type, batch.encoding = original.file_type, original.encoding
        batch.as_of = original.as_of
        batch.rows_total = original.rows_total
        batch.finished_at = timezone.now()
        batch.message = (f"The same file was already imported into this brand as batch #{original.pk} "
                         f"({timezone.localtime(original.created_at):%Y-%m-%d %H:%M}): nothing changed.")
        batch.save()
        return batch
    batch.file.save(original_name, uploaded_file, save=False)
    batch.save()
    if enqueue:
        from metrics.tasks import import_batch_run_task

        transaction.on_commit(partial(import_batch_run_task.delay, batch.pk, organization_id))
    return batch


# -------------------------------------------------------------------------------------------------- run


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def import_batch_claim(batch_id: int, organization_id: int) -> bool:
    """Step (a): mark the batch running in a short committed transaction; False when there is nothing to do."""
    with transaction.atomic():
        batch = (ImportBatch.objects.select_for_update(skip_locked=True)
                 .filter(pk=batch_id, organization_id=organization_id).first())
        if batch is None or batch.status not in (ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING):
            return False  # another worker is loading it (locked), it is finished, or it does not exist
        now = timezone.now()
        if batch.attempts >= MAX_ATTEMPTS:
            batch.status = ImportBatch.Status.FAILED
            batch.finished_at = now
            batch.message = (f"Gave up after {batch.attempts} attempts: the import stopped each time before it "
                             "finished (the worker was lost or timed out). Nothing was imported.")
            batch.save(update_fields=["status", "finished_at", "message", "updated_at"])
            return False
        batch.status = ImportBatch.Status.RUNNING
        batch.attempts += 1
        batch.started_at = now
        batch.heartbeat_at = now
        batch.claimed_by = _worker_name()
        batch.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "claimed_by", "updated_at"])
    cache.set(PROGRESS_KEY.format(id=batch_id), {"done": 0, "total": None}, PROGRESS_TTL)
    return True


def import_batch_run(batch_id: int, organization_id: int) -> ImportBatch | None:
    """Run one batch (claim, load in one transaction, record the outcome); see the module docstring.

    Returns the batch as it ended, or None when another worker holds it. Raises only transient database errors
    (the task retries those); everything else ends as a failed batch with a message.
    """
    if not import_batch_claim(batch_id, organization_id):
        return ImportBatch.objects.filter(pk=batch_id, organization_id=organization_id).first()
    working = False
    try:
        with transaction.atomic():
            batch = (ImportBatch.objects.select_for_update(skip_locked=True).select_related("brand")
                     .filter(pk=batch_id, organization_id=organization_id).first())
            if batch is None:
                return None  # another task of the same batch holds it: it does the work
            if batch.status in (ImportBatch.Status.SUCCEEDED, ImportBatch.Status.FAILED):
                return batch
            working = True
            Brand.objects.select_for_update().filter(pk=batch.brand_id).first()  # one import per brand at a time
            result = _load(batch)
            _record_success(batch, result)
            if result.changed:
                transaction.on_commit(partial(dashboards_warm_enqueue, organization_id, [batch.brand_id]))
        return batch
    except LoadRejected as exc:
        return _record_failure(batch_id, organization_id, exc.message, exc.result)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        from metrics.ingestion.errors import IngestError

        if isinstance(exc, IngestError):
            error = {"row": exc.row, "column": exc.column, "value": _plain(exc.value), "message": str(exc.message),
                     "level": "error"}
            message = str(exc)
            if exc.code == "unknown_format":
                message += (" If this is a real export, map its columns once (the upload page's mapping form, API "
                            "…/imports/preview/ and …/mapping-templates/): files with the same headers then import "
                            "with that mapping.")
            return _record_failure(batch_id, organization_id, message, None, [error])
        logger.exception("import batch %s failed", batch_id)
        name = type(exc).__name__
        message = ("The import took too long and was stopped; nothing was imported." if name == "SoftTimeLimitExceeded"
                   else f"The import failed on an unexpected error ({name}); nothing was imported. "
                        "The team has been notified.")
        return _record_failure(batch_id, organization_id, message, None)
    finally:
        if working:
            cache.delete(PROGRESS_KEY.format(id=batch_id))


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


@contextlib.contextmanager
def _local_path(batch: ImportBatch) -> Iterator[Path]:
    """A local file with the batch's bytes (the storage's own path, or a temporary copy for remote storage)."""
    try:
        yield Path(batch.file.path)
        return
    except NotImplementedError:
        pass
    suffix = Path(batch.original_name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with batch.file.open("rb") as source:
            shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


def _template_format(template: MappingTemplate):
    from metrics.ingestion.formats import ReportFormat

    return ReportFormat.from_mapping(template.platform, template.level, template.basis, template.mapping,
                                     template.name)


def _load(batch: ImportBatch) -> LoadResult:
    """Parse the batch's file and load it (inside the caller's transaction)."""
    from metrics.ingestion.errors import UnknownFormatError
    from metrics.ingestion.parse import parse_file
    from metrics.ingestion.readers import Limits

    limits = Limits(max_bytes=settings.KPIBOARD_IMPORT_MAX_BYTES, max_rows=settings.KPIBOARD_IMPORT_MAX_ROWS)
    chunk_rows = int(os.environ.get("KPIBOARD_IMPORT_CHUNK_ROWS") or getattr(settings, "KPIBOARD_IMPORT_CHUNK_ROWS",
                                                                              DEFAULT_CHUNK_ROWS))
    platform = batch.platform if batch.platform_forced else None
    with _local_path(batch) as path:
        template = batch.mapping_template
        options = {"filename": batch.original_name, "chunk_rows": chunk_rows, "limits": limits}
        try:
            mapping = _template_format(template) if template is not None else None
            parsed = parse_file(path, platform=platform, mapping=mapping, **options)
        except UnknownFormatError as exc:
            if template is not None:
                raise  # the chosen template does not fit this file
            headers, _table, _rows = unknown_file_headers(path, exc, limits)
            template = mapping_template_for_headers(batch.organization_id, headers, platform)
            if template is None:
                raise
            parsed = parse_file(path, platform=platform, mapping=_template_format(template), **options)
            batch.mapping_template = template
        from_name = parsed.collected_at
        collected_at = from_name or batch.as_of or batch.created_at
        note = ""
        if from_name and batch.as_of and abs((from_name - batch.as_of).total_seconds()) >= 60:
            stamp, given = timezone.localtime(from_name), timezone.localtime(batch.as_of)
            note = (f" The collection time was taken from the file name ({stamp:%Y-%m-%d %H:%M}); the 'data as of' "
                    f"given ({given:%Y-%m-%d %H:%M}) was not used.")
        batch.as_of = collected_at
        progress_key = PROGRESS_KEY.format(id=batch.pk)

        def on_progress(done: int, total: int | None) -> None:
            cache.set(progress_key, {"done": done, "total": total}, PROGRESS_TTL)

        target = LoadTarget(organization_id=batch.organization_id, brand=batch.brand, collected_at=collected_at,
                            mode=batch.mode, batch_id=batch.pk, on_progress=on_progress,
                            rows_hint=_rows_hint(path, parsed))
        result = load_parsed(parsed, target)
        result.note = note
        return result


def _rows_hint(path: Path, parsed) -> int | None:
    """A CSV's data rows are not counted before reading (quoted cells may hold line breaks): its physical lines
    below the header bound them from above, close enough for a progress bar."""
    if str(parsed.file_type) != "csv" or len(parsed.sections) != 1:
        return None
    lines = 0
    with open(path, "rb") as fh:
        while block := fh.read(4 * 1024 * 1024):
            lines += block.count(b"\n")
    return max(lines - parsed.sections[0].header_row, 0) or None


def dashboards_warm_enqueue(organization_id: int, brand_ids: list[int]) -> bool:
    """After an import commits: have a worker render the default dashboard pages of its brands, so that the first
    visit reads the KPI engine's answers from the cache (``metrics.views.warm``). Only where a worker runs the
    tasks: without a broker (tasks run inline, the embedded mode) the import does not wait for it, and a page
    computes its answers on its first visit. Returns whether it was enqueued."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.KPIBOARD_WARM_AFTER_IMPORT:
        return False
    from metrics.tasks import dashboards_warm_task

    versions = dict(Brand.objects.filter(organization_id=organization_id, pk__in=brand_ids)
                    .values_list("pk", "data_version"))
    try:
        dashboards_warm_task.delay(organization_id, {str(k): v for k, v in versions.items()})
    except Exception:  # noqa: BLE001 - the import is committed; a missed warm-up only makes one visit slower
        logger.warning("could not enqueue the dashboards' warm-up for organization %s", organization_id,
                       exc_info=True)
        return False
    return True


def _record_success(batch: ImportBatch, result: LoadResult) -> None:
    log = result.errors
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.platform = result.platform or batch.platform
    batch.report_kind = result.report_kind[:60]
    batch.file_type = result.file_type[:10]
    batch.encoding = result.encoding[:20]
    _copy_counts(batch, result)
    batch.finished_at = timezone.now()
    parts = [f"Imported {result.rows_ok:,} of {result.rows:,} rows: {result.posts_created:,} posts created, "
             f"{result.posts_updated:,} updated, {result.snapshots:,} snapshots, {result.facts:,} daily figures."]
    if log.errors:
        parts.append(f"{len(log.error_rows) or log.errors:,} row(s) could not be read and were left out "
                     f"({log.errors:,} error(s); see the list).")
    if log.warnings:
        parts.append(f"{log.warnings:,} warning(s).")
    if len(log.items) < log.total:
        parts.append(f"The first {len(log.items):,} problems are kept.")
    batch.message = " ".join(parts) + result.note
    batch.save()


def _copy_counts(batch: ImportBatch, result: LoadResult) -> None:
    log = result.errors
    batch.rows_total = result.rows
    batch.rows_done = result.rows
    batch.rows_ok = result.rows_ok
    batch.rows_error = len(log.error_rows) or log.errors
    batch.rows_skipped = result.rows_skipped
    batch.posts_created = result.posts_created
    batch.posts_updated = result.posts_updated
    batch.snapshots = result.snapshots
    batch.facts = result.facts
    batch.errors = log.items


def _record_failure(batch_id: int, organization_id: int, message: str, result: LoadResult | None,
                    errors: list[dict] | None = None) -> ImportBatch | None:
    """Step (c): after the rollback, record the failure in its own short transaction (no data row was kept)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id, organization_id=organization_id).first()
        if batch is None:
            return None
        batch.status = ImportBatch.Status.FAILED
        batch.message = message
        batch.finished_at = timezone.now()
        if result is not None:
            _copy_counts(batch, result)
            batch.platform = result.platform or batch.platform
            batch.report_kind = result.report_kind[:60]
            batch.file_type = result.file_type[:10]
            batch.encoding = result.encoding[:20]
            batch.rows_ok = 0
        else:
            batch.errors = errors or []
            batch.rows_error = len(batch.errors)
        # nothing was written: the counts of written rows say so
        batch.posts_created = batch.posts_updated = batch.snapshots = batch.facts = 0
        batch.save()
    return batch


def import_batch_fail(batch_id: int, organization_id: int, message: str) -> None:
    """Mark a batch failed from outside the run (the task gave up retrying); finished batches are left alone."""
    with transaction.atomic():
        ImportBatch.objects.filter(
            pk=batch_id, organization_id=organization_id,
            status__in=(ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING),
        ).update(status=ImportBatch.Status.FAILED, message=message, finished_at=timezone.now(),
                 updated_at=timezone.now())


def import_batches_requeue_stuck() -> list[int]:
    """Re-enqueue batches nobody is working on: running for longer than ``KPIBOARD_IMPORT_STUCK_MINUTES`` with an
    unlocked row (the worker died: a live load holds its row lock, ``skip_locked`` passes over it), and pending ones
    that old (the message was lost). A batch re-queued is not re-queued again for another such period."""
    from metrics.tasks import import_batch_run_task

    now = timezone.now()
    cutoff = now - timedelta(minutes=settings.KPIBOARD_IMPORT_STUCK_MINUTES)
    quiet = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff)
    stuck = (Q(status=ImportBatch.Status.RUNNING) & (Q(started_at__lt=cutoff) | Q(started_at__isnull=True)) & quiet) | (
        Q(status=ImportBatch.Status.PENDING, created_at__lt=cutoff) & quiet)
    with transaction.atomic():
        found = list(ImportBatch.objects.select_for_update(skip_locked=True).filter(stuck)
                     .values_list("pk", "organization_id"))
        ImportBatch.objects.filter(pk__in=[pk for pk, _ in found]).update(heartbeat_at=now)
        for pk, organization_id in found:
            logger.warning("re-queueing stuck import batch %s", pk)
            transaction.on_commit(partial(import_batch_run_task.delay, pk, organization_id))
    return [pk for pk, _ in found]


# ------------------------------------------------------------------------------------------- read helpers


def import_batch_progress(batch: ImportBatch) -> dict[str, Any]:
    """``{done, total, fraction}``: from the cache while the batch runs (its own row is not committed yet)."""
    done, total = batch.rows_done, batch.rows_total
    if batch.status == ImportBatch.Status.RUNNING:
        live = cache.get(PROGRESS_KEY.format(id=batch.pk)) or {}
        done, total = live.get("done", 0), live.get("total")
    elif batch.status == ImportBatch.Status.PENDING:
        done, total = 0, None
    if batch.status == ImportBatch.Status.SUCCEEDED:
        fraction = 1.0
    elif total:
        fraction = round(min(1.0, done / total), 4)
    else:
        fraction = None if batch.status != ImportBatch.Status.FAILED else 0.0
    return {"done": done, "total": total, "fraction": fraction}


# ------------------------------------------------------------------------------------- mapping templates


def headers_signature(headers) -> str:
    """sha256 of the normalised, sorted, non-empty headers: the same layout gives the same signature whatever the
    column order, full-width brackets or stray spaces."""
    from metrics.ingestion.formats import norm_header

    names = sorted({norm_header(h) for h in headers if norm_header(h)})
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


def mapping_template_for_headers(organization_id: int, headers, platform: str | None = None) -> MappingTemplate | None:
    """The organization's saved template whose signature matches ``headers`` (and platform, when forced)."""
    if not headers:
        return None
    found = MappingTemplate.objects.filter(organization_id=organization_id, signature=headers_signature(headers))
    if platform:
        found = found.filter(platform=platform)
    return found.first()


# ------------------------------------------------------------------------------------------------- preview


def _format_summary(fmt) -> dict[str, Any]:
    return {"format": fmt.key, "platform": fmt.platform, "report": fmt.kind, "label": fmt.label_en,
            "label_zh": fmt.label_zh, "level": fmt.level, "basis": fmt.basis}


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


class _TableInfo:
    def __init__(self, name: str, file_type: str, encoding: str | None) -> None:
        self.name, self.file_type, self.encoding = name, file_type, encoding


def unknown_file_headers(path, exc, limits, sample_rows: int = 10) -> tuple[list[str], _TableInfo | None, list]:
    """The header row of a file no known format matched (the closest match's, else the first row with two or more
    filled cells), the table it is in, and the ``sample_rows`` rows below it as text."""
    from metrics.ingestion.readers import open_file

    raw = open_file(path, limits)
    headers = list(getattr(exc, "headers", None) or [])
    for candidate in raw.tables:
        texts = [[_cell_text(v).strip() for v in row] for row in candidate.head]
        if headers:
            start = next((i for i, row in enumerate(texts) if set(headers) <= set(row)), None)
        else:
            start = next((i for i, row in enumerate(texts) if sum(1 for v in row if v) >= 2), None)
        if start is None:
            continue
        if not headers:
            headers = [v for v in texts[start] if v]
        rows = [[_cell_text(v) for v in row] for row in candidate.head[start + 1:start + 1 + sample_rows]]
        return headers, _TableInfo(candidate.name, str(raw.file_type), raw.encoding), rows
    first = raw.tables[0].name if raw.tables else ""
    return headers, _TableInfo(first, str(raw.file_type), raw.encoding), []


def import_file_preview(organization_id: int, uploaded_file: File, *, platform: str | None = None,
                        sample_rows: int = 10) -> dict[str, Any]:
    """What an upload would become, without storing anything (the mapping form's data).

    A known layout: ``status: "known"`` and its sections (format, header row, columns, ignored columns). An unknown
    one: ``status: "unknown"`` with its headers, the first ``sample_rows`` rows, a guessed mapping, the closest
    known format and the columns it misses, and the organization's saved template for these headers if any.
    """
    from metrics.ingestion.detect import guess_mapping
    from metrics.ingestion.errors import IngestError, UnknownFormatError
    from metrics.ingestion.parse import parse_file
    from metrics.ingestion.readers import Limits

    size = getattr(uploaded_file, "size", None) or 0
    if size > settings.KPIBOARD_IMPORT_MAX_BYTES:
        raise ValidationError({"file": f"The file is {_size_text(size)}; the largest file kpiboard accepts is "
                                       f"{_size_text(settings.KPIBOARD_IMPORT_MAX_BYTES)}."})
    limits = Limits(max_bytes=settings.KPIBOARD_IMPORT_MAX_BYTES, max_rows=settings.KPIBOARD_IMPORT_MAX_ROWS)
    name = Path(uploaded_file.name or "upload").name
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as tmp:
        for chunk in uploaded_file.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            parsed = parse_file(tmp.name, filename=name, platform=platform, limits=limits)
        except UnknownFormatError as exc:
            headers, table, rows = unknown_file_headers(tmp.name, exc, limits, sample_rows)
            template = mapping_template_for_headers(organization_id, headers, platform)
            return {
                "status": "unknown",
                "message": str(exc),
                "file_type": str(table.file_type) if table is not None else None,
                "encoding": table.encoding if table is not None else None,
                "sheet": table.name if table is not None else None,
                "headers": headers,
                "rows": rows,
                "guessed_mapping": guess_mapping(headers),
                "closest": _format_summary(exc.closest) if exc.closest is not None else None,
                "missing": list(exc.missing),
                "signature": headers_signature(headers) if headers else None,
                "template": {"id": template.pk, "name": template.name} if template is not None else None,
            }
        except IngestError as exc:
            raise ValidationError({"file": str(exc)}) from exc
        sections = []
        for section in parsed.sections:
            sections.append({**_format_summary(section.format), "table": section.table_name,
                             "header_row": section.header_row, "total_rows": section.total_rows,
                             "columns": section.columns, "ignored_columns": section.ignored_columns})
        return {
            "status": "known",
            "file_type": str(parsed.file_type),
            "encoding": parsed.encoding,
            "collected_at": parsed.collected_at.isoformat() if parsed.collected_at else None,
            "sections": sections,
        }
