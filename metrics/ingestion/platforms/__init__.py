"""Built-in export formats, one module per platform. Order matters only for ties in detection."""

from __future__ import annotations

from ..formats import ReportFormat
from . import bilibili, douyin, kuaishou, wechat_channels, wechat_oa, weibo, xiaohongshu

MODULES = (wechat_oa, wechat_channels, douyin, kuaishou, xiaohongshu, bilibili, weibo)

FORMATS: tuple[ReportFormat, ...] = tuple(f for m in MODULES for f in m.FORMATS)
FORMATS_BY_KEY: dict[str, ReportFormat] = {f.key: f for f in FORMATS}
assert len(FORMATS_BY_KEY) == len(FORMATS), "duplicate format key"  # noqa: S101


def formats_for(platform: str | None = None) -> tuple[ReportFormat, ...]:
    return tuple(f for f in FORMATS if platform is None or f.platform == platform)
