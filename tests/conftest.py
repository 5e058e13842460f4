"""Shared fixtures: two organizations, a member of each role, API and page clients."""

from pathlib import Path

import pytest
from django.core.files import File
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import Role
from metrics.models import ImportBatch
from metrics.services.imports import import_batch_create, import_batch_run
from tests.factories import BrandFactory, MembershipFactory, OrganizationFactory, UserFactory

PASSWORD = "pw-kpiboard-1"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request with Accept-Language or a language cookie activates its
    language in the thread (LocaleMiddleware), and nothing would switch it back before the next test."""
    yield
    translation.deactivate()


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme Agency", slug="acme", kind="agency")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Rival Co", slug="rival")


@pytest.fixture
def brand(org):
    return BrandFactory(organization=org, name="Glow", slug="glow")


@pytest.fixture
def member_factory(org):
    def build(role=Role.OWNER, organization=None, email=None, brands=()):
        organization = organization or org
        user = UserFactory(email=email) if email else UserFactory()
        membership = MembershipFactory(organization=organization, user=user, role=role)
        for b in brands:
            membership.grants.create(organization=organization, brand=b)
        return membership

    return build


@pytest.fixture
def owner(member_factory):
    return member_factory(Role.OWNER)


@pytest.fixture
def client_as(member_factory):
    """An API client signed in as a new member of ``org`` with ``role`` (``.membership`` on the client)."""

    def build(role=Role.OWNER, organization=None, brands=()):
        membership = member_factory(role, organization=organization, brands=brands)
        api = APIClient()
        api.force_authenticate(membership.user)
        api.membership = membership
        return api

    return build


@pytest.fixture
def page_client(client, owner):
    client.force_login(owner.user)
    client.membership = owner
    return client


@pytest.fixture
def celery_worker_process(django_db_setup, django_db_blocker, settings):
    """A real Celery worker in a subprocess, on the test database and the configured Redis broker.

    Used by tests marked ``celery_worker`` (run by .ci/run with PostgreSQL and Redis); it is started and
    stopped here so that each such test owns its worker.
    """
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.db import connection

    from kpiboard.celery import app

    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.fail("celery_worker tests need CELERY_BROKER_URL (or REDIS_URL); .ci/run sets it")
    if connection.vendor != "postgresql":
        pytest.fail("celery_worker tests need PostgreSQL (DATABASE_URL) so the worker shares the test database")
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kpiboard", "worker", "--loglevel=WARNING", "--concurrency=2",
         "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h"],
        env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited with {worker.returncode}")
        if app.control.ping(timeout=1.0):
            break
    else:
        os.killpg(worker.pid, signal.SIGKILL)
        pytest.fail("the Celery worker did not answer within 60 s")
    worker.django_env = env
    yield worker
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


# ------------------------------------------------------------------------------------------ imports


@pytest.fixture
def marketer(member_factory):
    return member_factory(Role.MARKETER)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def run_import(marketer, brand, media):
    """Upload ``path`` as the marketer and run the batch in-process; returns the batch as it ended."""

    def run(path: Path, *, membership=None, brand_=None, **options) -> ImportBatch:
        membership = membership or marketer
        with open(path, "rb") as fh:
            batch = import_batch_create(membership, brand_ or brand, File(fh, name=Path(path).name), enqueue=False,
                                        **options)
        if batch.status == ImportBatch.Status.PENDING:
            import_batch_run(batch.pk, batch.organization_id)
        batch.refresh_from_db()
        return batch

    return run
