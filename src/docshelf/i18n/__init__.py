"""Every text a person reads, in German or English, from gettext catalogues.

Source strings are English and carry ``str.format`` fields; the German (and English)
texts live in ``locale/<lang>/LC_MESSAGES/<area>.po``, one file per part of the product
so that each part's catalogue changes with its code. At run time the areas of a
language are one catalogue (``docshelf.mo``, compiled by ``make`` and, when missing or
older than a ``.po``, compiled in memory).

    from docshelf.i18n import tr, ntr, N_

    tr("Cannot reach the server at {url}.", url=url)
    ntr("{n} change", "{n} changes", count)
    HEADINGS = (N_("Added"), N_("Removed"))   # marked here, translated with tr() where shown

The language is the caller's: a context (one request, a rendering) sets it with
:func:`using`; outside any, the process default (:func:`set_default_language`) holds.
Machine-readable parts (codes, JSON keys, exit codes) are never translated.
"""

from __future__ import annotations

from docshelf.i18n.catalogues import translations
from docshelf.i18n.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    current_language,
    negotiate,
    normalize,
    set_default_language,
    system_language,
    using,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "current_language",
    "negotiate",
    "normalize",
    "ntr",
    "set_default_language",
    "system_language",
    "tr",
    "using",
]


def tr(message: str, /, **fields: object) -> str:
    """``message`` in the current language, its ``{fields}`` filled in."""
    text = translations(current_language()).gettext(message)
    return text.format(**fields) if fields else text


def ntr(singular: str, plural: str, n: int, /, **fields: object) -> str:
    """The form for ``n`` ("1 Änderung", "2 Änderungen"); ``{n}`` is the number, formatted."""
    from docshelf.i18n.formats import format_number

    text = translations(current_language()).ngettext(singular, plural, n)
    return text.format(n=format_number(n), **fields)


def N_(message: str, /) -> str:
    """Marks ``message`` for the catalogue where it is defined; :func:`tr` translates it."""
    return message
