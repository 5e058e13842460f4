"""How numbers, units, dates and charts are shown: one place, so a figure reads the same on every page.

- Counts: thousands separators in English (``12,345``); in Chinese ``万`` and ``亿`` from 10,000 up
  (``1.2万``, ``3.4亿``), the way Chinese dashboards and the platforms' own backends write them.
- Money: CNY with ``¥`` (``¥12,345.60``; ``¥1.2万`` in Chinese).
- Percent: catalog rates are 0–1 fractions, shown as ``12.3%``.
- Seconds: ``1m 05s`` / ``1分05秒``; ratios as plain numbers; Bilibili's star rating as ``4.5★``.
- Changes: relative change as a signed percent (``+12.3%``), with its direction and whether it is good news
  for the metric (follower loss going up is bad).

Plotly figures are built on the server with the ``plotly`` package and handed to the page as JSON
(``figure_payload``): data and layout from the figure, the plotly.js config from ``chart_config`` (responsive,
no Plotly logo, the camera button downloads a PNG named after the chart).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from metrics.catalog import CATALOG, PLATFORM_LABELS, Unit
from metrics.kpis.anomalies import EARLY_METRICS as ANOMALY_EARLY_METRICS
from metrics.kpis.anomalies import KINDS as ANOMALY_KINDS

DASH = "—"  # an empty value: no data, or a ratio without a denominator

FONT_STACK = (
    '-apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
    '"Noto Sans CJK SC", "Source Han Sans SC", "Segoe UI", Roboto, Arial, sans-serif'
)
COLORWAY = ("#1f6feb", "#e8590c", "#1a7f37", "#8250df", "#cf222e", "#0a7ea4", "#9a6700", "#6e7781")
PLATFORM_COLORS = {
    "wechat_oa": "#1aad19",
    "wechat_channels": "#fa9d3b",
    "douyin": "#111827",
    "kuaishou": "#ff6a00",
    "xiaohongshu": "#ff2442",
    "bilibili": "#00a1d6",
    "weibo": "#e6162d",
}


def is_chinese(language: str | None = None) -> bool:
    """True when ``language`` (default: the active one) is Chinese."""
    return (language or get_language() or "").lower().startswith("zh")


# --- numbers -------------------------------------------------------------------------------------------------


def _trim(text: str) -> str:
    """``1.20`` → ``1.2``, ``3.0`` → ``3`` (only for the compact 万/亿 forms, where trailing zeros are noise)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_number(value: float | int | None, language: str | None = None, decimals: int = 0) -> str:
    """A count or amount: ``12,345`` in English; ``1.2万`` / ``3.4亿`` from 10,000 up in Chinese."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    value = float(value)
    if is_chinese(language):
        magnitude = abs(value)
        for threshold, suffix in ((1e8, "亿"), (1e4, "万")):
            if magnitude >= threshold:
                scaled = value / threshold
                digits = 1 if abs(scaled) < 1000 else 0
                text = _trim(f"{scaled:.{digits}f}")
                if suffix == "万" and abs(float(text)) >= 10000:  # 9,999.96万 rounds up to 1亿
                    return _trim(f"{value / 1e8:.1f}") + "亿"
                return text + suffix
    return f"{value:,.{decimals}f}"


def format_percent(fraction: float | None, decimals: int = 1) -> str:
    """A 0–1 fraction as a percent: ``0.1234`` → ``12.3%``; tiny rates keep two decimals (``0.04%``)."""
    if fraction is None:
        return DASH
    percent = fraction * 100
    if 0 < abs(percent) < 1:
        decimals = max(decimals, 2)
    return f"{percent:,.{decimals}f}%"


def format_seconds(seconds: float | None, language: str | None = None) -> str:
    """A duration: ``45s``, ``1m 05s``, ``2h 03m`` (``45秒``, ``1分05秒``, ``2小时03分`` in Chinese)."""
    if seconds is None:
        return DASH
    total = round(float(seconds))
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    sign = "-" if total < 0 else ""
    zh = is_chinese(language)
    if hours:
        return f"{sign}{hours}小时{minutes:02d}分" if zh else f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}分{secs:02d}秒" if zh else f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}秒" if zh else f"{sign}{secs}s"


def format_cny(value: float | None, language: str | None = None) -> str:
    """An amount in CNY: ``¥12,345.60``; from ¥10,000 up in Chinese ``¥1.2万``."""
    if value is None:
        return DASH
    sign = "-" if value < 0 else ""
    magnitude = abs(float(value))
    if is_chinese(language) and magnitude >= 1e4:
        return f"{sign}¥{format_number(magnitude, language)}"
    decimals = 0 if magnitude >= 1e5 else 2
    return f"{sign}¥{magnitude:,.{decimals}f}"


def format_value(value: float | int | None, unit: str | Unit = Unit.COUNT, language: str | None = None) -> str:
    """A value in its catalog unit, in the active (or given) language."""
    if value is None:
        return DASH
    unit = Unit(unit)
    if unit == Unit.PERCENT:
        return format_percent(value)
    if unit == Unit.CNY:
        return format_cny(value, language)
    if unit == Unit.SECONDS:
        return format_seconds(value, language)
    if unit == Unit.RATIO:
        return f"{float(value):,.2f}"
    if unit == Unit.STARS:
        return f"{float(value):.1f}★"
    if abs(float(value)) < 10 and float(value) != int(float(value)):
        return format_number(value, language, decimals=1)  # an average like 2.4 posts a day
    return format_number(value, language)


def format_metric(key: str, value: float | int | None, language: str | None = None) -> str:
    """A catalog metric's value in its unit."""
    return format_value(value, CATALOG[key].unit, language)


