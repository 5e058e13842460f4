"""Tenant isolation, proven for every route by walking the URL configuration.

For each API route under /api/v1/orgs/<org_slug>/ and each page that takes an id, a member of one
organization must get a 404 for the other organization's ids, with the same body as for an id that does
not exist; lists never include the other's rows; a foreign key into the other organization in a payload is
refused; an ``organization`` in a payload is ignored. A new route that is not scoped, or that this file
cannot exercise (no factory, no payload), fails here.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.api.mixins import OrgScopedMixin
from accounts.models import Role
from accounts.tenancy import TenantModel
from accounts.views import OrgPageMixin
from tests.factories import FACTORIES, make

MISSING_ID = 987654321

# Routes that take parameters but are not tenant data (auth tokens, the admin of operators, language).
PAGE_PARAM_EXEMPT = {"password_reset_confirm"}
EXEMPT_PREFIXES = ("admin/", "static/", "media/", "i18n/", "api/schema", "api/docs", "api/redoc")


def _walk(patterns=None, prefix="", namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            params = list(entry.pattern.regex.groupindex)
            yield route, entry, params, namespace


def _parent_params(route):
    # Parameters of enclosing resolvers are in the route text; collect names like <slug:org_slug>.
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)


def api_routes():
    found = []
    for route, entry, _params, ns in _walk():
        if not route.startswith("api/v1/orgs/<"):
            continue
        names = [a or b for a, b in _parent_params(route)]
        found.append(pytest.param(route, entry, names, ns, id=entry.name or route))
    return found


def page_routes():
    found = []
    for route, entry, _params, ns in _walk():
        if route.startswith(("api/", *EXEMPT_PREFIXES)) or entry.name in PAGE_PARAM_EXEMPT:
            continue
        names = [a or b for a, b in _parent_params(route)]
        if names:
            found.append(pytest.param(route, entry, names, ns, id=entry.name or route))
    return found


def _view_class(entry):
    callback = entry.callback
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _model_of(view_class):
    queryset = getattr(view_class, "queryset", None)
    model = getattr(queryset, "model", None) or getattr(view_class, "scoped_model", None)
    return model


@pytest.fixture
def two_tenants(org, other_org, member_factory):
    me = member_factory(Role.OWNER, organization=org)
    stranger = member_factory(Role.OWNER, organization=other_org)
    return me, stranger


def test_every_api_route_is_scoped():
    """Every tenant API view uses the scoping mixin and serves a tenant-owned model or declares its scope."""
    routes = api_routes()
    assert routes, "no tenant API routes found"
    for param in routes:
        route, entry, names, ns = param.values
        view_class = _view_class(entry)
        assert view_class is not None, f"{route}: not a class-based view"
        assert issubclass(view_class, OrgScopedMixin), f"{route}: {view_class.__name__} is not OrgScopedMixin"
        assert names[0] == "org_slug", f"{route}: the organization must come first in the URL"
        model = _model_of(view_class)
        if model is not None:
            assert issubclass(model, TenantModel), f"{route}: {model.__name__} is not tenant-owned"
            assert model in FACTORIES, f"{route}: add a factory for {model.__name__} to tests/factories.py"
        else:
            assert getattr(view_class, "scoped_params", None) is not None, (
                f"{route}: a view without a model must declare scoped_params (query parameters naming ids)"
            )


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "entry", "names", "ns"), api_routes())
def test_api_route_isolation(route, entry, names, ns, org, other_org, two_tenants, client):
    from rest_framework.test import APIClient

    me, _stranger = two_tenants
    api = APIClient()
    api.force_authenticate(me.user)
    view_class = _view_class(entry)
    model = _model_of(view_class)
    actions = _actions(entry, view_class)

    if model is None:
        _check_param_scoped_view(api, entry, view_class, org, other_org)
        return

    mine = make(model, org)
    theirs = make(model, other_org)
    extra = [n for n in names if n not in ("org_slug", "pk")]
    assert not extra, f"{route}: unexpected URL parameters {extra}; extend this test"

    if "pk" in names:
        url_theirs = reverse(entry.name, kwargs={"org_slug": org.slug, "pk": theirs.pk})
        url_missing = reverse(entry.name, kwargs={"org_slug": org.slug, "pk": MISSING_ID})
        url_mine = reverse(entry.name, kwargs={"org_slug": org.slug, "pk": mine.pk})
        missing = api.get(url_missing)
        assert missing.status_code == 404
        for method in [m for m in ("get", "put", "patch", "delete") if m in actions]:
            response = getattr(api, method)(url_theirs, {}, format="json")
            assert response.status_code == 404, f"{method.upper()} {url_theirs} gave {response.status_code}"
            assert response.content == missing.content, f"{method.upper()} {route}: 404 body differs"
        if "get" in actions:
            assert api.get(url_mine).status_code == 200
        # The other organization's own slug is a 404 too, whatever the id.
        foreign = reverse(entry.name, kwargs={"org_slug": other_org.slug, "pk": theirs.pk})
        assert api.get(foreign).status_code == 404
    else:
        url = reverse(entry.name, kwargs={"org_slug": org.slug})
        if "get" in actions:
            response = api.get(url)
            assert response.status_code == 200, response.content[:300]
            ids = _ids(response.json())
            assert mine.pk in ids
            assert theirs.pk not in ids
        if actions.get("post") == "create":
            _check_create(api, url, model, org, other_org)
        elif "post" in actions:
            _check_action(api, entry.name, url, org, other_org)
        foreign = reverse(entry.name, kwargs={"org_slug": other_org.slug})
        assert api.get(foreign).status_code == 404


def _actions(entry, view_class):
    """HTTP method -> action of a route. A viewset's router says it; for a plain view, a POST creates only on a
    ``CreateModelMixin`` view, any other POST is an action on existing rows (``_check_action``)."""
    from rest_framework.mixins import CreateModelMixin

    actions = getattr(entry.callback, "actions", None)
    if actions is not None:
        return actions
    found = {}
    if hasattr(view_class, "post"):
        found["post"] = "create" if issubclass(view_class, CreateModelMixin) else "post"
    return found


def _ids(payload):
    rows = payload["results"] if isinstance(payload, dict) and "results" in payload else payload
    return {row["id"] for row in rows}


def _check_create(api, url, model, org, other_org):
    from tests.create_payloads import CREATE_PAYLOADS

    assert model in CREATE_PAYLOADS, f"add a create payload for {model.__name__} to tests/create_payloads.py"
    case = CREATE_PAYLOADS[model]
    payload = case.valid(org)
    payload["organization"] = other_org.pk
    response = api.post(url, payload, format=case.format)
    assert response.status_code in (200, 201, 202), response.content[:500]
    created = model.objects.get(pk=response.json()["id"])
    assert created.organization_id == org.pk, "an organization in the payload must be ignored"
    for field, foreign_value in case.foreign_keys(org, other_org).items():
        bad = case.valid(org)
        bad[field] = foreign_value
        response = api.post(url, bad, format=case.format)
        assert response.status_code in (400, 404), f"{model.__name__}.{field} accepted another tenant's id"


def _check_action(api, route_name, url, org, other_org):
    """A POST that acts on existing rows (a bulk operation): it works on the member's own ids, ignores an
    ``organization`` in the payload, and refuses (400/404) any list holding another tenant's id without writing
    anything in either organization."""
    from tests.create_payloads import ACTION_PAYLOADS

    assert route_name in ACTION_PAYLOADS, (
        f"POST {url} is not a create: add an ActionCase for {route_name!r} to tests/create_payloads.ACTION_PAYLOADS"
    )
    case = ACTION_PAYLOADS[route_name]
    payload = case.valid(org)
    payload["organization"] = other_org.pk
    theirs_before = case.state(other_org)
    response = api.post(url, payload, format=case.format)
    assert 200 <= response.status_code < 300, response.content[:500]
    assert case.state(other_org) == theirs_before, "an organization in the payload must be ignored"
    foreign = case.foreign_keys(org, other_org)
    assert foreign, f"{route_name}: name the id fields to try from another tenant"
    for field, foreign_value in foreign.items():
        bad = case.valid(org)
        bad[field] = foreign_value
        before = case.state(org), case.state(other_org)
        response = api.post(url, bad, format=case.format)
        assert response.status_code in (400, 404), f"POST {url}: {field} accepted another tenant's id"
        assert (case.state(org), case.state(other_org)) == before, f"POST {url}: refused {field} but wrote"


def _check_param_scoped_view(api, entry, view_class, org, other_org):
    """Views without a model (KPI answers) take ids as query parameters: another tenant's id is a 404, one's own
    id an answer (GET views); the other organization's slug is a 404 whatever the parameters."""
    url = reverse(entry.name, kwargs={"org_slug": org.slug})
    for param, model in view_class.scoped_params.items():
        theirs = make(model, other_org)
        response_theirs = api.get(url, {param: theirs.pk})
        response_missing = api.get(url, {param: MISSING_ID})
        assert response_theirs.status_code == 404, f"{url}?{param}=<other tenant> gave {response_theirs.status_code}"
        assert response_theirs.content == response_missing.content
        if hasattr(view_class, "get"):
            mine = make(model, org)
            assert api.get(url, {param: mine.pk}).status_code == 200, f"{url}?{param}=<own id> is not answered"
    if hasattr(view_class, "get"):
        assert api.get(url).status_code == 200
        assert api.get(reverse(entry.name, kwargs={"org_slug": other_org.slug})).status_code == 404


