"""What an export looks like: ``ReportFormat`` = identifying headers + a column map onto the metric catalog.

A platform export is data, not code: its headers (with aliases), what each column becomes (a catalog metric,
a canonical field, or a named value kept in ``extra``) and how to read it (count, rate, seconds, stars, cny,
date...). Layout quirks are declared too (``pivot`` for day×channel tables whose ``全部`` row is the total,
``keyvalue`` for sectioned label/value sheets, ``sheets`` for one-trend-per-sheet workbooks), so a new format is
a new column map, not new control flow.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from metrics import catalog

# Canonical fields of a normalised row, with how their cells are read.
CANONICAL_FIELDS: dict[str, str] = {
    "platform_post_id": "id",
    "url": "text",
    "title": "text",
    "published_at": "datetime",
    "content_format": "text",
    "status": "text",
    "date": "date",
    "channel": "text",
    "account_name": "text",
    "ad_group": "id",
    "material_id": "id",
    "campaign": "text",
}
CONTENT_FORMATS = ("article", "image_note", "short_video", "long_video", "livestream", "skit_episode", "ad", "post")
LEVELS = ("post", "account")
BASES = ("cumulative", "daily", "period")
"""cumulative: lifetime-to-date totals at collection time; daily: values for the row's date; period: totals over
the range chosen at download (neither lifetime nor one day; e.g. search data, 30-day summaries)."""

TEXT_KINDS = ("text", "id")
DATE_KINDS = ("date", "datetime")
NUMBER_KINDS = ("count", "number", "rate", "seconds", "stars", "cny")
KINDS = TEXT_KINDS + DATE_KINDS + NUMBER_KINDS

_UNIT_KIND = {
    catalog.Unit.COUNT: "count",
    catalog.Unit.CNY: "cny",
    catalog.Unit.PERCENT: "rate",
    catalog.Unit.SECONDS: "seconds",
    catalog.Unit.RATIO: "number",
    catalog.Unit.STARS: "stars",
}

_UNIT_SUFFIX_RE = re.compile(r"\((?:%|元|万元|秒|s|分钟|min|次|人|条|个|篇|分|万|w)\)$")


def norm_header(text: Any) -> str:
    """Header key for matching: NFKC (full-width brackets, digits and spaces to ASCII), no whitespace,
    lower case, no trailing colon. ``评论（条）`` and ``评论(条)`` and `` 评论 (条) `` are the same header."""
    if text is None:
        return ""
    if isinstance(text, str):
        return _norm_text(text)
    return _norm_text(str(text))


@lru_cache(maxsize=65536)
def _norm_text(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    s = "".join(s.split()).lower().replace("\ufeff", "").replace("\u200b", "")
    return s.rstrip(":")


@lru_cache(maxsize=65536)
def strip_unit(norm: str) -> str:
    """``点击率(%)`` -> ``点击率``: the unit lives in the header on ad reports; matching ignores it."""
    return _UNIT_SUFFIX_RE.sub("", norm)


def header_percent(header: str) -> bool:
    """A bare number under a header with ``(%)`` is a percent number."""
    return "(%)" in norm_header(header)


def header_scale(header: str, kind: str) -> float:
    """The unit a header states for bare numbers: 万/万元 -> 1e4, minutes -> 60 (for durations)."""
    h = norm_header(header)
    if "(万元)" in h or "(万)" in h or "(w)" in h:
        return 1e4
    if kind == "seconds" and ("(分钟)" in h or "(min)" in h):
        return 60.0
    return 1.0


def target_kind(target: str) -> str:
    """How cells of a target are read by default: canonical fields by their type, catalog metrics by unit."""
    if target in CANONICAL_FIELDS:
        return CANONICAL_FIELDS[target]
    metric = catalog.CATALOG.get(target)
    if metric is not None:
        return _UNIT_KIND.get(metric.unit, "number")
    return "number"


def column_metrics(level: str) -> tuple[str, ...]:
    """The metric keys that get their own float column for a level (the rest go to ``extra``)."""
    if level == "account":
        return tuple(dict.fromkeys((*catalog.COLUMN_METRICS, *catalog.ACCOUNT_COLUMN_METRICS)))
    return catalog.COLUMN_METRICS


@dataclass(frozen=True)
class Column:
    """One export column: its header aliases and what it becomes.

    ``target``: a canonical field, a catalog metric key, or any other name (kept in ``extra`` under it).
    ``values``: for text targets such as ``content_format``, (substring, canonical value) pairs tried in order;
    the raw text is also kept in ``extra[keep_raw]`` when ``keep_raw`` is set.
    ``scale``: unit of bare numbers (0.01 for 赞赏(分) in fen); headers with 万/分钟 add their own scale.
    """

    target: str
    headers: tuple[str, ...]
    kind: str | None = None
    required: bool = False
    scale: float = 1.0
    values: tuple[tuple[str, str], ...] = ()
    keep_raw: str | None = None

    @property
    def read_as(self) -> str:
        return self.kind or target_kind(self.target)

    @property
    def label(self) -> str:
        return self.headers[0]


def col(target: str, *headers: str, kind: str | None = None, required: bool = False, scale: float = 1.0,
        values: Mapping[str, str] | Iterable[tuple[str, str]] = (), keep_raw: str | None = None) -> Column:
    """Shorthand used by the platform modules: ``col("views", "播放量", required=True)``."""
    pairs = tuple(values.items()) if isinstance(values, Mapping) else tuple(values)
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return Column(target, tuple(headers), kind, required, scale, pairs, keep_raw)


@dataclass(frozen=True)
class Pivot:
    """Rows split by a dimension (channel) with a total row: the total row's values are the row's values,
    the other rows go to ``extra["<target>_by_<by>"]`` and are never added up (they overlap)."""

    keys: tuple[str, ...] = ("date",)
    by: str = "channel"
    totals: tuple[str, ...] = ("全部", "合计", "总计", "all", "total")


@dataclass(frozen=True)
class ReportFormat:
    key: str  # "<platform>.<report kind>", e.g. "douyin.works"
    platform: str
    label_en: str
    label_zh: str
    level: str  # post | account
    basis: str  # cumulative | daily | period
    columns: tuple[Column, ...]
    layout: str = "table"  # table | keyvalue | sheets
    content_format: str | None = None  # default for the rows (a content_format column overrides)
    pivot: Pivot | None = None
    key_fields: tuple[tuple[str, ...], ...] = ()  # alternatives: a row needs every field of one of them
    markers: tuple[str, ...] = ()  # texts that must appear in the scanned rows (keyvalue layouts)
    min_matched: int = 1  # headers/labels that must match at least (on top of the required ones)
    companions: tuple[str, ...] = ()  # formats expected further down the same sheet (keyvalue)
    last_day_unsettled: bool = False  # the newest date is still moving: rows flagged ``unsettled``
    post_id_from_url: Callable[[str], str | None] | None = field(default=None, compare=False)
    description: str = ""
    custom: bool = False  # built from a user's saved mapping

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"{self.key}: level must be one of {LEVELS}")
        if self.basis not in BASES:
            raise ValueError(f"{self.key}: basis must be one of {BASES}")
        if self.content_format is not None and self.content_format not in CONTENT_FORMATS:
            raise ValueError(f"{self.key}: unknown content_format {self.content_format!r}")

    @property
    def kind(self) -> str:
        """The report kind part of the key (``works`` in ``douyin.works``)."""
        return self.key.split(".", 1)[1] if "." in self.key else self.key

    def label(self, language: str | None = None) -> str:
        return self.label_zh if (language or "").lower().startswith("zh") else self.label_en

    @property
    def required_headers(self) -> list[str]:
        return [c.label for c in self.columns if c.required]

    @property
    def optional_headers(self) -> list[str]:
        return [c.label for c in self.columns if not c.required]

    @property
    def keys_required(self) -> tuple[tuple[str, ...], ...]:
        if self.key_fields:
            return self.key_fields
        if self.basis == "daily":
            return (("date",),)
        return (("platform_post_id",), ("url",), ("title",)) if self.level == "post" else ()

    def __str__(self) -> str:
        return f"{self.key} ({self.label_en} / {self.label_zh})"

    @classmethod
    def from_mapping(cls, platform: str, level: str, basis: str, mapping: Mapping[str, str | None],
                     name: str) -> ReportFormat:
        """An ad-hoc format from a user's saved column mapping (header -> target; empty target = ignore).

        Targets are canonical fields, catalog metric keys, or ``extra:<name>`` for a value kept as reported.
        Every mapped header is required, so the template only matches files that have them.
        """
        if platform not in catalog.ALL_PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        columns = []
        for header, target in mapping.items():
            if not target:
                continue
            kind = None
            if target.startswith("extra:"):
                target, kind = target[len("extra:"):], "number"
            elif target not in CANONICAL_FIELDS and target not in catalog.CATALOG:
                raise ValueError(f"unknown target {target!r} for column {header!r}")
            columns.append(Column(target, (header,), kind, True))
        if not columns:
            raise ValueError("the mapping maps no column")
        slug = re.sub(r"\s+", "_", name.strip()) or "mapping"
        return cls(key=f"{platform}.custom:{slug}", platform=platform, label_en=name, label_zh=name, level=level,
                   basis=basis, columns=tuple(columns), custom=True,
                   content_format="ad" if any(c.target in ("ad_group", "material_id") for c in columns) else None)
