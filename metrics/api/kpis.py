"""The KPI engine over HTTP: /api/v1/orgs/<slug>/{kpis,funnel,category-comparison,benchmarks,anomalies}/.

Thin views: validate the query parameters with a serializer (400 with a message per parameter), build the
``Scope`` from the member's visible brands (clients: the brands granted to them), call one engine function and
return its dataclass as JSON. Ids in query parameters are looked up through the tenancy path: an id of another
organization, of a brand not granted to a client, or of nothing at all gives the same 404.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime

from django.http import Http404
from django.urls import path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.mixins import OrgScopedMixin
from accounts.models import Brand
from campaigns.models import Campaign
from metrics.catalog import PLATFORM_LABELS
from metrics.choices import ContentFormat, MediaType, PaidKind, Traffic
from metrics.kpis import (
    MEDIAN_DEFINITION,
    Granularity,
    PaidMode,
    Period,
    Preset,
    Scope,
    anomalies,
    benchmarks,
    category_comparison,
    funnel,
    kpi_report,
)
from metrics.kpis.categories import DEFAULT_METRICS as CATEGORY_DEFAULT_METRICS
from metrics.kpis.kpis import ACCOUNT_DEFAULT, CONTENT_DEFAULT
from metrics.kpis.queries import PER_POST_METRICS
from metrics.models import ContentCategory, SocialAccount
from metrics.presentation import ANOMALY_TITLES, anomaly_reason

MAX_PERIOD_DAYS = 1100  # three years: enough for year-on-year, bounded for the database
MAX_DAY_BUCKETS = 400  # a daily series longer than this should be weekly or monthly
PAID_KIND_NONE = "none"


# ------------------------------------------------------------------------------------------- parameters


@extend_schema_field(OpenApiTypes.STR)
class IdListField(serializers.Field):
    """Ids as a repeatable parameter and/or comma-separated (``brand=1&brand=2`` or ``brand=1,2``)."""

    default_error_messages = {"invalid": _("Give ids as positive integers, comma-separated or repeated.")}

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            values = dictionary.getlist(self.field_name)
            return values if values else serializers.empty
        return dictionary.get(self.field_name, serializers.empty)

    def to_internal_value(self, data):
        items = data if isinstance(data, list | tuple) else [data]
        out = []
        for item in items:
            for part in str(item).split(","):
                part = part.strip()
                if not part:
                    continue
                if not part.isdigit() or int(part) < 1:
                    self.fail("invalid")
                out.append(int(part))
        return tuple(dict.fromkeys(out))

    def to_representation(self, value):
        return ",".join(str(v) for v in value)


@extend_schema_field(OpenApiTypes.STR)
class ChoiceListField(IdListField):
    """Values from a fixed list, repeatable and/or comma-separated. The OpenAPI description lists the values
    (the parameter is a string, so the schema cannot carry them as an enum)."""

    default_error_messages = {"invalid_choice": _("{value!r} is not one of: {choices}.")}

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        values = ", ".join(c or '""' for c in self.choices)
        kwargs["help_text"] = format_lazy(_("{help} Values: {values}; several comma-separated or repeated."),
                                          help=kwargs.get("help_text", ""), values=values)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        items = data if isinstance(data, list | tuple) else [data]
        out = []
        for item in items:
            for part in str(item).split(","):
                part = part.strip()
                if not part:
                    continue
                if part not in self.choices:
                    self.fail("invalid_choice", value=part, choices=", ".join(self.choices))
                out.append(part)
        return tuple(dict.fromkeys(out))


class ScopeParams(serializers.Serializer):
    """Scope and period, shared by every KPI endpoint."""

    brand = IdListField(required=False, help_text=_("Brand id(s); default: every brand you may see (own brands; "
                                                    "competitor brands are only compared in benchmarks). Several "
                                                    "brands are summed: the organization's KPIs."))
    platform = ChoiceListField(tuple(PLATFORM_LABELS), required=False, help_text=_("Platform key(s)."))
    account = IdListField(required=False, help_text=_("Social account id(s), comma-separated or repeated."))
    media_type = ChoiceListField(MediaType.values, required=False, help_text=_("Media type(s) of the content."))
    paid_kind = ChoiceListField((*(v for v in PaidKind.values if v), PAID_KIND_NONE), required=False,
                                help_text=_("Paid kind(s); none = content that is not paid."))
    traffic = ChoiceListField(Traffic.values, required=False, help_text=_("Organic or paid traffic."))
    content_format = ChoiceListField(ContentFormat.values, required=False, help_text=_("Content format(s)."))
    category = serializers.IntegerField(required=False, min_value=1,
                                        help_text=_("Content category id; its sub-categories and variants "
                                                    "included."))
    campaign = IdListField(required=False, help_text=_("Campaign id(s), comma-separated or repeated."))
    start = serializers.DateField(required=False, help_text=_("First day (YYYY-MM-DD, Beijing time), with end."))
    end = serializers.DateField(required=False, help_text=_("Last day, included."))
    preset = serializers.ChoiceField([p.value for p in Preset], required=False,
                                     help_text=_("Instead of start/end; default last_30_days."))
    granularity = serializers.ChoiceField([g.value for g in Granularity], required=False,
                                          help_text=_("Buckets of the /kpis/ series: day (default up to 92 days), "
                                                      "week (up to 366 days), month (longer), quarter. The other "
                                                      "endpoints answer for the whole period."))

    def validate(self, attrs):
        start, end, preset = attrs.get("start"), attrs.get("end"), attrs.get("preset")
        if (start is None) != (end is None):
            raise serializers.ValidationError({"start": _("Give both start and end, or a preset.")})
        if start is not None and preset:
            raise serializers.ValidationError({"preset": _("Give either start/end or a preset, not both.")})
        if start is not None:
            if end < start:
                raise serializers.ValidationError({"end": _("end is before start.")})
            if (end - start).days + 1 > MAX_PERIOD_DAYS:
                raise serializers.ValidationError(
                    {"end": _("A period spans at most %(days)d days.") % {"days": MAX_PERIOD_DAYS}})
            days = (end - start).days + 1
            default = Granularity.DAY if days <= 92 else Granularity.WEEK if days <= 366 else Granularity.MONTH
            attrs["period"] = Period(start, end, attrs.get("granularity") or default)
        else:
            attrs["period"] = Period.preset(preset or Preset.LAST_30_DAYS, attrs.get("granularity"))
        period = attrs["period"]
        if period.granularity == Granularity.DAY and period.days > MAX_DAY_BUCKETS:
            raise serializers.ValidationError(
                {"granularity": _("A daily series covers at most %(days)d days: use week or month.")
                 % {"days": MAX_DAY_BUCKETS}})
        return attrs


class KpiParams(ScopeParams):
    metrics = ChoiceListField(tuple(dict.fromkeys((*CONTENT_DEFAULT, *ACCOUNT_DEFAULT))), required=False,
                              help_text=_("Catalog keys to compute (default: all; see /api/v1/catalog/)."))


class CategoryParams(ScopeParams):
    metrics = ChoiceListField(PER_POST_METRICS, required=False,
                              help_text=format_lazy(_("Per-post metrics (default: {metrics})."),
                                                    metrics=", ".join(CATEGORY_DEFAULT_METRICS)))
    paid = serializers.ChoiceField([m.value for m in PaidMode], required=False,
                                   help_text=_("exclude (default: organic only), only (paid only), separate "
                                               "(organic and paid groups side by side, never pooled) or include "
                                               "(pooled; paid_n says how many are paid). A post is paid when its "
                                               "media type or its traffic is paid."))
    include_paid = serializers.BooleanField(required=False, default=None, allow_null=True,
                                            help_text=_("true = paid=include; false = paid=exclude."))
    items = serializers.BooleanField(required=False, default=False,
                                     help_text=_("Add each post with its values and its index against its "
                                                 "group's median (value / median; null when the median is 0)."))
    small_sample = serializers.IntegerField(required=False, min_value=1,
                                            help_text=_("Groups with fewer posts are flagged small_sample "
                                                        "(default: the KPIBOARD_SMALL_SAMPLE setting, 5)."))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("include_paid") is not None and attrs.get("paid"):
            raise serializers.ValidationError({"include_paid": _("Give either paid or include_paid.")})
        if attrs.get("include_paid") is not None:
            attrs["paid"] = PaidMode.INCLUDE if attrs["include_paid"] else PaidMode.EXCLUDE
        attrs.setdefault("paid", PaidMode.EXCLUDE)
        return attrs


class BenchmarkParams(ScopeParams):
    competitor = IdListField(required=False, help_text=_("Competitor brand id(s) (default: every competitor "
                                                         "brand you may see)."))
    paid = serializers.ChoiceField([PaidMode.EXCLUDE.value, PaidMode.INCLUDE.value], required=False,
                                   default=PaidMode.EXCLUDE.value,
                                   help_text=_("exclude (default: organic content and accounts only) or include "
                                               "(pooled; each top post says whether it is paid)."))
    top = serializers.IntegerField(required=False, min_value=1, max_value=200, default=20,
                                   help_text=_("How many top posts the content level lists."))


# ------------------------------------------------------------------------------- response documentation


class StatSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True, help_text=MEDIAN_DEFINITION)
    mean = serializers.FloatField(allow_null=True, help_text=_("Arithmetic mean over the same n posts."))
    n = serializers.IntegerField(help_text=_("Posts the median and mean were computed over (posts whose value "
                                             "is known); 0 gives a null median and mean."))
    sum = serializers.FloatField(allow_null=True, required=False, help_text=_("Σ of the same n values."))
    per_effort_hour = serializers.FloatField(
        allow_null=True, required=False,
        help_text=_("Σ value / Σ effort hours over the posts whose effort is recorded; amounts only (null for "
                    "rates)."))


class KpiValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    level = serializers.ChoiceField(["post", "account"])
    label = serializers.CharField()
    label_zh = serializers.CharField()
    unit = serializers.CharField()
    family = serializers.CharField()
    stages = serializers.ListField(child=serializers.CharField())
    formula = serializers.CharField()
    formulas = serializers.DictField(child=serializers.CharField(), help_text="Per platform, where it differs.")
    higher_is_better = serializers.BooleanField()
    value = serializers.FloatField(allow_null=True, help_text=_("null: empty (no data, or a zero denominator)."))
    previous = serializers.FloatField(allow_null=True, help_text=_("The same KPI over the previous period."))
    change = serializers.FloatField(allow_null=True, help_text=_("value − previous (null when either is null)."))
    change_pct = serializers.FloatField(allow_null=True, help_text=_("(value − previous) / |previous|, a 0–1 "
                                                                     "fraction; null when previous is 0 or null."))


class SeriesSerializer(serializers.Serializer):
    granularity = serializers.CharField()
    starts = serializers.ListField(child=serializers.DateField(), help_text="First day of each bucket.")
    ends = serializers.ListField(child=serializers.DateField(), help_text="Last day of each bucket.")
    previous_starts = serializers.ListField(child=serializers.DateField(allow_null=True))
    previous_ends = serializers.ListField(child=serializers.DateField(allow_null=True))
    values = serializers.DictField(child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
                                   help_text="KPI key → its value in each bucket.")
    previous = serializers.DictField(child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
                                     help_text="KPI key → its value in the previous period's bucket at the same "
                                               "position.")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    granularity = serializers.CharField()


class KpiReportSerializer(serializers.Serializer):
    scope = serializers.DictField()
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    content = KpiValueSerializer(many=True, help_text="Content level (post facts via the daily rollup).")
    account = KpiValueSerializer(many=True, help_text="Account level (account daily facts).")
    content_series = SeriesSerializer(allow_null=True)
    account_series = SeriesSerializer(allow_null=True)
    notes = serializers.ListField(child=serializers.CharField())


class QualityKpiSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    label_zh = serializers.CharField()
    formula = serializers.CharField()
    unit = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    value = serializers.FloatField(allow_null=True, help_text=_("Per-item averages: the mean; otherwise a ratio "
                                                                "of sums (null for a zero denominator)."))
    median = serializers.FloatField(allow_null=True, help_text=MEDIAN_DEFINITION)
    n = serializers.IntegerField(allow_null=True, help_text=_("Posts the mean and median were computed over "
                                                              "(null for ratio KPIs)."))


class FunnelStageSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    label_zh = serializers.CharField()
    kpis = KpiValueSerializer(many=True)
    quality = QualityKpiSerializer(many=True)
    note = serializers.CharField()


class FunnelColumnSerializer(serializers.Serializer):
    platform = serializers.CharField(allow_null=True)
    stages = FunnelStageSerializer(many=True)


class FunnelSerializer(serializers.Serializer):
    scope = serializers.DictField()
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    total = FunnelColumnSerializer()
    platforms = FunnelColumnSerializer(many=True)


class CategoryItemSerializer(serializers.Serializer):
    post_id = serializers.IntegerField()
    title = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    account_id = serializers.IntegerField()
    platform = serializers.CharField()
    paid = serializers.BooleanField()
    values = serializers.DictField(child=serializers.FloatField(allow_null=True))
    index = serializers.DictField(child=serializers.FloatField(allow_null=True),
                                  help_text=_("value / the group's median (null when the median is 0 or null)."))


class CategoryGroupSerializer(serializers.Serializer):
    category_id = serializers.IntegerField(allow_null=True)
    path = serializers.ListField(child=serializers.CharField(), help_text='e.g. ["Education", "Brand image"]')
    path_zh = serializers.ListField(child=serializers.CharField())
    depth = serializers.IntegerField()
    segment = serializers.ChoiceField(["organic", "paid", "all"])
    n = serializers.IntegerField(help_text=_("Posts in the group (each metric's own n is beside its median)."))
    paid_n = serializers.IntegerField(help_text=_("Of which paid (non-zero only with paid=include or only)."))
    small_sample = serializers.BooleanField(help_text=_("n < small_sample_threshold: too few posts to conclude; "
                                                        "widen the period."))
    effort_n = serializers.IntegerField()
    effort_hours = serializers.FloatField(allow_null=True)
    metrics = serializers.DictField(child=StatSerializer())
    items = CategoryItemSerializer(many=True, allow_null=True)


class CategoryComparisonSerializer(serializers.Serializer):
    scope = serializers.DictField()
    period = PeriodSerializer()
    paid = serializers.CharField()
    small_sample_threshold = serializers.IntegerField()
    median_definition = serializers.CharField()
    metrics = serializers.ListField(child=serializers.DictField())
    overall = CategoryGroupSerializer(many=True)
    groups = CategoryGroupSerializer(many=True)


class AccountBenchmarkSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    handle = serializers.CharField()
    display_name = serializers.CharField()
    platform = serializers.CharField()
    brand_id = serializers.IntegerField()
    brand = serializers.CharField()
    is_competitor = serializers.BooleanField()
    followers = serializers.FloatField(allow_null=True)
    followers_gained = serializers.FloatField(allow_null=True)
    followers_lost = serializers.FloatField(allow_null=True)
    followers_net = serializers.FloatField(allow_null=True)
    posts = serializers.IntegerField()
    engagement = serializers.FloatField(allow_null=True)
    engagement_per_post = StatSerializer()
    rank = serializers.DictField(child=serializers.IntegerField(allow_null=True))


class PostBenchmarkSerializer(serializers.Serializer):
    post_id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    account_id = serializers.IntegerField()
    account = serializers.CharField()
    platform = serializers.CharField()
    brand_id = serializers.IntegerField()
    brand = serializers.CharField()
    is_competitor = serializers.BooleanField()
    paid = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    date = serializers.DateField(allow_null=True)
    values = serializers.DictField(child=serializers.FloatField(allow_null=True))


class BenchmarksSerializer(serializers.Serializer):
    scope = serializers.DictField()
    period = PeriodSerializer()
    paid = serializers.CharField()
    account_level = AccountBenchmarkSerializer(many=True)
    content_level = PostBenchmarkSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class AnomalySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(["ratio_shift", "early_surge", "push_day_loss", "flat_growth"])
    label = serializers.CharField(help_text=_("The flag's name, in the request's language."))
    reason = serializers.CharField(help_text=_(
        "A sentence a marketer can read, with the numbers behind it, in the request's language (Accept-Language: "
        "en or zh-hans; numbers in 万/亿 in Chinese). The same numbers are in values."))
    account_id = serializers.IntegerField()
    account = serializers.CharField()
    platform = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    post_id = serializers.IntegerField(allow_null=True)
    post_title = serializers.CharField()
    values = serializers.DictField()


class AnomalyReportSerializer(serializers.Serializer):
    scope = serializers.DictField()
    period = PeriodSerializer()
    thresholds = serializers.DictField()
    anomalies = AnomalySerializer(many=True)
    checked = serializers.DictField(child=serializers.IntegerField())
    notes = serializers.ListField(child=serializers.CharField())


ERRORS = {400: OpenApiResponse(description=_("A query parameter is invalid (the body names it).")),
          404: OpenApiResponse(description=_("Unknown organization, or an id that does not exist or is not "
                                             "yours."))}

SCOPE_DOC = _(
    "Scope: brand, platform, account, media_type, paid_kind, traffic, content_format, category (with its "
    "descendants), campaign; every filter narrows the answer and several values of one filter are OR-ed. Period: "
    "start + end (Beijing days, both included) or preset; the previous period has the same length (a whole "
    "month is compared with the previous month, a whole quarter or year with the previous one). "
)


def describe(*parts) -> str:
    """An endpoint's OpenAPI description: the parts joined, translated when the schema is rendered."""
    return format_lazy("{}" * len(parts), *parts)


