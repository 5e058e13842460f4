"""Fixtures of the Imports page tests: files under a temporary MEDIA_ROOT, page clients by role, sample exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Role

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exports"
XHS_NOTES = FIXTURES / "xiaohongshu" / "笔记列表明细表__ryanmind-ai-brief-starter.xlsx"  # 8 notes
ODD_HEADERS = ["作品名", "发布于", "播放量", "点赞", "备注"]  # no known export has these; 播放量 and 点赞 are guessed


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def page_as(member_factory):
    """A page client signed in as a new member of ``org`` with ``role`` (``.membership`` on the client)."""

    def build(role=Role.MARKETER, organization=None, brands=()):
        membership = member_factory(role, organization=organization, brands=brands)
        client = Client()
        client.force_login(membership.user)
        client.membership = membership
        return client

    return build


@pytest.fixture
def marketer_page(page_as):
    return page_as(Role.MARKETER)


def odd_csv(
    path: Path,
    rows=(("夏日清单", "2026-06-01 10:00", "1200", "30", "x"), ("冬季清单", "2026-06-02 11:00", "900", "12", "y")),
) -> Path:
    """A CSV whose headers match no known export (a hand-made report)."""
    lines = [",".join(ODD_HEADERS)] + [",".join(r) for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path
