"""The dashboards in a real browser (Debian's chromium driven by Playwright).

The main test walks the demo agency (``seed_demo``, loaded through the real import path) as a marketer would: sign
in, open a brand dashboard, wait for the Plotly charts and check they hold data points, download one as PNG,
change a filter and see the URL and the chart change, switch to Chinese and see Chinese labels, tag posts in the
content explorer, then visit every page. Loading the demo takes a while, so the journey is one test whose steps
are the functions below; the smaller checks run on factory data. Every page is saved as a screenshot under
test-output/screenshots/.
"""

from __future__ import annotations

import io
import re
import warnings
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Brand, Organization
from metrics.models import ContentCategory, Post, PostCategory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHARTS_DRAWN = "() => [...document.querySelectorAll('.chart[data-figure]')].every(c => c.dataset.rendered)"
TRACE_POINTS = """(id) => {
  const el = document.getElementById(id);
  if (!el || !el.data) return null;
  return el.data.map(t => ({name: t.name, x: (t.x || []).length,
                            y: (t.y || []).filter(v => v !== null && v !== undefined).length}));
}"""
MARKETER = "marketer@demo.kpiboard.local"


def _site(live_server, org, password, email=MARKETER):
    return SimpleNamespace(org=org, url=live_server.url, password=password, email=email)