# ------------------------------------------------------------------------------------------------ views


_PRIMITIVE = (int, float, str, bool, type(None))


def as_json(value):
    """An engine answer as JSON-ready primitives: dataclasses to dicts, dates to ISO text, NaN to None.

    ``dataclasses.asdict`` deep-copies every value; on a year's series that cost more than computing them.
    """
    kind = type(value)
    if kind in _PRIMITIVE:
        return None if kind is float and math.isnan(value) else value
    if kind is list or kind is tuple:
        if all(type(v) in _PRIMITIVE for v in value) and not any(v != v for v in value):  # v != v: NaN
            return value  # a series of numbers: nothing to convert
        return [as_json(v) for v in value]
    if kind is dict:
        return {k: as_json(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value



class EngineView(OrgScopedMixin, APIView):
    """Base of the engine views: parameters → Scope + Period; ids in parameters go through the tenancy path."""

    # Query parameters naming rows: each is looked up with ``Model.objects.for_membership`` (404 otherwise).
    scoped_params = {"brand": Brand, "account": SocialAccount, "category": ContentCategory, "campaign": Campaign}
    params_class: type[ScopeParams] = ScopeParams

    def params(self, request) -> dict:
        serializer = self.params_class(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _visible(self, model, ids) -> tuple[int, ...]:
        found = set(model.objects.for_membership(self.membership).filter(id__in=ids).values_list("id", flat=True))
        if found != set(ids):
            raise Http404
        return tuple(ids)

    def scope(self, data: dict, *, competitors: tuple[int, ...] | None = None) -> Scope:
        visible_brands = Brand.objects.for_membership(self.membership)
        if data.get("brand"):
            brand_ids = self._visible(Brand, data["brand"])
        else:
            brand_ids = tuple(visible_brands.filter(is_competitor=False).values_list("id", flat=True))
        if competitors is not None:
            brand_ids = tuple(dict.fromkeys((*brand_ids, *competitors)))
        account_ids = self._visible(SocialAccount, data["account"]) if data.get("account") else ()
        if data.get("category") is not None:
            self._visible(ContentCategory, (data["category"],))
        campaign_ids = self._visible(Campaign, data["campaign"]) if data.get("campaign") else ()
        paid_kinds = tuple("" if k == PAID_KIND_NONE else k for k in data.get("paid_kind", ()))
        return Scope(
            organization_id=self.organization.pk, brand_ids=brand_ids, platforms=data.get("platform", ()),
            account_ids=account_ids, media_types=data.get("media_type", ()), paid_kinds=paid_kinds,
            traffic=data.get("traffic", ()), content_formats=data.get("content_format", ()),
            category_id=data.get("category"), campaign_ids=campaign_ids,
        )


class KpiView(EngineView):
    """KPIs of a scope over a period with the previous period and the change beside each value."""

    params_class = KpiParams

    @extend_schema(
        operation_id="kpis", parameters=[KpiParams], responses={200: KpiReportSerializer, **ERRORS},
        description=describe(SCOPE_DOC, _(
            "Content KPIs: a base metric is the sum of its daily deltas in the period (never a cumulative "
            "counter); a derived KPI is a ratio of sums, Σ numerator / Σ denominator, with each platform's "
            "engagement formula (see /api/v1/catalog/); a zero or missing denominator gives null, never 0. Account "
            "KPIs: followers = each account's last value in the period; other sums exclude unsettled days; account "
            "data has no paid kind, traffic, format, category or campaign, so those filters leave it empty. Every "
            "value comes with the previous period's value and the change; the series has one bucket per "
            "granularity step.")),
    )
    def get(self, request, org_slug):
        data = self.params(request)
        report = kpi_report(self.scope(data), data["period"], data.get("metrics") or None)
        return Response(as_json(report))


class FunnelView(EngineView):
    """The funnel: KPIs by stage, per platform and in total, with each stage's content-quality KPI."""

    @extend_schema(
        operation_id="funnel", parameters=[ScopeParams], responses={200: FunnelSerializer, **ERRORS},
        description=describe(SCOPE_DOC, _(
            "Stages awareness → consideration → purchase → retention → advocacy, in total and per platform. "
            "Quality KPIs: average impressions / views / engagement per item (mean with median and n; paid posts "
            "count unless the scope filters them), follower loss per push (Σ followers lost / posts published) and "
            "the loss / gain ratio, CPA (Σ cost / Σ paying customers), refund rate, average shares per item. "),
            MEDIAN_DEFINITION),
    )
    def get(self, request, org_slug):
        data = self.params(request)
        return Response(as_json(funnel(self.scope(data), data["period"])))


class CategoryComparisonView(EngineView):
    """Per category, sub-category and variant: posts, median and mean of each metric (with n), index vs
    median, small-sample flag, per effort hour; paid content apart unless asked."""

    params_class = CategoryParams

    @extend_schema(
        operation_id="category_comparison", parameters=[CategoryParams],
        responses={200: CategoryComparisonSerializer, **ERRORS},
        description=describe(SCOPE_DOC, MEDIAN_DEFINITION, _(
            " A post counts once in each category above one of its tags (a variant's post is in its sub-category "
            "and category too). Paid content (paid media type or paid traffic) is left out unless paid= or "
            "include_paid= asks for it. index = the post's value / its group's median. Answer: {\"groups\": "
            "[{\"path\": [\"Education\", \"Brand image\"], \"n\": 6, \"small_sample\": false, \"metrics\": "
            "{\"likes\": {\"median\": …, \"mean\": …, \"n\": …}}}]}; overall holds the same figures for "
            "every post in scope.")),
    )
    def get(self, request, org_slug):
        data = self.params(request)
        result = category_comparison(
            self.scope(data), data["period"], data.get("metrics") or CATEGORY_DEFAULT_METRICS, paid=data["paid"],
            with_items=data["items"], small_sample=data.get("small_sample"),
        )
        return Response(as_json(result))


class BenchmarksView(EngineView):
    """Account-level and content-level benchmarks against competitors, never mixed."""

    scoped_params = {**EngineView.scoped_params, "competitor": Brand}
    params_class = BenchmarkParams

    @extend_schema(
        operation_id="benchmarks", parameters=[BenchmarkParams], responses={200: BenchmarksSerializer, **ERRORS},
        description=describe(SCOPE_DOC, _(
            "Two tables, never mixed. Account level: followers (last value), net follower gain, posts published, "
            "total engagement (Σ of the period's deltas) and engagement per post (median, mean, n), ranked within "
            "each platform (1 = best). Content level: top posts across own and competitor accounts by "
            "engagement, with account, date and engagement columns. "), MEDIAN_DEFINITION),
    )
    def get(self, request, org_slug):
        data = self.params(request)
        if data.get("competitor"):
            competitors = self._visible(Brand, data["competitor"])
        else:
            competitors = tuple(Brand.objects.for_membership(self.membership).filter(is_competitor=True)
                                .values_list("id", flat=True))
        result = benchmarks(self.scope(data, competitors=competitors), data["period"], paid=data["paid"],
                            top=data["top"])
        return Response(as_json(result))


class AnomaliesView(EngineView):
    """Anomaly flags with a reason a user can read."""

    @extend_schema(
        operation_id="anomalies", parameters=[ScopeParams], responses={200: AnomalyReportSerializer, **ERRORS},
        description=describe(SCOPE_DOC, _(
            "Flags, each with a readable reason and the numbers behind it (default thresholds in thresholds): "
            "ratio_shift (a week's likes per comment or per share at least twice, or at most half, the account's "
            "rolling median over its previous 8 weeks with data — the middle value, or the mean of the two middle "
            "values for an even count; needs 4 such weeks and 20 comments + shares in the week), early_surge (at "
            "least half of a post's views, likes, comments or shares, of at least 100, arrived in its first 3 "
            "hours, where hourly snapshots exist), push_day_loss (at least 10 followers lost on a day with a push, "
            "and at least twice the median loss of days without one), flat_growth (at least 1,000 interactions "
            "but under 1 net follower per 1,000 interactions and growth of at most 0.5 percent). checked says how many "
            "accounts (posts, for early_surge) each check could look at.")),
    )
    def get(self, request, org_slug):
        data = self.params(request)
        report = anomalies(self.scope(data), data["period"])
        answer = as_json(report)
        # label and reason in the request's language (the dashboards' wording, from the same numbers in values)
        for item, flag in zip(answer["anomalies"], report.anomalies, strict=True):
            item["label"] = str(ANOMALY_TITLES.get(flag.kind, flag.label))
            item["reason"] = anomaly_reason(flag)
        return Response(answer)


kpi_urlpatterns = [
    path("kpis/", KpiView.as_view(), name="kpis"),
    path("funnel/", FunnelView.as_view(), name="funnel"),
    path("category-comparison/", CategoryComparisonView.as_view(), name="category-comparison"),
    path("benchmarks/", BenchmarksView.as_view(), name="benchmarks"),
    path("anomalies/", AnomaliesView.as_view(), name="anomalies"),
]
