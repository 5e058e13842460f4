"""Query-parameter filters and orderings of the metrics API, declared once for filtering and for the schema.

A handful of equality filters does not justify django-filter as a dependency; what these declarations add is
that the OpenAPI parameters are generated from the same list that filters, so the docs cannot drift. Every
filter narrows a queryset the view has already scoped to the member (``OrgScopedMixin``): an id from another
organization simply matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from metrics.catalog import CATALOG
from metrics.choices import ContentFormat, MediaType, PaidKind, PlatformChoices, Traffic
from metrics.models import ContentCategory, PostCategory, PostDailyFact

TRUE_VALUES = ("1", "true", "yes", "on")
FALSE_VALUES = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Param:
    """One query parameter: how to parse it and how it narrows the queryset.

    ``lookup`` filters ``<lookup>__in`` the given values (a parameter may repeat, or hold comma-separated
    values); ``method(queryset, values, view)`` does anything else.
    """

    name: str
    description: str
    kind: str = "int"  # int | choice | bool | date | text
    lookup: str | None = None
    choices: Sequence[str] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # e.g. paid_kind "none" for the empty choice
    method: Callable | None = None
    many: bool = True

    def parse(self, raw: str):
        raw = raw.strip()
        if self.kind == "int":
            try:
                return int(raw)
            except ValueError:
                raise ValidationError({self.name: [_("Expected an id, got “%(value)s”.") % {"value": raw}]}) from None
        if self.kind == "choice":
            value = self.aliases.get(raw, raw)
            if value not in self.choices:
                allowed = ", ".join(sorted({*(c for c in self.choices if c), *self.aliases}))
                raise ValidationError({self.name: [
                    _("“%(value)s” is not one of: %(allowed)s.") % {"value": raw, "allowed": allowed}
                ]})
            return value
        if self.kind == "bool":
            if raw.lower() in TRUE_VALUES:
                return True
            if raw.lower() in FALSE_VALUES:
                return False
            raise ValidationError({self.name: [_("Expected true or false.")]})
        if self.kind == "date":
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise ValidationError({self.name: [_("Expected a date as YYYY-MM-DD.")]}) from None
        return raw

    def values(self, query_params) -> list:
        raw = query_params.getlist(self.name)
        if self.many:
            raw = [part for item in raw for part in item.split(",")]
        return [self.parse(item) for item in raw if item.strip()]  # a blank parameter filters nothing

    def openapi(self) -> OpenApiParameter:
        types = {"int": OpenApiTypes.INT, "bool": OpenApiTypes.BOOL, "date": OpenApiTypes.DATE}
        enum = None
        if self.kind == "choice":
            enum = [next((alias for alias, v in self.aliases.items() if v == c), c) for c in self.choices]
        description = str(self.description)
        if self.many and self.kind in ("int", "choice"):
            description += " " + str(_("Repeat the parameter or separate values with commas to match any of them."))
        return OpenApiParameter(self.name, types.get(self.kind, OpenApiTypes.STR), OpenApiParameter.QUERY,
                                description=description, enum=enum)


class FilterSet:
    """A list of ``Param``s applied in order; every parse error of the request is reported at once (400)."""

    params: tuple[Param, ...] = ()

    @classmethod
    def apply(cls, queryset: QuerySet, query_params, view) -> QuerySet:
        errors: dict = {}
        for param in cls.params:
            try:
                values = param.values(query_params)
            except ValidationError as exc:
                errors.update(exc.detail)
                continue
            if not values:
                continue
            if param.method is not None:
                queryset = param.method(queryset, values, view)
            elif param.many:
                queryset = queryset.filter(**{f"{param.lookup}__in": values})
            else:
                queryset = queryset.filter(**{param.lookup: values[-1]})
        if errors:
            raise ValidationError(errors)
        return queryset

    @classmethod
    def openapi(cls) -> list[OpenApiParameter]:
        return [param.openapi() for param in cls.params]


def _choices(choices) -> tuple[str, ...]:
    return tuple(value for value, _label in choices)


PLATFORM = Param("platform", _("Platform key."), kind="choice", lookup="platform",
                 choices=_choices(PlatformChoices.choices))
MEDIA_TYPE = Param("media_type", _("Owned, paid or earned."), kind="choice", lookup="media_type",
                   choices=_choices(MediaType.choices))
BRAND = Param("brand", _("Brand id."), lookup="brand_id")


class SocialAccountFilterSet(FilterSet):
    params = (
        BRAND,
        PLATFORM,
        MEDIA_TYPE,
        Param("is_competitor", _("Only competitors' accounts (true) or only the others (false)."), kind="bool",
              lookup="is_competitor", many=False),
    )


def _category_with_descendants(queryset, values, view):
    # Three levels at most, so "itself, its children, its grandchildren" is the whole subtree in one query.
    subtree = ContentCategory.objects.for_membership(view.membership).filter(
        Q(pk__in=values) | Q(parent_id__in=values) | Q(parent__parent_id__in=values)
    )
    # A subquery rather than a join: a post tagged with two matching categories must appear once.
    tagged = PostCategory.objects.for_membership(view.membership).filter(category__in=subtree).values("post_id")
    return queryset.filter(pk__in=tagged)


def _day_start(day: date) -> datetime:
    """Midnight starting ``day`` in Beijing time (settings.TIME_ZONE), the day of every fact and filter."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _published_after(queryset, values, view):
    return queryset.filter(published_at__gte=_day_start(max(values)))


