"""Sign in, sign out, password reset, organization and language switching, commands, health."""

import json
import re

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import Brand, Membership, Organization, Role
from tests.factories import MembershipFactory, OrganizationFactory


@pytest.mark.django_db
def test_sign_in_and_out(client, owner):
    assert client.get("/").status_code == 302
    response = client.post("/accounts/login/", {"username": owner.user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"username": owner.user.email, "password": "pw-kpiboard-1"})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert owner.organization.name in page.content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_password_reset_by_email(client, owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post("/accounts/password-reset/", {"email": owner.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(set_url, {"new_password1": "a-new-Passw0rd!", "new_password2": "a-new-Passw0rd!"})
    assert done.status_code == 302
    assert client.login(email=owner.user.email, password="a-new-Passw0rd!")


@pytest.mark.django_db
def test_switch_organization(page_client, owner):
    second = OrganizationFactory(name="Zeta Brand Team", slug="zeta")
    MembershipFactory(organization=second, user=owner.user, role=Role.VIEWER)
    stranger = OrganizationFactory(name="Not Mine", slug="not-mine")
    assert owner.organization.name in page_client.get("/").content.decode()
    response = page_client.post("/org/switch/", {"org": "zeta", "next": "/"})
    assert response.status_code == 302
    assert "<h1>Zeta Brand Team</h1>" in page_client.get("/").content.decode()
    assert page_client.post("/org/switch/", {"org": stranger.slug}).status_code == 404
    # An open redirect is refused.
    assert page_client.post("/org/switch/", {"org": "zeta", "next": "https://evil.example/"})["Location"] == "/"


@pytest.mark.django_db
def test_language_switch_to_chinese(page_client):
    page_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    body = page_client.get("/").content.decode()
    assert 'lang="zh-hans"' in body
    assert "退出登录" in body  # "Sign out", from the compiled zh_Hans catalogue


@pytest.mark.django_db
def test_user_without_organization(client):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/org/none/"


@pytest.mark.django_db
def test_create_org_and_brand_are_idempotent(capsys):
    for _ in range(2):
        call_command("create_org", "acme", "--name", "Acme", "--owner", "boss@example.com", "--kind", "agency")
        call_command("create_brand", "acme", "glow", "--name", "Glow")
    out = capsys.readouterr().out
    assert "created: organization acme" in out and "exists: organization acme" in out
    assert Organization.objects.filter(slug="acme").count() == 1
    assert Brand.objects.filter(slug="glow").count() == 1
    assert Membership.objects.get(user__email="boss@example.com").role == Role.OWNER


@pytest.mark.django_db
def test_create_brand_unknown_org():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organization"):
        call_command("create_brand", "nope", "glow", "--name", "Glow")


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["database"]["ok"] is True and body["broker"]["mode"] == "eager"


@pytest.mark.django_db
def test_healthz_reports_a_dead_broker(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    from kpiboard.celery import app

    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = None
    assert response.status_code == 503
    assert json.loads(response.content)["broker"]["ok"] is False


@pytest.mark.django_db
def test_api_docs_served_offline(client, owner):
    client.force_login(owner.user)
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/orgs/{org_slug}/brands/" in schema.content
