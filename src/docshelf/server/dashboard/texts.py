"""The dashboard's words in German and English.

One table, keyed by a stable name; a test fails when a key lacks a language or a
template uses a key that isn't here. Placeholders are ``str.format`` fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"

TEXTS: Mapping[str, tuple[str, str]] = {
    # layout
    "app.title": ("docshelf Dashboard", "docshelf dashboard"),
    "nav.summary": ("Übersicht", "Summary"),
    "nav.settings": ("Einstellungen", "Settings"),
    "nav.users": ("Benutzer", "Users"),
    "nav.groups": ("Gruppen", "Groups"),
    "nav.templates": ("Vorlagen", "Templates"),
    "nav.snippets": ("Textbausteine", "Snippets"),
    "nav.fields": ("Felder", "Fields"),
    "nav.units": ("Organisationseinheiten", "Units"),
    "nav.packages": ("Pakete", "Packages"),
    "nav.logout": ("Abmelden", "Sign out"),
    "nav.language": ("English", "Deutsch"),
    "common.save": ("Speichern", "Save"),
    "common.cancel": ("Abbrechen", "Cancel"),
    "common.none": ("—", "—"),
    "common.yes": ("ja", "yes"),
    "common.no": ("nein", "no"),
    "common.filter": ("Filtern", "Filter"),
    "common.all": ("alle", "all"),
    "common.details": ("Details", "Details"),
    "common.back": ("Zurück", "Back"),
    "common.saved": ("Gespeichert.", "Saved."),
    "common.error": ("Fehler", "Error"),
    "common.signed_in_as": ("Angemeldet als {user}", "Signed in as {user}"),
    # login
    "login.title": ("Anmelden", "Sign in"),
    "login.user": ("Benutzername", "User name"),
    "login.password": ("Passwort", "Password"),
    "login.submit": ("Anmelden", "Sign in"),
    "login.wrong": ("Benutzername oder Passwort ist falsch.", "Login or password is wrong."),
    "login.throttled": (
        "Zu viele Fehlversuche. Bitte in {seconds} Sekunden erneut versuchen.",
        "Too many failed sign-ins. Try again in {seconds} seconds.",
    ),
    "login.deactivated": (
        "Dieses Konto ist deaktiviert; wenden Sie sich an Ihre Administration.",
        "This account is deactivated; ask your administrator.",
    ),
    "login.not_allowed": (
        "Das Dashboard ist für System- und Organisationsadministratoren.",
        "The dashboard is for system and organisation administrators.",
    ),
    "login.expired": (
        "Ihre Anmeldung ist abgelaufen; bitte melden Sie sich erneut an.",
        "Your sign-in has expired; please sign in again.",
    ),
    "login.signed_out": ("Sie sind abgemeldet.", "You are signed out."),
    "csrf.refused": (
        "Das Formular war abgelaufen oder kam nicht von dieser Seite; bitte erneut versuchen.",
        "The form had expired or did not come from this page; please try again.",
    ),
    "form.invalid": (
        "Das Formular ist unvollständig oder ungültig:",
        "The form is incomplete or invalid:",
    ),
    "forbidden": (
        "Diese Seite ist für Ihre Rollen nicht freigegeben.",
        "Your roles do not allow this page.",
    ),
    # summary
    "summary.title": ("Übersicht", "Summary"),
    "summary.counts": ("Bestand", "Counts"),
    "summary.users": ("Benutzer", "Users"),
    "summary.templates": ("Vorlagen", "Templates"),
    "summary.snippets": ("Textbausteine", "Snippets"),
    "summary.units": ("Organisationseinheiten", "Units"),
    "summary.storage": ("Speicher", "Storage"),
    "summary.stored": ("Gespeichert (dedupliziert)", "Stored (deduplicated)"),
    "summary.logical": ("Logische Grösse aller Verweise", "Logical total of all references"),
    "summary.files": ("{n} Dateien", "{n} files"),
    "summary.saved": ("{percent} % gespart", "{percent} % saved"),
    "summary.activity": (
        "Synchronisationen pro Stunde (letzte 7 Tage)",
        "Syncs per hour (last 7 days)",
    ),
    "summary.activity_total": ("{n} Synchronisationen", "{n} syncs"),
    "summary.clients": ("Clients", "Clients"),
    "summary.device": ("Gerät", "Device"),
    "summary.user": ("Benutzer", "User"),
    "summary.version": ("Version", "Version"),
    "summary.last_sync": ("Letzte Synchronisation", "Last sync"),
    "summary.last_error": ("Letzter Fehler", "Last error"),
    "summary.behind": ("Rückstand", "Behind"),
    "summary.up_to_date": ("aktuell", "up to date"),
    "summary.changes_behind": ("{n} Änderungen", "{n} changes"),
    "summary.never": ("noch nie", "never"),
    "summary.no_clients": ("Noch keine Clients angemeldet.", "No clients signed in yet."),
    "summary.reach": ("Verteilung der neuesten Änderung", "Reach of the newest change"),
    "summary.reach_text": (
        "{have} von {total} Clients, die sie sehen dürfen, haben sie bereits.",
        "{have} of {total} clients that may see it have it already.",
    ),
    "summary.reach_none": ("Noch keine Vorlagen.", "No templates yet."),
    "summary.reach_package": ("Paketimport von {name}", "Package import by {name}"),
    "summary.reach_template": ("Vorlage «{title}»", "Template “{title}”"),
    "summary.at": ("am {at}", "at {at}"),
    "summary.hints": ("Änderungshinweise", "Change hints"),
    "summary.held": ("Gehaltene Verbindungen", "Held connections"),
    "summary.held_processes": (
        "Serverprozesse, die gemeldet haben: {n}",
        "Server processes reporting: {n}",
    ),
    "summary.spread": ("Neueste Änderung Nr. {seq}", "Newest change no. {seq}"),
    "summary.spread_text": (
        "{have} von {total} Clients, die sie sehen dürfen ({percent} %), haben sie.",
        "{have} of {total} clients that may see it ({percent} %) have it.",
    ),
    "summary.spread_took": ("{share} % erreicht nach", "{share} % reached after"),
    "summary.not_yet": ("noch nicht", "not yet"),
    "summary.spread_none": (
        "Noch keine Änderung, die ein Client sehen darf.",
        "No change yet that a client may see.",
    ),
    "status.released": ("freigegeben", "released"),
    "status.in_test": ("im Test", "in test"),
    "status.deactivated": ("deaktiviert", "deactivated"),
    # settings
    "settings.title": ("Einstellungen", "Settings"),
    "settings.interval": ("Synchronisationsintervall (Minuten)", "Sync interval (minutes)"),
    "settings.interval_help": (
        "ClientSyncInterval: so oft holen Clients Änderungen; jede Wartezeit wird um"
        " zufällige 0–10 % gekürzt.",
        "ClientSyncInterval: how often clients pull changes; each wait is shortened by a"
        " random 0–10 %.",
    ),
    "settings.delay": (
        "Höchste Verzögerung nach dem Start (Minuten)",
        "Largest delay after start (minutes)",
    ),
    "settings.delay_help": (
        "ClientSyncMaxDelayAfterStart: die erste Synchronisation nach dem Start eines"
        " Clients folgt nach einer zufälligen Wartezeit bis zu diesem Wert.",
        "ClientSyncMaxDelayAfterStart: a client's first sync after it starts follows after"
        " a random wait up to this value.",
    ),
    "settings.languages": ("Sprachen", "Languages"),
    "settings.languages_help": (
        "Sprachcodes, durch Kommas getrennt; die erste ist die Standardsprache.",
        "Language codes separated by commas; the first one is the default.",
    ),
    "settings.saved": (
        "Gespeichert. Die Clients erhalten die Einstellungen bei ihrer nächsten Synchronisation.",
        "Saved. Clients receive the settings at their next sync.",
    ),
    "settings.out_of_range": (
        "Bitte eine Zahl von Minuten zwischen {lo} und {hi} eingeben.",
        "Enter a number of minutes between {lo} and {hi}.",
    ),
    "settings.not_a_number": (
        "«{value}» ist keine Zahl von Minuten.",
        "“{value}” is not a number of minutes.",
    ),
    # packages
    "packages.title": ("Pakete", "Packages"),
    "packages.import": ("Paket importieren", "Import a package"),
    "packages.import_help": (
        "Ein Paket ist ein ZIP-Archiv mit manifest.json. Zuerst sehen Sie, was es hinzufügt"
        " und ändert; importiert wird erst nach Ihrer Bestätigung, alles oder nichts.",
        "A package is a zip archive with a manifest.json. First you see what it adds and"
        " changes; it is imported only once you confirm, all or nothing.",
    ),
    "packages.preview": ("Vorschau", "Preview"),
    "packages.choose_file": (
        "Bitte eine Paketdatei (.zip) wählen.",
        "Choose a package file (.zip).",
    ),
    "packages.export": ("Paket exportieren", "Export a package"),
    "packages.export_help": (
        "Wählen Sie ganze Vorlagengruppen (mit Untergruppen), einzelne Vorlagen oder"
        " Textbausteine.",
        "Choose whole template groups (with their sub-groups), single templates or snippets.",
    ),
    "packages.groups_and_templates": (
        "Vorlagengruppen und Vorlagen",
        "Template groups and templates",
    ),
    "packages.whole_group": ("(ganze Gruppe)", "(whole group)"),
    "packages.snippets": ("Textbausteine", "Snippets"),
    "packages.organisation": ("Organisation", "Organisation"),
    "packages.units": ("Alle Organisationseinheiten", "All units"),
    "packages.fields": ("Alle Felddefinitionen", "All field definitions"),
    "packages.download": ("Paket herunterladen", "Download package"),
    "packages.choose_something": (
        "Bitte mindestens eine Gruppe, Vorlage oder einen Textbaustein wählen.",
        "Choose at least one group, template or snippet.",
    ),
    "packages.preview_title": ("Vorschau des Imports", "Import preview"),
    "packages.preview_of": (
        "Paket {name}: {size}, {files} Dateien.",
        "Package {name}: {size}, {files} files.",
    ),
    "packages.added": ("Wird hinzugefügt", "Will be added"),
    "packages.changed": ("Wird geändert", "Will be changed"),
    "packages.unchanged": ("Bleibt unverändert", "Stays unchanged"),
    "packages.warnings": ("Hinweise", "Warnings"),
    "packages.kind": ("Art", "Kind"),
    "packages.object": ("Objekt", "Object"),
    "packages.what_changes": ("Was sich ändert", "What changes"),
    "packages.confirm_text": (
        "Importieren Sie das Paket, wenn die Vorschau stimmt. Die Clients erhalten es bei"
        " ihrer nächsten Synchronisation in einem Schritt.",
        "Import the package if the preview is right. Clients receive it at their next sync,"
        " in one step.",
    ),
    "packages.confirm": ("Importieren", "Import"),
    "packages.nothing": (
        "Das Paket ändert nichts: alles ist bereits so auf dem Server.",
        "The package changes nothing: the server has all of it already.",
    ),
    "packages.report_title": ("Import abgeschlossen", "Import done"),
    "packages.applied": (
        "Importiert als Änderung Nr. {seq}.",
        "Imported as change no. {seq}.",
    ),
    "kind.template": ("Vorlage", "Template"),
    "kind.template_group": ("Vorlagengruppe", "Template group"),
    "kind.snippet": ("Textbaustein", "Snippet"),
    "kind.unit": ("Organisationseinheit", "Unit"),
    "kind.field": ("Felddefinition", "Field definition"),
    # shared by the administration pages
    "status.in_progress": ("in Arbeit", "in progress"),
    "role.user": ("Benutzer", "User"),
    "role.layouter": ("Layouter", "Layouter"),
    "role.org": ("Organisation", "Org"),
    "role.sys": ("Systemadministration", "Sys"),
    "rights.everyone": ("alle", "everyone"),
    "rights.group": ("Gruppe {name}", "group {name}"),
    "confirm.understand": (
        "Ich verstehe, dass dies nicht rückgängig gemacht werden kann.",
        "I understand that this cannot be undone.",
    ),
    "confirm.missing": (
        "Nichts gelöscht: bitte zuerst bestätigen, dass dies nicht rückgängig gemacht werden kann.",
        "Nothing was deleted: first confirm that this cannot be undone.",
    ),
    "device_kind.client": ("Client", "client"),
    "device_kind.dashboard": ("Dashboard", "dashboard"),
    # users
    "users.title": ("Benutzer", "Users"),
    "users.back": ("← Alle Benutzer", "← All users"),
    "users.login": ("Benutzername", "Login"),
    "users.display_name": ("Anzeigename", "Display name"),
    "users.roles": ("Rollen", "Roles"),
    "users.roles_help": (
        "Jedes Konto ist Benutzer; diese Rollen kommen dazu.",
        "Every account is a user; these roles come on top.",
    ),
    "users.active": ("Aktiv", "Active"),
    "users.devices": ("Angemeldete Geräte", "Signed-in devices"),
    "users.create": ("Benutzer anlegen", "Create a user"),
    "users.create_submit": ("Anlegen", "Create"),
    "users.initial_password": ("Anfangspasswort", "Initial password"),
    "users.initial_password_help": (
        "Mindestens 4 Zeichen; leer lassen, um es später zu setzen.",
        "At least 4 characters; leave it empty to set one later.",
    ),
    "users.created": ("Benutzer {login} angelegt.", "User {login} created."),
    "users.edit": ("Name, Rollen und Felder", "Name, roles and fields"),
    "users.fields": ("Benutzerfelder", "User fields"),
    "users.no_fields": (
        "Es sind keine Benutzerfelder definiert.",
        "No user fields are defined.",
    ),
    "users.password_reset": ("Passwort zurücksetzen", "Reset the password"),
    "users.new_password": ("Neues Passwort", "New password"),
    "users.repeat_password": ("Neues Passwort wiederholen", "Repeat the new password"),
    "users.set_password": ("Passwort setzen", "Set password"),
    "users.password_mismatch": (
        "Die beiden Passwörter stimmen nicht überein.",
        "The two passwords do not match.",
    ),
    "users.password_set": (
        "Neues Passwort gesetzt; es gilt ab der nächsten Anmeldung.",
        "New password set; it applies from the next sign-in.",
    ),
    "users.account": ("Konto", "Account"),
    "users.deactivate": ("Deaktivieren", "Deactivate"),
    "users.deactivate_help": (
        "Ein deaktiviertes Konto kann sich nicht mehr anmelden, seine Geräte werden abgewiesen."
        " Es lässt sich wiederherstellen.",
        "A deactivated account can no longer sign in and its devices are turned away."
        " It can be restored.",
    ),
    "users.deactivated": ("Konto deaktiviert.", "Account deactivated."),
    "users.restore": ("Wiederherstellen", "Restore"),
    "users.restore_help": (
        "Dieses Konto ist deaktiviert.",
        "This account is deactivated.",
    ),
    "users.restored": ("Konto wiederhergestellt.", "Account restored."),
    "users.device_list": ("Geräte und Anmeldungen", "Devices and sign-ins"),
    "users.device_name": ("Gerät", "Device"),
    "users.device_kind": ("Art", "Kind"),
    "users.device_created": ("Angemeldet", "Signed in"),
    "users.last_seen": ("Zuletzt gesehen", "Last seen"),
    "users.device_revoked": ("Widerrufen", "Revoked"),
    "users.revoke": ("Widerrufen", "Revoke"),
    "users.revoke_help": (
        "Nach dem Widerruf scheitert die nächste Synchronisation des Geräts mit «abgemeldet»;"
        " es verlangt eine neue Anmeldung.",
        "Once revoked, the device's next sync fails with “signed out” and asks for a new sign-in.",
    ),
    "users.revoked": (
        "Anmeldung von «{device}» widerrufen.",
        "Sign-in of “{device}” revoked.",
    ),
    "users.no_device": ("Dieses Gerät gibt es nicht.", "There is no such device."),
    "users.no_devices": ("Noch keine Geräte angemeldet.", "No devices signed in yet."),
    # groups
    "groups.title": ("Gruppen", "Groups"),
    "groups.back": ("← Alle Gruppen", "← All groups"),
    "groups.name": ("Name", "Name"),
    "groups.description": ("Beschreibung", "Description"),
    "groups.members": ("Mitglieder", "Members"),
    "groups.none": ("Noch keine Gruppen.", "No groups yet."),
    "groups.create": ("Gruppe anlegen", "Create a group"),
    "groups.create_submit": ("Anlegen", "Create"),
    "groups.created": ("Gruppe {name} angelegt.", "Group {name} created."),
    "groups.edit": ("Name und Beschreibung", "Name and description"),
    "groups.member": ("Mitglied", "Member"),
    "groups.member_kind": ("Art", "Kind"),
    "groups.kind_user": ("Benutzer", "Users"),
    "groups.kind_group": ("Gruppen", "Groups"),
    "groups.remove": ("Entfernen", "Remove"),
    "groups.no_members": ("Die Gruppe hat keine Mitglieder.", "The group has no members."),
    "groups.add_label": ("Hinzufügen", "Add"),
    "groups.choose": ("Benutzer oder Gruppe wählen …", "Choose a user or group …"),
    "groups.add": ("Hinzufügen", "Add"),
    "groups.choose_member": (
        "Bitte einen Benutzer oder eine Gruppe wählen.",
        "Choose a user or a group.",
    ),
    "groups.member_added": ("{name} hinzugefügt.", "{name} added."),
    "groups.already_member": ("{name} ist bereits Mitglied.", "{name} is a member already."),
    "groups.member_removed": ("{name} entfernt.", "{name} removed."),
    "groups.not_member": (
        "Das ist kein direktes Mitglied dieser Gruppe.",
        "That is not a direct member of this group.",
    ),
    "groups.delete": ("Gruppe löschen", "Delete group"),
    "groups.delete_help": (
        "Die Mitglieder verlieren alle Rechte, die über diese Gruppe vergeben waren.",
        "Its members lose every right that was granted through this group.",
    ),
    "groups.deleted": ("Gruppe {name} gelöscht.", "Group {name} deleted."),
    # templates
    "templates.title": ("Vorlagen", "Templates"),
    "templates.back": ("← Alle Vorlagen", "← All templates"),
    "templates.name": ("Titel", "Title"),
    "templates.group": ("Vorlagengruppe", "Template group"),
    "templates.status": ("Status", "Status"),
    "templates.state": ("Zustand", "State"),
    "templates.state_active": ("aktiv", "active"),
    "templates.state_deactivated": ("deaktiviert", "deactivated"),
    "templates.kind": ("Typ", "Type"),
    "templates.version": ("Version", "Version"),
    "templates.updated": ("Geändert", "Updated"),
    "templates.count": ("{n} Vorlagen", "{n} templates"),
    "templates.none": (
        "Keine Vorlagen passen zu diesem Filter.",
        "No templates match this filter.",
    ),
    "templates.deactivated_at": ("Deaktiviert am", "Deactivated at"),
    "templates.use_rights": ("Recht «Verwenden»", "Use right"),
    "templates.change_rights": ("Recht «Ändern»", "Change right"),
    "templates.nobody": ("niemand", "nobody"),
    "templates.texts": ("Titel und Beschreibungen", "Titles and descriptions"),
    "templates.language": ("Sprache", "Language"),
    "templates.description": ("Beschreibung", "Description"),
    "templates.files": ("Dateien", "Files"),
    "templates.filename": ("Dateiname", "File name"),
    "templates.size": ("Grösse", "Size"),
    "templates.sha256": ("SHA-256", "SHA-256"),
    "templates.no_files": ("Noch keine Dateien.", "No files yet."),
    "templates.tags": ("Tags der Inhaltssteuerelemente", "Content control tags"),
    "templates.tags_help": (
        "Was ein neues Dokument aus dem Profil erhält: field:, image: und snippet:.",
        "What a new document gets from the profile: field:, image: and snippet:.",
    ),
    "templates.tags_list": ("Tags", "Tags"),
    "templates.tags_check": ("Prüfung", "Check"),
    "templates.no_tags": (
        "Keine Tags: ein neues Dokument ist eine Kopie der Datei.",
        "No tags: a new document is a copy of the file.",
    ),
    "templates.tags_known": (
        "Alle Tags benennen ein Feld, ein Bildfeld oder einen Textbaustein.",
        "Every tag names a field, an image field or a snippet.",
    ),
    "templates.unknown_tag": ("{n} unbekannter Tag: {tags}", "{n} unknown tag: {tags}"),
    "templates.unknown_tags": ("{n} unbekannte Tags: {tags}", "{n} unknown tags: {tags}"),
    "templates.tags_unreadable": ("Datei nicht lesbar: {reason}", "File cannot be read: {reason}"),
    "templates.actions": ("Löschen und Wiederherstellen", "Delete and restore"),
    "templates.deactivate": ("Deaktivieren", "Deactivate"),
    "templates.deactivate_help": (
        "Eine deaktivierte Vorlage verschwindet bei der nächsten Synchronisation von allen"
        " Clients; sie lässt sich wiederherstellen.",
        "A deactivated template leaves every client at its next sync; it can be restored.",
    ),
    "templates.deactivated": ("Vorlage «{title}» deaktiviert.", "Template “{title}” deactivated."),
    "templates.restore": ("Wiederherstellen", "Restore"),
    "templates.restored": ("Vorlage «{title}» wiederhergestellt.", "Template “{title}” restored."),
    "templates.purge": ("Endgültig löschen", "Delete permanently"),
    "templates.purge_help": (
        "Endgültig löschen entfernt die Vorlage und ihre Textbausteine für immer.",
        "Deleting permanently removes the template and its snippets for ever.",
    ),
    "templates.purged": (
        "Vorlage «{title}» endgültig gelöscht.",
        "Template “{title}” deleted permanently.",
    ),
    # snippets
    "snippets.title": ("Textbausteine", "Snippets"),
    "snippets.back": ("← Alle Textbausteine", "← All snippets"),
    "snippets.intro": (
        "Geteilte Textbausteine und die Textbausteine der Vorlagen; persönliche gehören"
        " ihren Besitzern und erscheinen hier nicht.",
        "Shared snippets and the snippets of templates; personal ones belong to their owners"
        " and don't appear here.",
    ),
    "snippets.name": ("Titel", "Title"),
    "snippets.kind": ("Art", "Kind"),
    "snippets.kind_shared": ("geteilt", "shared"),
    "snippets.kind_template": ("zur Vorlage", "of a template"),
    "snippets.format": ("Format", "Format"),
    "snippets.format_text": ("Text", "text"),
    "snippets.format_html": ("HTML", "HTML"),
    "snippets.format_docx": ("Word (.docx)", "Word (.docx)"),
    "snippets.read_rights": ("Lesen", "Read"),
    "snippets.write_rights": ("Schreiben", "Write"),
    "snippets.template": ("Vorlage", "Template"),
    "snippets.follows_template": (
        "sichtbar für alle, die die Vorlage sehen",
        "visible to whoever sees the template",
    ),
    "snippets.none": ("Keine Textbausteine.", "No snippets."),
    "snippets.body": ("Inhalt", "Content"),
    "snippets.empty": ("leer", "empty"),
    "snippets.preview": ("Vorschau", "Preview"),
    "snippets.delete": ("Textbaustein löschen", "Delete snippet"),
    "snippets.delete_help": (
        "Der Textbaustein verschwindet bei der nächsten Synchronisation von allen Clients.",
        "The snippet leaves every client at its next sync.",
    ),
    "snippets.deleted": ("Textbaustein «{title}» gelöscht.", "Snippet “{title}” deleted."),
    # field definitions
    "fields.title": ("Felder", "Fields"),
    "fields.back": ("← Alle Felder", "← All fields"),
    "fields.key": ("Schlüssel", "Key"),
    "fields.key_help": (
        "Kleinbuchstaben, Ziffern und _, beginnend mit einem Buchstaben; später nicht änderbar.",
        "Lower-case letters, digits and _, starting with a letter; it can't be changed later.",
    ),
    "fields.scope": ("Gilt für", "Scope"),
    "fields.scope_user": ("Benutzer", "user"),
    "fields.scope_unit": ("Organisationseinheit", "unit"),
    "fields.type": ("Typ", "Type"),
    "fields.type_text": ("Text", "text"),
    "fields.type_multiline": ("mehrzeiliger Text", "multi-line text"),
    "fields.type_email": ("E-Mail", "e-mail"),
    "fields.type_phone": ("Telefon", "phone"),
    "fields.type_url": ("Webadresse", "web address"),
    "fields.type_image": ("Bild", "image"),
    "fields.label_de": ("Bezeichnung (Deutsch)", "Label (German)"),
    "fields.label_en": ("Bezeichnung (Englisch)", "Label (English)"),
    "fields.order": ("Reihenfolge", "Order"),
    "fields.order_invalid": (
        "Die Reihenfolge muss eine ganze Zahl sein.",
        "The order must be a whole number.",
    ),
    "fields.none": ("Noch keine Felder definiert.", "No fields defined yet."),
    "fields.read_only": (
        "Felder definiert die Systemadministration; hier sind sie nur zu sehen.",
        "Fields are defined by system administrators; here they can only be viewed.",
    ),
    "fields.create": ("Feld definieren", "Define a field"),
    "fields.create_submit": ("Definieren", "Define"),
    "fields.created": ("Feld {name} definiert.", "Field {name} defined."),
    "fields.edit": ("Bezeichnungen und Reihenfolge", "Labels and order"),
    "fields.edit_help": (
        "Schlüssel, Geltung und Typ sind fest; für anderes ein neues Feld definieren.",
        "Key, scope and type are fixed; define a new field for anything else.",
    ),
    "fields.delete": ("Feld löschen", "Delete field"),
    "fields.delete_help": (
        "Die Werte dieses Feldes bei Benutzern und Einheiten werden nicht mehr angezeigt.",
        "The values users and units have for this field are no longer shown.",
    ),
    "fields.deleted": ("Feld {name} gelöscht.", "Field {name} deleted."),
    "fields.image_set": (
        "Bild {sha}… (vom Client hochgeladen)",
        "Image {sha}… (uploaded by a client)",
    ),
    "fields.image_none": ("kein Bild", "no image"),
    # units
    "units.title": ("Organisationseinheiten", "Units"),
    "units.path": ("Pfad", "Path"),
    "units.count": ("{n} Einheiten", "{n} units"),
    "units.none": ("Noch keine Organisationseinheiten.", "No units yet."),
    "units.name": ("Name", "Name"),
    "units.create_root": ("Einheit auf oberster Ebene anlegen", "Create a top-level unit"),
    "units.create_child": ("Neue Untereinheit", "New sub-unit"),
    "units.create_submit": ("Anlegen", "Create"),
    "units.created": ("Einheit «{title}» angelegt.", "Unit “{title}” created."),
    "units.edit": ("Name und Felder", "Name and fields"),
    "units.fields": ("Felder der Einheit", "Unit fields"),
    "units.fields_help": (
        "Leer lassen übernimmt den Wert der übergeordneten Einheit (grau angezeigt).",
        "Leave empty to take the parent unit's value (shown grey).",
    ),
    "units.no_fields": ("Es sind keine Einheitsfelder definiert.", "No unit fields are defined."),
    "units.children": ("Untereinheiten", "Sub-units"),
    "units.no_children": ("Keine Untereinheiten.", "No sub-units."),
    "units.delete": ("Einheit löschen", "Delete unit"),
    "units.delete_help": (
        "Nur eine Einheit ohne Untereinheiten, die von keinem Profil verwendet wird, lässt"
        " sich löschen.",
        "Only a unit without sub-units that no profile uses can be deleted.",
    ),
    "units.deleted": ("Einheit «{title}» gelöscht.", "Unit “{title}” deleted."),
}


def _pair(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big} {big_unit} {small} {small_unit}" if small else f"{big} {big_unit}"


def localized(values: Mapping[str, Any] | None, language: str, fallback: str = "") -> str:
    """A title or label in the visitor's language, else in any language there is."""
    values = values or {}
    chosen = values.get(language) or next((v for v in values.values() if v), None)
    return str(chosen) if chosen else fallback


