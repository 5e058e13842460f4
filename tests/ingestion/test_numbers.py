"""The one number/date parser: every format the exports use, scalar and vectorised alike."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from metrics.ingestion.numbers import (
    BEIJING,
    FLOOR,
    UPPER_BOUND,
    ValueParseError,
    parse_date,
    parse_datetime,
    parse_datetime_series,
    parse_number,
    parse_number_series,
)

NUMBER_CASES = [
    # value, kind, options, expected value, expected flag
    (296, "count", {}, 296.0, None),
    (296.0, "count", {}, 296.0, None),
    ("8471", "count", {}, 8471.0, None),
    ("8,471", "count", {}, 8471.0, None),
    ("1,234,567", "count", {}, 1234567.0, None),
    ("１２３", "count", {}, 123.0, None),  # full-width digits
    ("12.3%", "rate", {}, 0.123, None),
    ("0%", "rate", {}, 0.0, None),
    ("0.135135", "rate", {}, 0.135135, None),  # 0-1 fraction stays
    ("0.000000", "rate", {}, 0.0, None),  # Douyin's text zero
    ("12.3", "rate", {"percent": True}, 0.123, None),  # header says (%)
    (1.98, "rate", {"percent": True}, 0.0198, None),
    ("<0.1%", "rate", {}, 0.001, UPPER_BOUND),
    ("1.2万", "count", {}, 12000.0, None),
    ("1.2w", "count", {}, 12000.0, None),
    ("1.2W", "count", {}, 12000.0, None),
    ("3.4亿", "count", {}, 340000000.0, None),
    ("10万+", "count", {}, 100000.0, FLOOR),
    ("100万+", "count", {}, 1000000.0, FLOOR),
    ("4.89万人", "count", {}, 48900.0, None),
    ("14.73秒", "seconds", {}, 14.73, None),
    ("83s", "seconds", {}, 83.0, None),
    ("1分23秒", "seconds", {}, 83.0, None),
    ("00:01:23", "seconds", {}, 83.0, None),
    ("01:23", "seconds", {}, 83.0, None),
    ("20.7分钟", "seconds", {}, 1242.0, None),
    ("1小时2分3秒", "seconds", {}, 3723.0, None),
    (3.907336, "seconds", {}, 3.907336, None),
    (dt.time(0, 1, 23), "seconds", {}, 83.0, None),
    (dt.timedelta(minutes=1, seconds=23), "seconds", {}, 83.0, None),
    ("3.5星", "stars", {}, 3.5, None),
    ("2星", "stars", {}, 2.0, None),
    (4.2, "stars", {}, 4.2, None),
    ("¥1,234.50", "cny", {}, 1234.5, None),
    ("￥88", "cny", {}, 88.0, None),
    ("2,001.36元", "cny", {}, 2001.36, None),
    ("1.5万元", "cny", {}, 15000.0, None),
    (1500, "cny", {"scale": 0.01}, 15.0, None),  # 赞赏(分): fen
    ("-12", "number", {}, -12.0, None),
]

MISSING_CASES = ["-", "--", "—", "——", "/", "", "   ", "N/A", "n/a", None, float("nan"), "－"]


@pytest.mark.parametrize(("value", "kind", "options", "expected", "flag"), NUMBER_CASES)
def test_parse_number(value, kind, options, expected, flag):
    result = parse_number(value, kind, **options)
    assert result.value == pytest.approx(expected)
    assert result.flag == flag


@pytest.mark.parametrize("value", MISSING_CASES)
@pytest.mark.parametrize("kind", ["count", "rate", "seconds", "stars", "cny"])
def test_missing_is_none_never_zero(value, kind):
    assert parse_number(value, kind).value is None


@pytest.mark.parametrize(("value", "kind"), [
    ("abc", "count"), ("12%", "count"), ("3.5星", "rate"), ("1.2万", "rate"), ("12%", "stars"), ("7星", "stars"),
    ("1e999", "count"), (True, "count"), (dt.date(2026, 1, 1), "count"), ("1.2.3", "number"), ("12%", "seconds"),
])
def test_unparseable_numbers_raise(value, kind):
    with pytest.raises(ValueParseError):
        parse_number(value, kind)


def test_stars_are_never_turned_into_a_percentage():
    assert parse_number("3.5星", "stars").value == 3.5


def _bj(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


DATE_CASES = [
    ("2026-06-07", _bj(2026, 6, 7)),
    ("2026-06-07 12:16:33", _bj(2026, 6, 7, 12, 16, 33)),
    ("2026/5/29", _bj(2026, 5, 29)),
    ("2026/5/29 8:05", _bj(2026, 5, 29, 8, 5)),
    ("20260911", _bj(2026, 9, 11)),
    (20260911, _bj(2026, 9, 11)),
    ("2026年06月03日 16:41:25", _bj(2026, 6, 3, 16, 41, 25)),
    ("2026年01月05日22时30分05秒", _bj(2026, 1, 5, 22, 30, 5)),
    ("2026年10月01日", _bj(2026, 10, 1)),
    ("2026.06.07", _bj(2026, 6, 7)),
    (46233, _bj(2026, 7, 30)),  # Excel serial
    (46233.5, _bj(2026, 7, 30, 12)),
    ("46233", _bj(2026, 7, 30)),
    (dt.datetime(2026, 6, 2, 18, 34, 34), _bj(2026, 6, 2, 18, 34, 34)),  # naive workbook datetime = Beijing
    (dt.date(2026, 6, 2), _bj(2026, 6, 2)),
    (dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.UTC), _bj(2026, 6, 2, 18, 0)),
    ("2026-06-07T04:16:33Z", _bj(2026, 6, 7, 12, 16, 33)),
    (1780787939, _bj(2026, 6, 7, 7, 18, 59)),  # unix seconds, read in UTC+8
]


@pytest.mark.parametrize(("value", "expected"), DATE_CASES)
def test_parse_datetime(value, expected):
    result = parse_datetime(value)
    assert result == expected
    assert result.tzinfo is not None and result.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize("value", ["-", "", None, "--", float("nan")])
def test_missing_dates(value):
    assert parse_datetime(value) is None


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "yesterday", "6月7日", -5, 99999999999999])
def test_bad_dates_raise(value):
    with pytest.raises(ValueParseError):
        parse_datetime(value)


def test_parse_date_drops_the_time():
    assert parse_date("2026年01月05日22时30分05秒") == dt.date(2026, 1, 5)


def test_vectorised_numbers_match_scalar():
    values = [c[0] for c in NUMBER_CASES if c[1] == "count"] + ["-", None, "x"]
    res = parse_number_series(pd.Series(values, dtype=object), "count")
    for i, v in enumerate(values[:-3]):
        assert res.values[i] == pytest.approx(parse_number(v, "count").value)
    assert np.isnan(res.values[-3]) and np.isnan(res.values[-2]) and np.isnan(res.values[-1])
    assert [(pos, reason) for pos, _, reason in res.errors] == [(len(values) - 1, "not a number")]
    floors = [i for i, f in res.flags.items() if f == FLOOR]
    assert floors == [values.index("10万+"), values.index("100万+")]


def test_vectorised_rates_and_percent_header():
    res = parse_number_series(pd.Series(["55.9%", "0%", "<0.1%", "-"], dtype="str"), "rate")
    assert res.values[:3].tolist() == [0.559, 0.0, 0.001]
    assert np.isnan(res.values[3]) and res.flags == {2: UPPER_BOUND}
    res = parse_number_series(np.array([1.98, 3.39]), "rate", percent=True)
    assert res.values.tolist() == [0.0198, 0.0339]


def test_vectorised_dates_mixed_formats():
    res = parse_datetime_series(pd.Series(["2026/5/29", "2026/6/1", 46174.5, "bad", None, "-"], dtype=object))
    assert res.values.iloc[0] == pd.Timestamp("2026-05-29", tz=BEIJING)
    assert res.values.iloc[2] == pd.Timestamp("2026-06-01 12:00", tz=BEIJING)
    assert res.values.iloc[3:].isna().all()
    assert res.errors == [(3, "bad", "not a date we recognise")]
    assert str(res.values.dt.tz) == "Asia/Shanghai"


def test_a_million_plain_cells_parse_fast():
    n = 1_000_000
    counts = pd.Series(np.arange(n).astype(str), dtype="str")
    rate_values = np.array([f"{i / 10}%" for i in range(1000)], dtype=object)
    rates = pd.Series(rate_values[np.arange(n) % 1000], dtype="str")
    day_values = np.array([f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(336)], dtype=object)
    dates = pd.Series(day_values[np.arange(n) % 336], dtype="str")
    t = time.perf_counter()
    c = parse_number_series(counts, "count")
    t_counts = time.perf_counter() - t
    t = time.perf_counter()
    r = parse_number_series(rates, "rate")
    t_rates = time.perf_counter() - t
    t = time.perf_counter()
    d = parse_datetime_series(dates, date_only=True)
    t_dates = time.perf_counter() - t
    assert c.values[-1] == n - 1 and r.values[15] == pytest.approx(0.015) and not d.errors
    # generous bounds (a loaded CI box); typical: ~0.3 s, ~0.2 s, ~0.3 s
    assert t_counts < 3 and t_rates < 3 and t_dates < 3
