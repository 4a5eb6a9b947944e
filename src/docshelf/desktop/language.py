"""The desktop's language and the few words it builds from data: when, which phase, which status.

The texts themselves come from the catalogue (``docshelf.i18n``): widgets call ``tr()``
when they render, so a language switch on the docshelf tab is a re-render, not a restart.
The language is the process default (``set_default_language``), so that the client's
errors raised afterwards speak it too. Pure Python (no Qt): testable on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from docshelf.client import Phase
from docshelf.i18n import N_, normalize, ntr, set_default_language, system_language, tr
from docshelf.i18n.formats import format_datetime, format_number, format_percent, format_size

# When neither the user nor the system names one of our languages: the product's users
# are German-speaking.
FALLBACK = "de"

_PHASES: dict[Phase | None, str] = {
    Phase.CONNECTING: N_("Connecting…"),
    Phase.UPLOADING: N_("Uploading edits"),
    Phase.CHANGES: N_("Downloading changes"),
    Phase.FILES: N_("Downloading files"),
    Phase.RECONCILING: N_("Reconciling"),
    Phase.CLEANING: N_("Cleaning up"),
    None: N_("Synchronising…"),
}

_STATUSES = {
    "in_progress": N_("in progress"),
    "in_test": N_("in test"),
    "released": N_("released"),
}


def choose(saved: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The user's choice on the docshelf tab, else the system's locale, else German."""
    return normalize(saved) or system_language(environ) or FALLBACK


def speak(language: str) -> str:
    """Make ``language`` the process's language (texts, formats, the client's errors)."""
    chosen = normalize(language) or FALLBACK
    set_default_language(chosen)
    return chosen


def when(value: datetime | None) -> str:
    """A point in time in local time, as the language writes it; "—" for never."""
    return "—" if value is None else format_datetime(value.astimezone())


def phase_text(phase: Phase | None) -> str:
    return tr(_PHASES.get(phase, _PHASES[None]))


def status_text(status: str) -> str:
    """A template's publication status as people read it."""
    return tr(_STATUSES[status]) if status in _STATUSES else status


def amounts(done: int, total: int, *, sizes: bool) -> tuple[str, str]:
    """``done`` and ``total`` for "… {done} of {total}": sizes share the total's unit
    ("188,5" of "314,6 MB") when both have it."""
    if not sizes:
        return format_number(done), format_number(total)
    shown_done, shown_total = format_size(done), format_size(total)
    unit = shown_total.rsplit(" ", 1)[-1]
    if shown_done.endswith(" " + unit):
        shown_done = shown_done[: -len(unit) - 1]
    return shown_done, shown_total


def percent(done: int, total: int) -> str:
    return format_percent(done, total)


def unknown_tags(tags: list[str]) -> str:
    """Tags of a template that name no field, image field or snippet."""
    return ntr(
        "{n} unknown tag: {tags}", "{n} unknown tags: {tags}", len(tags), tags=", ".join(tags)
    )
