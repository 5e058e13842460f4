"""Errors of the parsing layer.

Two kinds: an ``IngestError`` stops the whole file (unreadable, unsafe, unknown layout); a ``RowError`` is a
problem with one cell or row that the file survives (the cell becomes missing or the row is left out), so the
upload page can list them next to the rows that did import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class IngestError(Exception):
    """A problem that stops the file. ``row`` is the 1-based row a spreadsheet user sees, ``column`` a header.

    ``code`` is a stable machine key (e.g. ``zip_bomb``, ``password``) so callers and tests need not match text.
    """

    code = "ingest_error"

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None, value: Any = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column
        self.value = value
        if code:
            self.code = code

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class FileLimitError(IngestError):
    """The file is larger than a configured limit (size, rows)."""

    code = "limit"


class UnsafeFileError(IngestError):
    """The file looks built to exhaust memory or CPU (zip bomb, XML entity expansion)."""

    code = "unsafe"


class PasswordProtectedError(IngestError):
    code = "password"


class CorruptFileError(IngestError):
    code = "corrupt"


class UnsupportedFileError(IngestError):
    """Not a spreadsheet or CSV at all (PDF, image, Word document...)."""

    code = "unsupported"


class UnknownFormatError(IngestError):
    """No known export matches the headers. Carries the closest format so the page can say what is missing."""

    code = "unknown_format"

    def __init__(self, message: str, *, closest: Any = None, missing: list[str] | tuple[str, ...] = (),
                 headers: list[str] | tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.closest = closest  # a ReportFormat or None
        self.missing = list(missing)  # required headers of ``closest`` not found
        self.headers = list(headers)  # the header row we believe the file has (for the mapping form)


@dataclass(frozen=True, slots=True)
class RowError:
    """A cell or row that could not be used; the rest of the file still imports."""

    row: int | None
    column: str | None
    value: Any
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message} ({self.value!r})"


def tr(message: str) -> str:
    """Translate with Django when it is set up; plain text otherwise (scripts, workers before setup).

    Every message a user sees from the parsing layer goes through ``tr`` (at the moment it is raised, so in the
    language active then). ``tr`` is a gettext keyword of this project: ``manage.py makemessages`` is extended
    with ``--keyword=tr`` (metrics/management/commands/makemessages.py), so these strings reach the catalogue.
    """
    try:
        from django.utils.translation import gettext

        return gettext(message)
    except Exception:  # noqa: BLE001 - settings or app registry not ready: keep the English text
        return message


def tr_lazy(message: str):
    """``tr`` for text built at import time (module constants, column labels): translated when it is shown."""
    from django.utils.functional import lazy

    return lazy(tr, str)(message)
