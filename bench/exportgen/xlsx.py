"""A small deterministic XLSX writer.

Why not openpyxl: byte-identical output for a seed (openpyxl stamps the current time into docProps and the zip),
control over the cell XML (Xiaohongshu's files are written by Apache POI: inline strings, numbers as Java doubles,
``customHeight`` rows, a merged notice row) and speed (the benchmarks write 1M rows or 1,000 files).

Two flavours:
- ``poi``: the exact part layout, styles and cell XML of Apache POI's SXSSF output, as seen in the real
  ``笔记列表明细表.xlsx`` files (core.xml ``created`` in UTC, app.xml ``Apache POI``, empty sharedStrings).
- ``generic``: a plain Excel-like package with a shared-strings table and a datetime style; rows can also be
  streamed as pre-rendered XML with inline strings (flat memory, the 1M-row benchmark).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from .common import UTC, aware, excel_serial, java_double

_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_XML_DECL_SA = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def col_letter(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


_ILLEGAL = {c: None for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}


def xml_text(s: str) -> str:
    return _xml_escape(s.translate(_ILLEGAL))


def _t_attr(s: str) -> str:
    # keep leading/trailing spaces and newlines
    if s and (s[0].isspace() or s[-1].isspace() or "\n" in s):
        return ' xml:space="preserve"'
    return ""


class Sheet:
    def __init__(self, name: str, rows: Iterable[Sequence] | None = None, *, merges: Sequence[str] = (),
                 col_widths: dict[int, float] | None = None, header_rows: int = 1,
                 stream: Iterator[str] | None = None, ncols: int | None = None, nrows: int | None = None):
        self.name = name
        self.rows = rows
        self.merges = list(merges)
        self.col_widths = col_widths or {}
        self.header_rows = header_rows
        self.stream = stream  # pre-rendered <row> XML chunks (generic flavour, inline strings)
        self.ncols = ncols
        self.nrows = nrows


class Workbook:
    """Collect sheets, then ``save(path)``. ``created`` is a naive Beijing-time datetime (the export moment)."""

    def __init__(self, flavour: str = "generic", created: datetime | None = None, compresslevel: int = 6,
                 creator: str | None = None):
        assert flavour in ("poi", "generic")
        self.flavour = flavour
        self.created = created or datetime(2026, 1, 1, 9, 0, 0)
        self.compresslevel = compresslevel
        self.creator = creator
        self.sheets: list[Sheet] = []
        self._sst: dict[str, int] = {}
        self._sst_list: list[str] = []
        self._sst_count = 0

    def add_sheet(self, name: str, rows: Iterable[Sequence] | None = None, **kw) -> Sheet:
        sh = Sheet(name, rows, **kw)
        self.sheets.append(sh)
        return sh

    # ------------------------------------------------------------ zip ---
    def _zinfo(self, name: str) -> zipfile.ZipInfo:
        dt = self.created
        zi = zipfile.ZipInfo(name, date_time=(max(dt.year, 1980), dt.month, dt.day, dt.hour, dt.minute, dt.second))
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.create_system = 0
        zi.external_attr = 0
        if hasattr(zi, "compress_level"):  # py3.13+
            zi.compress_level = self.compresslevel
        else:
            zi._compresslevel = self.compresslevel  # noqa: SLF001
        return zi

    def _put(self, zf: zipfile.ZipFile, name: str, text: str) -> None:
        zf.writestr(self._zinfo(name), text.encode("utf-8"))

    def save(self, path: str | os.PathLike) -> None:
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as fh, zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
            if self.flavour == "poi":
                self._save_poi(zf)
            else:
                self._save_generic(zf)
        os.replace(tmp, path)

    # ------------------------------------------------------------ POI ---
    def _save_poi(self, zf: zipfile.ZipFile) -> None:
        n = len(self.sheets)
        ct = (_XML_DECL_SA + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default ContentType="application/vnd.openxmlformats-package.relationships+xml" Extension="rels"/>'
              '<Default ContentType="application/xml" Extension="xml"/>'
              '<Override ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml" PartName="/docProps/app.xml"/>'
              '<Override ContentType="application/vnd.openxmlformats-package.core-properties+xml" PartName="/docProps/core.xml"/>'
              '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" PartName="/xl/sharedStrings.xml"/>'
              '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml" PartName="/xl/styles.xml"/>'
              '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml" PartName="/xl/workbook.xml"/>'
              + "".join('<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" '
                        f'PartName="/xl/worksheets/sheet{i + 1}.xml"/>' for i in range(n))
              + "</Types>")
        self._put(zf, "[Content_Types].xml", ct)
        self._put(zf, "_rels/.rels", _XML_DECL_SA + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
                  '<Relationship Id="rId2" Target="docProps/app.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"/>'
                  '<Relationship Id="rId3" Target="docProps/core.xml" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"/>'
                  "</Relationships>")
        self._put(zf, "docProps/app.xml", _XML_DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                  "<Application>Apache POI</Application></Properties>")
        created_utc = aware(self.created).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._put(zf, "docProps/core.xml", _XML_DECL_SA + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                  f'<dcterms:created xsi:type="dcterms:W3CDTF">{created_utc}</dcterms:created>'
                  "<dc:creator>Apache POI</dc:creator></cp:coreProperties>")
        self._put(zf, "xl/sharedStrings.xml", _XML_DECL + f'<sst count="0" uniqueCount="0" xmlns="{_NS_MAIN}"/>')
        self._put(zf, "xl/styles.xml", _XML_DECL + f'<styleSheet xmlns="{_NS_MAIN}"><numFmts count="0"/>'
                  '<fonts count="3"><font><sz val="11.0"/><color indexed="8"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
                  '<font><name val="宋体"/><sz val="14.0"/><b val="true"/></font><font><name val="Calibri"/><sz val="11.0"/></font></fonts>'
                  '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="darkGray"/></fill>'
                  '<fill><patternFill patternType="solid"/></fill><fill><patternFill patternType="solid"><fgColor indexed="22"/></patternFill></fill></fills>'
                  '<borders count="5"><border><left/><right/><top/><bottom/><diagonal/></border><border><left style="thin"/></border>'
                  '<border><left style="thin"/><right style="thin"/></border><border><left style="thin"/><right style="thin"/><top style="thin"/></border>'
                  '<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/></border></borders>'
                  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                  '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                  '<xf numFmtId="0" fontId="1" fillId="3" borderId="4" xfId="0" applyBorder="true" applyFill="true" applyFont="true">'
                  '<alignment horizontal="center" wrapText="true" vertical="center"/><protection locked="true"/></xf>'
                  '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="true"/></cellXfs></styleSheet>')
        sheets_xml = "".join(f'<sheet name="{xml_text(s.name)}" r:id="rId{i + 3}" sheetId="{i + 1}"/>' for i, s in enumerate(self.sheets))
        self._put(zf, "xl/workbook.xml", _XML_DECL + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}"><workbookPr date1904="false"/>'
                  f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets_xml}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{i + 3}" Target="worksheets/sheet{i + 1}.xml" '
                       'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>' for i in range(n))
        self._put(zf, "xl/_rels/workbook.xml.rels", _XML_DECL_SA + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                  '<Relationship Id="rId2" Target="styles.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
                  + rels + "</Relationships>")
        for i, sh in enumerate(self.sheets):
            with zf.open(self._zinfo(f"xl/worksheets/sheet{i + 1}.xml"), "w", force_zip64=True) as f:
                for chunk in self._poi_sheet(sh, selected=(i == 0)):
                    f.write(chunk.encode("utf-8"))

    def _poi_sheet(self, sh: Sheet, selected: bool) -> Iterator[str]:
        rows = sh.rows if isinstance(sh.rows, list) else list(sh.rows or ())
        ncols = sh.ncols or max((len(r) for r in rows), default=1)
        nrows = len(rows) if sh.stream is None else (sh.nrows or 1)
        dim = f"A1:{col_letter(ncols - 1)}{max(nrows, 1)}"
        cols = "".join(f'<col min="{c + 1}" max="{c + 1}" width="{sh.col_widths.get(c, 25.0)}" customWidth="true"/>' for c in range(ncols))
        sel = ' tabSelected="true"' if selected else ""
        yield (_XML_DECL + f'<worksheet xmlns="{_NS_MAIN}"><dimension ref="{dim}"/><sheetViews><sheetView workbookViewId="0"{sel}/>'
               f'</sheetViews><sheetFormatPr defaultRowHeight="15.0"/><cols>{cols}</cols><sheetData>\n')
        if sh.stream is not None:
            yield from sh.stream
        else:
            buf: list[str] = []
            for ri, row in enumerate(rows):
                r = ri + 1
                style = 1 if ri < sh.header_rows else 2
                parts = [f'<row r="{r}" customHeight="true" ht="20.0">\n']
                for ci, v in enumerate(row):
                    if v is None:
                        continue
                    ref = f"{col_letter(ci)}{r}"
                    if isinstance(v, str):
                        parts.append(f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{_t_attr(v)}>{xml_text(v)}</t></is></c>')
                    else:
                        parts.append(f'<c r="{ref}" s="{style}" t="n"><v>{java_double(v)}</v></c>')
                parts.append("</row>\n")
                buf.append("".join(parts))
                if len(buf) >= 2000:
                    yield "".join(buf)
                    buf = []
            if buf:
                yield "".join(buf)
        tail = "</sheetData>"
        if sh.merges:
            tail += f'<mergeCells count="{len(sh.merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in sh.merges) + "</mergeCells>"
        tail += '<pageMargins bottom="0.75" footer="0.3" header="0.3" left="0.7" right="0.7" top="0.75"/></worksheet>'
        yield tail

    # -------------------------------------------------------- generic ---
    def _ss(self, s: str) -> int:
        self._sst_count += 1
        i = self._sst.get(s)
        if i is None:
            i = self._sst[s] = len(self._sst_list)
            self._sst_list.append(s)
        return i

    def _generic_cell(self, ref: str, v) -> str:
        if isinstance(v, bool):
            return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
        if isinstance(v, str):
            return f'<c r="{ref}" t="s"><v>{self._ss(v)}</v></c>'
        if isinstance(v, datetime):
            return f'<c r="{ref}" s="1"><v>{excel_serial(v)!r}</v></c>'
        if isinstance(v, date):
            return f'<c r="{ref}" s="2"><v>{excel_serial(datetime(v.year, v.month, v.day))!r}</v></c>'
        if isinstance(v, int):
            return f'<c r="{ref}"><v>{v}</v></c>'
        return f'<c r="{ref}"><v>{float(v)!r}</v></c>'

    def _generic_sheet_parts(self, sh: Sheet) -> Iterator[str]:
        if sh.stream is not None:
            ncols, nrows = sh.ncols or 1, sh.nrows or 1
        else:
            sh.rows = sh.rows if isinstance(sh.rows, list) else list(sh.rows or ())
            ncols = max((len(r) for r in sh.rows), default=1)
            nrows = max(len(sh.rows), 1)
        cols = ""
        if sh.col_widths:
            cols = "<cols>" + "".join(f'<col min="{c + 1}" max="{c + 1}" width="{w}" customWidth="1"/>'
                                      for c, w in sorted(sh.col_widths.items())) + "</cols>"
        yield (_XML_DECL + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}"><dimension ref="A1:{col_letter(ncols - 1)}{nrows}"/>'
               f'<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>')
        if sh.stream is not None:
            yield from sh.stream
        else:
            buf: list[str] = []
            for ri, row in enumerate(sh.rows):
                r = ri + 1
                cells = "".join(self._generic_cell(f"{col_letter(ci)}{r}", v) for ci, v in enumerate(row) if v is not None)
                buf.append(f'<row r="{r}">{cells}</row>')
                if len(buf) >= 2000:
                    yield "".join(buf)
                    buf = []
            if buf:
                yield "".join(buf)
        tail = "</sheetData>"
        if sh.merges:
            tail += f'<mergeCells count="{len(sh.merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in sh.merges) + "</mergeCells>"
        tail += '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
        yield tail

    def _save_generic(self, zf: zipfile.ZipFile) -> None:
        n = len(self.sheets)
        # sheets first (they fill the shared-strings table), then the small parts
        for i, sh in enumerate(self.sheets):
            with zf.open(self._zinfo(f"xl/worksheets/sheet{i + 1}.xml"), "w", force_zip64=True) as f:
                for chunk in self._generic_sheet_parts(sh):
                    f.write(chunk.encode("utf-8"))
        ct = (_XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
              '<Default Extension="xml" ContentType="application/xml"/>'
              '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
              + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(n))
              + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
              '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
              '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
              '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
              "</Types>")
        self._put(zf, "[Content_Types].xml", ct)
        self._put(zf, "_rels/.rels", _XML_DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                  '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
                  '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
                  "</Relationships>")
        titles = "".join(f"<vt:lpstr>{xml_text(s.name)}</vt:lpstr>" for s in self.sheets)
        self._put(zf, "docProps/app.xml", _XML_DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
                  'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application>'
                  f'<TitlesOfParts><vt:vector size="{n}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts></Properties>')
        ts = aware(self.created).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        creator = f"<dc:creator>{xml_text(self.creator)}</dc:creator>" if self.creator else ""
        self._put(zf, "docProps/core.xml", _XML_DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                  'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                  f'{creator}<dcterms:created xsi:type="dcterms:W3CDTF">{ts}</dcterms:created>'
                  f'<dcterms:modified xsi:type="dcterms:W3CDTF">{ts}</dcterms:modified></cp:coreProperties>')
        sheets_xml = "".join(f'<sheet name="{xml_text(s.name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, s in enumerate(self.sheets))
        self._put(zf, "xl/workbook.xml", _XML_DECL + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}"><workbookPr/>'
                  f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets_xml}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                       f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(n))
        rels += (f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
                 f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
        self._put(zf, "xl/_rels/workbook.xml.rels", _XML_DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  + rels + "</Relationships>")
        self._put(zf, "xl/styles.xml", _XML_DECL + f'<styleSheet xmlns="{_NS_MAIN}">'
                  '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/><numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
                  '<fonts count="1"><font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font></fonts>'
                  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
                  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                  '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                  '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                  '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
        sst = "".join(f"<si><t{_t_attr(s)}>{xml_text(s)}</t></si>" for s in self._sst_list)
        self._put(zf, "xl/sharedStrings.xml", _XML_DECL + f'<sst xmlns="{_NS_MAIN}" count="{self._sst_count}" '
                  f'uniqueCount="{len(self._sst_list)}">{sst}</sst>')


def write_xlsx(path, sheets: list[tuple[str, list[Sequence]]], *, flavour: str = "generic", created: datetime | None = None,
               merges: dict[str, list[str]] | None = None, header_rows: int = 1, col_widths: dict[int, float] | None = None) -> None:
    wb = Workbook(flavour=flavour, created=created)
    for name, rows in sheets:
        wb.add_sheet(name, rows, merges=(merges or {}).get(name, ()), header_rows=header_rows, col_widths=col_widths)
    wb.save(path)
