"""Forms of the dashboard pages: the filter bar every page shares, the content explorer's query and tagging.

The filters live in the URL's query string (GET forms), so a link reproduces the view. A value that is not
valid for the member (a campaign or category of another organization, a date that is not a date) is dropped
and the page says so; it never widens what the member sees and never errors.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from metrics.choices import MediaType, PlatformChoices, Traffic
from metrics.kpis import Granularity, PaidMode, Period, Preset, Scope
from metrics.models import ContentCategory, Post
from metrics.presentation import platform_label

CUSTOM = "custom"
DEFAULT_PRESET = Preset.LAST_30_DAYS.value
MAX_CUSTOM_DAYS = 3 * 366  # a longer custom range is cut to its last three years: the daily series stays readable

PERIOD_CHOICES = [
    (Preset.LAST_7_DAYS.value, _("Last 7 days")),
    (Preset.LAST_30_DAYS.value, _("Last 30 days")),
    (Preset.LAST_90_DAYS.value, _("Last 90 days")),
    (Preset.THIS_MONTH.value, _("This month")),
    (Preset.LAST_MONTH.value, _("Last month")),
    (Preset.THIS_QUARTER.value, _("This quarter")),
    (Preset.THIS_YEAR.value, _("This year")),
    (CUSTOM, _("Custom")),
]
GRAIN_CHOICES = [
    (Granularity.DAY.value, _("By day")),
    (Granularity.WEEK.value, _("By week")),
    (Granularity.MONTH.value, _("By month")),
]
PAID_CHOICES = [
    (PaidMode.SEPARATE.value, _("Organic and paid apart")),
    (PaidMode.EXCLUDE.value, _("Organic only")),
    (PaidMode.ONLY.value, _("Paid only")),
    (PaidMode.INCLUDE.value, _("Organic and paid pooled")),
]

# The query parameters of the shared filter bar, in the order links write them.
FILTER_PARAMS = ("period", "start", "end", "grain", "platform", "media", "traffic", "campaign", "category")


def with_defaults(data, defaults: dict[str, str]) -> QueryDict:
    """A mutable copy of the query with ``defaults`` where a value is missing, so that the selects show the value
    in force (an absent ``period`` means the default preset, not the first option)."""
    copy = data.copy() if data is not None else QueryDict(mutable=True)
    for key, value in defaults.items():
        if not copy.get(key):
            copy[key] = value
    return copy


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class QueryForm(forms.Form):
    """A form over a page's query string that never refuses the page: an invalid or missing field falls back to
    its default (``value``) and the others still apply."""

    def value(self, name: str, default=None):
        """A field's cleaned value; ``default`` when it was missing or invalid."""
        if name in self.errors:
            return default
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value


