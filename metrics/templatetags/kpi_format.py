"""Template filters and tags that show numbers the way ``metrics.presentation`` formats them.

``{% load kpi_format %}`` then ``{{ value|kpi:"percent" }}``, ``{{ value|metric_value:"engagement_rate" }}``,
``{{ change|kpi_change }}``, ``{% change_tone change "followers_lost" %}``, ``{{ key|metric_label }}``,
``{{ key|platform_label }}``, ``{{ post.published_at|published }}`` and ``{% chart payload "id" %}``.
"""

from django import template

from metrics import presentation
from metrics.catalog import CATALOG

register = template.Library()


@register.filter
def kpi(value, unit="count"):
    """A value in a catalog unit (count, cny, percent, seconds, ratio, stars)."""
    return presentation.format_value(value, unit or "count")


@register.filter
def metric_value(value, key):
    """A value of the catalog metric ``key``, in its unit."""
    if key not in CATALOG:
        return presentation.format_value(value)
    return presentation.format_metric(key, value)


@register.filter
def kpi_change(change):
    """A relative change as ``+12.3%`` (``—`` without a previous value)."""
    return presentation.format_change(change)


@register.simple_tag
def change_tone(change, key=None):
    """``up`` / ``down`` / ``flat``: whether the change is good news for the metric (CSS classes)."""
    metric = CATALOG.get(key) if key else None
    return presentation.change_tone(change, metric.higher_is_better if metric else True)


@register.filter
def metric_label(key):
    return presentation.metric_label(key)


@register.filter
def platform_label(key):
    return presentation.platform_label(key)


@register.filter
def published(moment):
    """A publication time as the guide's table writes it (``Sun 16 Jul at 12:00``)."""
    return presentation.format_datetime(moment)


@register.filter
def day(value):
    return presentation.format_date(value)


@register.inclusion_tag("metrics/_chart.html")
def chart(payload, chart_id, title="", css_class=""):
    """A chart container and its figure as JSON (drawn by static/js/dashboards.js)."""
    return {"payload": payload, "chart_id": chart_id, "title": title, "css_class": css_class}
