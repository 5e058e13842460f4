"""The messages users see from the parsing layer can be translated: each is passed through ``tr`` (gettext)
where it is raised, and ``makemessages`` extracts ``tr(...)`` into the catalogue."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

INGESTION = Path(__file__).resolve().parents[2] / "metrics" / "ingestion"
FILE_ERRORS = {"IngestError", "FileLimitError", "UnsafeFileError", "PasswordProtectedError", "CorruptFileError",
               "UnsupportedFileError", "UnknownFormatError"}
TRANSLATORS = {"tr", "tr_lazy", "_", "gettext", "gettext_lazy", "ngettext"}


def _translated(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in TRANSLATORS:
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return _translated(node.func.value)
    return False


def _literal(node: ast.AST) -> bool:
    """Text written in the code (a string, an f-string, a formatted or concatenated one), not a variable."""
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _literal(node.func.value)
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    return False


def untranslated_messages(errors: set[str], message_index: int = 0) -> list[str]:
    found = []
    for path in sorted(INGESTION.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in errors:
                continue
            message = node.args[message_index] if len(node.args) > message_index else next(
                (k.value for k in node.keywords if k.arg in ("message", "reason")), None)
            if message is not None and _literal(message) and not _translated(message):
                found.append(f"{path.name}:{node.lineno} {name}: {ast.unparse(message)[:80]}")
    return found


def test_every_file_error_message_is_marked_for_translation():
    """Unreadable, unsafe, unknown files: the message on the failed batch goes through gettext."""
    assert untranslated_messages(FILE_ERRORS) == []


def test_every_row_error_message_is_marked_for_translation():
    assert untranslated_messages({"RowError"}, message_index=3) == []


def test_cell_reasons_and_load_rejections_are_marked_for_translation():
    assert untranslated_messages({"ValueParseError", "LoadRejected"}) == []


def test_makemessages_extracts_tr():
    from django.core.management import get_commands, load_command_class

    command = load_command_class(get_commands()["makemessages"], "makemessages")
    assert "--keyword=tr" in command.xgettext_options and "--keyword=tr_lazy" in command.xgettext_options
    xgettext = shutil.which("xgettext")
    if xgettext is None:
        return  # the option is what makemessages passes on; xgettext itself comes with GNU gettext
    readers = INGESTION / "readers.py"
    out = subprocess.run([xgettext, "--language=Python", "--from-code=UTF-8", "--output=-",
                          *[o for o in command.xgettext_options if o.startswith("--keyword")], str(readers)],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert 'msgid "Rejected as a zip bomb: {reason}."' in out


def test_tr_translates_in_the_active_language():
    """``tr`` translates when called; ``tr_lazy`` (for text made at import time) when shown. "active" stands in for
    any message: its Chinese translation is in the catalogue."""
    from django.utils import translation

    from metrics.ingestion.errors import tr, tr_lazy

    made_at_import = tr_lazy("active")
    with translation.override("zh-hans"):
        assert tr("active") == str(made_at_import) == translation.gettext("active") != "active"
    with translation.override("en"):
        assert tr("active") == str(made_at_import) == "active"
