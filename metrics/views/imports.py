"""The Imports pages: upload exports (drag and drop, or a plain multipart form without JavaScript), follow each
file's progress, read the history of batches, download a batch's errors, and map the columns of a layout kpiboard
does not know (saved as a template that later uploads with the same headers use automatically).

Views stay thin: ``metrics.services.imports`` stores, previews and runs the files; the live progress comes from the
JSON API (``/api/v1/orgs/<slug>/imports/<id>/``), which ``static/js/imports.js`` polls every second.

A file whose headers match no known export and no saved template is not turned into a failed batch: it is kept
aside (``imports/pending/<org>/<token>/`` in the default storage, named in the session) until its columns are
mapped, then imported with the new template.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Brand
from accounts.views import OrgPageMixin
from metrics.context_processors import nav_items
from metrics.forms_imports import ColumnMappingForm, ImportHistoryFilterForm, ImportUploadForm
from metrics.ingestion.platforms import FORMATS_BY_KEY
from metrics.models import ImportBatch, MappingTemplate
from metrics.services.imports import (
    API_ERRORS_SHOWN,
    import_batch_create,
    import_batch_progress,
    import_file_preview,
)

HISTORY_PAGE_SIZE = 25
PENDING_SESSION_KEY = "imports_pending"  # token -> a file waiting for its column mapping
PENDING_DIR = "imports/pending/{org}/{token}/"
PENDING_MAX_AGE = timedelta(days=1)
FINISHED = (ImportBatch.Status.SUCCEEDED, ImportBatch.Status.FAILED)
POST_KEYS = {"title", "platform_post_id", "url", "published_at", "material_id", "ad_group"}


def visible_brands(membership):
    return Brand.objects.for_membership(membership).order_by("is_competitor", "name")


def report_label(batch: ImportBatch) -> str:
    """The report's name in the active language (``小红书笔记列表明细表``); a mapped layout shows its template."""
    if not batch.report_kind:
        return ""
    if batch.report_kind.startswith("custom"):
        template = batch.mapping_template
        return template.name if template is not None else _("Column mapping")
    fmt = FORMATS_BY_KEY.get(f"{batch.platform}.{batch.report_kind}")
    return fmt.label(get_language()) if fmt is not None else batch.report_kind


def batch_api_url(membership, pk: int) -> str:
    return reverse("import-batch-detail", kwargs={"org_slug": membership.organization.slug, "pk": pk})


def batch_view(membership, batch: ImportBatch) -> dict:
    """What the history row and the detail page show of a batch, with its live progress."""
    progress = import_batch_progress(batch)
    fraction = progress["fraction"]
    return {
        "batch": batch,
        "progress": progress,
        "percent": None if fraction is None else round(fraction * 100),
        "active": batch.status not in FINISHED,
        "report": report_label(batch),
        "api_url": batch_api_url(membership, batch.pk),
        "detail_url": reverse("import-detail", kwargs={"pk": batch.pk}),
        "errors_url": reverse("import-errors-csv", kwargs={"pk": batch.pk}),
        "errors_count": len(batch.errors or []),
    }


def js_strings() -> dict[str, str]:
    """The texts imports.js shows (``%(done)s``-style placeholders), in the active language."""
    return {
        "uploading": _("Uploading… %(percent)s %%"),
        "waiting": _("Waiting for a worker…"),
        "reading": _("Reading the file…"),
        "rows": _("%(done)s / %(total)s rows"),
        "rows_done": _("%(done)s rows"),
        "succeeded": _("Succeeded"),
        "failed": _("Failed"),
        "running": _("Running"),
        "pending": _("Waiting"),
        "duplicate": _("Already imported: nothing changed."),
        "mapping": _("Columns not recognised: map them to import this file."),
        "map_link": _("Map the columns"),
        "details": _("Details"),
        "error_report": _("Error report (CSV)"),
        "refused": _("You may not upload files here."),
        "network": _("The upload was interrupted (network or server error). Try again."),
        "no_files": _("Choose or drop at least one file."),
        "selected": _("%(count)s file(s) selected"),
    }


