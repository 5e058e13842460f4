"""Make the ingestion tests runnable before the project's settings exist.

Under pytest-django with real settings nothing happens here. When no settings module can be imported yet, a
minimal configuration is installed (the parsing layer needs Django only for gettext).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.conf import settings


def _ensure_settings() -> None:
    if settings.configured:
        return
    module = os.environ.get("DJANGO_SETTINGS_MODULE")
    if module:
        try:
            importlib.import_module(module)
            return  # real settings are importable: Django loads them lazily
        except Exception:  # noqa: BLE001 - scaffold not ready yet: fall back to the minimal settings below
            os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    settings.configure(USE_I18N=False, USE_TZ=True, TIME_ZONE="Asia/Shanghai", INSTALLED_APPS=[], DATABASES={})


_ensure_settings()

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exports"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