def _published_before(queryset, values, view):
    return queryset.filter(published_at__lt=_day_start(min(values) + timedelta(days=1)))


def _title_search(queryset, values, view):
    return queryset.filter(title__icontains=values[-1])


class PostFilterSet(FilterSet):
    params = (
        BRAND,
        PLATFORM,
        MEDIA_TYPE,
        Param("paid_kind", _("Kind of paid content; “none” for content that is not paid."), kind="choice",
              lookup="paid_kind", choices=_choices(PaidKind.choices), aliases={"none": ""}),
        Param("traffic", _("Organic or paid traffic."), kind="choice", lookup="traffic",
              choices=_choices(Traffic.choices)),
        Param("content_format", _("Content format."), kind="choice", lookup="content_format",
              choices=_choices(ContentFormat.choices)),
        Param("category", _("Category id: posts tagged with it or with any of its sub-categories and variants."),
              method=_category_with_descendants),
        Param("campaign", _("Campaign id."), lookup="campaign_id"),
        Param("account", _("Social account id."), lookup="account_id"),
        Param("published_after", _("Published on or after this day (YYYY-MM-DD, Beijing time)."), kind="date",
              method=_published_after, many=False),
        Param("published_before", _("Published on or before this day (YYYY-MM-DD, Beijing time)."), kind="date",
              method=_published_before, many=False),
        Param("q", _("Words in the title (case-insensitive)."), kind="text", method=_title_search, many=False),
    )


# Lifetime totals -----------------------------------------------------------------------------------------------

def _present_sum(keys: Sequence[str]):
    """The sum of the inputs a fact reports, NULL when it reports none of them (missing is not zero)."""
    reported = Q()
    for key in keys:
        reported |= Q(**{f"{key}__isnull": False})
    total = Coalesce(F(keys[0]), Value(0.0))
    for key in keys[1:]:
        total = total + Coalesce(F(key), Value(0.0))
    return Case(When(reported, then=total), default=Value(None), output_field=FloatField())


def _engagement_expression():
    """Engagement per fact with each platform's formula from the catalog (likes + shares + comments + the
    platform's native actions), so that this column agrees with the KPI engine."""
    metric = CATALOG["engagement"]
    whens = [When(platform=platform, then=_present_sum(keys)) for platform, keys in metric.per_platform.items()]
    return Case(*whens, default=_present_sum(metric.numerator), output_field=FloatField())


def _fact_total(expression):
    facts = (
        PostDailyFact.objects.filter(organization_id=OuterRef("organization_id"), post_id=OuterRef("pk"))
        .order_by()
        .values("post_id")
        .annotate(total=Sum(expression))
        .values("total")
    )
    return Subquery(facts[:1], output_field=FloatField())


def posts_with_lifetime_totals(queryset: QuerySet) -> QuerySet:
    """Annotate ``lifetime_views``, ``lifetime_likes`` and ``lifetime_engagement``: the sums of the post's
    daily facts.

    Why facts and not the latest snapshot: the first snapshot counts from zero and every later one adds its
    difference, so the sum of the delta facts equals the latest cumulative value of each metric, but it also
    survives a latest snapshot that lacks a metric, and it covers posts that only daily reports (ads) feed,
    which have no snapshots. Each total is a correlated subquery on the (organization, post, day) unique index:
    evaluated only for the rows of the page unless the list is ordered by it, then once per matching post.
    NULL when no fact reports the metric.
    """
    return queryset.annotate(
        lifetime_views=_fact_total(F("views")),
        lifetime_likes=_fact_total(F("likes")),
        lifetime_engagement=_fact_total(_engagement_expression()),
    )


@dataclass(frozen=True)
class Ordering:
    """The ``ordering`` parameter: one key, ``-`` for descending; NULLs (no data yet) always last; ties by id."""

    keys: dict[str, str]  # public key -> queryset field or annotation
    default: str  # a public key, "-" prefixed for descending
    description: str = ""
    name: str = "ordering"

    def apply(self, queryset: QuerySet, query_params) -> QuerySet:
        raw = query_params.get(self.name, "").strip() or self.default
        key = raw.removeprefix("-")
        if key not in self.keys:
            allowed = ", ".join(self.keys)
            raise ValidationError({self.name: [
                _("Cannot order by “%(value)s”; use one of: %(allowed)s (prefix - for descending).")
                % {"value": raw, "allowed": allowed}
            ]})
        expression = F(self.keys[key])
        expression = expression.desc(nulls_last=True) if raw.startswith("-") else expression.asc(nulls_last=True)
        return queryset.order_by(expression, "-id" if raw.startswith("-") else "id")

    def openapi(self) -> OpenApiParameter:
        enum = [option for key in self.keys for option in (key, f"-{key}")]
        description = f"{_('Sort key; prefix - for descending.')} {self.description} {_('Default:')} {self.default}"
        return OpenApiParameter(self.name, OpenApiTypes.STR, OpenApiParameter.QUERY, enum=enum,
                                description=description.strip())


POST_ORDERING = Ordering(
    keys={
        "published_at": "published_at",
        "title": "title",
        "views": "lifetime_views",
        "likes": "lifetime_likes",
        "engagement": "lifetime_engagement",
    },
    default="-published_at",
    description=_("views, likes and engagement are lifetime totals: the sums of the post's daily facts."),
)
