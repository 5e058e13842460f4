"""``manage.py ingest PATH --org SLUG --brand SLUG``: import one export file synchronously, as an upload would.

The same service as the API (``import_batch_create`` + ``import_batch_run``), run in this process whatever the
Celery configuration. The last line printed is exactly one JSON object (a stable interface, DESIGN.md):
``{"batch", "status", "platform", "report", "rows", "posts_created", "posts_updated", "snapshots", "errors"}``;
the exit status is 0 when the batch succeeded and 1 when it was rejected.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from accounts.models import Brand, Organization
from metrics.catalog import ALL_PLATFORMS
from metrics.models import ImportBatch
from metrics.services.imports import beijing_aware, import_batch_create, import_batch_run, queries_unlogged


def _as_of(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = parse_datetime(text) or (datetime.fromisoformat(f"{text}T00:00:00") if len(text) == 10 else None)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--as-of: not a date and time: {text!r} (use e.g. 2026-06-30T22:00 or 2026-06-30)")
    return beijing_aware(moment)


def batch_summary(batch: ImportBatch | None, *, message: str | None = None) -> dict:
    """The JSON line: a batch's outcome, or a rejection before any batch existed (``batch`` null)."""
    if batch is None:
        return {"batch": None, "status": "failed", "platform": None, "report": None, "rows": 0, "posts_created": 0,
                "posts_updated": 0, "snapshots": 0, "errors": [{"row": None, "column": None, "message": message}]}
    return {
        "batch": batch.pk,
        "status": batch.status,
        "platform": batch.platform or None,
        "report": batch.report_kind or None,
        "rows": batch.rows_total or 0,
        "posts_created": batch.posts_created,
        "posts_updated": batch.posts_updated,
        "snapshots": batch.snapshots,
        "errors": [{"row": e.get("row"), "column": e.get("column"), "message": e.get("message")}
                   for e in batch.errors or []],
    }


class Command(BaseCommand):
    help = "Import one platform export file into a brand (synchronously); prints the outcome as JSON."
    # Scripts call this once per file: Django's system checks (URLs, models, templates) would add a second each.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the export file (CSV, XLS, XLSX, HTML-as-XLS)")
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--brand", required=True, help="brand slug within the organization")
        parser.add_argument("--platform", choices=ALL_PLATFORMS, help="force the platform (default: detected)")
        parser.add_argument("--as-of", dest="as_of",
                            help="collection time, Beijing time unless an offset is given (default: from the file "
                                 "name where the platform puts it there, else now)")
        parser.add_argument("--mode", choices=ImportBatch.Mode.values, default=ImportBatch.Mode.VALID_ROWS)

    def handle(self, *args, path, org, brand, platform=None, as_of=None, mode=ImportBatch.Mode.VALID_ROWS,
               **options):
        file_path = Path(path)
        batch, problem = None, None
        organization = Organization.objects.filter(slug=org).first()
        target = Brand.objects.filter(organization=organization, slug=brand).first() if organization else None
        if organization is None:
            problem = f"No organization with the slug {org!r}."
        elif target is None:
            problem = f"No brand {brand!r} in the organization {org!r}."
        elif not file_path.is_file():
            problem = f"No such file: {path}"
        else:
            try:
                with file_path.open("rb") as fh:
                    batch = import_batch_create(None, target, File(fh, name=file_path.name), platform=platform,
                                                as_of=_as_of(as_of), mode=mode, enqueue=False)
            except ValidationError as exc:
                problem = " ".join(exc.messages)
        if batch is not None and batch.status == ImportBatch.Status.PENDING:
            with queries_unlogged():
                batch = import_batch_run(batch.pk, batch.organization_id) or batch
            batch.refresh_from_db()
        summary = batch_summary(batch, message=problem)
        if batch is not None and batch.message:
            self.stderr.write(batch.message)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if summary["status"] != ImportBatch.Status.SUCCEEDED:
            sys.exit(1)
