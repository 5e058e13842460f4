"""Fixtures of the loading tests: an organization with a brand and a marketer, and a way to import a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from metrics.models import (
    AccountDailyFact,
    DailyRollup,
    Post,
    PostDailyFact,
    PostSnapshot,
    SocialAccount,
)

BJ = ZoneInfo("Asia/Shanghai")
DATA_TABLES = (SocialAccount, Post, PostSnapshot, PostDailyFact, AccountDailyFact, DailyRollup)


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=BJ)


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in DATA_TABLES}


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "fixtures" / "exports"