def format_change(change: float | None) -> str:
    """A relative change (0.123 = +12.3%) with its sign; ``—`` when there is no previous value to compare."""
    if change is None:
        return DASH
    if abs(change) < 0.0005:
        return "0.0%"
    return f"{change * 100:+,.1f}%"


def change_tone(change: float | None, higher_is_better: bool = True) -> str:
    """``up``, ``down`` or ``flat``: whether a change is good news for the metric (CSS classes of the same names
    colour it green and red)."""
    if change is None or abs(change) < 0.0005:
        return "flat"
    good = (change > 0) == higher_is_better
    return "up" if good else "down"


# --- labels and dates ----------------------------------------------------------------------------------------


def metric_label(key: str, language: str | None = None) -> str:
    """The catalog label of a metric in the active language (the key itself when it is not in the catalog)."""
    metric = CATALOG.get(key)
    return metric.label(language or get_language()) if metric else key


def platform_label(key: str | None, language: str | None = None) -> str:
    """The platform's name in the active language (``抖音`` / ``Douyin``)."""
    if not key:
        return _("All platforms")
    names = PLATFORM_LABELS.get(key)
    if names is None:
        return key
    return names[1] if is_chinese(language) else names[0]


_WEEKDAYS_ZH = "一二三四五六日"


def format_datetime(moment: datetime | None, language: str | None = None) -> str:
    """A publication time as the guide's table writes it: ``Sun 16 Jul at 12:00`` / ``7月16日 周日 12:00``,
    in Beijing time, with the year when it is not this year."""
    if moment is None:
        return DASH
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    this_year = timezone.localdate().year
    if is_chinese(language):
        year = f"{local.year}年" if local.year != this_year else ""
        return f"{year}{local.month}月{local.day}日 周{_WEEKDAYS_ZH[local.weekday()]} {local:%H:%M}"
    year = f" {local.year}" if local.year != this_year else ""
    return f"{local:%a} {local.day} {local:%b}{year} at {local:%H:%M}"


def format_date(day: date | None, language: str | None = None) -> str:
    """A day: ``16 Jul 2024`` / ``2024年7月16日``."""
    if day is None:
        return DASH
    if is_chinese(language):
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day:%b} {day.year}"


def format_period(start: date, end: date, language: str | None = None) -> str:
    """A date range: ``1 Jul – 31 Jul 2024`` / ``2024年7月1日 – 7月31日``."""
    if is_chinese(language):
        tail = f"{end.month}月{end.day}日" if end.year == start.year else format_date(end, language)
        return f"{format_date(start, language)} – {tail}"
    head = f"{start.day} {start:%b}" if start.year == end.year else format_date(start, language)
    return f"{head} – {format_date(end, language)}"


# --- charts --------------------------------------------------------------------------------------------------


def chart_config(filename: str, language: str | None = None) -> dict:
    """plotly.js config of every chart: resizes with its container, no Plotly logo, PNG download."""
    return {
        "responsive": True,
        "displaylogo": False,
        "locale": "zh-CN" if is_chinese(language) else "en",
        "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


@lru_cache(maxsize=1)
def _template():
    import plotly.graph_objects as go

    axis = {"gridcolor": "#eef0f4", "linecolor": "#d0d7de", "zerolinecolor": "#d0d7de", "automargin": True}
    return go.layout.Template(
        layout={
            "colorway": list(COLORWAY),
            "font": {"family": FONT_STACK, "size": 12, "color": "#1d2330"},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "xaxis": axis,
            "yaxis": axis,
            "hoverlabel": {"font": {"family": FONT_STACK}},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
            "margin": {"l": 48, "r": 16, "t": 36, "b": 40},
        }
    )


def new_figure(title: str | None = None, height: int = 320, **layout):
    """A Plotly figure with kpiboard's light style (no heavy default template: it would ship ~10 kB per chart)."""
    import plotly.graph_objects as go

    base = {"template": _template(), "height": height}
    if title:
        # The title stays in the chart (a downloaded PNG says what it shows); the legend sits between it and the plot.
        base["title"] = {
            "text": title,
            "x": 0,
            "xanchor": "left",
            "y": 0.985,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": 14},
        }
        base["margin"] = {"l": 48, "r": 16, "t": 76, "b": 40}
    base.update(layout)
    return go.Figure(layout=base)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 × 10ⁿ steps)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def value_axis(values, unit: str | Unit = Unit.COUNT, language: str | None = None) -> dict:
    """Axis settings for values in ``unit``: Chinese 万/亿 tick labels (d3-format cannot write them), thousands
    separators in English, ``%`` for rates."""
    unit = Unit(unit)
    if unit == Unit.PERCENT:
        return {"tickformat": ".1~%", "rangemode": "tozero"}
    if unit == Unit.CNY and not is_chinese(language):
        return {"tickprefix": "¥", "tickformat": ",~r", "rangemode": "tozero"}
    numbers = [float(v) for v in values if v is not None]
    if not is_chinese(language) or not numbers or max(abs(v) for v in numbers) < 1e4:
        return {"tickformat": ",~r", "rangemode": "tozero", **({"tickprefix": "¥"} if unit == Unit.CNY else {})}
    ticks = nice_ticks(min(numbers), max(numbers))
    prefix = "¥" if unit == Unit.CNY else ""
    return {
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [prefix + format_number(t, language) for t in ticks],
        "rangemode": "tozero",
    }


