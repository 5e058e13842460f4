"""The bad-input list: every hostile or broken file is refused early, with a message a user can act on."""

from __future__ import annotations

import os
import time
import tracemalloc
import zipfile

import pytest

from metrics.ingestion import Limits, parse_file
from metrics.ingestion.errors import (
    CorruptFileError,
    FileLimitError,
    PasswordProtectedError,
    UnsafeFileError,
)

from .helpers import (
    BILLION_LAUGHS,
    sheet_xml,
    write_billion_laughs_xlsx,
    write_lying_zip,
    write_ole2,
    write_xlsx,
    write_zip_bomb,
)

MB = 1024 * 1024


def _measure(fn):
    """Run fn, return (exception, seconds, peak traced MB)."""
    tracemalloc.start()
    t = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        error = exc
    else:
        error = None
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return error, elapsed, peak


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_oversized_file(tmp_path, fixtures):
    path = fixtures / "wechat_oa" / "热门文章数据_1788759153.csv"
    with pytest.raises(FileLimitError, match=r"limit is 0 MB") as exc:
        parse_file(path, limits=Limits(max_bytes=1000))
    assert exc.value.code == "too_large"


def test_too_many_rows_csv(fixtures):
    with pytest.raises(FileLimitError, match="more than 10 rows") as exc:
        parse_file(fixtures / "wechat_oa" / "关键数据_2026-08-08_2026-09-06.csv", limits=Limits(max_rows=10))
    assert exc.value.code == "too_many_rows"


def test_too_many_rows_xlsx_before_reading(fixtures):
    # the declared sheet dimension is checked before any reader opens the sheet
    with pytest.raises(FileLimitError, match="more than 100 rows"):
        parse_file(fixtures / "douyin" / "derived" / "daily_data__cwjcw-xhs_douyin_content.xlsx",
                   limits=Limits(max_rows=100))