@pytest.mark.django_db
def test_every_page_with_an_id_is_scoped():
    for param in page_routes():
        route, entry, names, ns = param.values
        view_class = _view_class(entry)
        assert view_class is not None and issubclass(view_class, OrgPageMixin), f"{route}: not an OrgPageMixin view"
        assert view_class.scoped_model is not None, f"{route}: set scoped_model"
        assert view_class.scoped_model in FACTORIES, f"{route}: add a factory for {view_class.scoped_model.__name__}"


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "entry", "names", "ns"), page_routes() or [pytest.param(None, None, None, None,
                                                                                          id="no-pages-yet")])
def test_page_isolation(route, entry, names, ns, org, other_org, two_tenants, client):
    if route is None:
        return
    me, _ = two_tenants
    client.force_login(me.user)
    view_class = _view_class(entry)
    model = view_class.scoped_model
    kwarg, field = view_class.scoped_url_kwarg, view_class.scoped_lookup
    theirs, mine = make(model, other_org), make(model, org)
    missing_value = MISSING_ID if field in ("pk", "id") else "no-such-thing"
    base = dict.fromkeys(names)
    assert set(base) == {kwarg}, f"{route}: page routes take one id parameter ({kwarg}); extend this test"
    r_theirs = client.get(reverse(entry.name, kwargs={kwarg: getattr(theirs, field)}))
    r_missing = client.get(reverse(entry.name, kwargs={kwarg: missing_value}))
    assert r_theirs.status_code == 404
    assert r_missing.status_code == 404
    assert r_theirs.content == r_missing.content
    assert client.get(reverse(entry.name, kwargs={kwarg: getattr(mine, field)})).status_code == 200
