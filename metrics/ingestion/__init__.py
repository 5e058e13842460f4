"""Parsing layer for platform exports: file bytes -> detected format -> normalised pandas chunks.

Pure: no database, no models. ``parse_file`` is the entry point; see ``parse`` for the frame's shape.
"""

from .detect import guess_mapping
from .errors import IngestError, RowError, UnknownFormatError
from .formats import CANONICAL_FIELDS, CONTENT_FORMATS, Column, Pivot, ReportFormat, col
from .parse import DEFAULT_LIMITS, ParsedChunk, ParsedFile, Section, collected_at_from_filename, parse_file
from .platforms import FORMATS, FORMATS_BY_KEY
from .readers import FileType, Limits

__all__ = [
    "CANONICAL_FIELDS", "CONTENT_FORMATS", "DEFAULT_LIMITS", "FORMATS", "FORMATS_BY_KEY", "Column", "FileType",
    "IngestError", "Limits", "ParsedChunk", "ParsedFile", "Pivot", "ReportFormat", "RowError", "Section",
    "UnknownFormatError", "col", "collected_at_from_filename", "guess_mapping", "parse_file",
]