class DashboardFilterForm(QueryForm):
    """The filter bar: period preset (or custom dates), series granularity, platform, media type, traffic,
    campaign and category. Bound to ``request.GET``; ``period()`` and ``scope()`` give the engine's question."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    grain = forms.ChoiceField(label=_("Trend by"), choices=GRAIN_CHOICES, required=False)
    platform = forms.ChoiceField(
        label=_("Platform"), choices=[("", _("All platforms")), *PlatformChoices.choices], required=False
    )
    media = forms.ChoiceField(
        label=_("Media type"), choices=[("", _("Owned, paid and earned")), *MediaType.choices], required=False
    )
    traffic = forms.ChoiceField(
        label=_("Traffic"), choices=[("", _("Organic and paid")), *Traffic.choices], required=False
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=_("All campaigns")
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ContentCategory.objects.none(), required=False, empty_label=_("All categories")
    )

    def __init__(self, data, *, membership, brand=None, today: date | None = None, **kwargs):
        data = with_defaults(data, {"period": DEFAULT_PRESET})
        super().__init__(data, **kwargs)
        self.membership = membership
        self.brand = brand
        self.today = today or timezone.localdate()
        # The platforms' own names in the active language (抖音, 小红书), as everywhere else on the pages.
        self.fields["platform"].choices = [
            ("", _("All platforms")), *((key, platform_label(key)) for key, _label in PlatformChoices.choices)
        ]
        campaigns = Campaign.objects.for_membership(membership)
        if brand is not None:
            campaigns = campaigns.filter(brand=brand)
        self.fields["campaign"].queryset = campaigns.order_by("-starts_on", "name")
        self.fields["category"].queryset = ContentCategory.objects.for_membership(membership).order_by("path")
        self.fields["category"].label_from_instance = self._category_label
        self.is_valid()  # fills cleaned_data with the valid fields; the others fall back to defaults
        if not self.data.get("grain") or "grain" in self.errors:
            self.data["grain"] = str(self.get_period().granularity)  # what the select shows: the preset's default

    @staticmethod
    def _category_label(category: ContentCategory) -> str:
        from django.utils.translation import get_language

        indent = "\u2003" * category.depth
        return indent + category.label(get_language())

    def clean(self):
        data = super().clean()
        if data.get("period") == CUSTOM:
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                self.add_error("start", _("A custom period needs both dates."))
            elif end < start:
                self.add_error("end", _("The period ends before it starts."))
        return data

    @property
    def preset(self) -> str:
        preset = self.value("period", DEFAULT_PRESET)
        if preset == CUSTOM and ("start" in self.errors or "end" in self.errors):
            return DEFAULT_PRESET
        return preset

    @property
    def dropped(self) -> list[str]:
        """Labels of the filters that were given but not valid (the page shows them as ignored)."""
        return [str(self.fields[name].label) for name in self.errors if name in self.fields]

    @property
    def default_grain(self) -> str:
        """The series granularity the chosen period gets when none is asked for."""
        if self.preset == CUSTOM:
            start, end = self.cleaned_data["start"], self.cleaned_data["end"]
            return (Granularity.DAY if (end - start).days < 93 else Granularity.WEEK).value
        return Period.preset(self.preset, today=self.today).granularity.value

    def get_period(self) -> Period:
        """The engine's period for the chosen preset or custom range, with the series granularity."""
        grain = self.value("grain")
        if self.preset == CUSTOM:
            start, end = self.cleaned_data["start"], self.cleaned_data["end"]
            start = max(start, end - timedelta(days=MAX_CUSTOM_DAYS - 1))
            return Period(start, end, Granularity(grain or self.default_grain), label=CUSTOM)
        return Period.preset(self.preset, grain, today=self.today)

    def get_scope(self, brand_ids, **changes) -> Scope:
        """The engine's scope for ``brand_ids`` (already limited to what the member may see) with the filters."""
        platform, media, traffic = self.value("platform"), self.value("media"), self.value("traffic")
        campaign, category = self.value("campaign"), self.value("category")
        values = {
            "organization_id": self.membership.organization_id,
            "brand_ids": tuple(brand_ids),
            "platforms": (platform,) if platform else (),
            "media_types": (media,) if media else (),
            "traffic": (traffic,) if traffic else (),
            "campaign_ids": (campaign.pk,) if campaign else (),
            "category_id": category.pk if category else None,
        }
        values.update(changes)
        return Scope(**values)

    def params(self) -> dict[str, str]:
        """The valid filters as query parameters (defaults left out), in a stable order."""
        out: dict[str, str] = {}
        if self.preset != DEFAULT_PRESET:
            out["period"] = self.preset
        if self.preset == CUSTOM:
            out["start"] = self.cleaned_data["start"].isoformat()
            out["end"] = self.cleaned_data["end"].isoformat()
        if self.value("grain") and self.value("grain") != self.default_grain:
            out["grain"] = self.value("grain")
        for name in ("platform", "media", "traffic"):
            if self.value(name):
                out[name] = str(self.value(name))
        for name in ("campaign", "category"):
            if self.value(name) is not None:
                out[name] = str(self.value(name).pk)
        return out

    def querystring(self, **overrides) -> str:
        """``?…`` for a link that keeps these filters (``overrides`` replace or, with None, drop parameters)."""
        params = self.params()
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return "?" + urlencode(params) if params else ""

    def active_labels(self) -> list[str]:
        """Short descriptions of the filters in force beyond the period (for chart captions and empty states)."""
        labels = []
        for name in ("platform", "media", "traffic"):
            value = self.value(name)
            if value:
                labels.append(str(dict(self.fields[name].choices).get(value, value)))
        for name in ("campaign", "category"):
            value = self.value(name)
            if value is not None:
                labels.append(self.fields[name].label_from_instance(value).strip())
        return labels