def check_language(value: str | None) -> str | None:
    if value is None:
        return None
    short = value.strip().lower()[:2]
    return short if short in LANGUAGES else None


def from_accept_language(header: str | None) -> str:
    """The first of our languages the browser asks for, by its order of preference."""
    if not header:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = check_language(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


class Translator:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._index = LANGUAGES.index(self.language)

    def __call__(self, key: str, /, **values: object) -> str:
        text = TEXTS[key][self._index]
        return text.format(**values) if values else text

    def duration(self, value: object) -> str:
        """A span of time the way people say it: "3,2 s", "1 min 5 s", "2 h 10 min"."""
        if not isinstance(value, timedelta):
            return TEXTS["common.none"][self._index]
        seconds = max(0.0, value.total_seconds())
        if seconds < 9.95:  # what still shows as one digit before the comma
            text = f"{seconds:.1f} s"
            return text.replace(".", ",") if self.language == "de" else text
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

    def date_time(self, value: object) -> str:
        """A moment in the server's local time, in the language's usual format."""
        if not isinstance(value, datetime):
            return TEXTS["common.none"][self._index]
        local = value.astimezone()
        pattern = "%d.%m.%Y %H:%M" if self.language == "de" else "%d/%m/%Y %H:%M"
        return local.strftime(pattern)
