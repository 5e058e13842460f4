"""The five KPI endpoints: answers, parameter validation (400), scoping (404, clients' brands), OpenAPI docs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from metrics.kpis import category_comparison, kpi_report
from tests.kpis.conftest import JUNE
from tests.kpis.test_golden import june, scope

pytestmark = pytest.mark.django_db

ROUTES = ("kpis", "funnel", "category-comparison", "benchmarks", "anomalies")
JUNE_PARAMS = {"start": JUNE[0].isoformat(), "end": JUNE[1].isoformat()}


def url(g, name):
    return reverse(name, kwargs={"org_slug": g.org.slug})


@pytest.mark.parametrize("name", ROUTES)
def test_every_endpoint_answers_for_a_viewer(golden, client_as, name):
    api = client_as(Role.VIEWER)
    response = api.get(url(golden, name), {**JUNE_PARAMS, "brand": golden.brand.pk})
    assert response.status_code == 200, response.content[:500]
    assert response.json()["period"] == {"start": "2026-06-01", "end": "2026-06-30", "days": 30,
                                         "granularity": "day"}


def test_category_comparison_answer_shape(golden, client_as):
    api = client_as(Role.VIEWER)
    response = api.get(url(golden, "category-comparison"),
                       {**JUNE_PARAMS, "brand": golden.brand.pk, "metrics": "likes,engagement", "items": "true"})
    body = response.json()
    brand_image = next(g for g in body["groups"] if g["path"] == ["Education", "Brand image"])
    assert brand_image["n"] == 6 and brand_image["small_sample"] is False
    assert brand_image["metrics"]["likes"] == {"median": 35.0, "mean": pytest.approx(1150 / 6), "n": 6,
                                               "sum": 1150.0, "per_effort_hour": 10.0}
    assert brand_image["items"][0]["index"]["likes"] == pytest.approx(1000 / 35)
    assert "percentile_cont(0.5)" in body["median_definition"]


def test_include_paid_pools_paid_posts(golden, client_as):
    api = client_as(Role.VIEWER)
    body = api.get(url(golden, "category-comparison"),
                   {**JUNE_PARAMS, "metrics": "likes", "include_paid": "true"}).json()
    brand_image = next(g for g in body["groups"] if g["path"] == ["Education", "Brand image"])
    assert (brand_image["n"], brand_image["paid_n"], body["paid"]) == (7, 1, "include")


def test_the_api_gives_the_engines_numbers(golden, client_as):
    """One number everywhere: the endpoint returns exactly what the engine computes for the same scope."""
    api = client_as(Role.OWNER)
    body = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "brand": golden.brand.pk}).json()
    engine = kpi_report(scope(golden), june(), use_cache=False)
    api_values = {k["key"]: k["value"] for k in body["content"]}
    assert api_values == {k.key: k.value for k in engine.content}
    assert api_values["engagement"] == 102368
    comparison = category_comparison(scope(golden), june(), use_cache=False)
    body = api.get(url(golden, "category-comparison"), {**JUNE_PARAMS, "brand": golden.brand.pk}).json()
    assert [g["metrics"]["engagement"]["median"] for g in body["groups"]] == [
        g.metrics["engagement"].median for g in comparison.groups]


def test_scope_filters_from_parameters(golden, client_as):
    api = client_as(Role.OWNER)
    body = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "platform": "weibo", "traffic": "organic",
                                         "metrics": "views,likes"}).json()
    assert [(k["key"], k["value"], k["previous"]) for k in body["content"]] == [
        ("views", 19500, 5000), ("likes", 2045, 100)]
    education = golden.categories["Education"]
    body = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "category": education.pk, "traffic": "organic",
                                         "metrics": "likes"}).json()
    assert body["content"][0]["value"] == 1275
    body = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "paid_kind": "promoted", "metrics": "likes"}).json()
    assert body["content"][0]["value"] == 99999
    body = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "paid_kind": "none", "metrics": "likes"}).json()
    assert body["content"][0]["value"] == 2055
    body = api.get(url(golden, "kpis"), {"start": "2026-04-01", "end": "2026-06-30", "granularity": "month",
                                         "platform": "weibo", "traffic": "organic", "metrics": "views"}).json()
    assert body["content_series"]["starts"] == ["2026-04-01", "2026-05-01", "2026-06-01"]
    assert body["content_series"]["values"]["views"] == [None, 5000, 19500]
    assert body["previous_period"]["start"] == "2026-01-01"


def test_competitor_brands_only_in_benchmarks(golden, client_as):
    """Without a brand parameter the organization's own brands are summed; competitors appear in benchmarks."""
    api = client_as(Role.OWNER)
    kpis = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "metrics": "likes"}).json()
    assert kpis["content"][0]["value"] == 102054  # Rival's 600 likes are not added
    bench = api.get(url(golden, "benchmarks"), {**JUNE_PARAMS, "brand": golden.brand.pk}).json()
    assert {r["handle"] for r in bench["account_level"]} == {"glow_weibo", "glow_bili", "rival_weibo"}
    only_own = api.get(url(golden, "benchmarks"), {**JUNE_PARAMS, "brand": golden.brand.pk,
                                                   "competitor": golden.brand.pk}).json()
    assert "rival_weibo" not in {r["handle"] for r in only_own["account_level"]}


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "2026-06-01"}, "start"),
    ({"start": "2026-06-30", "end": "2026-06-01"}, "end"),
    ({"start": "2026-06-01", "end": "2026-06-30", "preset": "this_month"}, "preset"),
    ({"start": "2020-01-01", "end": "2026-06-30"}, "end"),
    ({"start": "2025-01-01", "end": "2026-06-30", "granularity": "day"}, "granularity"),
    ({"start": "june", "end": "2026-06-30"}, "start"),
    ({"preset": "last_decade"}, "preset"),
    ({"granularity": "hour"}, "granularity"),
    ({"platform": "myspace"}, "platform"),
    ({"brand": "abc"}, "brand"),
    ({"brand": "0"}, "brand"),
    ({"metrics": "likes,vibes"}, "metrics"),
    ({"media_type": "owned,bought"}, "media_type"),
    ({"category": "-3"}, "category"),
])
def test_bad_parameters_are_400_with_a_message(org, client_as, params, field):
    api = client_as(Role.VIEWER)
    response = api.get(reverse("kpis", kwargs={"org_slug": org.slug}), params)
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_category_comparison_parameter_errors(org, client_as):
    api = client_as(Role.VIEWER)
    route = reverse("category-comparison", kwargs={"org_slug": org.slug})
    bad = api.get(route, {"metrics": "posts_published"})
    assert bad.status_code == 400 and "metrics" in bad.json()
    both = api.get(route, {"paid": "only", "include_paid": "true"})
    assert both.status_code == 400 and "include_paid" in both.json()


