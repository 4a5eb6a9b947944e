"""Words the pages choose at run time, and values written the visitor's way.

The sentences themselves are in the templates and page modules (``tr("…")``, English
source, German in the ``dashboard`` catalogue). Here: the names of stored values
(roles, statuses, kinds), marked with ``N_`` and translated where shown; titles kept in
several languages; times, spans of time and shares in the current language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from docshelf.domain.packages.changes import change_label
from docshelf.i18n import N_, current_language, ntr, tr
from docshelf.i18n.formats import format_datetime, format_number

NONE = "—"

# value family -> stored value -> its name for people
LABELS: Mapping[str, Mapping[str, str]] = {
    "section": {
        "summary": N_("Summary"),
        "settings": N_("Settings"),
        "users": N_("Users"),
        "groups": N_("Groups"),
        "templates": N_("Templates"),
        "snippets": N_("Snippets"),
        "fields": N_("Fields"),
        "units": N_("Units"),
        "packages": N_("Packages"),
        "audit": N_("Audit log"),
    },
    "role": {
        "user": N_("User"),
        "layouter": N_("Layouter"),
        "org": N_("Org"),
        "sys": N_("Sys"),
    },
    "status": {
        "released": N_("released"),
        "in_test": N_("in test"),
        "in_progress": N_("in progress"),
        "deactivated": N_("deactivated"),
    },
    "state": {"active": N_("active"), "deactivated": N_("deactivated")},
    "scope": {"user": N_("user"), "unit": N_("unit")},
    "field_type": {
        "text": N_("text"),
        "multiline": N_("multi-line text"),
        "email": N_("e-mail"),
        "phone": N_("phone"),
        "url": N_("web address"),
        "image": N_("image"),
    },
    "snippet_kind": {
        "shared": N_("shared"),
        "template": N_("of a template"),
        "personal": N_("personal"),
    },
    "snippet_format": {"text": N_("text"), "html": N_("HTML"), "docx": N_("Word (.docx)")},
    # what a package holds
    "item": {
        "template": N_("Template"),
        "template_group": N_("Template group"),
        "snippet": N_("Snippet"),
        "unit": N_("Unit"),
        "field": N_("Field definition"),
    },
    "device": {"client": N_("client"), "dashboard": N_("dashboard")},
    "member": {"user": N_("Users"), "group": N_("Groups")},
    # the audit log: what was written, how, and through which door
    "audit_kind": {
        "user": N_("User"),
        "group": N_("Group"),
        "field": N_("Field definition"),
        "unit": N_("Unit"),
        "profile": N_("Profile"),
        "template_group": N_("Template group"),
        "template": N_("Template"),
        "snippet": N_("Snippet"),
        "setting": N_("Setting"),
    },
    "audit_action": {
        "created": N_("created"),
        "changed": N_("changed"),
        "deleted": N_("deleted"),
    },
    "origin": {
        "api": N_("API"),
        "dashboard": N_("Dashboard"),
        "sync": N_("Sync client"),
        "package": N_("Package import"),
        "cli": N_("Admin command"),
        "demo": N_("Demo"),
        "system": N_("System"),
    },
}


def label(family: str, value: str) -> str:
    """The name of a stored value in the current language; an unknown one as stored."""
    known = LABELS[family].get(value)
    return tr(known) if known else value


def attribute_names(names: Iterable[str]) -> str:
    """The attributes a package changes ("titles", "files.de"), by their labels in the
    visitor's language ("Titel", "Datei (de)")."""
    return ", ".join(change_label(name) for name in names)


def localized(values: Mapping[str, Any] | None, language: str, fallback: str = "") -> str:
    """A title or label in the visitor's language, else in any language there is."""
    values = values or {}
    chosen = values.get(language) or next((v for v in values.values() if v), None)
    return str(chosen) if chosen else fallback


def when(value: object) -> str:
    """A moment in the server's local time, in the language's usual format."""
    if not isinstance(value, datetime):
        return NONE
    return format_datetime(value.astimezone())


def ago(value: object, now: datetime | None = None) -> str:
    """How long ago, the way people say it: "vor 1 Minute", "5 hours ago"."""
    if not isinstance(value, datetime):
        return NONE
    now = now or datetime.now(UTC)
    minutes = max(0, int((now - value).total_seconds() // 60))
    if minutes < 1:
        return tr("just now")
    if minutes < 60:
        return ntr("{n} minute ago", "{n} minutes ago", minutes)
    hours = minutes // 60
    if hours < 48:
        return ntr("{n} hour ago", "{n} hours ago", hours)
    return ntr("{n} day ago", "{n} days ago", hours // 24)


def duration(value: object) -> str:
    """A span of time with unit symbols: "3,2 s", "1 min 5 s", "2 h 10 min"."""
    if not isinstance(value, timedelta):
        return NONE
    seconds = max(0.0, value.total_seconds())
    if seconds < 9.95:  # what still shows as one digit before the decimal mark
        return f"{format_number(seconds, 1)} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return _pair(whole // 60, "min", whole % 60, "s")
    minutes = round(seconds / 60)
    if minutes < 48 * 60:
        return _pair(minutes // 60, "h", minutes % 60, "min")
    hours = round(seconds / 3600)
    return _pair(hours // 24, "d", hours % 24, "h")


def _pair(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big} {big_unit} {small} {small_unit}" if small else f"{big} {big_unit}"


def percent(value: int) -> str:
    """A whole percentage: "60 %" in German, "60%" in English."""
    return f"{value} %" if current_language() == "de" else f"{value}%"


def day_format() -> str:
    """strftime pattern of a day without the year, for the chart's axis."""
    return "%d.%m." if current_language() == "de" else "%d/%m"