@pytest.fixture
def demo(live_server):
    """The demo agency from ``seed_demo``. Should the demo loader fail or load nothing, glow-lab and lumi-beauty get
    the equivalent from factories, snapshots and ``posts_refresh`` (tests/dashboards/data.py), with a warning."""
    from metrics.management.commands.seed_demo import DEMO_PASSWORD

    try:
        call_command("seed_demo", stdout=io.StringIO())
    except Exception as exc:  # the demo loader is another module's: the dashboards are tested either way
        warnings.warn(f"seed_demo failed ({exc!r}); the e2e tests use factory data instead", stacklevel=1)
        call_command("seed_demo", "--no-data", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo-agency")
    glow = Brand.objects.get(organization=org, slug="glow-lab")
    if not Post.objects.filter(organization=org, brand=glow).exists():
        from tests.dashboards.data import build_brand_data

        warnings.warn("seed_demo loaded no posts for glow-lab; the e2e tests use factory data", stacklevel=1)
        build_brand_data(org, glow, competitor=Brand.objects.get(organization=org, slug="lumi-beauty"))
    return _site(live_server, org, DEMO_PASSWORD)


@pytest.fixture
def factory_site(live_server):
    """A small organization built with factories (fast): glow-lab with tagged posts and a competitor."""
    from tests.dashboards.data import build_brand_data
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    org = OrganizationFactory(slug="e2e-agency", name="E2E Agency")
    user = UserFactory(email="marketer@e2e.kpiboard.local")
    MembershipFactory(organization=org, user=user, role="marketer")
    build_brand_data(org)
    return _site(live_server, org, "pw-kpiboard-1", email=user.email)


def sign_in(page, site):
    page.goto(f"{site.url}/accounts/login/")
    page.fill("#id_username", site.email)
    page.fill("#id_password", site.password)
    page.click("section.auth button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def wait_for_charts(page):
    page.wait_for_function(CHARTS_DRAWN)


def points(page, chart_id):
    return page.evaluate(TRACE_POINTS, chart_id)


# ------------------------------------------------------------------------------------------ the journey


def test_demo_journey(page, demo, screenshot):
    sign_in(page, demo)
    open_brand_dashboard_from_the_overview(page, demo, screenshot)
    charts_hold_data_points(page)
    a_chart_downloads_as_png(page)
    a_filter_changes_the_url_and_the_chart(page)
    tag_posts_in_the_content_explorer(page, demo, screenshot)
    visit_every_page(page, demo, screenshot, suffix="")
    switch_to_chinese(page, demo, screenshot)
    visit_every_page(page, demo, screenshot, suffix="-zh")
    assert not page.js_errors, page.js_errors


def open_brand_dashboard_from_the_overview(page, site, screenshot):
    page.goto(f"{site.url}/dashboard/")
    wait_for_charts(page)
    assert page.locator("article[data-brand='glow-lab'] .kpi").count() >= 4
    screenshot(page, "overview")
    page.click("article[data-brand='glow-lab'] h2 a")
    page.wait_for_url(re.compile(r"/brands/glow-lab/dashboard/"))
    wait_for_charts(page)
    screenshot(page, "brand-dashboard")


def charts_hold_data_points(page):
    trend = points(page, "chart-trend")
    assert trend, "plotly.js did not draw the trend chart"
    assert sum(t["y"] for t in trend) > 0, trend
    assert all(t["x"] == 30 for t in trend), trend  # the last 30 days, by day
    for chart in ("chart-funnel", "chart-media", "chart-traffic", "chart-followers"):
        drawn = points(page, chart)
        assert drawn and sum(t["y"] or t["x"] for t in drawn) > 0, (chart, drawn)


def a_chart_downloads_as_png(page):
    page.hover("#chart-trend")
    with page.expect_download() as download:
        page.click("#chart-trend .modebar-btn[data-title*='png' i]")
    assert download.value.suggested_filename == "glow-lab-trend-views.png"


def a_filter_changes_the_url_and_the_chart(page):
    page.select_option("form.filters select[name=period]", "last_7_days")
    page.wait_for_url(re.compile(r"[?&]period=last_7_days"))
    wait_for_charts(page)
    assert page.locator("form.filters select[name=period]").input_value() == "last_7_days"
    after = points(page, "chart-trend")
    assert after and all(t["x"] == 7 for t in after), after

    platform = page.evaluate("() => document.getElementById('chart-trend').data[0].meta.platform")
    page.select_option("form.filters select[name=platform]", platform)
    page.wait_for_url(re.compile(rf"platform={platform}"))
    wait_for_charts(page)
    assert "period=last_7_days" in page.url  # the other filters stay
    only = page.evaluate("() => document.getElementById('chart-trend').data.map(t => t.meta.platform)")
    assert only == [platform], only


def tag_posts_in_the_content_explorer(page, site, screenshot):
    """Tick untagged posts, choose a category, add the tag: the rows show it and the database has it."""
    page.goto(f"{site.url}/brands/glow-lab/content/?tagged=no")
    screenshot(page, "content-explorer")
    rows = page.locator("table.content-table tbody tr")
    assert rows.count() >= 6, "the demo has untagged posts in the last 30 days"
    lottery = ContentCategory.objects.get(organization=site.org, parent__name="Audience engage", name="Lottery")
    ticked = []
    for index in range(6):
        row = rows.nth(index)
        ticked.append(int(row.get_attribute("data-post")))
        row.locator("input[name=posts]").check()
    assert page.locator(".selected-count").inner_text() == "6"
    page.select_option("#bulk-tag select[name=category]", str(lottery.pk))
    page.click("#bulk-tag button[value=add]")
    page.wait_for_selector(".messages li.success")
    assert "tagged=no" in page.url  # back on the same view
    assert PostCategory.objects.filter(post_id__in=ticked, category=lottery).count() == 6

    page.goto(f"{site.url}/brands/glow-lab/content/?tagged=yes")
    row = page.locator(f"tr[data-post='{ticked[0]}']")
    assert "Lottery" in row.locator(".cat-tags").inner_text()
    row.locator("td.title a").click()
    page.wait_for_url(re.compile(rf"/content/posts/{ticked[0]}/"))
    wait_for_charts(page)
    assert page.locator(f"#post-tags input[value='{lottery.pk}']").is_checked()
    screenshot(page, "post-detail")


def visit_every_page(page, site, screenshot, suffix):
    """Every page draws its charts without an error; each is saved as a screenshot."""
    for path, name in (
        ("/dashboard/", "overview"),
        ("/brands/glow-lab/dashboard/", "brand-dashboard"),
        ("/brands/glow-lab/categories/?paid=include", "categories"),
        ("/brands/glow-lab/content/", "content-explorer"),
        ("/brands/glow-lab/competitors/", "competitors-accounts"),
        ("/brands/glow-lab/competitors/?tab=content", "competitors-content"),
        ("/brands/lumi-beauty/dashboard/", "competitor-dashboard"),
    ):
        page.goto(site.url + path)
        wait_for_charts(page)
        screenshot(page, name + suffix)
    # The post of glow-lab collected most often: its history chart has a line, not a single point.
    followed = (
        Post.objects.filter(organization=site.org, brand__slug="glow-lab")
        .annotate(collections=Count("snapshots"))
        .order_by("-collections", "pk")
        .first()
    )
    page.goto(f"{site.url}/content/posts/{followed.pk}/")
    wait_for_charts(page)
    history = points(page, "chart-history")
    assert history and max(t["x"] for t in history) == followed.collections, history
    screenshot(page, "post-detail-history" + suffix)

    page.goto(f"{site.url}/brands/glow-lab/categories/?paid=include")
    strip = points(page, "chart-categories")
    assert strip and sum(t["x"] for t in strip) > 0, strip  # the posts tagged above are in the comparison
    lottery_link = page.locator("table.category-table tr[data-category] a").first
    lottery_link.click()
    page.wait_for_url(re.compile(r"category=\d+"))
    wait_for_charts(page)
    assert page.locator("#drill-down").count() == 1
    screenshot(page, "categories-drilldown" + suffix)


def switch_to_chinese(page, site, screenshot):
    """The language switcher turns labels, platform names and number formats to Chinese."""
    page.goto(f"{site.url}/brands/glow-lab/dashboard/")
    wait_for_charts(page)
    page.click("form.lang-switcher button[data-lang='zh-hans']")
    page.wait_for_function("() => document.documentElement.lang === 'zh-hans'")
    wait_for_charts(page)
    assert page.locator(".kpi[data-kpi='views'] .kpi-label").inner_text() == "阅读/播放量"
    assert page.locator(".kpi[data-kpi='engagement'] .kpi-label").inner_text() == "互动量"
    names = [t["name"] for t in points(page, "chart-trend")]
    chinese_platforms = {"微信公众号", "微信视频号", "抖音", "快手", "小红书", "哔哩哔哩", "微博"}
    assert names and set(names) <= chinese_platforms, names
    assert re.search(r"[万亿]", page.locator(".kpi[data-kpi='views'] .kpi-value").inner_text())
    assert re.search(r"\d+月\d+日", page.locator(".period-text").inner_text())


# ----------------------------------------------------------------------------------- smaller checks


def test_charts_resize_with_the_window(page, factory_site):
    sign_in(page, factory_site)
    page.goto(f"{factory_site.url}/brands/glow-lab/dashboard/")
    wait_for_charts(page)
    width = page.evaluate("() => document.querySelector('#chart-trend .main-svg').getBoundingClientRect().width")
    page.set_viewport_size({"width": 760, "height": 900})
    page.wait_for_function(
        "(w) => document.querySelector('#chart-trend .main-svg').getBoundingClientRect().width < w - 100", arg=width
    )
    page.set_viewport_size({"width": 1360, "height": 900})
    page.wait_for_function(
        "(w) => document.querySelector('#chart-trend .main-svg').getBoundingClientRect().width > w - 20", arg=width
    )


def test_custom_period_and_benchmark_tabs(page, factory_site):
    """A custom period shows its date fields and lands in the URL; the benchmark's tabs keep the levels apart."""
    sign_in(page, factory_site)
    page.goto(f"{factory_site.url}/brands/glow-lab/dashboard/")
    wait_for_charts(page)
    assert page.locator(".custom-dates").is_hidden()
    page.select_option("form.filters select[name=period]", "custom")
    assert page.locator(".custom-dates").is_visible()
    page.fill("form.filters input[name=start]", "2026-01-01")
    page.fill("form.filters input[name=end]", "2026-01-14")
    page.wait_for_url(re.compile(r"period=custom&start=2026-01-01&end=2026-01-14"))
    wait_for_charts(page)
    assert "1 Jan – 14 Jan 2026" in page.locator(".period-text").inner_text()

    page.goto(f"{factory_site.url}/brands/glow-lab/competitors/?period=last_90_days")
    wait_for_charts(page)
    assert page.locator(".tabs a.active").inner_text() == "Account level"
    assert page.locator("#account-level .level-note").is_visible()
    assert page.locator("table.benchmark-accounts tbody tr").count() == 6
    page.click(".tabs a[data-tab='content']")
    page.wait_for_url(re.compile(r"tab=content"))
    assert "period=last_90_days" in page.url
    wait_for_charts(page)
    assert page.locator(".tabs a.active").inner_text() == "Content level"
    assert page.locator("#account-level").count() == 0
    assert page.locator("table.top-posts tbody tr").count() == 20
    assert not page.js_errors, page.js_errors