def test_repeated_and_comma_separated_ids(golden, client_as):
    api = client_as(Role.OWNER)
    repeated = api.get(url(golden, "kpis") + f"?brand={golden.brand.pk}&brand={golden.rival.pk}&metrics=likes"
                       f"&start=2026-06-01&end=2026-06-30").json()
    commas = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "brand": f"{golden.brand.pk},{golden.rival.pk}",
                                           "metrics": "likes"}).json()
    assert repeated["content"][0]["value"] == commas["content"][0]["value"] == 102054 + 600


def test_client_sees_only_granted_brands(golden, client_as):
    api = client_as(Role.CLIENT, brands=[golden.rival])
    body = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "metrics": "likes"}).json()
    assert body["content"][0]["value"] is None  # no own brand granted: nothing to sum
    denied = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "brand": golden.brand.pk})
    missing = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "brand": 987654321})
    assert denied.status_code == missing.status_code == 404
    assert denied.content == missing.content
    account = api.get(url(golden, "kpis"), {**JUNE_PARAMS, "account": golden.weibo.pk})
    assert account.status_code == 404
    granted = api.get(url(golden, "benchmarks"), JUNE_PARAMS).json()
    assert {r["handle"] for r in granted["account_level"]} == {"rival_weibo"}


def test_strangers_and_anonymous_users(golden, client, other_org, client_as):
    assert client.get(url(golden, "kpis")).status_code in (401, 403)
    stranger = client_as(Role.OWNER, organization=other_org)
    assert stranger.get(url(golden, "kpis")).status_code == 404


def test_openapi_documents_the_endpoints(golden, client_as):
    api = client_as(Role.VIEWER)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for name in ("kpis", "funnel", "category-comparison", "benchmarks", "anomalies"):
        operation = paths[f"/api/v1/orgs/{{org_slug}}/{name}/"]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"brand", "platform", "account", "category", "start", "end", "preset", "granularity"} <= names
        assert "400" in operation["responses"] and "404" in operation["responses"]
    category = paths["/api/v1/orgs/{org_slug}/category-comparison/"]["get"]
    assert "percentile_cont(0.5)" in category["description"]
    assert {"include_paid", "metrics", "items", "small_sample"} <= {p["name"] for p in category["parameters"]}


def _stat_dicts(value, where="$"):
    """Every dict of a JSON answer that holds a median or a mean, with where it sits."""
    if isinstance(value, dict):
        if "median" in value or "mean" in value:
            yield where, value
        for k, v in value.items():
            yield from _stat_dicts(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _stat_dicts(v, f"{where}[{i}]")


@pytest.mark.parametrize("name", ROUTES)
def test_n_sits_beside_every_median_and_mean(golden, client_as, name):
    """Whatever the endpoint, a median or a mean never travels without the n it was computed over."""
    api = client_as(Role.OWNER)
    body = api.get(url(golden, name), {**JUNE_PARAMS, "brand": golden.brand.pk, "items": "true"}).json()
    found = list(_stat_dicts(body))
    for where, stat in found:
        assert "n" in stat, f"{name}: {where} has a median or mean without n"
        if stat.get("median") is not None or stat.get("mean") is not None:
            assert isinstance(stat["n"], int) and stat["n"] > 0, f"{name}: {where}"
    if name in ("funnel", "category-comparison", "benchmarks"):
        assert found, f"{name}: no median at all in the answer"


def test_the_openapi_schema_generates_without_warnings():
    """What ``manage.py spectacular --fail-on-warn`` checks: no warning or error while generating the schema
    (enum name clashes, undocumented fields…); every KPI endpoint parameter carries a description."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = {**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}
    assert not GENERATOR_STATS, f"schema warnings or errors: {problems}"
    for name in ROUTES:
        operation = schema["paths"][f"/api/v1/orgs/{{org_slug}}/{name}/"]["get"]
        undocumented = [p["name"] for p in operation["parameters"] if p["in"] == "query" and not p.get("description")]
        assert not undocumented, f"{name}: {undocumented}"
        assert "application/json" in operation["responses"]["200"]["content"]