class ImportsPage(OrgPageMixin, TemplateView):
    """What the Imports pages share: the menu, the title, whether the member may upload."""

    page_title = gettext_lazy("Imports")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page_title=self.page_title, can_upload=self.membership.can("upload_data"), imports_url=reverse("imports")
        )
        context.setdefault("nav_items", nav_items(self.request))
        return context


# ------------------------------------------------------------------------------------------ pending uploads


def _pending(request) -> dict[str, dict]:
    return dict(request.session.get(PENDING_SESSION_KEY) or {})


def _drop_pending(request, token: str) -> None:
    entries = _pending(request)
    entry = entries.pop(token, None)
    if entry is not None:
        try:
            default_storage.delete(entry["path"])
        except (OSError, NotImplementedError):  # already gone: nothing to clean
            pass
    request.session[PENDING_SESSION_KEY] = entries


def _stash_upload(request, membership, uploaded, options: dict) -> str:
    """Keep an unknown file aside until its columns are mapped; returns the token naming it in the session."""
    now = timezone.now()
    for token, entry in _pending(request).items():  # forget abandoned ones (and their bytes)
        if datetime.fromisoformat(entry["at"]) < now - PENDING_MAX_AGE:
            _drop_pending(request, token)
    token = uuid.uuid4().hex
    name = Path(uploaded.name or "upload").name
    stored = default_storage.save(PENDING_DIR.format(org=membership.organization_id, token=token) + name, uploaded)
    entries = _pending(request)
    as_of = options.get("as_of")
    entries[token] = {
        "org": membership.organization_id,
        "path": stored,
        "name": name,
        "brand": options["brand"].pk,
        "platform": options.get("platform") or "",
        "as_of": as_of.isoformat() if as_of else None,
        "mode": options["mode"],
        "at": now.isoformat(),
    }
    request.session[PENDING_SESSION_KEY] = entries
    return token


def _pending_entry(request, membership, token: str) -> dict | None:
    entry = _pending(request).get(token or "")
    if entry is None or entry.get("org") != membership.organization_id:
        return None
    return entry


def _mapping_url(token: str) -> str:
    return reverse("import-mapping") + "?" + urlencode({"upload": token})


def _next_pending_url(request, membership) -> str | None:
    for token, entry in _pending(request).items():
        if entry.get("org") == membership.organization_id:
            return _mapping_url(token)
    return None


# ------------------------------------------------------------------------------------------------- the page


