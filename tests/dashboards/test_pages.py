"""The dashboard pages: each renders its sections from the KPI engine, keeps its filters in the URL, is scoped to
the member's organization (another tenant's brand or post is a 404) and, for a client, to the granted brands."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from metrics import presentation as fmt
from metrics.catalog import Level
from metrics.kpis import Period, Scope, kpi_report
from metrics.models import ContentCategory, PostCategory
from tests.dashboards.data import build_brand_data
from tests.factories import BrandFactory, CampaignFactory, ImportBatchFactory, PostFactory

pytestmark = pytest.mark.django_db


def brand_url(name, brand, query=""):
    return reverse(name, kwargs={"brand": brand.slug}) + query


def charts(response) -> dict[str, dict]:
    """The figures embedded in the page, by chart id."""
    html = response.content.decode()
    found = {}
    for chart_id, payload in re.findall(
        r'<script id="([\w-]+)-data" type="application/json">(.*?)</script>', html, flags=re.S
    ):
        found[chart_id] = json.loads(payload)
    return found


def kpi_value_text(response, key) -> str:
    html = response.content.decode()
    match = re.search(rf'data-kpi="{key}".*?<span class="kpi-value">(.*?)</span>', html, flags=re.S)
    assert match, f"no KPI card {key}"
    return match.group(1).strip()


# --------------------------------------------------------------------------------------------- every page


def test_brand_dashboard_shows_every_section(page_client, brand_data):
    response = page_client.get(brand_url("brand-dashboard", brand_data.brand))
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("funnel", "trends", "media-split", "traffic-split", "followers", "top-content", "anomalies"):
        assert f'id="{section}"' in html, section
    figures = charts(response)
    assert set(figures) >= {"chart-funnel", "chart-trend", "chart-media", "chart-traffic", "chart-followers"}
    trend = figures["chart-trend"]
    assert {t["name"] for t in trend["data"]} == {"Xiaohongshu (RED)", "Douyin", "Weibo"}
    assert trend["empty"] is False
    assert trend["config"] == {**trend["config"], "responsive": True, "displaylogo": False}
    assert trend["config"]["toImageButtonOptions"]["format"] == "png"
    # The top content table reads like the guide's: content, date, account, engagement, likes, reposts, comments.
    assert "Reposts" in html and 'table class="data top-posts"' in html
    assert html.count('data-post="') >= 10


def test_figures_are_the_engines(page_client, brand_data, org):
    """A number on the page is the engine's number (the same everywhere)."""
    response = page_client.get(brand_url("brand-dashboard", brand_data.brand))
    period = Period.preset("last_30_days")
    report = kpi_report(
        Scope(org.pk, (brand_data.brand.pk,)),
        period,
        ("views", "engagement", "engagement_rate", "posts_published", "followers_total", "followers_net"),
    )
    with translation.override("en"):
        assert kpi_value_text(response, "views") == fmt.format_metric("views", report.value("views"))
        assert kpi_value_text(response, "engagement_rate") == fmt.format_metric(
            "engagement_rate", report.value("engagement_rate")
        )
        assert kpi_value_text(response, "followers_total") == fmt.format_metric(
            "followers_total", report.value("followers_total", Level.ACCOUNT)
        )
    assert report.value("views") > 0


def test_overview_has_a_card_per_brand_with_imports_and_flags(page_client, brand_data, org):
    empty = BrandFactory(organization=org, name="Brew House", slug="brew-house")
    ImportBatchFactory(
        organization=org, brand=brand_data.brand, platform="douyin", finished_at=timezone.now() - timedelta(hours=2)
    )
    response = page_client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    for brand in (brand_data.brand, brand_data.competitor, empty):
        assert f'data-brand="{brand.slug}"' in html
    own = html.split('data-brand="glow"')[1].split("</article>")[0]
    assert 'data-platform="douyin"' in own  # last successful import per platform
    assert 'data-kpi="views"' in own
    assert "No data for Brew House yet" in html
    assert f"chart-views-{brand_data.brand.slug}" in charts(response)
    assert "Views / reads / plays by day" in html
    weekly = page_client.get(reverse("dashboard") + "?grain=week").content.decode()
    assert "Views / reads / plays by week" in weekly and "by day" not in weekly


