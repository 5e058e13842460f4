"""/api/v1/catalog/: the metric catalog and the platforms, for clients that label, format and explain numbers.

Not tenant data (the same for every organization), so it sits outside /api/v1/orgs/<slug>/ and asks only for a
signed-in user. Everything comes from ``metrics.catalog``, the one source of truth the importers and the KPI
engine use, so a label or a formula shown by a client is the one the numbers were computed with.
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.catalog import CATALOG, PLATFORM_LABELS, STAGE_LABELS, STAGE_ORDER, Metric


class CatalogPlatformSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(help_text=_("In the request's language."))
    name_en = serializers.CharField()
    name_zh = serializers.CharField()


class CatalogStageSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class CatalogMetricSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text=_("In the request's language."))
    label_en = serializers.CharField()
    label_zh = serializers.CharField()
    unit = serializers.CharField(help_text=_("count, cny, percent (a 0-1 fraction), seconds, ratio or stars."))
    family = serializers.CharField()
    stages = serializers.ListField(child=serializers.CharField(), help_text=_("Funnel stages, in funnel order."))
    aggregation = serializers.CharField(help_text=_("sum, last, max, derived or reported."))
    platforms = serializers.ListField(child=serializers.CharField())
    levels = serializers.ListField(child=serializers.CharField(), help_text=_("post and/or account."))
    higher_is_better = serializers.BooleanField()
    description = serializers.CharField(allow_blank=True)
    formula = serializers.DictField(
        child=serializers.CharField(), allow_null=True,
        help_text=_("Derived KPIs: the formula per platform (a ratio of sums over the scope); null for base metrics."),
    )


class CatalogSerializer(serializers.Serializer):
    platforms = CatalogPlatformSerializer(many=True)
    stages = CatalogStageSerializer(many=True)
    metrics = CatalogMetricSerializer(many=True)


def _metric_entry(metric: Metric, language: str) -> dict:
    return {
        "key": metric.key,
        "label": metric.label(language),
        "label_en": metric.en,
        "label_zh": metric.zh,
        "unit": str(metric.unit),
        "family": str(metric.family),
        "stages": [str(stage) for stage in STAGE_ORDER if stage in metric.stages],
        "aggregation": str(metric.agg),
        "platforms": [str(platform) for platform in metric.platforms],
        "levels": [str(level) for level in metric.levels],
        "higher_is_better": metric.higher_is_better,
        "description": metric.description,
        "formula": {str(p): metric.formula(p) for p in metric.platforms} if metric.is_derived else None,
    }


def catalog_payload(language: str) -> dict:
    """The catalog as plain data; labels in ``language`` beside both English and Chinese."""
    is_zh = (language or "").lower().startswith("zh")
    return {
        "platforms": [
            {"key": str(key), "name": zh if is_zh else en, "name_en": en, "name_zh": zh}
            for key, (en, zh) in PLATFORM_LABELS.items()
        ],
        "stages": [{"key": key, "label": str(STAGE_LABELS[key])} for key in STAGE_ORDER],
        "metrics": [_metric_entry(metric, language) for metric in CATALOG.values()],
    }


class CatalogView(APIView):
    """The metric catalog (labels in English and Chinese, unit, family, funnel stages, aggregation, platforms,
    each derived KPI's formula per platform) and the platforms with their English and Chinese names."""

    @extend_schema(responses=CatalogSerializer)
    def get(self, request):
        return Response(catalog_payload(get_language()))
