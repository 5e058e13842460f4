"""Quick self-check of the generator (not part of the main test suite).

    python -m bench.exportgen.selfcheck            # or: python bench/generate.py selfcheck
    python -m bench.exportgen.selfcheck --keep DIR # keep the demo files

1. Generates the demo into a temp dir.
2. Opens every file with the reader its real type needs (xlrd for BIFF8 ``.xls``, openpyxl *and* calamine for
   ``.xlsx``, an HTML parser for ``user_analysis.xls``, the manifest's encoding for CSVs), sniffing magic bytes
   rather than trusting extensions.
3. Checks headers and cell formats against EXPORTS.md (the expectations below are transcribed from the spec,
   independently of the writers).
4. Checks determinism (a small config generated twice gives byte-identical files).
5. If the project's parser exists (``metrics.ingestion.parse.parse_file``), runs every demo file through it and
   reports files it rejects or reads with another report kind.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

# ---------------------------------------------------------------- spec (EXPORTS.md) ---
TENDENCY_HEADERS = {1: ["日期", "渠道", "阅读人数"], 5: ["日期", "分享人数", "跳转阅读原文人数", "微信收藏人数", "发表篇数"],
                    11: ["传播渠道", "发表日期", "内容标题", "阅读人数", "阅读人数占比"]}
TENDENCY_CHANNELS = {"公众号消息", "聊天会话", "朋友圈", "公众号主页", "其他", "推荐", "搜一搜", "全部"}
HEADERS = {
    "wechat_oa_articles/2026": ["内容标题", "发表日期", "阅读人数", "分享人数", "阅读后关注人数", "送达人数", "送达完成率", "阅读完成率", "内容url"],
    "wechat_oa_articles/2025": ["内容标题", "发表时间", "总阅读人数", "总阅读次数", "总分享人数", "总分享次数", "阅读后关注人数", "送达人数",
                                "公众号消息阅读次数", "送达阅读率", "首次分享次数", "分享产生阅读次数", "首次分享率", "每次分享带来阅读次数",
                                "阅读完成率", "内容url"],
    "wechat_oa_user_growth": ["时间", "新关注人数", "取消关注人数", "净增关注人数", "累积关注人数"],
    "wechat_oa_key_data": ["日期", "当日粉丝数", "当日阅读数"],
    "wechat_oa_ad_income": ["时间", "拉取量", "曝光量", "曝光率", "点击量", "点击率", "eCPM（元）", "收入（元）"],
    "wechat_oa_hot_articles": ["链接", "文章名", "展示次数", "点击次数", "曝光有点率", "排序位置", "文章搜索词"],
    "wechat_channels_videos": ["视频描述", "视频ID", "发布时间", "完播率", "平均播放时长", "播放量", "推荐", "喜欢", "评论量", "分享量",
                               "关注量", "转发聊天和朋友圈", "设为铃声", "设为状态", "设为朋友圈封面", "企微链接点击次数", "企微链接点击人数",
                               "添加到通讯录次数", "添加到通讯录人数"],
    "douyin_works": ["作品名称", "发布时间", "体裁", "审核状态", "播放量", "完播率", "5s完播率", "封面点击率", "2s跳出率", "平均播放时长",
                     "点赞量", "分享量", "评论量", "收藏量", "主页访问量", "粉丝增量"],
    "douyin_account_trend": ["日期", "投稿量", "总播放量", "总点赞量", "总分享量", "总评论量", "5秒完播率", "2秒跳出率", "封面点击率", "平均播放时长"],
    "oceanengine_ad_report": ["时间", "广告组id", "广告组", "展示数", "点击数", "点击率(%)", "平均点击单价(元)", "平均千次展现费用(元)",
                              "总花费(元)", "转化数", "转化成本", "转化率"],
    "qianchuan_material_report": ["日期", "素材ID", "素材名称", "素材创建时间", "整体消耗", "整体成交金额", "整体成交订单数", "整体展现次数",
                                  "整体点击次数", "整体点击率", "整体转化率", "整体支付ROI"],
    "kuaishou_works": ["作品", "发布时间", "播放量", "完播率", "点赞量", "评论量", "收藏量", "分享量", "涨粉量"],
    "weibo_posts": ["博文", "发布时间", "阅读数", "转发", "评论", "点赞"],
    "xiaohongshu_notes": ["笔记标题", "首次发布时间", "体裁", "曝光", "观看量", "封面点击率", "点赞", "评论", "收藏", "涨粉", "分享", "人均观看时长", "弹幕"],
    "bilibili_video_compare": ["视频标题", "发布时间", "播放量", "游客播放占比", "粉丝观看率", "封标点击率", "粉丝点击率", "游客点击率", "3秒跳出率",
                               "粉丝3秒跳出率", "游客3秒跳出率", "互动率", "粉丝互动率", "游客互动率", "涨粉量", "播转粉率", "取关量", "点赞量", "点赞率",
                               "评论量", "评论率", "弹幕量", "弹幕率", "收藏量", "收藏率", "投币量", "投币率", "转发量", "转发率", "平均播放进度"],
    "bilibili_trend": ["时间", "播放量", "累计粉丝", "点赞", "收藏", "硬币", "评论", "弹幕", "分享"],
}
XHS_30D_SNAPSHOT = {"views": "账号总体观看数据", "interactions": "账号总体互动数据", "publishing": "账号总体发布数据", "followers": "账号总体涨粉数据"}
XHS_30D_LABELS = {"views": {"曝光", "观看", "封面点击率(%)", "平均观看时长(s)", "总完播率(%)"},
                  "interactions": {"点赞", "评论", "收藏", "分享"}, "publishing": {"总发布", "发布视频", "发布图文"},
                  "followers": {"净涨粉", "新增关注", "取消关注", "主页访客", "主页转粉率(%)"}}
MAGIC = {"xls-biff8": b"\xd0\xcf\x11\xe0", "xlsx": b"PK\x03\x04"}

RE_PCT = re.compile(r"^-?\d+(\.\d+)?%$")
RE_XHS_DT = re.compile(r"^\d{4}年\d{2}月\d{2}日\d{2}时\d{2}分\d{2}秒$")
RE_CN_DATE = re.compile(r"^\d{4}年\d{2}月\d{2}日$")
RE_BILI_DT = re.compile(r"^\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}:\d{2}$")
RE_STARS = re.compile(r"^\d(\.\d)?星$")
RE_SLASH = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")
RE_SECS = re.compile(r"^\d+(\.\d+)?秒$")
RE_YMD8 = re.compile(r"^\d{8}$")
RE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Problem(Exception):
    pass


def _expect(cond: bool, msg: str) -> None:
    if not cond:
        raise Problem(msg)


# ---------------------------------------------------------------- readers ---
def read_csv_rows(path: Path, encoding: str | None) -> list[list[str]]:
    raw = path.read_bytes()
    enc = encoding or "utf-8"
    if enc == "utf-8-sig":
        _expect(raw.startswith(b"\xef\xbb\xbf"), "expected a UTF-8 BOM")
    elif enc in ("utf-8", "gbk", "gb18030"):
        _expect(not raw.startswith(b"\xef\xbb\xbf"), f"unexpected BOM in a {enc} file")
    text = raw.decode(enc)
    return list(csv.reader(io.StringIO(text)))


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_xlsx_both(path: Path) -> dict[str, list[list]]:
    """Every sheet through openpyxl, cross-checked cell by cell with calamine."""
    import openpyxl
    import python_calamine

    data = path.read_bytes()  # by content: a Douyin ``.CSV`` is an xlsx, and both readers judge by extension
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data))
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    merged = {ws.title: {(r, c) for m in ws.merged_cells.ranges for r in range(m.min_row - 1, m.max_row)
                         for c in range(m.min_col - 1, m.max_col)} for ws in wb.worksheets}
    cal = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    _expect(cal.sheet_names == list(sheets), f"calamine sees sheets {cal.sheet_names}")
    for name, rows in sheets.items():
        crow = cal.get_sheet_by_name(name).to_python()
        _expect(len(crow) == len(rows), f"{name}: calamine {len(crow)} rows vs openpyxl {len(rows)}")
        for ri, (a, b) in enumerate(zip(rows, crow, strict=True)):
            for ci, (x, y) in enumerate(zip(a, b, strict=False)):
                if x is None and (ri, ci) in merged[name]:
                    continue  # openpyxl blanks merged cells; calamine shows what is stored (POI repeats the text)
                if x is None:
                    _expect(y in ("", None), f"{name}: calamine {y!r} where openpyxl sees nothing")
                elif isinstance(x, (int, float)) and not isinstance(x, bool):
                    _expect(isinstance(y, (int, float)) and abs(float(x) - float(y)) < 1e-9, f"{name}: {x!r} vs calamine {y!r}")
                elif isinstance(x, datetime):
                    _expect(isinstance(y, datetime) and abs((x - y).total_seconds()) < 1, f"{name}: {x!r} vs calamine {y!r}")
                else:
                    _expect(str(x) == str(y), f"{name}: {x!r} vs calamine {y!r}")
    return sheets


# ----------------------------------------------------------------- checks ---
def check_file(root: Path, f: dict, ctx: dict) -> int:
    """Check one manifest entry; returns the number of data rows seen."""
    path = root / f["path"]
    kind = f["kind"]
    _expect(path.exists(), "missing file")
    head = path.read_bytes()[:8]
    if f["file_type"] in MAGIC:
        _expect(head.startswith(MAGIC[f["file_type"]]), f"magic bytes {head!r} do not match {f['file_type']}")
    if not f["extension_matches"]:
        _expect(path.suffix == ".CSV" and f["file_type"] == "xlsx", "only Douyin's .CSV-that-is-xlsx is expected to lie")

    if kind == "wechat_oa_tendency":
        import xlrd

        _expect(re.fullmatch(r"tendency_\d{10}_\d{10}\.xls", path.name) is not None, "file name")
        book = xlrd.open_workbook(str(path))
        _expect(book.sheet_names() == ["New Sheet1"], f"sheets {book.sheet_names()}")
        sh = book.sheet_by_index(0)
        _expect(all(sh.cell_value(0, c) == "" for c in range(sh.ncols)), "row 1 must be empty")
        _expect(all(sh.cell_value(r, 0) == "" for r in range(sh.nrows)), "column A must be empty")
        for c0, prefix in ((1, "数据趋势概况("), (5, "数据趋势概况("), (11, "数据来源概况(")):
            _expect(str(sh.cell_value(1, c0)).startswith(prefix), f"block title at row 2 col {c0}")
            _expect(re.search(r"\(\d{4}\.\d{2}\.\d{2}-\d{4}\.\d{2}\.\d{2}\)$", sh.cell_value(1, c0)) is not None, "title period")
        for c0, hdr in TENDENCY_HEADERS.items():
            _expect([sh.cell_value(2, c0 + i) for i in range(len(hdr))] == hdr, f"headers of block at col {c0}")
        n1 = n2 = n3 = 0
        for r in range(3, sh.nrows):
            if sh.cell_value(r, 5):
                n2 += 1
            if sh.cell_value(r, 1):
                n1 += 1
                _expect(RE_ISO.match(sh.cell_value(r, 1)) is not None, "日期 format")
                _expect(sh.cell_value(r, 2) in TENDENCY_CHANNELS, f"channel {sh.cell_value(r, 2)!r}")
                _expect(sh.cell(r, 3).ctype == xlrd.XL_CELL_NUMBER, "阅读人数 numeric")
            if sh.cell_value(r, 11):
                n3 += 1
                _expect(sh.cell(r, 12).ctype == xlrd.XL_CELL_TEXT and RE_YMD8.match(sh.cell_value(r, 12)) is not None, "发表日期 YYYYMMDD text")
                share = sh.cell_value(r, 15)
                _expect(isinstance(share, float) and 0 <= share <= 1, "阅读人数占比 fraction")
        return n1 + n2 + n3

    if kind == "wechat_oa_user_growth":
        txt = path.read_text(encoding="utf-8")
        _expect(txt.lstrip().lower().startswith("<html"), "HTML content expected")
        p = _Tables()
        p.feed(txt)
        _expect(p.rows[0] == ["用户增长"], "title row 用户增长")
        _expect(p.rows[1] == HEADERS[kind], "headers")
        for r in p.rows[2:]:
            _expect(RE_ISO.match(r[0]) is not None and int(r[1]) - int(r[2]) == int(r[3]), "net = new - unfollow")
        return len(p.rows) - 2

    if f["file_type"] == "csv":
        rows = read_csv_rows(path, f["encoding"])
        if kind == "wechat_oa_articles":
            if rows and rows[0] and rows[0][0].startswith("数据来源概况"):
                _expect(rows[1] == HEADERS["wechat_oa_articles/2026"], "2026 generation headers")
                data = rows[2:]
                for r in data:
                    _expect(RE_YMD8.match(r[1]) is not None, "发表日期 YYYYMMDD")
            else:
                _expect(rows[0] == HEADERS["wechat_oa_articles/2025"], "2025 generation headers")
                data = rows[1:]
            for r in data:
                _expect(r[-1].startswith("http://mp.weixin.qq.com/s?__biz="), "内容url")
            return len(data)
        if kind == "wechat_channels_videos":
            _expect(rows[0] == HEADERS[kind][: len(rows[0])] and len(rows[0]) in (15, 19), "15 or 19 Channels headers")
            for r in rows[1:]:
                _expect(RE_SLASH.match(r[2]) is not None and RE_PCT.match(r[3]) is not None and RE_SECS.match(r[4]) is not None,
                        f"Channels formats {r[2:5]}")
            return len(rows) - 1
        if kind in ("wechat_oa_key_data", "wechat_oa_hot_articles"):
            raw = path.read_text(encoding="utf-8").splitlines()
            _expect(all(line.startswith('"') and line.endswith('"') for line in raw), "every field quoted")
        if kind == "wechat_oa_ad_income":
            dates = [r[0] for r in rows[1:]]
            _expect(dates == sorted(dates, reverse=True), "newest day first")
            for r in rows[1:]:
                _expect(RE_PCT.match(r[3]) is not None and RE_PCT.match(r[5]) is not None, "percent strings")
        if kind == "bilibili_video_compare":
            _expect(2 <= len(rows) - 1 <= 10, f"{len(rows) - 1} videos (2-10 expected)")
            for r in rows[1:]:
                _expect(RE_BILI_DT.match(r[1]) is not None, "发布时间 format")
                _expect(all(RE_STARS.match(r[i]) for i in (5, 6, 7)), "star ratings")
                _expect(all(RE_PCT.match(v) or v == "-" for v in r[3:5] + r[8:14] + [r[29]]), "rates as % or -")
        if kind == "bilibili_trend":
            _expect(rows[-1][0] == "合计", "合计 row last")
        if kind == "qianchuan_material_report":
            _expect(rows[0][: len(HEADERS[kind])] == HEADERS[kind], "Qianchuan headers")
            empties = {v for r in rows[1:] for v in r if not re.match(r"^[\d.\-: %]+$|^[^\d]", v) or v in ("--", "—")}
            _expect(empties <= {"--", "—"} | {v for r in rows[1:] for v in r[2:3]}, "empty markers")
            return len(rows) - 1
        exp = HEADERS.get(kind)
        if exp is not None:
            _expect(rows[0][: len(exp)] == exp, f"headers {rows[0][:len(exp)]}")
        return len(rows) - 1

    if f["file_type"] == "xlsx":
        sheets = read_xlsx_both(path)
        if kind == "xiaohongshu_notes":
            import openpyxl

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ws = openpyxl.load_workbook(path).active
            _expect([str(m) for m in ws.merged_cells.ranges] == ["A1:M1"], "notice merged A1:M1")
            rows = sheets["Sheet1"]
            _expect(rows[0][0] == "最多导出排序后前1000条笔记", "notice row")
            _expect(rows[1] == HEADERS[kind], "13 headers on row 2")
            for r in rows[2:]:
                _expect(RE_XHS_DT.match(r[1]) is not None, "首次发布时间 text")
                _expect(r[2] in ("图文", "视频"), "体裁")
                _expect(all(isinstance(v, float) for v in r[3:]), "metrics stored as floats")
                _expect(0 <= r[5] <= 1 and round(r[5], 3) == r[5], "封面点击率 0-1, 3 decimals")
            return len(rows) - 2
        if kind.startswith("xiaohongshu_30d_"):
            k = kind.rsplit("_", 1)[1]
            names = list(sheets)
            _expect(names[0] == XHS_30D_SNAPSHOT[k], f"snapshot sheet {names[0]}")
            snap = sheets[names[0]]
            _expect(snap[0] == ["指标", "数值"] and XHS_30D_LABELS[k] <= {r[0] for r in snap[1:]}, "snapshot labels")
            n = len(snap) - 1
            for name in names[1:]:
                rows = sheets[name]
                _expect(rows[0] == ["日期", "数值"], f"{name} header")
                _expect(all(RE_CN_DATE.match(r[0]) for r in rows[1:]), f"{name} dates like 2026年10月01日")
                n += len(rows) - 1
            return n
        rows = next(iter(sheets.values()))
        exp = HEADERS.get(kind)
        if exp is not None:
            _expect(rows[0][: len(exp)] == exp, f"headers {rows[0][:len(exp)]}")
        if kind == "douyin_works":
            for r in rows[1:]:
                _expect(isinstance(r[1], datetime) or re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", str(r[1])) is not None,
                        "发布时间 an Excel datetime cell (or YYYY-MM-DD HH:MM:SS text)")
                for v in (r[5], r[6], r[8]):
                    _expect(isinstance(v, (int, float)) and 0 <= v <= 1 and round(v, 6) == v, f"rate {v!r}")
                _expect(r[7] in ("-", "0.000000") or (isinstance(r[7], float) and 0 <= r[7] <= 1), f"封面点击率 {r[7]!r}")
        return len(rows) - 1

    raise Problem(f"no check for {kind} / {f['file_type']}")


def check_determinism(end: date) -> list[str]:
    from .demo import generate_demo
    from .model import Config

    cfg = Config(weeks=3, trend_every=2)
    probs = []
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        ma = generate_demo(a, seed=11, end=end, config=cfg)
        time.sleep(1.1)  # any wall-clock timestamp would now differ
        mb = generate_demo(b, seed=11, end=end, config=cfg)
        ha = {f.path: f.sha256 for f in ma.files}
        hb = {f.path: f.sha256 for f in mb.files}
        if ha != hb:
            probs += [f"not deterministic: {p}" for p in sorted(set(ha) | set(hb)) if ha.get(p) != hb.get(p)]
        if (Path(a) / "manifest.json").read_bytes() != (Path(b) / "manifest.json").read_bytes():
            probs.append("not deterministic: manifest.json")
    return probs


# our report kind -> the project parser's section keys (metrics/ingestion/platforms/*.py)
PARSER_SECTIONS = {
    "wechat_oa_tendency": {"wechat_oa.tendency_reads", "wechat_oa.tendency_daily", "wechat_oa.tendency_articles"},
    "wechat_oa_articles": {"wechat_oa.article_list", "wechat_oa.article_list_2025"},
    "wechat_oa_user_growth": {"wechat_oa.user_growth"},
    "wechat_oa_key_data": {"wechat_oa.key_data"},
    "wechat_oa_ad_income": {"wechat_oa.ad_revenue"},
    "wechat_oa_hot_articles": {"wechat_oa.search_articles"},
    "wechat_channels_videos": {"wechat_channels.posts"},
    "douyin_works": {"douyin.works"},
    "douyin_account_trend": {"douyin.account_trend"},
    "oceanengine_ad_report": {"douyin.ocean_engine_ads"},
    "qianchuan_material_report": {"douyin.qianchuan_materials_daily"},
    "kuaishou_works": {"kuaishou.works"},
    "xiaohongshu_notes": {"xiaohongshu.notes"},
    "xiaohongshu_30d_views": {"xiaohongshu.account_trend", "xiaohongshu.account_summary"},
    "xiaohongshu_30d_interactions": {"xiaohongshu.account_trend", "xiaohongshu.account_summary"},
    "xiaohongshu_30d_publishing": {"xiaohongshu.account_trend", "xiaohongshu.account_summary"},
    "xiaohongshu_30d_followers": {"xiaohongshu.account_trend", "xiaohongshu.account_summary"},
    "bilibili_video_compare": {"bilibili.videos"},
    "bilibili_trend": {"bilibili.trend"},
    "weibo_posts": {"weibo.posts"},
}


def check_with_parser(root: Path, files: list[dict], limit: int | None = None) -> tuple[str, list[str], Counter]:
    """Run the demo files through the project's parser, if it exists. Returns (status, problems, formats seen).

    Checks: the file is recognised, as the expected report kind(s); every section reads without row errors;
    a name that carries the collection time gives the manifest's ``collected_at``.
    """
    repo = Path(__file__).resolve().parents[2]
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    try:
        import os

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiboard.settings")
        try:
            import django

            django.setup()
        except Exception:  # noqa: S110 - the parser may not need Django
            pass
        from metrics.ingestion.parse import parse_file  # type: ignore
    except Exception as e:  # noqa: BLE001
        return f"parser not available ({type(e).__name__}: {e})", [], Counter()
    probs: list[str] = []
    seen: Counter = Counter()
    errs_by_kind: Counter = Counter()
    for f in files[:limit] if limit else files:
        path = root / f["path"]
        where = f"{f['path']} [{f['kind']}]"
        try:
            res = parse_file(path, filename=path.name)
            keys = {sec.format.key for sec in res.sections}
            seen[(f["kind"], ",".join(sorted(keys)))] += 1
            exp = PARSER_SECTIONS.get(f["kind"], set())
            if not keys:
                probs.append(f"{where}: no section recognised")
            elif not keys <= exp:
                probs.append(f"{where}: read as {sorted(keys)}, expected within {sorted(exp)}")
            if getattr(res, "unmatched_tables", None):
                probs.append(f"{where}: unmatched tables {res.unmatched_tables}")
            if f["name_carries_collected_at"]:
                ca = getattr(res, "collected_at", None)
                if ca is None or ca.isoformat() != f["collected_at"]:
                    probs.append(f"{where}: collected_at from name {ca} != manifest {f['collected_at']}")
            nrows = 0
            for sec in res.sections:
                chunk = sec.read()
                nrows += len(chunk.frame)
                if chunk.errors:
                    errs_by_kind[f["kind"]] += len(chunk.errors)
                    if errs_by_kind[f["kind"]] <= 3 * len(chunk.errors):
                        probs.append(f"{where}: {sec.format.key}: {len(chunk.errors)} row errors, e.g. {chunk.errors[:3]}")
            if nrows == 0 and f["rows"] > 0:
                probs.append(f"{where}: parser read 0 rows, manifest says {f['rows']}")
        except Exception as e:  # noqa: BLE001
            probs.append(f"{where}: {type(e).__name__}: {e}")
    for kind, n in errs_by_kind.items():
        probs.append(f"{kind}: {n} row errors in all")
    return "ran", probs, seen


def run(keep: Path | None = None, end: date | None = None, determinism: bool = True, parser: bool = True,
        profile: str = "demo") -> int:
    from .demo import generate_demo

    end = end or date(2026, 11, 22)
    tmp = None
    if keep is None:
        tmp = tempfile.mkdtemp(prefix="exportgen-selfcheck-")
        root = Path(tmp)
    else:
        root = Path(keep)
    t0 = time.perf_counter()
    try:
        man = generate_demo(root, seed=7, end=end, profile=profile)
        gen_s = time.perf_counter() - t0
        d = man.to_dict()
        problems: list[str] = []
        counts: Counter = Counter()
        for f in d["files"]:
            try:
                n = check_file(root, f, {})
                if n != f["rows"]:
                    problems.append(f"{f['path']}: manifest says {f['rows']} rows, reader sees {n}")
                counts[f["kind"]] += 1
            except Problem as e:
                problems.append(f"{f['path']} [{f['kind']}]: {e}")
            except Exception as e:  # noqa: BLE001
                problems.append(f"{f['path']} [{f['kind']}]: {type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")
        times = [f["collected_at"] for f in d["files"]]
        if times != sorted(times):
            problems.append("manifest files are not in collection order")
        print(f"demo: {len(d['files'])} files, {d['totals']['rows']} rows, {d['totals']['bytes'] / 1e6:.1f} MB in {gen_s:.1f}s")
        for k, v in sorted(counts.items()):
            print(f"  ok {v:4d} {k}")
        if determinism:
            problems += check_determinism(end)
            print("determinism: checked (seed 11, 3 weeks, generated twice)")
        if parser:
            status, pprobs, seen = check_with_parser(root, d["files"])
            print(f"parser: {status}")
            for (kind, fmt), n in sorted(seen.items()):
                print(f"  {n:4d} {kind} -> {fmt}")
            problems += [f"parser: {p}" for p in pprobs]
        for p in problems[:200]:
            print("PROBLEM", p)
        print(f"{len(d['files']) - len({p.split(' ')[0] for p in problems})} passed, {len(problems)} failed")
        return 1 if problems else 0
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="exportgen self-check")
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--end", type=date.fromisoformat, default=None)
    ap.add_argument("--no-determinism", action="store_true")
    ap.add_argument("--no-parser", action="store_true")
    ap.add_argument("--profile", default="demo", choices=("demo", "full", "tiny"))
    a = ap.parse_args(argv)
    return run(a.keep, a.end, determinism=not a.no_determinism, parser=not a.no_parser, profile=a.profile)


if __name__ == "__main__":
    sys.exit(main())