SORT_CHOICES = [
    ("-published", _("Newest first")),
    ("published", _("Oldest first")),
    ("-engagement", _("Most engagement")),
    ("title", _("Title")),
]
TAGGED_CHOICES = [("", _("Tagged or not")), ("no", _("Untagged only")), ("yes", _("Tagged only"))]


class ContentQueryForm(QueryForm):
    """The content explorer's own query: search text, sort order, tagged or not, page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)
    tagged = forms.ChoiceField(label=_("Tags"), choices=TAGGED_CHOICES, required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        self.is_valid()


class TrendForm(QueryForm):
    """The brand dashboard's trend chart: which metric its lines show."""

    metric = forms.ChoiceField(label=_("Trend of"), required=False)

    def __init__(self, data, *, metric_choices, default: str = "views", **kwargs):
        super().__init__(with_defaults(data, {"metric": default}), **kwargs)
        self.fields["metric"].choices = metric_choices
        self.is_valid()


class ComparisonForm(QueryForm):
    """The category comparison's own choices: the metric to compare and how paid posts are treated."""

    metric = forms.ChoiceField(label=_("Metric"), required=False)
    paid = forms.ChoiceField(label=_("Paid content"), choices=PAID_CHOICES, required=False)

    def __init__(self, data, *, metric_choices, default_metric: str = "engagement", **kwargs):
        super().__init__(with_defaults(data, {"metric": default_metric, "paid": PaidMode.SEPARATE.value}), **kwargs)
        self.fields["metric"].choices = metric_choices
        self.is_valid()


class BenchmarkForm(QueryForm):
    """The competitor benchmark's own choice: organic content only (the default) or organic and paid pooled."""

    paid = forms.ChoiceField(
        label=_("Paid content"),
        required=False,
        choices=[(PaidMode.EXCLUDE.value, _("Organic only")), (PaidMode.INCLUDE.value, _("Organic and paid pooled"))],
    )

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        self.is_valid()


def category_path_label(category: ContentCategory) -> str:
    """``Education / Brand image`` in English, ``教育 / 品牌形象`` in Chinese (a name without a Chinese name stays)."""
    from django.utils.translation import get_language

    chain, node = [], category
    while node is not None:
        chain.append(node.label(get_language()))
        node = node.parent
    return " / ".join(reversed(chain))


class _CategoryChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return category_path_label(obj)


class PostTagForm(forms.Form):
    """One post's categories (the post detail page): the ticked categories become the post's categories."""

    categories = _CategoryChoices(
        label=_("Categories"),
        queryset=ContentCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = (
            ContentCategory.objects.for_membership(membership).select_related("parent__parent").order_by("path")
        )


class BulkTagForm(forms.Form):
    """Many posts at once (the content explorer): add or remove one category on the ticked posts."""

    ADD, REMOVE = "add", "remove"

    posts = forms.ModelMultipleChoiceField(
        queryset=Post.objects.none(),
        error_messages={
            "required": _("Tick the posts to tag first."),
            "invalid_choice": _("Some of the ticked posts are not available."),
            "invalid_pk_value": _("Some of the ticked posts are not available."),
        },
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ContentCategory.objects.none(),
        empty_label=_("Choose a category"),
        error_messages={"required": _("Choose a category.")},
    )
    action = forms.ChoiceField(choices=[(ADD, _("Add tag")), (REMOVE, _("Remove tag"))])

    def __init__(self, *args, membership, brand, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["posts"].queryset = Post.objects.for_membership(membership).filter(brand=brand)
        self.fields["category"].queryset = ContentCategory.objects.for_membership(membership).order_by("path")
        self.fields["category"].label_from_instance = DashboardFilterForm._category_label
