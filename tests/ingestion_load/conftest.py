"""Fixtures of the loading tests: an organization with a brand and a marketer, and a way to import a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files import File

from accounts.models import Role
from metrics.models import (
    AccountDailyFact,
    DailyRollup,
    ImportBatch,
    Post,
    PostDailyFact,
    PostSnapshot,
    SocialAccount,
)
from metrics.services.imports import import_batch_create, import_batch_run

BJ = ZoneInfo("Asia/Shanghai")
DATA_TABLES = (SocialAccount, Post, PostSnapshot, PostDailyFact, AccountDailyFact, DailyRollup)


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=BJ)


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in DATA_TABLES}


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


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "fixtures" / "exports"
