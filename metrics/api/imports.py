"""Tenant API of imports: upload an export (202 + the batch), follow it, download its errors, preview a file,
and keep the column mappings of layouts kpiboard does not know.

Routes (under /api/v1/orgs/<slug>/):

- ``imports/`` GET list (``?brand=&status=``), POST multipart upload → 202 with the batch;
- ``imports/<id>/`` GET: status, progress {done, total, fraction}, counts, the first 100 errors, duplicate_of…;
- ``imports/<id>/errors.csv``: every kept error as CSV (UTF-8 with BOM, so that Excel shows Chinese);
- ``imports/preview/`` POST multipart: the detected format, or for an unknown file its headers, first rows,
  a guessed mapping and the closest known format with its missing columns (the mapping form's data);
- ``mapping-templates/``: CRUD of saved mappings (writes need ``upload_data``).

Views are thin: ``OrgScopedMixin`` resolves the organization, checks the role and scopes every queryset;
``metrics.services.imports`` does the work.
"""

from __future__ import annotations

import csv
import io

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.mixins import OrgScopedMixin, TenantModelSerializer, TenantSerializerMixin
from accounts.models import Brand
from metrics.choices import PlatformChoices
from metrics.models import ImportBatch, MappingTemplate
from metrics.services.imports import (
    API_ERRORS_SHOWN,
    beijing_aware,
    headers_signature,
    import_batch_create,
    import_batch_progress,
    import_file_preview,
)


def _drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


# ---------------------------------------------------------------------------------------------- serializers


class ImportBatchSerializer(serializers.ModelSerializer):
    """A batch as the upload page shows it: the live progress is merged in while it runs."""

    progress = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    errors_total = serializers.SerializerMethodField()
    report = serializers.CharField(source="report_kind", read_only=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id", "brand", "original_name", "size", "sha256", "status", "message", "mode", "platform",
            "platform_forced", "report", "file_type", "encoding", "as_of", "mapping_template", "duplicate_of",
            "progress", "rows_total", "rows_done", "rows_ok", "rows_error", "rows_skipped", "posts_created",
            "posts_updated", "snapshots", "facts", "errors", "errors_total", "attempts", "uploaded_by",
            "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, obj) -> dict:
        return import_batch_progress(obj)

    def get_errors(self, obj) -> list[dict]:
        return list(obj.errors or [])[:API_ERRORS_SHOWN]

    def get_errors_total(self, obj) -> int:
        return len(obj.errors or [])


class ImportBatchCreateSerializer(TenantSerializerMixin, serializers.Serializer):
    """The upload form. ``brand`` and ``mapping_template`` are looked up in the member's organization only."""

    file = serializers.FileField()
    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.all())
    platform = serializers.ChoiceField(choices=PlatformChoices.choices, required=False, allow_blank=True,
                                       help_text=_("Force the platform (default: detected from the headers)."))
    as_of = serializers.DateTimeField(required=False, allow_null=True,
                                      help_text=_("When the data was collected (Beijing time if no offset is given); "
                                                  "default: from the file name, else the upload time."))
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.choices, default=ImportBatch.Mode.VALID_ROWS)
    mapping_template = serializers.PrimaryKeyRelatedField(queryset=MappingTemplate.objects.all(), required=False,
                                                          allow_null=True)

    def create(self, validated_data):
        try:
            return import_batch_create(
                self.context["membership"], validated_data["brand"], validated_data["file"],
                platform=validated_data.get("platform") or None, as_of=beijing_aware(validated_data.get("as_of")),
                mode=validated_data["mode"], mapping_template=validated_data.get("mapping_template"),
            )
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc


class ImportPreviewSerializer(serializers.Serializer):
    file = serializers.FileField()
    platform = serializers.ChoiceField(choices=PlatformChoices.choices, required=False, allow_blank=True)


class MappingTemplateSerializer(TenantModelSerializer):
    """A saved column mapping: ``mapping`` is {header: target} (a canonical field, a catalog metric key,
    ``extra:<name>``, or empty to ignore the column); ``signature`` is computed from ``headers``."""

    class Meta:
        model = MappingTemplate
        fields = ["id", "name", "platform", "level", "basis", "headers", "mapping", "signature", "created_at",
                  "updated_at"]
        read_only_fields = ["signature", "created_at", "updated_at"]

    def validate(self, attrs):
        current = self.instance
        headers = attrs.get("headers", getattr(current, "headers", None)) or []
        mapping = attrs.get("mapping", getattr(current, "mapping", None)) or {}
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers) or not headers:
            raise serializers.ValidationError({"headers": _("A list of the file's column headers.")})
        if not isinstance(mapping, dict):
            raise serializers.ValidationError({"mapping": _("An object {header: target}.")})
        unknown = [h for h in mapping if h not in headers]
        if unknown:
            raise serializers.ValidationError({"mapping": _("Not among the headers: {headers}.").format(headers=", ".join(unknown))})
        from metrics.ingestion.formats import ReportFormat

        try:
            ReportFormat.from_mapping(attrs.get("platform", getattr(current, "platform", "")),
                                      attrs.get("level", getattr(current, "level", "post")),
                                      attrs.get("basis", getattr(current, "basis", "cumulative")), mapping,
                                      attrs.get("name", getattr(current, "name", "mapping")))
        except ValueError as exc:
            raise serializers.ValidationError({"mapping": str(exc)}) from exc
        signature = headers_signature(headers)
        clash = MappingTemplate.objects.for_org(self.context["organization"]).filter(signature=signature)
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        taken = clash.first()
        if taken is not None:
            raise serializers.ValidationError(
                {"headers": _("The template #{id} ({name}) already maps these headers: edit it instead.").format(
                    id=taken.pk, name=taken.name)})
        attrs["signature"] = signature
        return attrs


