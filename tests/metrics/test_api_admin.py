"""The operators' admin of the metrics models (named test_api_* to stay in this suite's file pattern): every
page loads, snapshots and derived rows are read-only, a post edited there refreshes its facts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.urls import reverse

from metrics.models import PostDailyFact, PostSnapshot
from metrics.services.facts import posts_refresh
from tests.factories import FACTORIES, UserFactory, make

METRICS_MODELS = [model for model in FACTORIES if model._meta.app_label in ("metrics", "campaigns")]


@pytest.fixture
def staff_client(client, db):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_every_metrics_model_is_registered():
    from metrics import models

    for name in ("SocialAccount", "ContentCategory", "Post", "PostCategory", "PostSnapshot", "PostDailyFact",
                 "AccountDailyFact", "DailyRollup", "ImportBatch", "MappingTemplate"):
        assert admin.site.is_registered(getattr(models, name)), name


@pytest.mark.django_db
@pytest.mark.parametrize("model", METRICS_MODELS, ids=lambda m: m.__name__)
def test_changelist_search_and_change_pages_load(staff_client, org, model):
    row = make(model, org)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert staff_client.get(changelist).status_code == 200
    assert staff_client.get(changelist, {"q": "x"}).status_code == 200
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
    assert staff_client.get(change).status_code == 200


@pytest.mark.django_db
def test_snapshots_are_read_only(staff_client, org):
    snapshot = make(PostSnapshot, org)
    model_admin = admin.site._registry[PostSnapshot]
    request = staff_client.get("/").wsgi_request
    request.user = UserFactory(is_staff=True, is_superuser=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, snapshot)
    assert not model_admin.has_delete_permission(request, snapshot)


@pytest.mark.django_db
def test_a_post_saved_in_the_admin_refreshes_its_facts(staff_client, org):
    post = make(PostSnapshot, org, collected_at=datetime(2026, 5, 6, tzinfo=ZoneInfo("Asia/Shanghai"))).post
    posts_refresh(org.pk, [post.pk])
    url = reverse("admin:metrics_post_change", args=[post.pk])
    form = {
        "organization": org.pk, "brand": post.brand_id, "account": post.account_id, "platform": post.platform,
        "platform_post_id": post.platform_post_id, "url": "", "title": post.title,
        "published_at_0": "2026-05-01", "published_at_1": "10:00:00", "content_format": post.content_format,
        "media_type": "earned", "paid_kind": "", "traffic": "organic", "cost": "", "effort_hours": "",
        "campaign": "", "status": "",
        "taggings-TOTAL_FORMS": "0", "taggings-INITIAL_FORMS": "0", "taggings-MIN_NUM_FORMS": "0",
        "taggings-MAX_NUM_FORMS": "1000",
    }
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(PostDailyFact.objects.filter(post=post).values_list("media_type", flat=True)) == {"earned"}
