"""Number, unit, date and chart formatting of the dashboard pages (metrics.presentation)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from metrics import presentation as p
from metrics.catalog import Unit


@pytest.mark.parametrize(
    ("value", "en", "zh"),
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (9999, "9,999", "9,999"),
        (12345, "12,345", "1.2万"),
        (10000, "10,000", "1万"),
        (99_995_000, "99,995,000", "1亿"),
        (340_000_000, "340,000,000", "3.4亿"),
        (-25_000, "-25,000", "-2.5万"),
        (None, "—", "—"),
    ],
)
def test_counts_use_thousands_separators_in_english_and_wan_yi_in_chinese(value, en, zh):
    assert p.format_number(value, "en") == en
    assert p.format_number(value, "zh-hans") == zh


def test_units():
    assert p.format_value(0.1234, Unit.PERCENT) == "12.3%"
    assert p.format_value(0.0004, Unit.PERCENT) == "0.04%"
    assert p.format_value(1234.5, Unit.CNY, "en") == "¥1,234.50"
    assert p.format_value(123456, Unit.CNY, "zh-hans") == "¥12.3万"
    assert p.format_value(65, Unit.SECONDS, "en") == "1m 05s"
    assert p.format_value(65, Unit.SECONDS, "zh-hans") == "1分05秒"
    assert p.format_value(7260, Unit.SECONDS, "zh-hans") == "2小时01分"
    assert p.format_value(0.456, Unit.RATIO) == "0.46"
    assert p.format_value(4.5, Unit.STARS) == "4.5★"
    assert p.format_value(None, Unit.CNY) == "—"


def test_changes_and_their_tone():
    assert p.format_change(0.1234) == "+12.3%"
    assert p.format_change(-0.05) == "-5.0%"
    assert p.format_change(None) == "—"
    assert p.change_tone(0.2) == "up"
    assert p.change_tone(0.2, higher_is_better=False) == "down"  # follower loss rising is bad news
    assert p.change_tone(None) == "flat"


def test_publication_time_reads_like_the_guides_table(settings):
    moment = datetime(2023, 7, 16, 4, 0, tzinfo=ZoneInfo("UTC"))  # 12:00 in Beijing
    assert p.format_datetime(moment, "en") == "Sun 16 Jul 2023 at 12:00"
    assert p.format_datetime(moment, "zh-hans") == "2023年7月16日 周日 12:00"


def test_labels_follow_the_active_language():
    with translation.override("zh-hans"):
        assert p.metric_label("engagement") == "互动量"
        assert p.platform_label("douyin") == "抖音"
    with translation.override("en"):
        assert p.metric_label("engagement") == "Engagement"
        assert p.platform_label("xiaohongshu") == "Xiaohongshu (RED)"


def test_figure_payload_has_the_pages_plotly_config():
    import plotly.graph_objects as go

    fig = p.new_figure("Views")
    fig.add_trace(go.Scatter(x=[1, 2], y=[3, 4]))
    payload = p.figure_payload(fig, "views-trend", "en")
    assert payload["config"]["responsive"] is True
    assert payload["config"]["displaylogo"] is False
    assert payload["config"]["toImageButtonOptions"]["format"] == "png"
    assert payload["config"]["toImageButtonOptions"]["filename"] == "views-trend"
    assert payload["empty"] is False
    assert payload["data"][0]["y"] == [3, 4]
    assert p.figure_payload(p.new_figure("Nothing"), "x")["empty"] is True


def test_chinese_axes_get_wan_tick_labels():
    axis = p.value_axis([0, 25_000, 180_000], Unit.COUNT, "zh-hans")
    assert axis["tickmode"] == "array"
    assert "5万" in axis["ticktext"]
    assert p.value_axis([0, 25_000], Unit.COUNT, "en")["tickformat"] == ",~r"
    assert p.value_axis([0.1], Unit.PERCENT, "zh-hans")["tickformat"].endswith("%")
