"""The desktop app's words in German and English, and how dates read in each.

One table, keyed by stable identifiers: widgets look texts up when they render, so a
language switch on the docshelf tab is a re-render, not a restart. Pure Python (no Qt),
so the texts and formats are testable on their own.
"""

from __future__ import annotations

from datetime import datetime

from docshelf.client.status import Phase

LANGUAGES = {"de": "Deutsch", "en": "English"}
DEFAULT_LANGUAGE = "de"

# Fixed patterns rather than the system's short format: the product's users know
# "28.11.2026 19:05"; Qt's short German format would show a two-digit year.
_DATE_FORMATS = {"de": "%d.%m.%Y %H:%M", "en": "%d/%m/%Y %H:%M"}

_TEXTS: dict[str, tuple[str, str]] = {
    # key: (German, English)
    "app.title": ("docshelf", "docshelf"),
    "tab.templates": ("Vorlagen", "Templates"),
    "tab.organisation": ("Organisation", "Organisation"),
    "tab.docshelf": ("docshelf", "docshelf"),
    "footer.last_update": ("Letzte Aktualisierung: {when}", "Last update: {when}"),
    "footer.offline": ("Offline seit {when}", "Offline since {when}"),
    "footer.signed_out": ("Abgemeldet: bitte neu anmelden", "Signed out: please sign in again"),
    "footer.error": ("Fehler: {reason}", "Error: {reason}"),
    "footer.conflicts": ("{n} Konflikt(e)", "{n} conflict(s)"),
    "footer.tooltip": (
        "Klick: Synchronisieren anbieten · Ctrl + Doppelklick: sofort synchronisieren",
        "Click: offer to synchronise · Ctrl + double-click: synchronise now",
    ),
    "action.sync": ("Synchronisieren", "Synchronise"),
    "action.open": ("Öffnen", "Open"),
    "action.quit": ("Beenden", "Quit"),
    "progress.items": ("{phase} {done} von {total}", "{phase} {done} of {total}"),
    "progress.count": ("{phase} {done}", "{phase} {done}"),
    "progress.percent": ("{phase} {percent} %", "{phase} {percent}%"),
    "progress.bytes": ("{size}", "{size}"),
    "phase.connecting": ("Verbinden…", "Connecting…"),
    "phase.uploading edits": ("Änderungen hochladen", "Uploading edits"),
    "phase.downloading changes": ("Änderungen laden", "Downloading changes"),
    "phase.downloading files": ("Dateien laden", "Downloading files"),
    "phase.reconciling": ("Abgleichen", "Reconciling"),
    "phase.cleaning up": ("Aufräumen", "Cleaning up"),
    "phase.syncing": ("Synchronisieren…", "Synchronising…"),
    "details.title": ("Synchronisierung", "Synchronisation"),
    "details.log": ("Protokoll: {path}", "Log: {path}"),
    "details.last_update": ("Letzte Aktualisierung: {when}", "Last update: {when}"),
    "details.conflicts": (
        "{n} Änderung(en) stehen im Konflikt. `docshelf conflicts` zeigt beide Seiten.",
        "{n} edit(s) are in conflict. `docshelf conflicts` shows both sides.",
    ),
    "tray.synced": ("Aktuell, Stand {when}", "Up to date as of {when}"),
    "notify.error": ("docshelf: Synchronisierung fehlgeschlagen", "docshelf: sync failed"),
    "notify.conflict": ("docshelf: Konflikt", "docshelf: conflict"),
    # Login and first sync
    "login.title": ("Bei docshelf anmelden", "Sign in to docshelf"),
    "login.server": ("Server", "Server"),
    "login.user": ("Benutzer", "User"),
    "login.password": ("Passwort", "Password"),
    "login.ok": ("Anmelden", "Sign in"),
    "login.cancel": ("Abbrechen", "Cancel"),
    "login.busy": ("Anmelden…", "Signing in…"),
    "first.title": ("Erste Synchronisierung", "First synchronisation"),
    "first.intro": (
        "docshelf lädt alles, was Sie sehen dürfen. Danach geht es auch offline.",
        "docshelf fetches everything you may see. After that it works offline too.",
    ),
    "first.items": ("{done} von {total} Elementen", "{done} of {total} items"),
    "first.retry": ("Erneut versuchen", "Try again"),
    # Templates tab
    "templates.search": ("Suchen…", "Search…"),
    "templates.all": ("Alle Vorlagen", "All templates"),
    "templates.create": ("Dokument erstellen", "Create document"),
    "templates.language": ("Sprache", "Language"),
    "templates.languages": ("Sprachen: {langs}", "Languages: {langs}"),
    "templates.type": ("Dateityp: {kind}", "File type: {kind}"),
    "templates.status": ("Status: {status}", "Status: {status}"),
    "templates.rights": ("Verwenden: {use} · Ändern: {change}", "Use: {use} · Change: {change}"),
    "templates.created": ("Erstellt: {path}", "Created: {path}"),
    "templates.none": ("Keine Vorlage gewählt", "No template selected"),
    "status.in_progress": ("in Bearbeitung", "in progress"),
    "status.in_test": ("im Test", "in test"),
    "status.released": ("freigegeben", "released"),
    # Organisation tab
    "org.profiles": ("Profile", "Profiles"),
    "org.shared_by": ("{title} (geteilt von {owner})", "{title} (shared by {owner})"),
    "org.fields": ("Felder", "Fields"),
    "org.field": ("Feld", "Field"),
    "org.value": ("Wert", "Value"),
    "org.edit": ("Bearbeiten…", "Edit…"),
    "org.reset": ("Vererbten Wert verwenden", "Reset to inherited"),
    "org.assign_unit": ("Einheit zuweisen…", "Assign unit…"),
    "org.share": ("Teilen…", "Share…"),
    "org.unit": ("Einheit: {unit}", "Unit: {unit}"),
    "org.unshare": ("Nicht mehr teilen…", "Stop sharing…"),
    "org.share_with": ("Mit Login teilen:", "Share with login:"),
    "org.new_value": ("Neuer Wert für {field}:", "New value for {field}:"),
    "org.snippets": ("Textbausteine", "Snippets"),
    "org.snippet.personal": ("persönlich", "personal"),
    "org.snippet.shared": ("geteilt", "shared"),
    "org.snippet.template": ("Vorlage", "template"),
    "org.new": ("Neu…", "New…"),
    "org.delete": ("Löschen", "Delete"),
    "org.snippet_title": ("Titel", "Title"),
    "org.snippet_body": ("Text", "Text"),
    "org.confirm_delete": ("{what} löschen?", "Delete {what}?"),
    "org.units": ("Organisationseinheiten", "Organisational units"),
    "org.unit_new": ("Neue Untereinheit…", "New sub-unit…"),
    "org.unit_rename": ("Umbenennen…", "Rename…"),
    "org.unit_field": ("Feld setzen…", "Set field…"),
    "org.unit_title": ("Titel der Einheit:", "Title of the unit:"),
    "org.choose_field": ("Feld:", "Field:"),
    "org.queued": ("{message}", "{message}"),
    "org.pending": (
        "{n} Änderung(en) warten auf die nächste Synchronisierung",
        "{n} edit(s) wait for the next sync",
    ),
    # docshelf tab
    "about.account": ("Konto", "Account"),
    "about.user": ("Benutzer: {user}", "User: {user}"),
    "about.server": ("Server: {server}", "Server: {server}"),
    "about.sync": ("Synchronisierung", "Synchronisation"),
    "about.interval": (
        "Intervall (ClientSyncInterval): {minutes} min",
        "Interval (ClientSyncInterval): {minutes} min",
    ),
    "about.delay": (
        "Verzögerung nach Start (ClientSyncMaxDelayAfterStart): bis {minutes} min",
        "Delay after start (ClientSyncMaxDelayAfterStart): up to {minutes} min",
    ),
    "about.next": ("Nächste Synchronisierung: {when}", "Next sync: {when}"),
    "about.language": ("Sprache der Oberfläche", "Language of the interface"),
    "about.log": ("Protokolldatei: {path}", "Log file: {path}"),
    "about.version": ("Version {version}", "Version {version}"),
    "about.help": (
        "Hilfe: docshelf synchronisiert von selbst. Sofort synchronisieren: auf "
        "«Letzte Aktualisierung» unten rechts klicken und «Synchronisieren» wählen, mit "
        "Ctrl + Doppelklick darauf, oder im Menü des Symbols im Infobereich.",
        "Help: docshelf synchronises by itself. To synchronise now: click «Last update» "
        "at the bottom right and choose «Synchronise», Ctrl + double-click it, or use "
        "the menu of the icon in the notification area.",
    ),
    "error.title": ("docshelf", "docshelf"),
}


