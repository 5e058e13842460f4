"""What a KPI question is about (``Scope``) and when (``Period``).

A ``Scope`` is already restricted to what the asking member may see: the API layer passes the brands of the
member's ``Membership`` (clients: their granted brands only) and the engine never widens it. Every filter is a
tuple so that one value and several values read the same; an empty tuple means "no restriction".

A ``Period`` is a range of Beijing-time days, both ends included, with a granularity for the series and a
previous period to compare with (see ``Period.previous``).
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"
    QUARTER = "quarter"


class Preset(StrEnum):
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"
    LAST_90_DAYS = "last_90_days"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_QUARTER = "this_quarter"
    THIS_YEAR = "this_year"


class PaidMode(StrEnum):
    """How per-post comparisons treat paid/promoted content (DOMAIN.md §5: never mixed unless asked).

    A post is *paid* when its media type is ``paid`` or its traffic is ``paid`` (promoted content, paid ads,
    influencer collaborations, boosted posts); every other post is *organic*.
    """

    EXCLUDE = "exclude"  # organic posts only (the default)
    ONLY = "only"  # paid posts only
    SEPARATE = "separate"  # organic and paid groups side by side, never pooled
    INCLUDE = "include"  # pooled, as asked; each group still says how many of its posts are paid


def _tuple(values) -> tuple:
    if values is None:
        return ()
    if isinstance(values, str | int):
        values = (values,)
    # Plain str (not StrEnum members) so that keys, JSON and database parameters see the same value.
    return tuple(sorted({str(v) if isinstance(v, str) else v for v in values}, key=str))


@dataclass(frozen=True)
class Scope:
    """The slice of an organization's data a KPI question is about.

    ``brand_ids`` must already be limited to the brands the member may see; an empty ``brand_ids`` is an empty
    answer, never "all brands". ``category_id`` includes the category's descendants (sub-categories, variants).
    ``include_competitors`` is False for the brand's own KPIs: accounts flagged ``is_competitor`` are left out
    (benchmarks turn it on).
    """

    organization_id: int
    brand_ids: tuple[int, ...]
    platforms: tuple[str, ...] = ()
    account_ids: tuple[int, ...] = ()
    media_types: tuple[str, ...] = ()
    paid_kinds: tuple[str, ...] = ()
    traffic: tuple[str, ...] = ()
    content_formats: tuple[str, ...] = ()
    category_id: int | None = None
    campaign_ids: tuple[int, ...] = ()
    include_competitors: bool = False

    def __post_init__(self):
        for name in ("brand_ids", "platforms", "account_ids", "media_types", "paid_kinds", "traffic",
                     "content_formats", "campaign_ids"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))

    @property
    def post_only_filters(self) -> tuple[str, ...]:
        """The filters that exist on content but not on account-level data (AccountDailyFact)."""
        names = ("paid_kinds", "traffic", "content_formats", "category_id", "campaign_ids")
        return tuple(n for n in names if getattr(self, n) not in ((), None))

    def narrowed(self, **changes) -> Scope:
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Period:
    """Days ``start`` … ``end`` (both included, Beijing time) and the granularity of the series."""

    start: date
    end: date
    granularity: Granularity = Granularity.DAY
    label: str = field(default="", compare=False)

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        object.__setattr__(self, "granularity", Granularity(self.granularity))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before, of the same length.

        "Same length" is calendar-aware: a whole calendar month is compared with the previous calendar month,
        a whole quarter with the previous quarter, a whole year with the previous year (so March is compared
        with February, not with the 31 days before 1 March); any other range with the same number of days
        ending the day before ``start``.
        """
        if self._is_whole(1):
            start = _add_months(self.start, -1)
            return Period(start, _month_end(start), self.granularity)
        if self._is_whole(3) and self.start.month in (1, 4, 7, 10):
            start = _add_months(self.start, -3)
            return Period(start, _month_end(_add_months(start, 2)), self.granularity)
        if self._is_whole(12) and self.start.month == 1:
            return Period(date(self.start.year - 1, 1, 1), date(self.start.year - 1, 12, 31), self.granularity)
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, self.granularity)

    def _is_whole(self, months: int) -> bool:
        return self.start.day == 1 and self.end == _month_end(_add_months(self.start, months - 1))

    def buckets(self) -> list[tuple[date, date]]:
        """The series buckets (day, ISO week, month or quarter), clipped to the period."""
        out = []
        cursor = self.start
        while cursor <= self.end:
            bucket_end = min(self.end, bucket_last_day(cursor, self.granularity))
            out.append((cursor, bucket_end))
            cursor = bucket_end + timedelta(days=1)
        return out

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) in the project's time zone, for ``published_at`` comparisons."""
        tz = ZoneInfo(settings.TIME_ZONE)
        return (datetime.combine(self.start, time.min, tzinfo=tz),
                datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz))

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days,
                "granularity": str(self.granularity)}

    @classmethod
    def preset(cls, name: str, granularity: str | None = None, today: date | None = None) -> Period:
        """A named period ending today (Beijing time) or the calendar period containing today.

        ``last_N_days`` ends today and has N days; ``this_month`` / ``this_quarter`` / ``this_year`` run from the
        calendar start to today; ``last_month`` is the whole previous calendar month.
        """
        today = today or timezone.localdate()
        name = Preset(name)
        if name in (Preset.LAST_7_DAYS, Preset.LAST_30_DAYS, Preset.LAST_90_DAYS):
            n = int(name.value.split("_")[1])
            start, end, default = today - timedelta(days=n - 1), today, Granularity.DAY
        elif name == Preset.THIS_MONTH:
            start, end, default = today.replace(day=1), today, Granularity.DAY
        elif name == Preset.LAST_MONTH:
            start = _add_months(today.replace(day=1), -1)
            end, default = _month_end(start), Granularity.DAY
        elif name == Preset.THIS_QUARTER:
            start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
            end, default = today, Granularity.WEEK
        else:
            start, end, default = date(today.year, 1, 1), today, Granularity.MONTH
        return cls(start, end, Granularity(granularity or default), label=name.value)


def bucket_first_day(day: date, granularity: Granularity) -> date:
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    if granularity == Granularity.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day


def bucket_last_day(day: date, granularity: Granularity) -> date:
    if granularity == Granularity.WEEK:
        return day + timedelta(days=6 - day.weekday())
    if granularity == Granularity.MONTH:
        return _month_end(day)
    if granularity == Granularity.QUARTER:
        return _month_end(date(day.year, 3 * ((day.month - 1) // 3) + 3, 1))
    return day


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
