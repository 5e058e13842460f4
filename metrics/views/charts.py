"""The dashboards' Plotly figures, built on the server from the engine's answers.

Each builder takes values the KPI engine computed (never a queryset) and returns ``presentation.figure_payload``:
the figure as JSON plus the plotly.js config (responsive, PNG download). Hover labels carry the same formatted
values the tables show (``customdata``), and Chinese axes get 万/亿 tick labels.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

import plotly
import plotly.graph_objects as go
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from metrics import presentation as fmt
from metrics.catalog import CATALOG, STAGE_LABELS, Unit
from metrics.kpis import Granularity
from metrics.kpis.cache import CACHE_PREFIX


def _lang() -> str:
    return get_language() or "en"


# The figures' code and wording: a deployment that changes either starts new cache entries.
_FIGURE_VERSION = hashlib.sha256(
    Path(__file__).read_bytes() + Path(fmt.__file__).read_bytes() + plotly.__version__.encode()
).hexdigest()[:16]


def cached_figure(builder):
    """Serve a figure builder's payload from the cache when it was built from the same inputs.

    Building a figure with ``plotly.graph_objects`` validates every property and costs 10–40 ms; a warm overview
    builds ten of them and spent more time there than in everything else. The key is the digest of the builder's
    name, its arguments (the engine's values, labels, names), the active language and time zone and
    ``_FIGURE_VERSION``: the same inputs give the same figure, so an entry is never stale and never says more than
    its inputs, which the caller already holds. Entries live as long as the engine's
    (``KPIBOARD_KPI_CACHE_SECONDS``).
    """

    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        try:
            inputs = pickle.dumps((builder.__name__, args, kwargs, _lang(), timezone.get_current_timezone_name(),
                                   _FIGURE_VERSION), protocol=5)
        except (pickle.PicklingError, TypeError, AttributeError):
            return builder(*args, **kwargs)
        key = f"{CACHE_PREFIX}:figure:{hashlib.sha256(inputs).hexdigest()}"
        payload = cache.get(key)
        if payload is None:
            payload = builder(*args, **kwargs)
            cache.set(key, payload, settings.KPIBOARD_KPI_CACHE_SECONDS)
        return payload

    return wrapper


def _date_axis(granularity: str) -> dict:
    zh = fmt.is_chinese()
    if granularity == Granularity.MONTH:
        return {"type": "date", "tickformat": "%Y年%-m月" if zh else "%b %Y", "dtick": "M1"}
    return {"type": "date", "tickformat": "%-m月%-d日" if zh else "%-d %b"}


def _bucket_label(start: date, end: date, granularity: str) -> str:
    if granularity == Granularity.DAY or start == end:
        return fmt.format_date(start)
    return fmt.format_period(start, end)


@cached_figure
def trend_figure(
    series: dict[str, Sequence], metric_key: str, granularity: str, *, name: str, title: str = "", compact: bool = False
) -> dict:
    """Lines of one metric per platform over the period's buckets.

    ``series``: platform key → the engine's ``Series`` (column-wise: ``starts``, ``ends``, ``values[key]``);
    ``compact`` draws a small chart without legend (the overview's cards).
    """
    metric = CATALOG[metric_key]
    lang = _lang()
    layout = {"height": 150, "showlegend": False, "margin": {"l": 40, "r": 8, "t": 8, "b": 24}} if compact else {}
    fig = fmt.new_figure(title, hovermode="x unified", **layout)
    all_values = []
    for platform, points in series.items():
        if points is None:
            continue
        xs = [start.isoformat() for start in points.starts]
        ys = list(points.values.get(metric_key, []))
        all_values += ys
        labels = [
            f"{_bucket_label(start, end, granularity)}: {fmt.format_value(v, metric.unit, lang)}"
            for start, end, v in zip(points.starts, points.ends, ys, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=fmt.platform_label(platform, lang),
                mode="lines+markers" if len(xs) < 40 else "lines",
                line={"color": fmt.PLATFORM_COLORS.get(platform), "width": 2},
                marker={"size": 5},
                # A day without a collection has no value (not zero): the line joins the collections around it.
                customdata=labels,
                hovertemplate="%{customdata}<extra>%{fullData.name}</extra>",
                connectgaps=True,
                meta={"platform": platform},
            )
        )
    fig.update_layout(xaxis=_date_axis(granularity), yaxis=fmt.value_axis(all_values, metric.unit, lang))
    has_points = any(v is not None for v in all_values)
    return fmt.figure_payload(fig, name, lang, empty=not has_points)


@cached_figure
def split_figure(
    groups: Sequence[tuple[str, dict[str, float | None]]],
    metric_keys: Sequence[str],
    *,
    name: str,
    title: str = "",
    colors: Sequence[str | None] = (),
) -> dict:
    """How each metric splits between groups (owned / paid / earned; organic / paid): one 100 % bar per metric,
    a segment per group, hover with the group's value and share."""
    lang = _lang()
    fig = fmt.new_figure(
        title,
        height=60 + 52 * len(metric_keys),
        barmode="stack",
        barnorm="percent",
        margin={"l": 8, "r": 16, "t": 64 if title else 30, "b": 30},
    )
    labels = [fmt.metric_label(k, lang) for k in metric_keys]
    totals = {k: sum((values.get(k) or 0) for _label, values in groups) for k in metric_keys}
    any_value = False
    for index, (label, values) in enumerate(groups):
        xs, texts = [], []
        for key in metric_keys:
            value = values.get(key)
            any_value = any_value or bool(value)
            xs.append(value or 0)
            share = (value or 0) / totals[key] if totals[key] else None
            texts.append(f"{fmt.format_metric(key, value, lang)} ({fmt.format_percent(share)})")
        fig.add_trace(
            go.Bar(
                y=labels,
                x=xs,
                name=str(label),
                orientation="h",
                customdata=texts,
                marker={"color": colors[index] if index < len(colors) else None},
                hovertemplate="%{y}: %{customdata}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(xaxis={"ticksuffix": "%", "range": [0, 100]}, yaxis={"autorange": "reversed"})
    return fmt.figure_payload(fig, name, lang, empty=not any_value)


@cached_figure
def followers_figure(points, granularity: str, *, name: str, title: str = "") -> dict:
    """Follower gain (up), loss (down) and net change (line) per bucket, from the account-level ``Series``."""
    lang = _lang()
    fig = fmt.new_figure(title, barmode="relative", hovermode="x unified")
    if points is None:
        return fmt.figure_payload(fig, name, lang, empty=True)
    xs = [start.isoformat() for start in points.starts]
    gained = list(points.values.get("followers_gained", []))
    lost = list(points.values.get("followers_lost", []))
    # Net change as the platforms report it (the engine's followers_net); where no platform reports it, gain − loss.
    reported = list(points.values.get("followers_net", [None] * len(xs)))
    net = [
        r if r is not None else (None if g is None and lo is None else (g or 0) - (lo or 0))
        for r, g, lo in zip(reported, gained, lost, strict=True)
    ]
    fig.add_trace(
        go.Bar(
            x=xs,
            y=gained,
            name=fmt.metric_label("followers_gained", lang),
            marker={"color": "#1a7f37"},
            customdata=fmt.hover_texts(gained, Unit.COUNT, lang),
            hovertemplate="%{customdata}<extra>%{fullData.name}</extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=xs,
            y=[-v if v is not None else None for v in lost],
            name=fmt.metric_label("followers_lost", lang),
            marker={"color": "#cf222e"},
            customdata=fmt.hover_texts(lost, Unit.COUNT, lang),
            hovertemplate="−%{customdata}<extra>%{fullData.name}</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=net,
            name=_("Net change"),
            mode="lines+markers",
            line={"color": "#1f6feb", "width": 2},
            marker={"size": 4},
            customdata=fmt.hover_texts(net, Unit.COUNT, lang),
            hovertemplate="%{customdata}<extra>%{fullData.name}</extra>",
        )
    )
    values = [v for v in (*gained, *(-(v or 0) for v in lost), *net) if v is not None]
    axis = fmt.value_axis(values, Unit.COUNT, lang)
    axis.pop("rangemode", None)
    fig.update_layout(xaxis=_date_axis(granularity), yaxis=axis)
    empty = all(v is None for v in (*gained, *lost))
    return fmt.figure_payload(fig, name, lang, empty=empty)


@cached_figure
def funnel_figure(stages: Sequence[dict], *, name: str, title: str = "") -> dict:
    """The funnel: one bar per stage (awareness → advocacy) with the stage's headline KPI.

    ``stages``: dicts with ``stage``, ``metric`` (catalog key) and ``value``. Stages have different units, so the
    bars are drawn on a log scale of their counts and labelled with their own formatted values.
    """
    lang = _lang()
    fig = fmt.new_figure(title, height=300, margin={"l": 8, "r": 16, "t": 40 if title else 16, "b": 20})
    names = [f"{STAGE_LABELS.get(s['stage'], s['stage'])} · {fmt.metric_label(s['metric'], lang)}" for s in stages]
    values = [s["value"] for s in stages]
    texts = [fmt.format_metric(s["metric"], s["value"], lang) for s in stages]
    fig.add_trace(
        go.Funnel(
            y=names,
            x=[v if v is not None else 0 for v in values],
            text=texts,
            textinfo="text",
            marker={"color": list(fmt.COLORWAY[: len(stages)])},
            connector={"line": {"color": "#d0d7de"}},
            customdata=texts,
            hovertemplate="%{y}: %{customdata}<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"automargin": True})
    return fmt.figure_payload(fig, name, lang, empty=not any(values))


@cached_figure
def strip_figure(groups: Sequence[dict], metric_key: str, *, name: str, title: str = "") -> dict:
    """Each post against its category's median: one row per category, a dot per post, the median as a bar mark.

    ``groups``: dicts with ``label``, ``median`` and ``posts`` (dicts with ``title``, ``value``, ``paid``).
    Organic and paid posts get their own colour so they are never read as one group.
    """
    metric = CATALOG[metric_key]
    lang = _lang()
    height = max(260, 70 + 46 * len(groups))
    fig = fmt.new_figure(
        title, height=height, hovermode="closest", margin={"l": 8, "r": 16, "t": 76 if title else 40, "b": 40}
    )
    all_values = []
    for paid, label, color in ((False, _("Organic"), "#1f6feb"), (True, _("Paid"), "#e8590c")):
        xs, ys, texts = [], [], []
        for group in groups:
            for post in group["posts"]:
                if bool(post.get("paid")) != paid or post.get("value") is None:
                    continue
                xs.append(post["value"])
                ys.append(group["label"])
                texts.append(f"{post['title'][:40]}<br>{fmt.format_value(post['value'], metric.unit, lang)}")
        all_values += xs
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="markers",
                    name=label,
                    customdata=texts,
                    marker={"color": color, "size": 8, "opacity": 0.7, "line": {"width": 0}},
                    hovertemplate="%{customdata}<extra>%{y}</extra>",
                )
            )
    medians = [(g["label"], g["median"]) for g in groups if g.get("median") is not None]
    if medians:
        fig.add_trace(
            go.Scatter(
                x=[m for _l, m in medians],
                y=[label for label, _m in medians],
                mode="markers",
                name=_("Median"),
                marker={
                    "symbol": "line-ns-open",
                    "size": 26,
                    "color": "#111827",
                    "line": {"width": 3, "color": "#111827"},
                },
                customdata=[fmt.format_value(m, metric.unit, lang) for _l, m in medians],
                hovertemplate=_("Median") + ": %{customdata}<extra>%{y}</extra>",
            )
        )
        all_values += [m for _l, m in medians]
    axis = fmt.value_axis(all_values, metric.unit, lang)
    fig.update_layout(xaxis=axis, yaxis={"autorange": "reversed", "type": "category"})
    return fmt.figure_payload(fig, name, lang, empty=not all_values)


@cached_figure
def history_figure(points: Sequence[tuple], metric_keys: Iterable[str], *, name: str, title: str = "") -> dict:
    """A post's snapshot history: its cumulative counters at each collection (as the platform reported them)."""
    lang = _lang()
    fig = fmt.new_figure(title, hovermode="x unified")
    all_values = []
    # plotly.js has no time zones: it would draw an aware datetime's wall clock in UTC. The axis shows Beijing
    # time, as the table beside it does.
    moments = [timezone.localtime(m).replace(tzinfo=None) if timezone.is_aware(m) else m for m, _v in points]
    for key in metric_keys:
        xs = [moment.isoformat() for moment in moments]
        ys = [values.get(key) for _moment, values in points]
        if not any(v is not None for v in ys):
            continue
        all_values += ys
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=fmt.metric_label(key, lang),
                mode="lines+markers",
                line={"shape": "hv"},
                marker={"size": 7},
                customdata=fmt.hover_texts(ys, CATALOG[key].unit, lang),
                hovertemplate="%{customdata}<extra>%{fullData.name}</extra>",
            )
        )
    zh = fmt.is_chinese(lang)
    days_apart = moments and max(moments) - min(moments) > timedelta(days=3)
    if days_apart:  # collections days apart: ticks on days (the hover still gives the time)
        xaxis = {"type": "date", "tickformat": "%-m月%-d日" if zh else "%-d %b"}
    else:
        xaxis = {"type": "date", "tickformat": "%-m月%-d日 %H:%M" if zh else "%-d %b %H:%M"}
    xaxis["hoverformat"] = "%Y年%-m月%-d日 %H:%M" if zh else "%-d %b %Y %H:%M"
    if moments and max(moments) - min(moments) < timedelta(hours=2):
        # One collection (or a few close together): a day either side, so the axis does not repeat one minute.
        xaxis["range"] = [
            (min(moments) - timedelta(days=1)).isoformat(),
            (max(moments) + timedelta(days=1)).isoformat(),
        ]
    fig.update_layout(xaxis=xaxis, yaxis=fmt.value_axis(all_values, Unit.COUNT, lang))
    return fmt.figure_payload(fig, name, lang, empty=not all_values)


@cached_figure
def ranking_figure(
    rows: Sequence[dict], metric_key: str, *, name: str, title: str = "", highlight: Iterable[str] = ()
) -> dict:
    """Horizontal bars ranking brands (or accounts) by one metric, the member's own brands highlighted."""
    metric = CATALOG[metric_key]
    lang = _lang()
    highlight = set(highlight)
    ordered = [r for r in rows if r.get("value") is not None]
    fig = fmt.new_figure(
        title, height=max(200, 60 + 34 * len(ordered)), margin={"l": 8, "r": 24, "t": 40 if title else 16, "b": 30}
    )
    fig.add_trace(
        go.Bar(
            y=[r["label"] for r in ordered],
            x=[r["value"] for r in ordered],
            orientation="h",
            marker={"color": ["#1f6feb" if r["label"] in highlight else "#9aa4b2" for r in ordered]},
            customdata=[fmt.format_value(r["value"], metric.unit, lang) for r in ordered],
            text=[fmt.format_value(r["value"], metric.unit, lang) for r in ordered],
            textposition="auto",
            hovertemplate="%{y}: %{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis=fmt.value_axis([r["value"] for r in ordered], metric.unit, lang),
    )
    return fmt.figure_payload(fig, name, lang, empty=not ordered)
