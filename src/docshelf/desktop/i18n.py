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
    "action.sign_in": ("Anmelden…", "Sign in…"),
    "action.conflicts": ("Konflikte lösen…", "Resolve conflicts…"),
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
        "{n} Änderung(en) stehen im Konflikt. «Konflikte lösen…» zeigt beide Seiten.",
        "{n} edit(s) are in conflict. «Resolve conflicts…» shows both sides.",
    ),
    "tray.synced": ("Aktuell, Stand {when}", "Up to date as of {when}"),
    "hints.connected": ("Änderungen kommen sofort an", "Changes arrive at once"),
    "hints.connecting": (
        "Verbindung für sofortige Änderungen wird aufgebaut",
        "Connecting for changes at once",
    ),
    "hints.interval": (
        "Änderungen kommen mit der nächsten Synchronisierung",
        "Changes arrive with the next synchronisation",
    ),
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
    # Conflicts
    "conflicts.title": ("Konflikte", "Conflicts"),
    "conflicts.intro": (
        "{n} Änderung(en) trafen auf eine Änderung von jemand anderem. Wählen Sie je "
        "Änderung: Ihre Version behalten (sie geht bei der nächsten Synchronisierung hoch) "
        "oder die andere übernehmen (Ihre wird verworfen).",
        "{n} edit(s) met someone else's change. Choose for each: keep your version (it goes "
        "up at the next sync) or take theirs (yours is dropped).",
    ),
    "conflicts.none": ("Keine Konflikte.", "No conflicts."),
    "conflicts.edit": ("Änderung", "Edit"),
    "conflicts.field": ("Feld", "Field"),
    "conflicts.mine": ("Meine Version", "Mine"),
    "conflicts.theirs": ("Andere Version", "Theirs"),
    "conflicts.empty": ("(leer)", "(empty)"),
    "conflicts.keep_mine": ("Meine behalten", "Keep mine"),
    "conflicts.take_theirs": ("Andere übernehmen", "Take theirs"),
    "conflicts.close": ("Schliessen", "Close"),
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
    "templates.profile": ("Profil", "Profile"),
    "admin.tags": ("Tags: {tags}", "Tags: {tags}"),
    "templates.no_profile": ("(eigene Angaben)", "(my own details)"),
    "templates.not_offline": (
        "{title} (nicht offline bereit)",
        "{title} (not ready offline)",
    ),
    "templates.offline_missing": (
        "Nicht offline bereit: synchronisieren, damit alles Nötige (Datei, Logos, Textbausteine)"
        " auf diesem Computer ist.",
        "Not ready offline: synchronise so that everything it needs (file, logos, snippets) is"
        " on this computer.",
    ),
    "templates.missing": (
        "{n} Feld(er) ohne Wert: {labels}",
        "{n} field(s) without a value: {labels}",
    ),
    "templates.unknown": ("{n} unbekannte(s) Tag(s): {tags}", "{n} unknown tag(s): {tags}"),
    "templates.copied": (
        "Nichts ausgefüllt: diese Datei hat keine Felder.",
        "Nothing filled: this file has no fields.",
    ),
    "templates.none": ("Keine Vorlage gewählt", "No template selected"),
    "templates.admin": ("Verwaltung", "Administration"),
    "templates.with_status": ("{title} [{status}]", "{title} [{status}]"),
    # Templates tab, administration (layouters)
    "admin.template": ("Vorlage bearbeiten", "Edit template"),
    "admin.language": ("Sprache", "Language"),
    "admin.title": ("Titel", "Title"),
    "admin.description": ("Beschreibung", "Description"),
    "admin.status": ("Status", "Status"),
    "admin.save": ("Übernehmen", "Apply"),
    "admin.rights": ("Rechte", "Rights"),
    "admin.which_right": ("Welches Recht?", "Which right?"),
    "admin.right.use": ("Verwenden", "Use"),
    "admin.right.change": ("Ändern", "Change"),
    "admin.grant": ("Recht erteilen…", "Grant right…"),
    "admin.withdraw": ("Recht entziehen…", "Withdraw right…"),
    "admin.grant_to": (
        "Erteilen an (Login, Gruppe oder alle):",
        "Grant to (login, group or everyone):",
    ),
    "admin.withdraw_from": ("Entziehen:", "Withdraw from:"),
    "admin.everyone": ("alle", "everyone"),
    "admin.group": ("Gruppe {name}", "group {name}"),
    "admin.replace_file": ("Datei ersetzen…", "Replace file…"),
    "admin.file_language": ("Datei welcher Sprache?", "File of which language?"),
    "admin.choose_file": ("Neue Datei wählen", "Choose the new file"),
    "admin.move": ("In Gruppe verschieben…", "Move to group…"),
    "admin.move_to": ("Verschieben nach:", "Move to:"),
    "admin.groups": ("Vorlagengruppen", "Template groups"),
    "admin.group_new": ("Neue Gruppe…", "New group…"),
    "admin.group_rename": ("Umbenennen…", "Rename…"),
    "admin.group_move": ("Verschieben…", "Move…"),
    "admin.group_delete": ("Löschen", "Delete"),
    "admin.group_title": ("Titel der Gruppe:", "Title of the group:"),
    "admin.group_top": ("(oberste Ebene)", "(top level)"),
    "admin.group_cycle": (
        "«{group}» kann nicht unter «{parent}» verschoben werden: das liegt in ihr selbst.",
        "«{group}» cannot move below «{parent}»: that lies within it.",
    ),
    "admin.distribute": ("Vorlagenverteilung", "Template distribution"),
    "admin.distribute_tip": (
        "Ihre Änderungen jetzt hochladen (Synchronisieren)",
        "Upload your changes now (synchronise)",
    ),
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
    "org.snippet.html": ("formatiert", "formatted"),
    "org.snippet.docx": ("Word", "Word"),
    "org.snippet_replace": ("Datei ersetzen…", "Replace file…"),
    "org.snippet_open": ("Öffnen", "Open"),
    "org.snippet_choose_file": ("Word-Datei wählen", "Choose the Word file"),
    "org.snippet_empty_title": (
        "Ein Textbaustein braucht einen Titel.",
        "A snippet needs a title.",
    ),
    "org.snippet_no_share": (
        "Geteilte Textbausteine erstellen nur Layouter. Erstellen Sie einen persönlichen.",
        "Only layouters create shared snippets. Create a personal one instead.",
    ),
    "org.snippet_no_change": (
        "«{title}» dürfen Sie verwenden, aber nicht ändern.",
        "You may use «{title}» but not change it.",
    ),
    "org.snippet_no_file": (
        "Ein Word-Textbaustein braucht eine Word-Datei: «Datei wählen…».",
        "A Word snippet needs a Word file: «Choose file…».",
    ),
    "org.snippet_not_docx": (
        "«{name}» ist keine Word-Datei (.docx).",
        "«{name}» is not a Word file (.docx).",
    ),
    "org.snippet_missing": (
        "Die Datei dieses Textbausteins ist noch nicht geladen; bitte synchronisieren und "
        "erneut versuchen.",
        "The file of this snippet is not downloaded yet; synchronise, then try again.",
    ),
    # The snippet dialog
    "snippet.new": ("Neuer Textbaustein", "New snippet"),
    "snippet.edit": ("Textbaustein bearbeiten", "Edit snippet"),
    "snippet.format": ("Format", "Format"),
    "snippet.format.text": ("Text", "Plain text"),
    "snippet.format.html": ("Formatierter Text", "Formatted text"),
    "snippet.format.docx": ("Word-Datei", "Word file"),
    "snippet.bold": ("Fett", "Bold"),
    "snippet.italic": ("Kursiv", "Italic"),
    "snippet.underline": ("Unterstrichen", "Underline"),
    "snippet.bullets": ("• Aufzählung", "• Bullets"),
    "snippet.numbers": ("1. Nummerierung", "1. Numbering"),
    "snippet.no_file": ("Keine Datei gewählt", "No file chosen"),
    "snippet.file_kept": (
        "Die gespeicherte Word-Datei bleibt, bis Sie eine andere wählen.",
        "The stored Word file stays until you choose another.",
    ),
    "snippet.choose_file": ("Datei wählen…", "Choose file…"),
    "snippet.word_filter": ("Word-Dokumente (*.docx)", "Word documents (*.docx)"),
    "snippet.kind": ("Art", "Kind"),
    "snippet.personal": ("Persönlich (nur für mich)", "Personal (for me only)"),
    "snippet.shared": ("Geteilt", "Shared"),
    "snippet.rights": ("Rechte", "Rights"),
    "snippet.read": ("Verwenden dürfen (Lesen):", "May use it (read):"),
    "snippet.write": ("Ändern dürfen (Schreiben):", "May change it (write):"),
    "snippet.filter": ("Gruppen und Personen filtern…", "Filter groups and people…"),
    "snippet.everyone": ("Alle", "Everyone"),
    "snippet.group": ("Gruppe {name}", "Group {name}"),
    "snippet.me": ("{login} (ich)", "{login} (me)"),
    "snippet.read_hint": (
        "Niemand gewählt: alle dürfen ihn verwenden.",
        "Nobody chosen: everyone may use it.",
    ),
    "snippet.author_tip": (
        "Wer einen Textbaustein teilt, darf ihn weiter ändern.",
        "Whoever shares a snippet may keep changing it.",
    ),
    "org.units": ("Organisationseinheiten", "Organisational units"),
    "org.unit_new": ("Neue Untereinheit…", "New sub-unit…"),
    "org.unit_rename": ("Umbenennen…", "Rename…"),
    "org.unit_field": ("Feld setzen…", "Set field…"),
    "org.unit_title": ("Titel der Einheit:", "Title of the unit:"),
    "org.unit_move": ("Verschieben…", "Move…"),
    "org.unit_move_to": ("Verschieben unter:", "Move below:"),
    "org.unit_top": ("(oberste Ebene)", "(top level)"),
    "org.unit_cycle": (
        "«{unit}» kann nicht unter «{parent}» verschoben werden: das liegt in ihr selbst.",
        "«{unit}» cannot move below «{parent}»: that lies within it.",
    ),
    "org.conflicts": ("{n} Konflikt(e) lösen…", "Resolve {n} conflict(s)…"),
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
    "about.sign_out": ("Abmelden", "Sign out"),
    "about.sign_out_confirm": (
        "{user} abmelden? Dieses Gerät verliert seinen Zugang, bis Sie sich wieder anmelden.",
        "Sign {user} out? This device loses its access until you sign in again.",
    ),
    "about.sign_out_pending": (
        "{n} Änderung(en) sind noch nicht hochgeladen. Sie bleiben hier und gehen hoch, "
        "sobald sich {user} wieder anmeldet; andere Benutzer können sich erst danach anmelden.",
        "{n} edit(s) are not uploaded yet. They stay here and go up once {user} signs in "
        "again; other users can sign in only after that.",
    ),
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