class ImportsView(ImportsPage):
    """``/imports/``: the upload form (members who may upload), the files being imported, the history of batches
    (newest first, by brand and status) and the saved column mappings. POST uploads: a normal form post redirects
    back here; ``imports.js`` posts one file at a time with ``Accept: application/json`` and gets JSON."""

    template_name = "metrics/imports/index.html"

    def get(self, request, *args, **kwargs):
        self.upload_form = self.build_upload_form()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.membership.can("upload_data"):
            raise PermissionDenied
        self.upload_form = self.build_upload_form(data=request.POST, files=request.FILES)
        wants_json = "application/json" in request.headers.get("Accept", "")
        if not self.upload_form.is_valid():
            if wants_json:
                return JsonResponse({"errors": _form_errors(self.upload_form)}, status=400)
            messages.error(request, _("The files were not uploaded: correct the form below."))
            return self.render_to_response(self.get_context_data(), status=400)
        results = [
            self.upload_one(uploaded, self.upload_form.cleaned_data)
            for uploaded in self.upload_form.cleaned_data["files"]
        ]
        if wants_json:
            return JsonResponse({"results": results})
        for result in results:
            level = {"error": messages.ERROR, "mapping": messages.WARNING}.get(result["outcome"], messages.SUCCESS)
            messages.add_message(request, level, result["message"])
        return redirect(_next_pending_url(request, self.membership) or reverse("imports"))

    def build_upload_form(self, **kwargs):
        return ImportUploadForm(brands=visible_brands(self.membership), **kwargs)

    def upload_one(self, uploaded, options: dict) -> dict:
        """Preview the file: a known layout (or one a saved template maps) becomes a batch at once; an unknown one
        waits for its mapping. Returns what happened, for the messages and for imports.js."""
        name = Path(uploaded.name or "upload").name
        platform = options.get("platform") or None
        try:
            preview = import_file_preview(self.organization.pk, uploaded, platform=platform)
        except ValidationError:
            preview = None  # unreadable or too big: the upload below says why, or the batch records it
        if preview is not None and preview["status"] == "unknown" and not preview.get("template"):
            token = _stash_upload(self.request, self.membership, uploaded, options)
            return {
                "file": name,
                "outcome": "mapping",
                "mapping_url": _mapping_url(token),
                "message": _(
                    "%(file)s: the columns match no known export (%(reason)s) Map them once to import the file."
                )
                % {"file": name, "reason": preview.get("message", "")},
            }
        try:
            batch = import_batch_create(
                self.membership,
                options["brand"],
                uploaded,
                platform=platform,
                as_of=options.get("as_of"),
                mode=options["mode"],
            )
        except ValidationError as exc:
            return {
                "file": name,
                "outcome": "error",
                "message": _("%(file)s was not uploaded: %(error)s") % {"file": name, "error": " ".join(exc.messages)},
            }
        return _batch_result(self.membership, batch, name)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        brands = visible_brands(self.membership)
        filters = ImportHistoryFilterForm(self.request.GET or None, brands=brands)
        batches = filters.filter(
            ImportBatch.objects.for_membership(self.membership)
            .select_related("brand", "uploaded_by", "mapping_template")
            .order_by("-created_at", "-id")
        )
        page = Paginator(batches, HISTORY_PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = {k: v for k, v in self.request.GET.items() if k != "page" and v}
        rows = [batch_view(self.membership, b) for b in page.object_list]
        context.update(
            upload_form=self.upload_form if context["can_upload"] else None,
            filters=filters,
            page_obj=page,
            rows=rows,
            has_active=any(row["active"] for row in rows),  # without JavaScript the page refreshes itself
            page_query=urlencode(query),
            mapping_templates=(
                MappingTemplate.objects.for_membership(self.membership)
                .select_related("created_by")
                .order_by("name", "id")
                if context["can_upload"]
                else None
            ),
            pending=[
                {"token": token, **entry}
                for token, entry in _pending(self.request).items()
                if entry.get("org") == self.membership.organization_id
            ],
            js_strings=js_strings(),
            has_brands=brands.exists(),
        )
        return context


def _form_errors(form) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


def _batch_result(membership, batch: ImportBatch, name: str) -> dict:
    batch.refresh_from_db()  # in the embedded (eager) mode the import has already run
    if batch.duplicate_of_id:
        outcome = "duplicate"
        message = _("%(file)s was already imported into %(brand)s as import #%(original)s: nothing changed.") % {
            "file": name,
            "brand": batch.brand.name,
            "original": batch.duplicate_of_id,
        }
    elif batch.status == ImportBatch.Status.FAILED:
        outcome = "failed"
        message = _("%(file)s: import #%(id)s failed. %(message)s") % {
            "file": name,
            "id": batch.pk,
            "message": batch.message,
        }
    elif batch.status == ImportBatch.Status.SUCCEEDED:
        outcome = "succeeded"
        message = _("%(file)s: import #%(id)s succeeded. %(message)s") % {
            "file": name,
            "id": batch.pk,
            "message": batch.message,
        }
    else:
        outcome = "started"
        message = _("%(file)s: import #%(id)s started; its progress is shown below.") % {"file": name, "id": batch.pk}
    return {
        "file": name,
        "outcome": outcome,
        "message": message,
        "batch": {
            "id": batch.pk,
            "status": batch.status,
            "progress": import_batch_progress(batch),
            "api_url": batch_api_url(membership, batch.pk),
            "detail_url": reverse("import-detail", kwargs={"pk": batch.pk}),
            "errors_url": reverse("import-errors-csv", kwargs={"pk": batch.pk}),
        },
    }


# ------------------------------------------------------------------------------------------- one batch


class ImportBatchDetailView(ImportsPage):
    """``/imports/<pk>/``: a batch's file, counts, message and its first errors (row, column, value, message)."""

    template_name = "metrics/imports/detail.html"
    scoped_model = ImportBatch

    def get(self, request, *args, **kwargs):
        self.batch = self.get_scoped(pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.batch
        errors = list(batch.errors or [])
        context.update(
            page_title=_("Import #%(id)s") % {"id": batch.pk},
            row=batch_view(self.membership, batch),
            batch=batch,
            errors=errors[:API_ERRORS_SHOWN],
            errors_total=len(errors),
            counts=[
                ("rows", _("Rows read"), batch.rows_total),
                ("rows_ok", _("Rows imported"), batch.rows_ok),
                ("rows_error", _("Rows with errors"), batch.rows_error),
                ("rows_skipped", _("Rows skipped"), batch.rows_skipped),
                ("posts_created", _("Posts created"), batch.posts_created),
                ("posts_updated", _("Posts updated"), batch.posts_updated),
                ("snapshots", _("Snapshots"), batch.snapshots),
                ("facts", _("Daily figures"), batch.facts),
            ],
            js_strings=js_strings(),
        )
        return context


class ImportErrorsCsvView(OrgPageMixin, View):
    """``/imports/<pk>/errors.csv``: every kept error of the batch (UTF-8 with BOM, so that Excel shows Chinese)."""

    scoped_model = ImportBatch

    def get(self, request, *args, **kwargs):
        batch = self.get_scoped(pk=kwargs["pk"])
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["row", "column", "value", "message", "level"])
        for error in batch.errors or []:
            writer.writerow(
                [
                    "" if error.get("row") is None else error["row"],
                    error.get("column") or "",
                    "" if error.get("value") is None else error["value"],
                    error.get("message", ""),
                    error.get("level", "error"),
                ]
            )
        response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
        return response


# ---------------------------------------------------------------------------------------------- mapping


class ColumnMappingView(ImportsPage):
    """``/imports/mapping/?upload=<token>``: the mapping form of a file whose headers match no known export.

    Shows the file's first rows and, for each header, a select pre-filled with the ingestion layer's guess.
    Submitting saves the ``MappingTemplate`` and imports the file with it."""

    template_name = "metrics/imports/mapping.html"
    capability = "upload_data"

    def load(self, request) -> HttpResponseRedirect | None:
        self.token = request.GET.get("upload") or request.POST.get("upload") or ""
        self.entry = _pending_entry(request, self.membership, self.token)
        if self.entry is None:
            messages.warning(request, _("This file is no longer waiting for a column mapping: upload it again."))
            return redirect("imports")
        self.brand = Brand.objects.for_membership(self.membership).filter(pk=self.entry["brand"]).first()
        if self.brand is None or not default_storage.exists(self.entry["path"]):
            _drop_pending(request, self.token)
            messages.warning(
                request,
                _("%(file)s can no longer be imported (its brand or its copy is gone): upload it again.")
                % {"file": self.entry["name"]},
            )
            return redirect("imports")
        with default_storage.open(self.entry["path"], "rb") as fh:
            try:
                self.preview = import_file_preview(
                    self.organization.pk, File(fh, name=self.entry["name"]), platform=self.entry["platform"] or None
                )
            except ValidationError as exc:
                _drop_pending(request, self.token)
                messages.error(
                    request,
                    _("%(file)s cannot be read: %(error)s")
                    % {"file": self.entry["name"], "error": " ".join(exc.messages)},
                )
                return redirect("imports")
        if self.preview["status"] != "unknown" or self.preview.get("template"):
            # Known by now (a template was saved meanwhile): import it as it is.
            result = self.import_file(None)
            messages.success(request, result["message"])
            return redirect(_next_pending_url(request, self.membership) or reverse("imports"))
        return None

    def get(self, request, *args, **kwargs):
        refused = self.load(request)
        if refused is not None:
            return refused
        self.form = self.build_form()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        refused = self.load(request)
        if refused is not None:
            return refused
        if "discard" in request.POST:
            _drop_pending(request, self.token)
            messages.info(request, _("%(file)s was not imported.") % {"file": self.entry["name"]})
            return redirect(_next_pending_url(request, self.membership) or reverse("imports"))
        self.form = self.build_form(data=request.POST)
        if not self.form.is_valid():
            return self.render_to_response(self.get_context_data(), status=400)
        template = self.form.save(created_by=request.user)
        result = self.import_file(template)
        if not self.form.cleaned_data.get("save_template"):
            batch = ImportBatch.objects.get(pk=result["batch"]["id"])
            if batch.status in FINISHED:
                template.delete()  # a one-off mapping: the batch has used it
            else:
                messages.info(
                    request,
                    _(
                        "The mapping “%(name)s” stays saved while the import runs; delete it from "
                        "the templates below once it has finished if you do not want it used "
                        "again."
                    )
                    % {"name": template.name},
                )
        level = messages.ERROR if result["outcome"] in ("error", "failed") else messages.SUCCESS
        messages.add_message(request, level, result["message"])
        return redirect(_next_pending_url(request, self.membership) or reverse("imports"))

    def import_file(self, template: MappingTemplate | None) -> dict:
        entry = self.entry
        as_of = datetime.fromisoformat(entry["as_of"]) if entry.get("as_of") else None
        platform = template.platform if template is not None else (entry["platform"] or None)
        try:
            with default_storage.open(entry["path"], "rb") as fh:
                batch = import_batch_create(
                    self.membership,
                    self.brand,
                    File(fh, name=entry["name"]),
                    platform=platform,
                    as_of=as_of,
                    mode=entry["mode"],
                    mapping_template=template,
                )
        except ValidationError as exc:
            return {
                "file": entry["name"],
                "outcome": "error",
                "message": _("%(file)s was not uploaded: %(error)s")
                % {"file": entry["name"], "error": " ".join(exc.messages)},
            }
        finally:
            _drop_pending(self.request, self.token)
        return _batch_result(self.membership, batch, entry["name"])

    def build_form(self, data=None) -> ColumnMappingForm:
        preview = self.preview
        closest = preview.get("closest") or {}
        guessed = preview.get("guessed_mapping") or {}
        targets = set(guessed.values())
        # The guesses say more about this file than the closest known export (often a weak match): a column naming
        # the post makes it a post list, a date without one an account's days; most hand-made files are post lists.
        level = "post" if targets & POST_KEYS or "date" not in targets else "account"
        basis = "daily" if "date" in targets else "cumulative"
        defaults = {
            "name": Path(self.entry["name"]).stem[:200],
            "platform": self.entry["platform"] or closest.get("platform") or "",
            "level": level,
            "basis": basis,
        }
        return ColumnMappingForm(
            data, headers=preview["headers"], organization=self.organization, guessed=guessed, defaults=defaults
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preview = self.preview
        headers = preview["headers"]
        samples = {
            i: [row[i] for row in preview.get("rows", [])[:3] if i < len(row) and row[i]] for i in range(len(headers))
        }
        closest = preview.get("closest")
        context.update(
            page_title=_("Map the columns"),
            form=self.form,
            columns=[(header, bound, samples.get(i, [])) for i, (header, bound) in enumerate(self.form.columns())],
            preview=preview,
            rows=[row[: len(headers)] for row in preview.get("rows", [])],
            closest_label=(closest.get("label_zh") if get_language().startswith("zh") else closest.get("label"))
            if closest
            else None,
            entry=self.entry,
            token=self.token,
            brand=self.brand,
            as_of=datetime.fromisoformat(self.entry["as_of"]) if self.entry.get("as_of") else None,
            mode_label=dict(ImportBatch.Mode.choices).get(self.entry["mode"], self.entry["mode"]),
            others=max(
                0,
                len([e for e in _pending(self.request).values() if e.get("org") == self.membership.organization_id])
                - 1,
            ),
        )
        return context


class MappingTemplateDeleteView(ImportsPage):
    """``/imports/templates/<pk>/delete/``: GET asks, POST deletes (marketers and up). Batches that used the template
    keep their data; later uploads with these headers need a new mapping."""

    template_name = "metrics/imports/template_delete.html"
    capability = "upload_data"
    scoped_model = MappingTemplate

    def get(self, request, *args, **kwargs):
        self.template = self.get_scoped(pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        template = self.get_scoped(pk=kwargs["pk"])
        name = template.name
        template.delete()
        messages.success(request, _("The mapping template “%(name)s” was deleted.") % {"name": name})
        return redirect("imports")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page_title=_("Delete a mapping template"),
            mapping_template=self.template,
            batches=self.template.batches.count(),
        )
        return context