def test_the_menu_names_the_overview_once_and_marks_it(page_client, brand_data):
    html = page_client.get(reverse("dashboard")).content.decode()
    nav = html.split('<nav class="mainnav"')[1].split("</nav>")[0]
    assert re.findall(r">([^<]+)</a>", nav).count("Overview") == 1
    assert 'data-nav="dashboard" class="active"' in nav
    home = page_client.get("/").content.decode()
    assert 'data-nav="dashboard"' in home and 'data-nav="dashboard" class="active"' not in home


def test_category_comparison_table_chart_and_drill_down(page_client, brand_data):
    response = page_client.get(brand_url("category-comparison", brand_data.brand))
    assert response.status_code == 200
    html = response.content.decode()
    education = brand_data.categories["education"]
    assert f'data-category="{education.pk}"' in html
    assert 'data-segment="organic"' in html and 'data-segment="paid"' in html  # organic and paid apart
    assert "small sample" in html
    strip = charts(response)["chart-categories"]
    assert strip["empty"] is False
    assert any(t["name"] == "Median" for t in strip["data"])

    drilled = page_client.get(brand_url("category-comparison", brand_data.brand, f"?category={education.pk}"))
    html = drilled.content.decode()
    assert 'id="drill-down"' in html
    assert f'data-category="{brand_data.categories["promotion"].pk}"' not in html  # outside the subtree
    assert f'data-category="{brand_data.categories["brand_image"].pk}"' in html


def test_content_explorer_filters_searches_and_sorts(page_client, brand_data):
    url = brand_url("content-explorer", brand_data.brand)
    response = page_client.get(url)
    assert response.status_code == 200
    assert response.context["total"] == 24
    douyin = page_client.get(url + "?platform=douyin")
    assert douyin.context["total"] == 8
    assert all(row["post"].platform == "douyin" for row in douyin.context["rows"])
    found = page_client.get(url + "?q=weibo%20%235")
    assert [row["post"].title for row in found.context["rows"]] == ["秋冬护肤 glow weibo #5"]
    untagged = page_client.get(url + "?tagged=no")
    assert untagged.context["total"] == 6
    ranked = page_client.get(url + "?sort=-engagement")
    engagement = [int(row["values"]["engagement"].replace(",", "")) for row in ranked.context["rows"]]
    assert engagement == sorted(engagement, reverse=True) and len(engagement) == 24


def test_post_detail_shows_snapshot_history(page_client, brand_data):
    post = brand_data.posts[0]
    response = page_client.get(reverse("post-detail", kwargs={"pk": post.pk}))
    assert response.status_code == 200
    history = charts(response)["chart-history"]
    views = next(t for t in history["data"] if t["name"] == "Views / reads / plays")
    assert len(views["x"]) == 2 and views["y"][-1] > views["y"][0]


def test_post_history_is_drawn_in_beijing_time(page_client, brand_data):
    """plotly.js has no time zones: the chart gets Beijing wall-clock times, the same as the table beside it."""
    from metrics.models import PostSnapshot

    post = brand_data.posts[0]
    first = PostSnapshot.objects.filter(post=post).order_by("collected_at").first()
    history = charts(page_client.get(reverse("post-detail", kwargs={"pk": post.pk})))["chart-history"]
    x = history["data"][0]["x"][0]
    assert x == timezone.localtime(first.collected_at).replace(tzinfo=None).isoformat()
    assert "+" not in x and "range" not in history["layout"]["xaxis"]  # two collections: plotly fits the axis


def test_a_post_with_one_collection_gets_a_day_either_side_and_a_note(page_client, brand_data):
    from metrics.models import PostSnapshot

    post = brand_data.posts[0]
    PostSnapshot.objects.filter(post=post).exclude(
        pk=PostSnapshot.objects.filter(post=post).order_by("collected_at").first().pk
    ).delete()
    response = page_client.get(reverse("post-detail", kwargs={"pk": post.pk}))
    history = charts(response)["chart-history"]
    start, end = history["layout"]["xaxis"]["range"]
    assert start < history["data"][0]["x"][0] < end
    assert "data-single-collection" in response.content.decode()