# ---------------------------------------------------------------------------------------------------- views


class ImportBatchViewSet(OrgScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         viewsets.GenericViewSet):
    """Import batches: upload a platform export, then follow it to ``succeeded`` or ``failed``."""

    queryset = ImportBatch.objects.all()
    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser]
    capabilities = {"create": "upload_data"}

    def filter_scoped_queryset(self, queryset):
        params = self.request.query_params
        if self.action == "list":
            if params.get("brand"):
                queryset = queryset.filter(brand_id=params["brand"] if params["brand"].isdigit() else -1)
            if params.get("status"):
                queryset = queryset.filter(status=params["status"])
        return queryset.order_by("-created_at", "-id")

    @extend_schema(parameters=[
        OpenApiParameter("brand", OpenApiTypes.INT, description="Only this brand's batches."),
        OpenApiParameter("status", OpenApiTypes.STR, enum=ImportBatch.Status.values),
    ])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ImportBatchCreateSerializer, responses={202: ImportBatchSerializer})
    def create(self, request, *args, **kwargs):
        """Upload an export (multipart): 202 with the batch; poll it until ``succeeded`` or ``failed``."""
        form = ImportBatchCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        batch = form.save()
        batch.refresh_from_db()  # in the embedded (eager) mode the import has already run
        return Response(ImportBatchSerializer(batch, context=self.get_serializer_context()).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="errors.csv", url_name="errors-csv")
    def errors_csv(self, request, *args, **kwargs):
        """Every kept error of the batch as CSV: row, column, value, message (UTF-8 with BOM for Excel)."""
        batch = self.get_object()
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["row", "column", "value", "message", "level"])
        for error in batch.errors or []:
            writer.writerow([error.get("row") if error.get("row") is not None else "", error.get("column") or "",
                             "" if error.get("value") is None else error.get("value"), error.get("message", ""),
                             error.get("level", "error")])
        response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
        return response


class ImportPreviewView(OrgScopedMixin, APIView):
    """What kpiboard makes of a file before it is imported (nothing is stored): the detected format, or the
    mapping form's data for an unknown layout. Reads only the member's organization's saved templates."""

    scoped_params: dict = {}  # takes no ids: the file is the input
    parser_classes = [MultiPartParser, FormParser]
    capabilities = {"POST": "upload_data"}

    @extend_schema(request=ImportPreviewSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, *args, **kwargs):
        form = ImportPreviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            preview = import_file_preview(self.organization.pk, form.validated_data["file"],
                                          platform=form.validated_data.get("platform") or None)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        return Response(preview)


class MappingTemplateViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    """Saved column mappings: an upload whose headers have a template's signature is imported with it."""

    queryset = MappingTemplate.objects.all()
    serializer_class = MappingTemplateSerializer
    capabilities = {"write": "upload_data"}

    def filter_scoped_queryset(self, queryset):
        return queryset.order_by("name", "id")

    def perform_create(self, serializer):
        serializer.save(organization=self.organization, created_by=self.request.user)


import_list = ImportBatchViewSet.as_view({"get": "list", "post": "create"})
import_detail = ImportBatchViewSet.as_view({"get": "retrieve"})
import_errors_csv = ImportBatchViewSet.as_view({"get": "errors_csv"})
template_list = MappingTemplateViewSet.as_view({"get": "list", "post": "create"})
template_detail = MappingTemplateViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update",
                                                  "delete": "destroy"})

urlpatterns = [
    path("imports/", import_list, name="import-batch-list"),
    path("imports/preview/", ImportPreviewView.as_view(), name="import-preview"),
    path("imports/<int:pk>/", import_detail, name="import-batch-detail"),
    path("imports/<int:pk>/errors.csv", import_errors_csv, name="import-batch-errors-csv"),
    path("mapping-templates/", template_list, name="mapping-template-list"),
    path("mapping-templates/<int:pk>/", template_detail, name="mapping-template-detail"),
]
