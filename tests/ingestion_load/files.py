"""Small export files written into tmp_path, in the layouts the parser knows (EXPORTS.md; the same shapes as the
parsing layer's fixtures in tests/fixtures/exports): XHS 笔记列表明细表.xlsx, Channels 动态数据明细 CSV, Qianchuan
素材分日 CSV, XHS 近30日 trend workbook."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl

XHS_HEADER = ["笔记标题", "首次发布时间", "体裁", "曝光", "观看量", "封面点击率", "点赞", "评论", "收藏", "涨粉", "分享",
              "人均观看时长", "弹幕"]
QIANCHUAN_HEADER = ["日期", "素材ID", "素材名称", "整体消耗", "整体成交金额", "整体成交订单数", "整体展现次数", "整体点击次数",
                    "播放次数", "新增关注数"]
CHANNELS_HEADER = ["视频描述", "视频ID", "发布时间", "完播率", "平均播放时长", "播放量", "推荐", "喜欢", "评论量", "分享量",
                   "关注量", "转发聊天和朋友圈", "设为铃声", "设为状态", "设为朋友圈封面"]


def xhs_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y年%m月%d日%H时%M分%S秒")


def xhs_notes(path: Path, notes: list[dict], *, saved: dt.datetime = dt.datetime(2026, 7, 1, 8, 0, 0)) -> Path:
    """笔记列表明细表.xlsx: the notice row above the header; one row per note (title, published, views, likes…)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["最多导出排序后前1000条笔记"])
    ws.append(XHS_HEADER)
    for n in notes:
        ws.append([n["title"], xhs_time(n["published"]), n.get("format", "图文"), n.get("impressions", 0),
                   n.get("views", 0), n.get("cover_ctr", 0.1), n.get("likes", 0), n.get("comments", 0),
                   n.get("collects", 0), n.get("followers", 0), n.get("shares", 0), n.get("watch", 0), 0])
    wb.properties.created = wb.properties.modified = saved  # fixed: the same rows give the same bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def channels_csv(path: Path, videos: list[dict]) -> Path:
    """视频号动态数据明细.csv (UTF-8 with BOM): one row per video, with its 视频ID."""
    rows = [CHANNELS_HEADER]
    for v in videos:
        rows.append([v["title"], v["id"], f"{v['published'].year}/{v['published'].month}/{v['published'].day}",
                     v.get("completion", "5.00%"), v.get("avg", "10.0秒"), v.get("views", 0), v.get("recommends", 0),
                     v.get("likes", 0), v.get("comments", 0), v.get("shares", 0), v.get("follows", 0), 0, 0, 0, 0])
    return _csv(path, rows)


def qianchuan_rows(n_rows: int, materials: int = 50, start: dt.date = dt.date(2026, 5, 1)) -> list[list]:
    """Qianchuan 素材分日 rows: ``materials`` materials per day, as many days as it takes to make ``n_rows``."""
    rows = []
    for i in range(n_rows):
        day = start + dt.timedelta(days=i // materials)
        m = i % materials
        rows.append([day.isoformat(), str(7376600000000000000 + m), f"素材_{m:03d}", f"{100 + m}.50", f"{300 + m}.00",
                     str(m % 7), str(10_000 + m), str(200 + m), str(5_000 + m), str(m % 5)])
    return rows


def qianchuan_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    return _csv(path, [QIANCHUAN_HEADER, *rows], encoding)


def xhs_trend(path: Path, sheets: dict[str, list[tuple[dt.date, float]]]) -> Path:
    """近30日…数据.xlsx: a 指标|数值 summary sheet and one 日期|数值 sheet per trend (the last day is unsettled)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "账号总体数据"
    ws.append(["指标", "数值"])
    for name in sheets:
        ws.append([name.removesuffix("趋势"), 0])
    for name, points in sheets.items():
        sheet = wb.create_sheet(name)
        sheet.append(["日期", "数值"])
        for day, value in points:
            sheet.append([day.strftime("%Y年%m月%d日"), value])
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 7, 1, 8, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
