"""Natural keys: id, else normalised URL, else normalised title + publish minute (Beijing time)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from metrics.ingestion.keys import MAX_KEY_LENGTH, normalise_title, normalise_url, post_key, post_keys

BJ = ZoneInfo("Asia/Shanghai")


def test_an_id_wins_and_excel_floats_lose_their_decimal_point():
    assert post_key("7376601234567890123", "https://x.y/a", "t") == "id:7376601234567890123"
    assert post_key(1.2345e9) == "id:1234500000"


def test_urls_are_normalised_and_wechat_keeps_the_article_parameters():
    a = normalise_url("http://MP.weixin.qq.com/s?__biz=MzA5&mid=22&idx=1&sn=abc&chksm=zz&scene=21#wechat_redirect")
    b = normalise_url("https://mp.weixin.qq.com/s?sn=abc&idx=1&mid=22&__biz=MzA5")
    assert a == b == "https://mp.weixin.qq.com/s?__biz=MzA5&idx=1&mid=22&sn=abc"
    assert normalise_url("https://www.bilibili.com/video/BV1xx/?spm_id_from=333&p=2") == \
        "https://bilibili.com/video/BV1xx?p=2"
    assert normalise_url("not a url") is None


def test_titles_are_nfkc_first_line_collapsed_and_carry_the_beijing_minute():
    assert normalise_title("  ６１８　早鸟\t清单 \n#好物推荐") == "618 早鸟 清单"
    utc = dt.datetime(2026, 5, 25, 12, 15, 40, tzinfo=dt.UTC)
    assert post_key(None, None, "秋冬护肤", utc) == "title:秋冬护肤|2026-05-25 20:15"
    assert post_key(None, None, "", dt.datetime(2026, 5, 25, 20, 15, 40, tzinfo=BJ)) == "time:2026-05-25 20:15:40"
    assert post_key(None, None, None, None) is None


def test_long_keys_fit_and_stay_distinct():
    a, b = post_key(None, None, "长" * 400 + "A"), post_key(None, None, "长" * 400 + "B")
    assert len(a) == len(b) == MAX_KEY_LENGTH and a != b


def test_the_vectorised_keys_match_the_row_rule():
    frame = pd.DataFrame({
        "platform_post_id": [None, "42", None, None],
        "material_id": [None, None, "7376", None],
        "url": ["https://mp.weixin.qq.com/s/AbC", None, None, None],
        "title": ["x", "y", "z", "夏日 \n清单"],
        "published_at": pd.Series([pd.NaT, pd.NaT, pd.NaT, pd.Timestamp("2026-06-01 10:00", tz=BJ)]),
    })
    assert post_keys(frame).tolist() == ["url:https://mp.weixin.qq.com/s/AbC", "id:42", "id:7376",
                                         "title:夏日|2026-06-01 10:00"]
