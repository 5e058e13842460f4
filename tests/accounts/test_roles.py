"""Each role against each write action, table-driven, through the API."""

import pytest

from accounts.models import Brand, Role
from tests.factories import BrandFactory, MembershipFactory

WRITE_ACTIONS = {
    # action: roles allowed
    "create_brand": {Role.OWNER, Role.MANAGER},
    "update_brand": {Role.OWNER, Role.MANAGER},
    "delete_brand": {Role.OWNER, Role.MANAGER},
    "add_member": {Role.OWNER, Role.MANAGER},
    "change_member_role": {Role.OWNER, Role.MANAGER},
    "list_members": {Role.OWNER, Role.MANAGER, Role.MARKETER, Role.VIEWER},
}


def do(action, api, org):
    base = f"/api/v1/orgs/{org.slug}"
    if action == "create_brand":
        return api.post(f"{base}/brands/", {"name": "New", "slug": "new-brand"}, format="json")
    if action == "update_brand":
        brand = BrandFactory(organization=org)
        return api.patch(f"{base}/brands/{brand.pk}/", {"name": "Renamed"}, format="json")
    if action == "delete_brand":
        brand = BrandFactory(organization=org)
        return api.delete(f"{base}/brands/{brand.pk}/")
    if action == "add_member":
        return api.post(f"{base}/members/", {"email": "someone@example.com", "role": "viewer"}, format="json")
    if action == "change_member_role":
        target = MembershipFactory(organization=org, role=Role.VIEWER)
        return api.patch(f"{base}/members/{target.pk}/", {"role": "marketer"}, format="json")
    if action == "list_members":
        return api.get(f"{base}/members/")
    raise AssertionError(action)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(WRITE_ACTIONS))
def test_role_permissions(role, action, org, client_as):
    api = client_as(role)
    response = do(action, api, org)
    if role in WRITE_ACTIONS[action]:
        assert response.status_code in (200, 201, 204), response.content
    else:
        assert response.status_code == 403, response.content


@pytest.mark.django_db
def test_client_sees_only_granted_brands(org, client_as):
    granted = BrandFactory(organization=org, slug="granted")
    BrandFactory(organization=org, slug="hidden")
    api = client_as(Role.CLIENT, brands=[granted])
    response = api.get(f"/api/v1/orgs/{org.slug}/brands/")
    assert [b["slug"] for b in response.json()["results"]] == ["granted"]
    hidden = Brand.objects.get(slug="hidden")
    assert api.get(f"/api/v1/orgs/{org.slug}/brands/{hidden.pk}/").status_code == 404


@pytest.mark.django_db
def test_last_owner_cannot_be_removed(org, client_as):
    api = client_as(Role.OWNER)
    response = api.delete(f"/api/v1/orgs/{org.slug}/members/{api.membership.pk}/")
    assert response.status_code == 400


@pytest.mark.django_db
def test_anonymous_gets_401_or_403(org):
    from rest_framework.test import APIClient

    assert APIClient().get(f"/api/v1/orgs/{org.slug}/brands/").status_code in (401, 403)


@pytest.mark.django_db
def test_token_authentication(org, member_factory):
    from rest_framework.test import APIClient

    member = member_factory(Role.VIEWER)
    api = APIClient()
    bad = api.post("/api/v1/token/", {"email": member.user.email, "password": "wrong"}, format="json")
    assert bad.status_code == 400
    token = api.post("/api/v1/token/", {"email": member.user.email, "password": "pw-kpiboard-1"}, format="json")
    assert token.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    orgs = api.get("/api/v1/orgs/").json()
    assert [(o["slug"], o["role"]) for o in orgs] == [(org.slug, "viewer")]