def test_too_many_rows_xls(fixtures):
    with pytest.raises(FileLimitError, match="more than 5 rows"):
        parse_file(fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls", limits=Limits(max_rows=5))


def test_zip_bomb_by_ratio(tmp_path):
    path = write_zip_bomb(tmp_path / "bomb.xlsx", size=64 * MB)
    assert path.stat().st_size < 200_000
    rss = _rss_mb()
    error, elapsed, peak = _measure(lambda: parse_file(path))
    assert isinstance(error, UnsafeFileError) and error.code == "zip_bomb"
    assert "zip bomb" in str(error) and "expands" in str(error)
    assert elapsed < 5 and peak < 100
    assert _rss_mb() - rss < 100


def test_zip_bomb_with_lying_sizes(tmp_path):
    """The directory claims 200 KB (ratio looks fine); the part really inflates 8 MB: caught while streaming."""
    path = write_lying_zip(tmp_path / "liar.xlsx", real=8 * MB, declared=200_000)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 200_000
    error, elapsed, peak = _measure(lambda: parse_file(path))
    assert isinstance(error, UnsafeFileError) and error.code == "zip_bomb"
    assert "larger than its header declares" in str(error)
    assert elapsed < 5 and peak < 100


def test_zip_with_too_many_entries(tmp_path):
    path = write_xlsx(tmp_path / "many.xlsx", sheet_xml([["a"]]),
                      extra={f"xl/media/image{i}.png": b"x" for i in range(40)})
    with pytest.raises(UnsafeFileError, match=r"45 entries in the archive \(limit 20\)"):
        parse_file(path, limits=Limits(max_zip_entries=20))


def test_zip_unpacking_too_large(tmp_path):
    path = write_xlsx(tmp_path / "big.xlsx", sheet_xml([["a"]]), extra={"xl/media/noise.bin": os.urandom(3 * MB)})
    with pytest.raises(UnsafeFileError, match="unpacks to 3 MB"):
        parse_file(path, limits=Limits(max_unpacked_bytes=2 * MB))


def test_xml_entity_bomb(tmp_path):
    path = write_billion_laughs_xlsx(tmp_path / "lol.xlsx")
    rss = _rss_mb()
    error, elapsed, peak = _measure(lambda: parse_file(path))
    assert isinstance(error, UnsafeFileError) and error.code == "xml_bomb"
    assert "<!DOCTYPE>/<!ENTITY>" in str(error) and "xl/worksheets/sheet1.xml" in str(error)
    assert elapsed < 5 and peak < 100
    assert _rss_mb() - rss < 100


def test_external_entity_is_refused(tmp_path):
    prolog = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    path = write_xlsx(tmp_path / "xxe.xlsx", sheet_xml([["时间", "播放量", "硬币"]], prolog=prolog))
    with pytest.raises(UnsafeFileError, match="DTD or XML entities"):
        parse_file(path)


def test_password_protected_xlsx(tmp_path):
    """An encrypted xlsx is an OLE2 box (like .xls) holding EncryptionInfo/EncryptedPackage."""
    path = write_ole2(tmp_path / "作品列表.xlsx", "EncryptedPackage")
    with pytest.raises(PasswordProtectedError, match="password-protected workbook"):
        parse_file(path)


def test_corrupt_xlsx(tmp_path, fixtures):
    good = (fixtures / "douyin" / "作品列表_2026-06-05.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(CorruptFileError, match="damaged"):
        parse_file(path)


def test_corrupt_xls(tmp_path, fixtures):
    good = (fixtures / "wechat_oa" / "tendency_1780787939_1783293539.xls").read_bytes()
    path = tmp_path / "cut.xls"
    path.write_bytes(good[:1024])
    with pytest.raises(CorruptFileError, match="damaged"):
        parse_file(path)


def test_formulas_are_read_as_cached_values(tmp_path):
    rows = [["时间", "播放量", "硬币", "点赞"],
            ["2026-06-01", ("=", "SUM(B3:B4)*1000", 1234), 5, ("=", "B2*2", None)],
            ["2026-06-02", 10, 6, 7]]
    path = write_xlsx(tmp_path / "formula.xlsx", sheet_xml(rows))
    frame = parse_file(path).sections[0].read().frame
    assert frame["views"].tolist() == [1234, 10]  # the cached value, not the formula's result
    assert frame["likes"].isna().tolist() == [True, False]  # no cached value: missing, never evaluated


_FRESH_PROCESS = r"""
import json, resource, sys, time
from metrics.ingestion import parse_file

warm, bomb = sys.argv[1], sys.argv[2]
for section in parse_file(warm).sections:  # load the readers and their libraries first
    section.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu, wall = time.process_time(), time.perf_counter()
try:
    parse_file(bomb)
    code = None
except Exception as exc:
    code = getattr(exc, "code", type(exc).__name__)
print(json.dumps({
    "code": code, "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
    "peak_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
}))
"""


def _html_entity_bomb(folder):
    path = folder / "user_analysis.xls"
    table = ("<html><body><table><tr><td>时间</td><td>播放量</td><td>硬币</td></tr>"
             "<tr><td>&lol9;</td><td>1</td><td>2</td></tr></table></body></html>")
    path.write_text(BILLION_LAUGHS.replace("lolz", "html") + table, encoding="utf-8")
    return path


@pytest.mark.parametrize(("build", "expected_code"), [
    (lambda p: write_zip_bomb(p / "bomb.xlsx", size=1024 * MB), "zip_bomb"),  # 1 GB of sheet in a 1 MB file
    (lambda p: write_lying_zip(p / "liar.xlsx", real=64 * MB, declared=200_000), "zip_bomb"),
    (lambda p: write_billion_laughs_xlsx(p / "lol.xlsx"), "xml_bomb"),
    (_html_entity_bomb, None),  # an HTML table saved as .xls: the entities are never expanded
], ids=["zip-bomb-1GB", "zip-lying-sizes-64MB", "billion-laughs-xlsx", "billion-laughs-html-xls"])
def test_bombs_in_a_fresh_process_stay_small_and_quick(tmp_path, fixtures, build, expected_code):
    """Measured in a process of their own, where ru_maxrss is the peak resident size: after the readers are
    loaded, refusing (or harmlessly reading) the bomb raises the peak by less than 100 MB and takes well under a
    second of CPU (CPU time, so that a busy machine does not decide the test; the timeout only guards a hang)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    bomb = build(tmp_path)
    warm = fixtures / "xiaohongshu" / "笔记列表明细表__AIDiscovery007-savethat.xlsx"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", _FRESH_PROCESS, str(warm), str(bomb)], cwd=root, timeout=120,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == expected_code
    assert result["peak_growth_mb"] < 100
    assert result["cpu"] < 1.0