def test_benchmark_filters_by_campaign_and_category(page_client, brand_data):
    """The benchmark has the shared filters too; a post-only filter (category) narrows the content level and the
    page says that followers, being account-level, are not narrowed."""
    html = page_client.get(brand_url("competitor-benchmark", brand_data.brand)).content.decode()
    assert 'name="campaign"' in html and 'name="category"' in html
    assert "data-post-only-filters" not in html

    promotion = brand_data.categories["promotion"]
    tagged = set(PostCategory.objects.filter(category=promotion).values_list("post_id", flat=True))
    accounts = page_client.get(brand_url("competitor-benchmark", brand_data.brand, f"?category={promotion.pk}"))
    assert "data-post-only-filters" in accounts.content.decode()
    response = page_client.get(
        brand_url("competitor-benchmark", brand_data.brand, f"?tab=content&category={promotion.pk}")
    )
    shown = {p.post_id for p in response.context["top_posts"]}
    assert shown and shown <= tagged


def test_benchmark_tabs_keep_account_and_content_level_apart(page_client, brand_data):
    accounts = page_client.get(brand_url("competitor-benchmark", brand_data.brand))
    html = accounts.content.decode()
    assert 'id="account-level"' in html and 'id="content-level"' not in html
    assert "Lumi Beauty" in html and "Account-level figures describe whole accounts" in html
    content = page_client.get(brand_url("competitor-benchmark", brand_data.brand, "?tab=content"))
    html = content.content.decode()
    assert 'id="content-level"' in html and 'id="account-level"' not in html
    assert "Content-level figures describe single posts" in html
    assert "chart-benchmark-content" in charts(content)


# ------------------------------------------------------------------------------------------ filters & URL


def test_filters_live_in_the_url(page_client, brand_data):
    campaign = brand_data.posts[0].campaign
    query = f"?period=last_7_days&platform=douyin&media=owned&traffic=organic&campaign={campaign.pk}&grain=day"
    response = page_client.get(brand_url("brand-dashboard", brand_data.brand, query))
    filters = response.context["filters"]
    assert filters.get_period().days == 7
    scope = filters.get_scope([brand_data.brand.pk])
    assert scope.platforms == ("douyin",) and scope.media_types == ("owned",) and scope.traffic == ("organic",)
    assert scope.campaign_ids == (campaign.pk,)
    assert [t["name"] for t in charts(response)["chart-trend"]["data"]] == ["Douyin"]
    html = response.content.decode()
    assert '<option value="last_7_days" selected>' in html
    # The menu's links keep the shared filters.
    assert "/categories/?period=last_7_days" in html.replace("&amp;", "&")


@pytest.mark.parametrize(
    ("preset", "days"),
    [
        ("last_7_days", 7),
        ("last_30_days", 30),
        ("last_90_days", 90),
        ("this_month", None),
        ("last_month", None),
        ("this_quarter", None),
        ("this_year", None),
    ],
)
def test_every_period_preset(page_client, brand_data, preset, days):
    response = page_client.get(brand_url("brand-dashboard", brand_data.brand, f"?period={preset}"))
    assert response.status_code == 200
    period = response.context["period"]
    assert period == Period.preset(preset)
    if days:
        assert period.days == days


def test_custom_period_and_bad_values(page_client, brand_data, other_org):
    today = timezone.localdate()
    start, end = today - timedelta(days=13), today
    response = page_client.get(
        brand_url("brand-dashboard", brand_data.brand, f"?period=custom&start={start}&end={end}")
    )
    assert (response.context["period"].start, response.context["period"].end) == (start, end)
    # Another tenant's campaign, a category that is not one, an unknown platform: dropped, said, never an error.
    foreign = CampaignFactory(organization=other_org)
    response = page_client.get(
        brand_url("brand-dashboard", brand_data.brand, f"?campaign={foreign.pk}&category=abc&platform=myspace")
    )
    assert response.status_code == 200
    scope = response.context["filters"].get_scope([brand_data.brand.pk])
    assert scope.campaign_ids == () and scope.category_id is None and scope.platforms == ()
    assert "Ignored filters" in response.content.decode()
    broken = page_client.get(brand_url("brand-dashboard", brand_data.brand, "?period=custom&start=2024-13-01"))
    assert broken.status_code == 200
    assert broken.context["period"] == Period.preset("last_30_days")


