"""Excel templates: cells carrying a defined name ``field.<key>`` get the field's value.

Excel names can't hold a colon, so ``field.phone`` stands for the tag ``field:phone``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import PurePath

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment
from openpyxl.utils.exceptions import InvalidFileException

from docshelf.documents.model import DocumentError, FillData, Filled, Tag, TagKind
from docshelf.documents.ooxml import check_unpacked
from docshelf.i18n import tr

PREFIX = "field."
_MACROS = {".xlsm", ".xltm"}
_AS_WORKBOOK = {".xltx": ".xlsx", ".xltm": ".xlsm"}


def load(data: bytes, filename: str) -> Workbook:
    suffix = PurePath(filename).suffix.lower()
    check_unpacked(data, filename)  # openpyxl reads every part into memory
    try:
        return load_workbook(io.BytesIO(data), keep_vba=suffix in _MACROS, keep_links=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise DocumentError(
            tr(
                "{filename} is not an Excel file docshelf can read ({exc}). Open it in "
                "Excel, save it again and upload it anew.",
                filename=filename,
                exc=exc,
            )
        ) from exc


def named_cells(book: Workbook) -> Iterator[tuple[Tag, Cell]]:
    """(tag, the named range's top-left cell) for every ``field.<key>`` name, workbook
    names first, then each sheet's own."""
    scopes = [(book.defined_names, None), *((ws.defined_names, ws) for ws in book.worksheets)]
    for names, _sheet in scopes:
        for name, defined in names.items():
            if not name.lower().startswith(PREFIX) or not name[len(PREFIX) :].strip():
                continue
            tag = Tag(TagKind.FIELD, name[len(PREFIX) :].strip())
            for title, ref in defined.destinations:
                if title not in book.sheetnames:
                    continue
                first = ref.replace("$", "").split(":")[0]
                yield tag, book[title][first]


def fill(data: bytes, filename: str, values: FillData) -> Filled:
    suffix = PurePath(filename).suffix.lower()
    book = load(data, filename)
    cells = list(named_cells(book))
    if not cells:
        return Filled(data, suffix, [], [], [], fillable=False)
    filled: dict[str, None] = {}
    missing: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for tag, cell in cells:
        key = tag.name
        value = values.values.get(key, "")
        if value:
            cell.value = value
            if "\n" in value:  # lines need wrapping to show as lines
                was = cell.alignment
                cell.alignment = Alignment(
                    horizontal=was.horizontal, vertical=was.vertical, wrap_text=True
                )
            filled[PREFIX + key] = None
        elif key in values.labels or key in values.values:
            missing[values.labels.get(key, key)] = None
        else:
            unknown[tag.text] = None
    book.template = False  # an .xltx/.xltm gives a workbook
    out = io.BytesIO()
    book.save(out)
    return Filled(
        out.getvalue(),
        _AS_WORKBOOK.get(suffix, suffix),
        list(filled),
        list(missing),
        list(unknown),
    )
