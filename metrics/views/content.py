"""The content explorer (filter, sort, search and tag posts, one by one or in bulk) and the post detail page (its
categories and its snapshot history chart).

The rows are posts read through the scoped path. Beside each, its figures at its last collection up to the period's
end — the counters the platform reported, and engagement and engagement rate by the catalog's ``ratio_of_sums``
with the post's platform formula (the same per-post values the engine sums its facts to). Ranking by engagement is
the KPI engine's (``benchmarks``' content level), so "most engagement" means the same here as in the dashboards.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from metrics import presentation as fmt
from metrics.catalog import CATALOG, ENGAGEMENT_INPUTS, ratio_of_sums
from metrics.forms import BulkTagForm, ContentQueryForm, PostTagForm
from metrics.kpis import benchmarks
from metrics.models import ContentCategory, Post, PostCategory, PostSnapshot
from metrics.services.categories import post_tags_update, posts_categories_bulk_update
from metrics.views import charts
from metrics.views.base import SESSION_BRAND, BrandPage, DashboardPage

PAGE_SIZE = 50
MAX_RANKED_POSTS = 5_000  # the engine's ranking is widened up to this many posts for a filtered explorer
VALUE_COLUMNS = ("views", "engagement", "engagement_rate", "likes", "comments", "shares")
HISTORY_METRICS = ("views", "likes", "comments", "shares", "collects", "followers_gained")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return fallback
    return target


def category_subtree_ids(membership, category: ContentCategory) -> list[int]:
    """The category and its descendants (three levels at most)."""
    return list(
        ContentCategory.objects.for_membership(membership)
        .filter(Q(pk=category.pk) | Q(parent_id=category.pk) | Q(parent__parent_id=category.pk))
        .values_list("pk", flat=True)
    )


SNAPSHOT_KEYS = tuple(dict.fromkeys(("views", *ENGAGEMENT_INPUTS)))


def post_values_at(membership, posts, end) -> dict[int, dict[str, float | None]]:
    """Each post's figures at its last collection before ``end`` (the period's end), for the explorer's rows.

    The counters are the ones the platform reported in that collection (cumulative, so they are the post's
    lifetime-to-date values — what the engine's per-post values sum up to: the daily facts up to the period's end
    add up to the last collection up to then); engagement and engagement rate are the catalog's ``ratio_of_sums``
    with the post's platform formula. One query for the page's posts.
    """
    platforms = {p.pk: p.platform for p in posts}
    if not platforms:
        return {}
    rows = (
        PostSnapshot.objects.for_membership(membership)
        .filter(post_id__in=list(platforms), collected_at__lt=end)
        .order_by("post_id", "-collected_at")
        .values("post_id", *SNAPSHOT_KEYS)
    )
    if connection.vendor == "postgresql":
        rows = rows.distinct("post_id")  # the last collection of each post, in the database
    values: dict[int, dict[str, float | None]] = {}
    for row in rows:
        post_id = row.pop("post_id")
        if post_id in values:
            continue  # SQLite: the rows of a post come newest first
        platform = platforms[post_id]
        row["engagement"] = ratio_of_sums(CATALOG["engagement"], row, platform)
        row["engagement_rate"] = ratio_of_sums(CATALOG["engagement_rate"], row, platform)
        values[post_id] = row
    return values


class RankedIds:
    """The explorer's posts by engagement as a sequence the paginator slices: the engine's ranked ids (already
    matching the explorer's filters), then the other matching posts, newest first, read only for the slice a page
    asks for. ``len`` is the number of matching posts (one COUNT)."""

    def __init__(self, ranked: list[int], posts):
        self.ranked = ranked
        self.posts = posts
        self.total = posts.count()

    def __len__(self) -> int:
        return self.total

    def count(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index:index + 1][0]
        start = index.start or 0
        stop = self.total if index.stop is None else min(index.stop, self.total)
        head = self.ranked[start:stop]
        if stop <= len(self.ranked):
            return head
        rest = (
            self.posts.exclude(pk__in=self.ranked).order_by("-published_at", "-id").values_list("pk", flat=True)
        )
        return head + list(rest[max(start - len(self.ranked), 0):stop - len(self.ranked)])


class ContentExplorerView(BrandPage):
    """A brand's posts published in the period: filters, search, sort, categories; bulk tagging (POST)."""

    template_name = "metrics/content_explorer.html"
    url_name = "content-explorer"
    page_title = gettext_lazy("Content explorer")
    filter_fields = ("platform", "media", "traffic", "campaign", "category")

    def get_query(self) -> ContentQueryForm:
        if not hasattr(self, "_query"):
            self._query = ContentQueryForm(self.request.GET)
        return self._query

    def extra_params(self):
        query = self.get_query()
        return {k: query.value(k) for k in ("q", "sort", "tagged") if query.value(k)}

    def posts(self, filters, period):
        """The brand's posts matching the filters and the search (rows only; the figures come from the engine)."""
        start, end = period.bounds()
        qs = Post.objects.for_membership(self.membership).filter(
            brand=self.brand, published_at__gte=start, published_at__lt=end
        )
        if filters.value("platform"):
            qs = qs.filter(platform=filters.value("platform"))
        if filters.value("media"):
            qs = qs.filter(media_type=filters.value("media"))
        if filters.value("traffic"):
            qs = qs.filter(traffic=filters.value("traffic"))
        if filters.value("campaign"):
            qs = qs.filter(campaign=filters.value("campaign"))
        if filters.value("category"):
            ids = category_subtree_ids(self.membership, filters.value("category"))
            qs = qs.filter(Exists(PostCategory.objects.filter(post=OuterRef("pk"), category_id__in=ids)))
        query = self.get_query()
        tagged = query.value("tagged")
        if tagged:
            any_tag = Exists(PostCategory.objects.filter(post=OuterRef("pk")))
            qs = qs.filter(any_tag) if tagged == "yes" else qs.filter(~any_tag)
        text = (query.value("q") or "").strip()
        if text:
            qs = qs.filter(
                Q(title__icontains=text)
                | Q(platform_post_id=text)
                | Q(url=text)
                | Q(account__display_name__icontains=text)
                | Q(account__handle__icontains=text)
            )
        return qs

    def ranked_ids(self, posts, filters, period, needed: int) -> RankedIds:
        """The matching posts' ids, most engagement first: the engine's ranking (posts published in the period by
        lifetime-to-date engagement at its end), then the posts it has no engagement for, newest first.

        The engine ranks the brand's posts under the shared filters; the explorer's own search and tag filters
        are applied to its list, which is widened until the page is full or the ranking is exhausted. Only the
        ranked ids are checked against the filters, and the rest is read a page at a time (``RankedIds``): a
        brand-year holds 50,000 posts, whose ids the page used to read twice on every request."""
        top = max(needed, PAGE_SIZE)
        while True:
            result = benchmarks(self.brand_scope(filters), period, paid="include", top=top)
            candidates = [p.post_id for p in result.content_level]
            matching = set(posts.filter(pk__in=candidates).values_list("pk", flat=True)) if candidates else set()
            ranked = [i for i in candidates if i in matching]
            if len(ranked) >= needed or len(result.content_level) < top or top >= MAX_RANKED_POSTS:
                break
            top = min(top * 4, MAX_RANKED_POSTS)
        return RankedIds(ranked, posts)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = self.get_query()
        if not context["has_data"]:
            return context
        filters, period = context["filters"], context["period"]
        posts = self.posts(filters, period)
        sort = self.get_query().value("sort", "-published")
        page_number = self.get_query().value("page", 1)
        if sort == "-engagement":
            ordered = self.ranked_ids(posts, filters, period, page_number * PAGE_SIZE)
            page = Paginator(ordered, PAGE_SIZE).get_page(page_number)
            rows = {p.pk: p for p in posts.filter(pk__in=list(page.object_list)).select_related("account")}
            page_posts = [rows[i] for i in page.object_list if i in rows]
        else:
            order = {"published": ("published_at", "id"), "title": ("title", "id")}.get(sort, ("-published_at", "-id"))
            page = Paginator(posts.select_related("account").order_by(*order), PAGE_SIZE).get_page(page_number)
            page_posts = list(page.object_list)
        values = post_values_at(self.membership, page_posts, period.bounds()[1])
        tags: dict[int, list[ContentCategory]] = {}
        for tagging in (
            PostCategory.objects.for_membership(self.membership)
            .filter(post_id__in=[p.pk for p in page_posts])
            .select_related("category")
            .order_by("category__path")
        ):
            tags.setdefault(tagging.post_id, []).append(tagging.category)
        lang = get_language()
        context["rows"] = [
            {
                "post": p,
                "tags": [c.label(lang) for c in tags.get(p.pk, [])],
                "values": {k: fmt.format_metric(k, values.get(p.pk, {}).get(k)) for k in VALUE_COLUMNS},
                "collected": p.pk in values,
            }
            for p in page_posts
        ]
        context["page"] = page
        context["total"] = page.paginator.count
        context["value_columns"] = VALUE_COLUMNS
        context["bulk_form"] = BulkTagForm(membership=self.membership, brand=self.brand)
        context["page_query"] = {k: v for k, v in self.request.GET.items() if k != "page"}
        return context

    def handle_post(self, request, *args, **kwargs):
        """Bulk tagging: add or remove one category on the ticked posts, then back to the same view."""
        if not self.membership.can("tag_content"):
            raise PermissionDenied
        form = BulkTagForm(request.POST, membership=self.membership, brand=self.brand)
        back = _safe_next(request, reverse(self.url_name, kwargs={"brand": self.brand.slug}))
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        posts, category = form.cleaned_data["posts"], form.cleaned_data["category"]
        adding = form.cleaned_data["action"] == BulkTagForm.ADD
        result = posts_categories_bulk_update(
            self.organization.pk,
            [p.pk for p in posts],
            add=[category.pk] if adding else [],
            remove=[] if adding else [category.pk],
        )
        label = category.label(get_language())
        if adding:
            text = ngettext(
                "Tagged %(n)s post with “%(category)s”.", "Tagged %(n)s posts with “%(category)s”.", result.added
            )
            messages.success(request, text % {"n": result.added, "category": label})
        else:
            text = ngettext(
                "Removed “%(category)s” from %(n)s post.", "Removed “%(category)s” from %(n)s posts.", result.removed
            )
            messages.success(request, text % {"n": result.removed, "category": label})
        return redirect(back)


class PostDetailView(DashboardPage):
    """One post: what it is, its categories (editable one by one), its snapshot history chart and table."""

    template_name = "metrics/post_detail.html"
    scoped_model = Post
    scoped_url_kwarg = "pk"
    scoped_lookup = "pk"

    def load(self):
        self.post_obj = self.get_scoped(pk=self.kwargs["pk"])
        self.brand = self.post_obj.brand
        if self.request.session.get(SESSION_BRAND) != self.brand.pk:
            self.request.session[SESSION_BRAND] = self.brand.pk

    def get(self, request, *args, **kwargs):
        self.load()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.load()
        if not self.membership.can("tag_content"):
            raise PermissionDenied
        form = PostTagForm(request.POST, membership=self.membership)
        if form.is_valid():
            post_tags_update(self.post_obj, categories=list(form.cleaned_data["categories"]))
            messages.success(request, _("Categories saved."))
        else:
            messages.error(request, _("The categories could not be saved."))
        return redirect(reverse("post-detail", kwargs={"pk": self.post_obj.pk}))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        post, lang = self.post_obj, get_language()
        context["page_title"] = post.title[:60] or _("Post")
        context["post"] = post
        snapshots = list(
            PostSnapshot.objects.for_membership(self.membership).filter(post=post).order_by("collected_at")
        )
        columns = [k for k in HISTORY_METRICS if any(getattr(s, k) is not None for s in snapshots)]
        points = [(s.collected_at, {k: getattr(s, k) for k in columns}) for s in snapshots]
        context["history_chart"] = charts.history_figure(
            points, columns, name=f"post-{post.pk}-history", title=_("Snapshot history (cumulative)")
        )
        context["history_columns"] = columns
        context["snapshots"] = [
            {
                "collected_at": fmt.format_datetime(s.collected_at),
                "values": [fmt.format_metric(k, getattr(s, k)) for k in columns],
            }
            for s in reversed(snapshots)
        ]
        latest = snapshots[-1] if snapshots else None
        if latest is not None:
            sums = {k: getattr(latest, k) for k in ("views", *CATALOG["engagement"].numerator_for(post.platform))}
            context["latest"] = [
                {
                    "label": CATALOG[key].label(lang),
                    "formula": CATALOG[key].formula(post.platform),
                    "value": fmt.format_metric(key, ratio_of_sums(CATALOG[key], sums, post.platform)),
                }
                for key in ("engagement", "engagement_rate")
            ] + [
                {
                    "label": CATALOG["views"].label(lang),
                    "formula": "",
                    "value": fmt.format_metric("views", latest.views),
                }
            ]
            context["latest_at"] = fmt.format_datetime(latest.collected_at)
        current = list(
            PostCategory.objects.for_membership(self.membership).filter(post=post).values_list("category_id", flat=True)
        )
        context["tag_form"] = PostTagForm(initial={"categories": current}, membership=self.membership)
        context["can_tag"] = self.membership.can("tag_content")
        context["explorer_url"] = reverse("content-explorer", kwargs={"brand": self.brand.slug})
        return context