def hover_texts(values, unit: str | Unit = Unit.COUNT, language: str | None = None) -> list[str]:
    """The formatted values for ``customdata``, so hover labels read as the tables do."""
    return [format_value(v, unit, language) for v in values]


def figure_payload(fig, name: str, language: str | None = None, empty: bool | None = None) -> dict:
    """What the page embeds (with ``json_script``) for one chart: ``{data, layout, config, empty}``.

    ``empty`` marks a chart without data points (the page shows a note instead of blank axes); by default it
    is worked out from the traces.
    """
    spec = fig.to_plotly_json()
    data = spec.get("data", [])
    if empty is None:
        empty = not any(_points(trace) for trace in data)
    return {
        "data": data,
        "layout": spec.get("layout", {}),
        "config": chart_config(name, language),
        "empty": bool(empty),
    }


def _points(trace: dict) -> int:
    for key in ("y", "x", "values", "r"):
        values = trace.get(key)
        if values is not None and len(values):
            return len(values)
    return 0


# The anomaly flags' titles in the active language: the engine's own English labels, translated.
ANOMALY_TITLES = {kind: gettext_lazy(label) for kind, label in ANOMALY_KINDS.items()}
ANOMALY_SEVERITY = {"early_surge": "high", "push_day_loss": "high", "ratio_shift": "medium", "flat_growth": "medium"}


def anomaly_reason(anomaly) -> str:
    """The flag's reason in the active language, from the numbers the engine found (its own English sentence is
    kept as the tooltip)."""
    v = anomaly.values or {}
    num = format_number
    if anomaly.kind == "ratio_shift":
        parts, rose = [], False
        for kind, label in (("comment", _("likes per comment")), ("share", _("likes per share"))):
            ratio, median = v.get(f"likes_per_{kind}"), v.get(f"likes_per_{kind}_median")
            if ratio is None or median is None:
                continue
            rose = rose or ratio > median
            parts.append(
                _("%(ratio_name)s %(ratio)s against a rolling median of %(median)s")
                % {"ratio_name": label, "ratio": f"{ratio:,.1f}", "median": f"{median:,.1f}"}
            )
        cause = (
            _("Likes moved without comments and shares: like-bait or bought likes.")
            if rose
            else _("Likes fell while comments and shares held: like-bait or bought likes may have stopped.")
        )
        return "; ".join(parts) + ". " + cause
    if anomaly.kind == "early_surge":
        parts = []
        for key in ANOMALY_EARLY_METRICS:
            early, total = v.get(f"{key}_early"), v.get(f"{key}_total")
            if early is None or not total:
                continue
            parts.append(
                _("%(share)s of its %(metric)s (%(early)s of %(total)s)")
                % {
                    "share": format_percent(early / total, 0),
                    "metric": metric_label(key),
                    "early": num(early),
                    "total": num(total),
                }
            )
        return _(
            "%(parts)s arrived in the first hours after publication: bought volume is bought mostly in the "
            "2–3 hours after a push."
        ) % {"parts": ", ".join(parts)}
    if anomaly.kind == "push_day_loss":
        return _(
            "Lost %(lost)s followers on a day with %(pushes)s push(es), against a median of %(median)s on "
            "days without pushes: the content pushed may be driving followers away."
        ) % {
            "lost": num(v.get("followers_lost")),
            "pushes": v.get("pushes", "?"),
            "median": num(v.get("quiet_day_median")),
        }
    if anomaly.kind == "flat_growth":
        per_1000 = v.get("follows_per_1000_interactions")
        return _(
            "%(engagement)s interactions but %(net)s net followers (%(per)s per 1,000 interactions): people "
            "engage with single posts, but the account as a whole does not convince them to follow."
        ) % {
            "engagement": num(v.get("engagement")),
            "net": num(v.get("followers_net")),
            "per": f"{per_1000:.1f}" if per_1000 is not None else DASH,
        }
    return anomaly.reason
