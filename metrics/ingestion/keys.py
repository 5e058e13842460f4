"""Natural keys: how an exported row is recognised as a post kpiboard already knows.

Exports rarely carry a stable id, so a post is recognised by the best thing each row has, in this order:

1. ``id:<platform id>`` where the export has one (Channels 视频ID, Qianchuan 素材ID, Ocean Engine 广告组id);
2. ``url:<normalised url>`` (WeChat 内容url): scheme and host lower-cased, ``http`` → ``https``, ``www.``,
   fragment and tracking parameters (``utm_*``, Baidu ``hm*``, ``spm``, share tokens…) dropped, the remaining
   query sorted; a WeChat article keeps only ``__biz``, ``mid``, ``idx`` and ``sn``, which name the article;
3. ``title:<normalised title>|<published at, to the minute, Beijing time>`` (Douyin, XHS and Bilibili export no
   id): NFKC, the first non-empty line of a multi-line caption, whitespace collapsed, trimmed;
4. ``time:<published at, to the second, Beijing time>`` for a row with nothing else (XHS notes can have an empty
   title; two notes of one account are never published in the same second).

Ad reports name their items by material id (Qianchuan 素材ID) or ad-group id (Ocean Engine 广告组id): these are the
items' platform ids and give ``id:`` keys like any other.

Keys are unique within (organization, brand, platform) and fit ``Post.natural_key`` (255 characters): a longer
one keeps its head and ends with a hash of the whole key, so two long titles never collide.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

MAX_KEY_LENGTH = 255
BEIJING = ZoneInfo("Asia/Shanghai")

_WS = re.compile(r"\s+")
_TRACKING = re.compile(
    r"^(utm_\w+|hmsr|hmpl|hmcu|hmkw|hmci|spm|spm_id_from|from|from_spmid|share_\w+|shareredirect|xsec_\w+|"
    r"vd_source|scene|subscene|sessionid|clicktime|enterid|ascene|devicetype|version|nettype|lang|pass_ticket|"
    r"wx_header|exportkey|chksm|is_from|timestamp|unique_k|source|app_platform|apptime|author_id|mid_from)$",
    re.IGNORECASE,
)
_WECHAT_ARTICLE_PARAMS = ("__biz", "mid", "idx", "sn")


def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return value is not pd.NaT and str(value).strip() != ""


def id_text(value) -> str | None:
    """A platform id as text: Excel hands long numeric ids over as floats (``1.23e+18`` → ``1230000000000000000``)."""
    if not _present(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text or None


def normalise_title(title) -> str | None:
    """NFKC, first non-empty line (captions run over several lines), whitespace collapsed, trimmed."""
    if not _present(title):
        return None
    text = unicodedata.normalize("NFKC", str(title))
    for line in text.splitlines():
        line = _WS.sub(" ", line).strip()
        if line:
            return line
    return None


def normalise_url(url) -> str | None:
    """The URL with everything that does not name the content removed (see the module docstring)."""
    if not _present(url):
        return None
    text = str(url).strip()
    if "://" not in text:
        if not re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", text, re.IGNORECASE):
            return None
        text = "https://" + text
    parts = urlsplit(text)
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = parse_qsl(parts.query, keep_blank_values=False)
    if host == "mp.weixin.qq.com":
        query = [(k, v) for k, v in query if k in _WECHAT_ARTICLE_PARAMS]
    else:
        query = [(k, v) for k, v in query if not _TRACKING.match(k)]
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def minute_text(published_at, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``YYYY-MM-DD HH:MM`` in Beijing time (naive values are Beijing time already); empty when unknown."""
    if not _present(published_at):
        return ""
    if isinstance(published_at, pd.Timestamp):
        published_at = published_at.to_pydatetime()
    if not isinstance(published_at, datetime):
        return ""
    if published_at.tzinfo is not None:
        published_at = published_at.astimezone(BEIJING)
    return published_at.strftime(fmt)


def fit(key: str) -> str:
    """Keep ``key`` within ``Post.natural_key``: a longer key keeps its head and ends with a hash of all of it."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return f"{key[: MAX_KEY_LENGTH - 17]}~{digest}"


def post_key(platform_post_id=None, url=None, title=None, published_at=None) -> str | None:
    """The natural key of one row, or None when the row has nothing to recognise the post by."""
    pid = id_text(platform_post_id)
    if pid:
        return fit(f"id:{pid}")
    norm_url = normalise_url(url)
    if norm_url:
        return fit(f"url:{norm_url}")
    norm_title = normalise_title(title)
    if norm_title:
        return fit(f"title:{norm_title}|{minute_text(published_at)}")
    second = minute_text(published_at, "%Y-%m-%d %H:%M:%S")
    if second:
        return f"time:{second}"
    return None


ID_FIELDS = ("platform_post_id", "material_id", "ad_group")
"""The columns that carry an item's platform id, best first."""


def id_series(ids: pd.Series) -> pd.Series:
    """``id_text`` of a whole column (object Series, None where empty)."""
    if pd.api.types.is_float_dtype(ids):
        whole = ids.notna() & (ids % 1 == 0)
        text = pd.Series([None] * len(ids), index=ids.index, dtype=object)
        text[whole] = ids[whole].astype("int64").astype(str)
        return text
    return _per_distinct(ids, id_text)


def _per_distinct(values: pd.Series, func) -> pd.Series:
    """``func`` of every value of ``values``, called once per distinct value (a daily report repeats each post's id
    on every day: 8,000 materials in a 1 M-row file). Missing values give None."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = [func(u) for u in uniques.tolist()]
    mapped.append(None)  # code -1: a missing value
    return pd.Series(np.asarray(mapped, dtype=object)[codes], index=values.index, dtype=object)


def row_platform_id(row: dict) -> str | None:
    """The platform id of one row (``platform_post_id``, else the ad material or ad-group id)."""
    for name in ID_FIELDS:
        text = id_text(row.get(name))
        if text:
            return text
    return None


def post_keys(frame: pd.DataFrame) -> pd.Series:
    """``post_key`` for every row of a parsed chunk (object Series, None where the row has no key).

    Ids are the common case of the large daily ad reports, so they take a vectorised path; only rows without an
    id go through the per-row URL and title rules.
    """
    n = len(frame)
    keys = pd.Series([None] * n, index=frame.index, dtype=object)
    if n == 0:
        return keys
    todo = pd.Series(True, index=frame.index)
    for name in ID_FIELDS:
        if name not in frame.columns or not todo.any():
            continue
        text = id_series(frame[name])
        has_id = text.notna() & todo
        if has_id.any():
            keys[has_id] = _per_distinct("id:" + text[has_id].astype(str), fit)
        todo &= ~has_id
    if todo.any():
        rest = frame.loc[todo]
        urls = rest["url"] if "url" in rest.columns else pd.Series([None] * len(rest), index=rest.index)
        titles = rest["title"] if "title" in rest.columns else pd.Series([None] * len(rest), index=rest.index)
        published = (rest["published_at"] if "published_at" in rest.columns
                     else pd.Series([None] * len(rest), index=rest.index))
        known: dict[tuple, str | None] = {}  # a daily report repeats each post's url or title on every day

        def key_of(u, t, p) -> str | None:
            try:
                return known[(u, t, p)]
            except KeyError:
                answer = known[(u, t, p)] = post_key(None, u, t, p)
                return answer
            except TypeError:  # an unhashable cell
                return post_key(None, u, t, p)

        keys[todo] = [key_of(u, t, p) for u, t, p in zip(urls.tolist(), titles.tolist(), published.tolist(), strict=True)]
    return keys