def test_category_filter_narrows_the_figures(page_client, brand_data):
    education = brand_data.categories["education"]
    response = page_client.get(brand_url("brand-dashboard", brand_data.brand, f"?category={education.pk}"))
    assert response.context["filters"].get_scope([1]).category_id == education.pk
    assert response.context["account_level_hidden"] is True  # follower figures are account level
    assert "account-level data" in response.content.decode()


# ------------------------------------------------------------------------------------------ empty states


def test_a_brand_without_data_shows_how_to_import(page_client, org):
    brand = BrandFactory(organization=org, slug="new-brand", name="New Brand")
    for name in ("brand-dashboard", "category-comparison", "content-explorer"):
        response = page_client.get(brand_url(name, brand))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-empty="brand"' in html
        assert f"python manage.py ingest PATH --org {org.slug} --brand new-brand" in html
        assert 'class="chart' not in html, name  # no empty chart


def test_no_brands_at_all(page_client):
    response = page_client.get(reverse("brand-dashboard-start"))
    assert response.status_code == 200
    assert 'data-empty="brands"' in response.content.decode()
    assert page_client.get(reverse("dashboard")).status_code == 200


def test_menu_entries_open_the_last_brand(page_client, brand_data):
    first = page_client.get(reverse("content-explorer-start") + "?period=last_7_days")
    assert first["Location"] == brand_url("content-explorer", brand_data.brand, "?period=last_7_days")
    page_client.get(brand_url("brand-dashboard", brand_data.competitor))
    assert page_client.get(reverse("category-comparison-start"))["Location"] == brand_url(
        "category-comparison", brand_data.competitor
    )


# --------------------------------------------------------------------------------------------- language


def test_chinese_labels_and_numbers(page_client, brand_data):
    page_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    response = page_client.get(brand_url("brand-dashboard", brand_data.brand))
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "阅读/播放量" in html and "互动率" in html
    assert kpi_value_text(response, "views").endswith("万")
    trend = charts(response)["chart-trend"]
    assert {t["name"] for t in trend["data"]} == {"小红书", "抖音", "微博"}
    assert trend["config"]["locale"] == "zh-CN"
    assert "万" in "".join(trend["layout"]["yaxis"].get("ticktext", []))


# --------------------------------------------------------------------------------------------- tagging


def test_bulk_tagging_in_the_explorer(page_client, brand_data):
    lottery = ContentCategory.objects.get(organization=brand_data.brand.organization, name="Lottery")
    posts = [p for p in brand_data.posts if p.brand_id == brand_data.brand.pk][:3]
    url = brand_url("content-explorer", brand_data.brand)
    response = page_client.post(
        url, {"posts": [p.pk for p in posts], "category": lottery.pk, "action": "add", "next": url + "?tagged=no"}
    )
    assert response.status_code == 302 and response["Location"] == url + "?tagged=no"
    assert PostCategory.objects.filter(category=lottery).count() == 3
    page_client.post(url, {"posts": [posts[0].pk], "category": lottery.pk, "action": "remove"})
    assert PostCategory.objects.filter(category=lottery).count() == 2
    # Tagging regroups the rollup at once: the category comparison sees the new group.
    comparison = page_client.get(brand_url("category-comparison", brand_data.brand, "?paid=include"))
    assert f'data-category="{lottery.pk}"' in comparison.content.decode()


def test_bulk_tagging_refuses_posts_of_other_brands_and_tenants(page_client, brand_data, other_org):
    lottery = ContentCategory.objects.get(organization=brand_data.brand.organization, name="Lottery")
    competitor_post = next(p for p in brand_data.posts if p.brand_id == brand_data.competitor.pk)
    foreign_post = PostFactory(organization=other_org)
    url = brand_url("content-explorer", brand_data.brand)
    for post in (competitor_post, foreign_post):
        page_client.post(url, {"posts": [post.pk], "category": lottery.pk, "action": "add"})
    assert not PostCategory.objects.filter(category=lottery).exists()
    foreign_category = ContentCategory.objects.filter(organization=other_org).first()
    page_client.post(url, {"posts": [brand_data.posts[0].pk], "category": foreign_category.pk, "action": "add"})
    assert not PostCategory.objects.filter(category=foreign_category).exists()