class Texts:
    """The texts of one language; ``texts("key", name=value)`` formats one."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: object) -> str:
        german, english = _TEXTS[key]
        text = german if self.language == "de" else english
        return text.format(**values) if values else text

    def when(self, value: datetime | None) -> str:
        """A point in time in local time, as this language writes it; "—" for never."""
        if value is None:
            return "—"
        return value.astimezone().strftime(_DATE_FORMATS[self.language])

    def phase(self, phase: Phase | None) -> str:
        return self(f"phase.{phase.value}") if phase is not None else self("phase.syncing")

    def size(self, count: int) -> str:
        units = ("B", "KB", "MB", "GB")
        value = float(count)
        for unit in units:
            if value < 1000 or unit == units[-1]:
                shown = f"{value:.0f}" if unit == "B" else f"{value:.1f}"
                if self.language == "de":
                    shown = shown.replace(".", ",")
                return f"{shown} {unit}"
            value /= 1000
        raise AssertionError("unreachable")


def language_for_locale(name: str) -> str:
    """The UI language for a locale name such as ``de_CH`` or ``en-GB``: German for German
    locales, English for everything else (the app has no third language yet)."""
    return "de" if name.lower().startswith("de") else "en"


def known_texts() -> dict[str, tuple[str, str]]:
    return dict(_TEXTS)
