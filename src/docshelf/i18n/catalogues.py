"""Where the catalogues lie and how a language's areas become one ``GNUTranslations``.

The standard library's gettext reads the compiled catalogue (fast, nothing to import);
Babel is needed only when the compiled file is missing or older than a ``.po``, which
happens in a checkout right after a translation was edited.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
COMPILED = "docshelf.mo"
# One catalogue file per part of the product; see ``tools.AREAS`` for their sources.
AREA_NAMES = ("core", "server", "dashboard", "client", "cli", "desktop")


def po_path(language: str, area: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{area}.po"


def mo_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / COMPILED


@cache
def translations(language: str) -> gettext.NullTranslations:
    compiled = mo_path(language)
    sources = [p for p in (po_path(language, a) for a in AREA_NAMES) if p.exists()]
    if not sources:
        return gettext.NullTranslations()
    newest = max(p.stat().st_mtime for p in sources)
    if compiled.exists() and compiled.stat().st_mtime >= newest:
        with compiled.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    return gettext.GNUTranslations(io.BytesIO(compile_language(language)))


def compile_language(language: str) -> bytes:
    """The language's areas as one compiled catalogue (``.mo`` bytes)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    merged: Catalog | None = None
    for area in AREA_NAMES:
        path = po_path(language, area)
        if not path.exists():
            continue
        with path.open("rb") as stream:
            catalog = read_po(stream, locale=language)
        if merged is None:
            merged = catalog
            continue
        for message in catalog:
            if message.id and message.id not in merged:
                merged[message.id] = message
    buffer = io.BytesIO()
    if merged is not None:
        write_mo(buffer, merged, use_fuzzy=False)
    return buffer.getvalue()


def write_compiled(language: str) -> Path:
    target = mo_path(language)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(compile_language(language))
    temporary.replace(target)
    return target