def test_tagging_one_post_on_its_page(page_client, brand_data):
    post = brand_data.posts[1]
    trendy = ContentCategory.objects.get(organization=post.organization, name="Trendy topics")
    knowledge = brand_data.categories["knowledge"]
    url = reverse("post-detail", kwargs={"pk": post.pk})
    assert page_client.post(url, {"categories": [trendy.pk, knowledge.pk]}).status_code == 302
    assert set(PostCategory.objects.filter(post=post).values_list("category_id", flat=True)) == {
        trendy.pk,
        knowledge.pk,
    }


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CLIENT])
def test_readers_cannot_tag(client, member_factory, brand_data, role):
    membership = member_factory(role, brands=[brand_data.brand])
    client.force_login(membership.user)
    lottery = ContentCategory.objects.get(organization=brand_data.brand.organization, name="Lottery")
    post = brand_data.posts[0]
    url = brand_url("content-explorer", brand_data.brand)
    assert client.get(url).status_code == 200
    assert "Add tag" not in client.get(url).content.decode()
    assert client.post(url, {"posts": [post.pk], "category": lottery.pk, "action": "add"}).status_code == 403
    assert client.post(reverse("post-detail", kwargs={"pk": post.pk}), {"categories": [lottery.pk]}).status_code == 403
    assert not PostCategory.objects.filter(category=lottery).exists()


# ------------------------------------------------------------------------------- tenancy and client role

BRAND_PAGES = ("brand-dashboard", "category-comparison", "content-explorer", "competitor-benchmark")


@pytest.mark.parametrize("name", BRAND_PAGES)
def test_another_tenants_brand_is_a_404_like_a_missing_one(page_client, other_org, name):
    theirs = BrandFactory(organization=other_org, slug="theirs")
    response = page_client.get(brand_url(name, theirs))
    missing = page_client.get(reverse(name, kwargs={"brand": "no-such-brand"}))
    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content


def test_another_tenants_post_is_a_404(page_client, other_org):
    theirs = PostFactory(organization=other_org)
    response = page_client.get(reverse("post-detail", kwargs={"pk": theirs.pk}))
    assert response.status_code == 404
    assert page_client.post(reverse("post-detail", kwargs={"pk": theirs.pk}), {"categories": []}).status_code == 404


def test_overview_lists_only_the_active_organizations_brands(page_client, brand_data, other_org):
    BrandFactory(organization=other_org, name="Stranger Brand", slug="stranger")
    html = page_client.get(reverse("dashboard")).content.decode()
    assert "Stranger Brand" not in html


def test_client_sees_only_granted_brands(client, member_factory, brand_data, org):
    other = BrandFactory(organization=org, name="Not Granted", slug="not-granted")
    build_brand_data(org, other, competitor=brand_data.competitor, posts_per_platform=2)
    membership = member_factory(Role.CLIENT, brands=[brand_data.brand])
    client.force_login(membership.user)

    overview = client.get(reverse("dashboard")).content.decode()
    assert 'data-brand="glow"' in overview
    assert 'data-brand="not-granted"' not in overview and "Not Granted" not in overview
    assert 'data-brand="rival-brand"' not in overview  # a competitor not granted either

    for name in BRAND_PAGES:
        assert client.get(brand_url(name, brand_data.brand)).status_code == 200, name
        assert client.get(brand_url(name, other)).status_code == 404, name
    hidden_post = next(p for p in other.posts.all())
    assert client.get(reverse("post-detail", kwargs={"pk": hidden_post.pk})).status_code == 404
    assert client.get(reverse("brand-dashboard-start"))["Location"] == brand_url("brand-dashboard", brand_data.brand)

    benchmark = client.get(brand_url("competitor-benchmark", brand_data.brand)).content.decode()
    assert "Lumi Beauty" not in benchmark and "Not Granted" not in benchmark
    assert 'data-empty="competitors"' in benchmark
    switcher = client.get(brand_url("brand-dashboard", brand_data.brand)).context["brand_links"]
    assert [b["slug"] for b in switcher] == ["glow"]
    explorer = client.get(brand_url("content-explorer", brand_data.brand))
    assert {row["post"].brand_id for row in explorer.context["rows"]} == {brand_data.brand.pk}


