"""The browser tests' gate: without chromium they skip with the reason (a fresh machine's ``make test`` passes);
with ``KPIBOARD_REQUIRE_BROWSER`` set (``.ci/run``) a missing browser fails the run. No browser is started here."""

from __future__ import annotations

import pytest

from tests.e2e import conftest as e2e


@pytest.mark.parametrize(
    ("value", "required"),
    [(None, False), ("", False), ("0", False), ("false", False), ("no", False), ("1", True), ("yes", True)],
)
def test_kpiboard_require_browser_decides_whether_a_missing_browser_fails(monkeypatch, value, required):
    if value is None:
        monkeypatch.delenv("KPIBOARD_REQUIRE_BROWSER", raising=False)
    else:
        monkeypatch.setenv("KPIBOARD_REQUIRE_BROWSER", value)
    assert e2e.browser_required() is required


def test_a_missing_chromium_is_named_with_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(e2e, "CHROMIUM", tmp_path / "no-chromium")
    reason = e2e.browser_missing()
    assert reason is not None
    assert str(tmp_path / "no-chromium") in reason
    assert "apt-get install chromium" in reason


def test_the_browser_fixture_skips_or_fails_by_the_variable(monkeypatch, tmp_path):
    """The session fixture's own decision: ``pytest.skip`` normally, ``pytest.fail`` when the browser is required."""
    monkeypatch.setattr(e2e, "CHROMIUM", tmp_path / "no-chromium")
    fixture = e2e.browser.__wrapped__ if hasattr(e2e.browser, "__wrapped__") else e2e.browser.__pytest_wrapped__.obj

    monkeypatch.delenv("KPIBOARD_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is missing"):
        next(fixture())

    monkeypatch.setenv("KPIBOARD_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="KPIBOARD_REQUIRE_BROWSER is set"):
        next(fixture())
