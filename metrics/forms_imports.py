"""Forms of the Imports page: the upload form, the history filter and the column-mapping form for a layout
kpiboard does not know. Choices are built when a form is made, so their labels follow the active language."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand
from metrics import catalog
from metrics.ingestion.formats import CANONICAL_FIELDS, ReportFormat
from metrics.ingestion.keys import BEIJING
from metrics.models import ImportBatch, MappingTemplate
from metrics.presentation import is_chinese, platform_label
from metrics.services.imports import headers_signature

# What the canonical fields of a row mean, for the mapping form's selects (same order as CANONICAL_FIELDS).
FIELD_LABELS = {
    "title": _("Title"),
    "published_at": _("Published at"),
    "platform_post_id": _("Post ID on the platform"),
    "url": _("Link (URL)"),
    "date": _("Date of the row"),
    "content_format": _("Content format (video, note, article…)"),
    "status": _("Status on the platform"),
    "channel": _("Traffic channel"),
    "account_name": _("Account name"),
    "ad_group": _("Ad group ID"),
    "material_id": _("Creative (material) ID"),
    "campaign": _("Campaign name"),
}
KEEP = "extra"  # the select's value for "keep the value as reported": saved as ``extra:<header>``
EXTRA_PREFIX = "extra:"


def platform_choices(blank_label=None) -> list[tuple[str, str]]:
    choices = [(key, platform_label(key)) for key in catalog.ALL_PLATFORMS]
    return ([("", blank_label)] if blank_label is not None else []) + choices


def beijing_now() -> datetime:
    """Now in Beijing time, to the minute (the default "data as of")."""
    return timezone.now().astimezone(BEIJING).replace(second=0, microsecond=0)


class BeijingDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in Beijing time, whatever the server's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]

    def to_python(self, value):
        with timezone.override(BEIJING):
            return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(BEIJING).replace(tzinfo=None)
        return value


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or many files from one ``<input type=file multiple>`` (Django's documented recipe)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            if not data and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class BrandChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({_t('competitor')})" if obj.is_competitor else obj.name


class ImportUploadForm(forms.Form):
    """Upload one or many exports into a brand. The platform is detected from the headers unless chosen."""

    files = MultipleFileField(label=_("Files"), help_text=_("CSV, XLS or XLSX as the platform's backend exports it."))
    brand = BrandChoiceField(label=_("Brand"), queryset=Brand.objects.none(), empty_label=None)
    platform = forms.ChoiceField(label=_("Platform"), required=False)
    as_of = BeijingDateTimeField(
        label=_("Data as of (Beijing time)"),
        required=False,
        help_text=_("When the file was exported. A time in the file name (WeChat, Douyin) is used instead."),
    )
    mode = forms.ChoiceField(
        label=_("Rows with errors"),
        choices=ImportBatch.Mode.choices,
        initial=ImportBatch.Mode.VALID_ROWS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, brands=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = brands if brands is not None else Brand.objects.none()
        self.fields["platform"].choices = platform_choices(_t("Detect from the file"))
        self.fields["files"].widget.attrs.update({"class": "file-input", "accept": ".csv,.xls,.xlsx,.CSV,.XLS,.XLSX"})
        if not self.is_bound:
            self.initial.setdefault("as_of", beijing_now())


class ImportHistoryFilterForm(forms.Form):
    """The history's filters (query string): brand and status."""

    brand = BrandChoiceField(label=_("Brand"), queryset=Brand.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, brands=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = brands if brands is not None else Brand.objects.none()
        self.fields["brand"].empty_label = _t("All brands")
        self.fields["status"].choices = [("", _t("Any status")), *ImportBatch.Status.choices]

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        if self.cleaned_data.get("brand"):
            queryset = queryset.filter(brand=self.cleaned_data["brand"])
        if self.cleaned_data.get("status"):
            queryset = queryset.filter(status=self.cleaned_data["status"])
        return queryset


# ------------------------------------------------------------------------------------------------- mapping


def _metric_text(metric: catalog.Metric) -> str:
    first, second = (metric.zh, metric.en) if is_chinese() else (metric.en, metric.zh)
    return f"{first} · {second} ({metric.key})"


def target_choices() -> list:
    """The select's groups: ignore, the row's fields, counted metrics, reported rates, keep as reported."""
    counted = [(m.key, _metric_text(m)) for m in catalog.BASE_METRICS.values() if m.agg != catalog.Agg.REPORTED]
    reported = [
        (m.key, _metric_text(m))
        for m in catalog.CATALOG.values()
        if m.agg in (catalog.Agg.REPORTED, catalog.Agg.DERIVED)
    ]
    return [
        ("", _t("— ignore this column —")),
        (_t("Fields of the row"), [(key, f"{FIELD_LABELS.get(key, key)} ({key})") for key in CANONICAL_FIELDS]),
        (_t("Metrics (counts and amounts)"), counted),
        (_t("Rates and ratings as the platform reports them"), reported),
        (_t("Other"), [(KEEP, _t("Keep the value as reported (not a catalog metric)"))]),
    ]


def initial_target(guess: str | None) -> str:
    """A guessed target as the select's value: catalog keys and fields as they are, other names kept as reported."""
    if not guess:
        return ""
    if guess in CANONICAL_FIELDS or guess in catalog.CATALOG:
        return guess
    return KEEP


class ColumnMappingForm(forms.ModelForm):
    """Map each header of an unknown file to a target; saved as a ``MappingTemplate`` that later uploads with the
    same headers use automatically. ``headers`` are the file's; ``guessed`` the ingestion layer's suggestions."""

    save_template = forms.BooleanField(
        label=_("Save as a template"),
        required=False,
        initial=True,
        help_text=_("Later files with the same columns are imported with this mapping automatically."),
    )

    class Meta:
        model = MappingTemplate
        fields = ["name", "platform", "level", "basis"]
        labels = {
            "name": _("Template name"),
            "platform": _("Platform"),
            "level": _("One row is"),
            "basis": _("The numbers are"),
        }

    def __init__(self, *args, headers, organization, guessed=None, defaults=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        self.organization = organization
        guessed = guessed or {}
        self.fields["platform"].choices = platform_choices(_t("Choose the platform"))
        for name, choices in (("level", MappingTemplate.Level.choices), ("basis", MappingTemplate.Basis.choices)):
            self.fields[name].widget = forms.RadioSelect()
            self.fields[name].choices = choices
        for key, value in (defaults or {}).items():
            if value:
                self.initial[key] = value
        choices = target_choices()
        self.column_names = []
        for i, header in enumerate(self.headers):
            name = f"col_{i}"
            self.column_names.append(name)
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=initial_target(guessed.get(header))
            )

    def columns(self):
        """(header, bound field) pairs, for the template."""
        return [(header, self[name]) for header, name in zip(self.headers, self.column_names, strict=True)]

    def mapping(self) -> dict[str, str]:
        """{header: target} of the mapped columns (ignored ones are left out)."""
        out = {}
        for header, name in zip(self.headers, self.column_names, strict=True):
            target = self.cleaned_data.get(name) or ""
            if target == KEEP:
                target = EXTRA_PREFIX + header.strip()
            if target:
                out[header] = target
        return out

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in ("platform", "level", "basis", "name")):
            return cleaned
        mapping = self.mapping()
        if not mapping:
            raise forms.ValidationError(_t("Map at least one column: every column is set to “ignore”."))
        seen: dict[str, str] = {}
        for header, target in mapping.items():
            if target.startswith(EXTRA_PREFIX):
                continue
            if target in seen:
                raise forms.ValidationError(
                    _t(
                        "The columns “%(first)s” and “%(second)s” both map to %(target)s: choose one of them and "
                        "set the other to “ignore”."
                    )
                    % {"first": seen[target], "second": header, "target": self._target_label(target)}
                )
            seen[target] = header
        try:
            fmt = ReportFormat.from_mapping(
                cleaned["platform"], cleaned["level"], cleaned["basis"], mapping, cleaned.get("name") or "mapping"
            )
        except ValueError as exc:
            raise forms.ValidationError(_t("This mapping cannot be used: %(error)s") % {"error": exc}) from exc
        alternatives = fmt.keys_required
        if alternatives and not any(all(f in seen for f in keys) for keys in alternatives):
            names = " / ".join(" + ".join(str(FIELD_LABELS.get(f, f)) for f in keys) for keys in alternatives)
            if cleaned["basis"] == MappingTemplate.Basis.DAILY:
                message = _t("Daily numbers need the day of each row: map a column to %(fields)s.")
            else:
                message = _t("Each row must name its post: map a column to one of %(fields)s.")
            raise forms.ValidationError(message % {"fields": names})
        signature = headers_signature(self.headers)
        taken = MappingTemplate.objects.for_org(self.organization).filter(signature=signature).first()
        if taken is not None:
            raise forms.ValidationError(
                _t(
                    "The template “%(name)s” already maps these columns (for %(platform)s). Delete it on the Imports "
                    "page to map them differently."
                )
                % {"name": taken.name, "platform": platform_label(taken.platform)}
            )
        self.signature = signature
        return cleaned

    def _target_label(self, target: str) -> str:
        if target in CANONICAL_FIELDS:
            return str(FIELD_LABELS.get(target, target))
        metric = catalog.CATALOG.get(target)
        return _metric_text(metric) if metric else target

    def save(self, commit=True, *, created_by=None):
        template = super().save(commit=False)
        template.organization = self.organization
        template.headers = self.headers
        template.signature = self.signature
        template.mapping = self.mapping()
        template.created_by = created_by
        if commit:
            template.save()
        return template