def test_client_without_grants_sees_an_empty_state(client, member_factory, brand_data):
    membership = member_factory(Role.CLIENT)
    client.force_login(membership.user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "No brand has been shared with you yet" in response.content.decode()
    assert client.get(brand_url("brand-dashboard", brand_data.brand)).status_code == 404


def test_pages_need_a_signed_in_member(client, brand_data):
    for url in (reverse("dashboard"), brand_url("brand-dashboard", brand_data.brand)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ------------------------------------------------------------------------------------------------- menu


def test_menu_items(page_client, brand_data, settings):
    from metrics.context_processors import navigation

    html = page_client.get(brand_url("category-comparison", brand_data.brand)).content.decode()
    assert 'data-nav="category-comparison" class="active"' in html
    assert f'href="/brands/{brand_data.brand.slug}/content/"' in html
    # The home page shows them too once the context processor is registered.
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                    "metrics.context_processors.navigation",
                ],
            },
        }
    ]
    home = page_client.get("/").content.decode()
    assert 'href="/dashboard/"' in home and 'href="/content/"' in home
    request = page_client.get("/").wsgi_request
    assert navigation(request)["nav_items"][0]["key"] == "dashboard"


def test_menu_has_imports_only_when_the_page_exists(rf, owner, monkeypatch):
    from django.urls import NoReverseMatch

    from metrics import context_processors

    request = rf.get("/dashboard/")
    request.membership = owner
    request.resolver_match = None
    real_reverse = context_processors.reverse

    def without_imports(name, *args, **kwargs):
        if name == "imports":
            raise NoReverseMatch(name)
        return real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(context_processors, "reverse", without_imports)
    assert "imports" not in [i["key"] for i in context_processors.nav_items(request)]

    def with_imports(name, *args, **kwargs):
        return "/imports/" if name == "imports" else real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(context_processors, "reverse", with_imports)
    items = context_processors.nav_items(request)
    assert items[-1] == {"key": "imports", "label": "Imports", "url": "/imports/", "active": False}


# ------------------------------------------------------------------------------------------ query counts


@pytest.mark.parametrize(
    ("name", "query", "most"),
    [
        ("brand-dashboard", "", 90),  # ~14 engine answers (trend per platform, splits, funnel, top, flags)
        ("category-comparison", "", 25),
        ("content-explorer", "", 30),
        ("content-explorer", "?sort=-engagement", 31),  # + the per-post totals' straggler lookup (PostgreSQL)
        ("competitor-benchmark", "", 25),
    ],
)
def test_query_counts_do_not_grow_with_the_rows(
    page_client, brand_data, django_assert_max_num_queries, name, query, most
):
    """The pages batch their rows (no query per post or per account); the engine's answers are cached."""
    from django.core.cache import cache

    PostFactory.create_batch(
        15, organization=brand_data.brand.organization, brand=brand_data.brand, account=brand_data.accounts[0]
    )
    cache.clear()
    with django_assert_max_num_queries(most):
        assert page_client.get(brand_url(name, brand_data.brand, query)).status_code == 200
    with django_assert_max_num_queries(most * 2 // 3):
        page_client.get(brand_url(name, brand_data.brand, query))  # warm: the engine's answers come from the cache


def test_warming_after_an_import_serves_the_pages_from_the_cache(
    page_client, brand_data, django_assert_max_num_queries
):
    """``dashboards_warm`` renders the pages with the default filters, so the first visit finds every engine
    answer in the cache."""
    from django.core.cache import cache

    from metrics.views.warm import dashboards_warm

    cache.clear()
    result = dashboards_warm(brand_data.brand.organization_id, [brand_data.brand.pk])
    assert result["pages"] == 1 + 4
    with django_assert_max_num_queries(35):  # the cold page needs ~80
        assert page_client.get(brand_url("brand-dashboard", brand_data.brand)).status_code == 200
