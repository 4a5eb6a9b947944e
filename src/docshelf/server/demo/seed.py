"""Demo content for ``docshelf demo``: a small Swiss company, Muster AG.

Everything is made through the services, in one change, so the demo obeys every rule the
real server enforces and a client's first sync pulls it like any other content. The tables
at the top are the content; the functions below only feed them to the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor, system_actor
from docshelf.domain.audit import DEMO
from docshelf.domain.patches import (
    FieldDefinitionPatch,
    GroupPatch,
    ProfilePatch,
    SnippetPatch,
    TemplateGroupPatch,
    TemplatePatch,
    UnitPatch,
    UserPatch,
)
from docshelf.domain.principals import group_principal
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.models import Group, Template, User
from docshelf.server.demo.files import logo_png, office_bytes
from docshelf.server.demo.word import Letter, letter_bytes
from docshelf.server.services import accounts, profiles, snippets, templates, units
from docshelf.server.services.fields import create_field
from docshelf.server.services.files import store_bytes
from docshelf.server.services.passwords import Passwords

DEMO_PASSWORD = "demo"
_ACTOR_NAME = "demo-seed"
# Accounts, fields and units are administrative work; content is made by the people below.
_SYSTEM = system_actor()
_DOMAIN = "muster-ag.example"


class _Account(NamedTuple):
    login: str
    label: str
    about: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    job_title: str
    phone: str
    groups: tuple[str, ...]


# Descriptions stay under 57 characters so that `docshelf demo` lists them on 80 columns.
_ACCOUNTS = [
    _Account(
        "admin", "Sys", "everything: users, groups, settings, all templates",
        "Marc", "Vogel", ("sys",), "Systemadministrator", "+41 41 555 10 01", (),
    ),
    _Account(
        "layouter", "Layouter", "Layouter group: edits templates, sees unreleased ones",
        "Lea", "Brunner", ("layouter",), "Vorlagenverantwortliche", "+41 41 555 10 02",
        ("Layouter",),
    ),
    _Account(
        "org", "Org", "manages the units of Muster AG (addresses, logo)",
        "Thomas", "Huber", ("org",), "Leiter Organisation", "+41 41 555 10 03",
        ("Alle Mitarbeitenden",),
    ),
    _Account(
        "anna", "User", "Rechtsdienst Zürich: legal templates; shares a profile",
        "Anna", "Keller", (), "Leiterin Rechtsdienst", "+41 44 555 21 10",
        ("Rechtsdienst Zürich",),
    ),
    _Account(
        "ben", "User", "Rechtsdienst Zürich; anna's deputy, uses her profile",
        "Ben", "Graf", (), "Jurist", "+41 44 555 21 20", ("Rechtsdienst Zürich",),
    ),
    _Account(
        "clara", "User", "Personal Bern: HR templates, no legal or sales ones",
        "Clara", "Rossi", (), "HR-Fachfrau", "+41 31 555 31 10", ("Personal Bern",),
    ),
    _Account(
        "david", "User", "Verkauf Zürich: sales templates anna does not see",
        "David", "Frei", (), "Verkaufsleiter", "+41 44 555 41 10", ("Verkauf Zürich",),
    ),
    _Account(
        "eva", "User", "Verkauf Bern: sales + Bern templates; two profiles",
        "Eva", "Meier", (), "Kundenberaterin", "+41 31 555 42 10", ("Verkauf Bern",),
    ),
]  # fmt: skip

DEMO_ACCOUNTS: list[tuple[str, str, str]] = [(a.login, a.label, a.about) for a in _ACCOUNTS]

# key, scope, type, German label, English label. Keys are unique across both scopes, hence
# "main_phone" for the unit's switchboard beside the user's own "phone".
_FIELDS = [
    ("first_name", "user", "text", "Vorname", "First name"),
    ("last_name", "user", "text", "Nachname", "Last name"),
    ("job_title", "user", "text", "Funktion", "Job title"),
    ("phone", "user", "phone", "Telefon direkt", "Direct phone"),
    ("email", "user", "email", "E-Mail", "E-mail"),
    ("company", "unit", "text", "Firma", "Company"),
    ("street", "unit", "text", "Strasse", "Street"),
    ("zip", "unit", "text", "PLZ", "Postcode"),
    ("city", "unit", "text", "Ort", "City"),
    ("main_phone", "unit", "phone", "Telefon Zentrale", "Main phone"),
    ("website", "unit", "url", "Website", "Website"),
    ("logo", "unit", "image", "Logo", "Logo"),
]

# name, description. Rights are granted to these groups, so they decide who sees what.
_GROUPS = [
    ("Alle Mitarbeitenden", "Alle Mitarbeitenden der Muster AG / All employees of Muster AG"),
    ("Zürich", "Standort Zürich / Zurich office"),
    ("Bern", "Standort Bern / Bern office"),
    ("Rechtsdienst Zürich", "Rechtsdienst / Legal department"),
    ("Verkauf Zürich", "Verkauf Zürich / Sales Zurich"),
    ("Personal Bern", "Personalabteilung / Human resources"),
    ("Verkauf Bern", "Verkauf Bern / Sales Bern"),
    ("Verkauf", "Verkauf aller Standorte / Sales at every office"),
    ("Layouter", "Pflegen Vorlagen und Textbausteine / Maintain templates and snippets"),
]

# (parent, member): by location and, across it, by function, so a sales group has two parents.
_NESTED_GROUPS = [
    ("Alle Mitarbeitenden", "Zürich"),
    ("Alle Mitarbeitenden", "Bern"),
    ("Zürich", "Rechtsdienst Zürich"),
    ("Zürich", "Verkauf Zürich"),
    ("Bern", "Personal Bern"),
    ("Bern", "Verkauf Bern"),
    ("Verkauf", "Verkauf Zürich"),
    ("Verkauf", "Verkauf Bern"),
]

_LOGO = ("MUSTER AG", (0, 84, 147))

# key, parent key, title, fields. The root's logo is added when it has been stored.
_UNITS: list[tuple[str, str | None, str, dict[str, str]]] = [
    ("muster", None, "Muster AG", {
        "company": "Muster AG", "street": "Industriestrasse 7", "zip": "6300", "city": "Zug",
        "main_phone": "+41 41 555 00 00", "website": f"https://www.{_DOMAIN}",
    }),
    ("zh", "muster", "Zürich", {
        "street": "Bahnhofstrasse 10", "zip": "8001", "city": "Zürich",
        "main_phone": "+41 44 555 00 00",
    }),
    ("be", "muster", "Bern", {
        "street": "Bundesgasse 20", "zip": "3011", "city": "Bern", "main_phone": "+41 31 555 00 00",
    }),
    ("zh_legal", "zh", "Rechtsdienst", {"main_phone": "+41 44 555 21 00"}),
    ("zh_sales", "zh", "Verkauf", {}),
    ("be_hr", "be", "Personal", {"street": "Bundesgasse 22"}),  # in the building next door
    ("be_sales", "be", "Verkauf", {}),
]  # fmt: skip

# key, parent key, German title, English title; listed in display order.
_TEMPLATE_GROUPS: list[tuple[str, str | None, str, str]] = [
    ("correspondence", None, "Korrespondenz", "Correspondence"),
    ("letters", "correspondence", "Briefe", "Letters"),
    ("notes", "correspondence", "Notizen und Protokolle", "Notes and minutes"),
    ("contracts", None, "Verträge", "Contracts"),
    ("hr", None, "Personal", "Human resources"),
    ("presentations", None, "Präsentationen", "Presentations"),
    ("sheets", None, "Tabellen", "Spreadsheets"),
]


class _TemplateSpec(NamedTuple):
    key: str
    group: str
    kind: str
    status: str
    use: tuple[str, ...]  # group names; empty means everyone
    titles: tuple[str, str]  # de, en
    about: tuple[str, str]  # de, en
    langs: tuple[str, ...] = ("de", "en")
    file_from: str | None = None  # reuse another template's file


_LEGAL = ("Rechtsdienst Zürich",)
_SALES = ("Verkauf",)
_HR = ("Personal Bern",)
_R, _T, _P = "released", "in_test", "in_progress"
_LANG_INDEX = {"de": 0, "en": 1}  # position in the (de, en) pairs below

_TEMPLATES = [
    _TemplateSpec("letter", "letters", "dotx", _R, (), ("Brief", "Letter"), (
        "Geschäftsbrief; Absender und Adresse kommen aus dem Profil.",
        "Business letter; sender and address come from the profile.")),
    _TemplateSpec("letter_window", "letters", "dotx", _R, (),
        ("Brief Fenstercouvert rechts", "Letter for right-window envelope"), (
        "Brief mit Empfängeradresse für Couverts mit Fenster rechts.",
        "Letter with the address placed for envelopes with a window on the right.")),
    _TemplateSpec("letter_registered", "letters", "docx", _T, (),
        ("Einschreiben", "Registered letter"), (
        "Brief mit dem Vermerk «Einschreiben»; wird noch getestet.",
        "Letter marked 'registered mail'; still being tested.")),
    _TemplateSpec("letter_legal", "letters", "dotx", _R, _LEGAL,
        ("Brief Rechtsdienst", "Legal department letter"), (
        "Brief mit Vertraulichkeitsvermerk für den Rechtsdienst.",
        "Letter with a confidentiality notice for the legal department.")),
    _TemplateSpec("letter_bern", "letters", "docx", _R, ("Bern",),
        ("Brief Standort Bern", "Bern office letter"), (
        "Brief mit der Adresse des Standorts Bern.", "Letter with the Bern office's address.")),
    _TemplateSpec("offer", "letters", "dotx", _R, _SALES, ("Offerte", "Quotation"), (
        "Offerte mit Preistabelle und Gültigkeitsdauer.",
        "Quotation with a price table and a validity period.")),
    _TemplateSpec("memo", "notes", "docx", _R, (), ("Aktennotiz", "File note"), (
        "Kurze Notiz zu einem Geschäft für das Dossier.", "Short note on a matter for the file.")),
    _TemplateSpec("minutes", "notes", "dotx", _R, (), ("Sitzungsprotokoll", "Minutes"), (
        "Protokoll mit Traktanden, Beschlüssen und Pendenzen.",
        "Minutes with agenda, decisions and open items.")),
    _TemplateSpec("phone_note", "notes", "docx", _R, (), ("Telefonnotiz", "Phone message"), (
        "Notiz zu einem Anruf für eine abwesende Person.",
        "Note of a call for someone who was out."), langs=("de",)),
    _TemplateSpec("nda", "contracts", "dotx", _R, _LEGAL,
        ("Geheimhaltungsvereinbarung", "Non-disclosure agreement"), (
        "Gegenseitige Geheimhaltungsvereinbarung nach Schweizer Recht.",
        "Mutual non-disclosure agreement under Swiss law.")),
    _TemplateSpec("service_contract", "contracts", "dotx", _R, _LEGAL,
        ("Dienstleistungsvertrag", "Service agreement"), (
        "Auftrag nach Art. 394 ff. OR mit Leistungsbeschrieb.",
        "Mandate under art. 394 et seq. CO with a description of services.")),
    _TemplateSpec("power_of_attorney", "contracts", "docx", _R, _LEGAL,
        ("Vollmacht", "Power of attorney"), (
        "Vollmacht zur Vertretung der Muster AG.", "Power to act on behalf of Muster AG."),
        langs=("de",)),
    _TemplateSpec("framework", "contracts", "dotx", _P, _LEGAL,
        ("Rahmenvertrag", "Framework agreement"), (
        "Rahmenvertrag für wiederkehrende Lieferungen; in Arbeit.",
        "Framework agreement for recurring deliveries; work in progress."), langs=("de",)),
    _TemplateSpec("sales_contract", "contracts", "dotx", _R, _SALES,
        ("Kaufvertrag", "Purchase agreement"), (
        "Kaufvertrag mit Lieferbedingungen und Gewährleistung.",
        "Purchase agreement with delivery terms and warranty.")),
    _TemplateSpec("employment", "hr", "dotx", _R, _HR,
        ("Arbeitsvertrag", "Employment contract"), (
        "Einzelarbeitsvertrag mit Pensum, Lohn und Kündigungsfristen.",
        "Individual employment contract with workload, salary and notice periods.")),
    _TemplateSpec("reference", "hr", "docx", _R, _HR,
        ("Arbeitszeugnis", "Employment reference"), (
        "Vollzeugnis mit Beurteilung von Leistung und Verhalten.",
        "Full reference assessing performance and conduct."), langs=("de",)),
    _TemplateSpec("hr_letter", "hr", "dotx", _R, _HR,
        ("Brief an Mitarbeitende", "Letter to employees"), (
        "Der Geschäftsbrief, hier für Schreiben der Personalabteilung.",
        "The business letter, here for letters from human resources."), file_from="letter"),
    _TemplateSpec("absences", "hr", "xlsx", _R, _HR, ("Absenzenkontrolle", "Absence record"), (
        "Ferien, Krankheit und Weiterbildung pro Person.",
        "Holidays, sick leave and training per person.")),
    _TemplateSpec("company_deck", "presentations", "pptx", _R, (),
        ("Firmenpräsentation", "Company presentation"), (
        "Die Muster AG in zehn Folien.", "Muster AG in ten slides.")),
    _TemplateSpec("deck_master", "presentations", "potx", _R, (),
        ("Präsentationsvorlage", "Presentation template"), (
        "Leere Präsentation im Erscheinungsbild der Muster AG.",
        "Blank presentation in Muster AG's corporate design.")),
    _TemplateSpec("sales_deck", "presentations", "pptx", _R, _SALES,
        ("Verkaufspräsentation", "Sales presentation"), (
        "Produkte, Referenzen und Preise für Kundengespräche.",
        "Products, references and prices for customer meetings.")),
    _TemplateSpec("quarterly", "presentations", "pptx", _T, (),
        ("Quartalsbericht", "Quarterly report"), (
        "Kennzahlen des Quartals; wird noch getestet.",
        "Key figures of the quarter; still being tested.")),
    _TemplateSpec("expenses", "sheets", "xlsx", _R, (), ("Spesenabrechnung", "Expense report"), (
        "Spesen mit Belegnummer, Betrag und Visum.",
        "Expenses with receipt number, amount and approval.")),
    _TemplateSpec("price_list", "sheets", "xlsx", _R, _SALES, ("Preisliste", "Price list"), (
        "Aktuelle Preise aller Produkte in CHF.", "Current prices of all products in CHF.")),
    _TemplateSpec("timesheet", "sheets", "xltx", _T, (), ("Zeiterfassung", "Timesheet"), (
        "Arbeitszeit pro Tag und Projekt; wird noch getestet.",
        "Working hours per day and project; still being tested.")),
    _TemplateSpec("budget", "sheets", "xltx", _P, (), ("Budgetplanung", "Budget planning"), (
        "Budget pro Kostenstelle; in Arbeit.", "Budget per cost centre; work in progress.")),
]  # fmt: skip

_TEMPLATE_BY_KEY = {spec.key: spec for spec in _TEMPLATES}

# The body of each file after its description, by template group and language.
_BODIES: dict[str, dict[str, list[str]]] = {
    "letters": {
        # The closing formula is a snippet's content control (_CLOSINGS).
        "de": ["Sehr geehrte Damen und Herren", "[Text]"],
        "en": ["Dear Sir or Madam", "[Text]"],
    },
    "notes": {
        "de": ["Datum:", "Anwesend:", "Traktanden:", "Beschlüsse:", "Pendenzen:"],
        "en": ["Date:", "Present:", "Agenda:", "Decisions:", "Open items:"],
    },
    "contracts": {
        "de": ["zwischen der Muster AG und [Partei]", "1. Gegenstand", "2. Dauer und Kündigung",
               "3. Schlussbestimmungen", "Ort, Datum, Unterschriften"],
        "en": ["between Muster AG and [party]", "1. Subject", "2. Term and termination",
               "3. Final provisions", "Place, date, signatures"],
    },
    "hr": {
        "de": ["Name:", "Stelle:", "Pensum:", "Eintritt:", "Ort, Datum, Unterschriften"],
        "en": ["Name:", "Position:", "Workload:", "Start date:", "Place, date, signatures"],
    },
    "presentations": {
        "de": ["Ausgangslage", "Ziele", "Vorgehen", "Nächste Schritte"],
        "en": ["Background", "Goals", "Approach", "Next steps"],
    },
    "sheets": {
        "de": ["Datum", "Beschreibung", "Betrag CHF", "Total"],
        "en": ["Date", "Description", "Amount CHF", "Total"],
    },
}  # fmt: skip

# Every Word template has the letterhead (logo, address); these groups add the sender block.
_SENDER_GROUPS = {"letters", "notes"}
# Templates whose sender block is bound to a custom XML part; the others' is plain.
_BOUND_SENDER = {"letter", "offer", "memo"}
# The shared snippet with the closing formula, by language (see _SHARED_SNIPPETS).
_CLOSINGS = {"de": "Grussformel", "en": "Closing (EN)"}

# owner login, title, body
_PERSONAL_SNIPPETS = [
    ("anna", "Grussformel Rechtsdienst", "Freundliche Grüsse\n\nAnna Keller\nRechtsdienst"),
    ("anna", "Hinweis Frist", "Bitte beachten Sie die Frist von 10 Tagen ab Zustellung."),
    ("ben", "Abwesenheit", "Ich bin abwesend. In dringenden Fällen: Anna Keller, Rechtsdienst."),
    ("ben", "Signatur (EN)", "Kind regards\n\nBen Graf"),
]

# title, body, readers (group names; empty means everyone)
_SHARED_SNIPPETS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Grussformel", "Freundliche Grüsse", ()),
    ("Closing (EN)", "Kind regards", ()),
    ("Datenschutzhinweis", f"Siehe www.{_DOMAIN}/datenschutz zu Ihren Personendaten.", ()),
    ("Privacy notice (EN)", f"See www.{_DOMAIN}/privacy about your personal data.", ()),
    ("Interne Mitteilung", "Nur für den internen Gebrauch. / For internal use only.",
     ("Alle Mitarbeitenden",)),
    ("Haftungsausschluss", "Diese Auskunft ersetzt keine Rechtsberatung im Einzelfall.", _LEGAL),
    ("Zahlungsbedingungen", "Zahlbar innert 30 Tagen netto. / Payable within 30 days net.", _SALES),
    ("Vertraulich: Personaldossier", "Vertraulich, nur für die Personalabteilung.", _HR),
]  # fmt: skip

# template key, title, body
_TEMPLATE_SNIPPETS = [
    ("offer", "Gültigkeit der Offerte", "Diese Offerte ist 30 Tage gültig. / Valid for 30 days."),
]

# owner login, title, unit key, overrides, shared with (logins)
_PROFILES: list[tuple[str, str, str, dict[str, str], tuple[str, ...]]] = [
    ("anna", "Anna Keller, Rechtsdienst", "zh_legal", {"phone": "+41 79 555 21 10"}, ("ben",)),
    ("ben", "Ben Graf, Rechtsdienst", "zh_legal", {"email": f"rechtsdienst@{_DOMAIN}"}, ()),
    ("clara", "Clara Rossi, Personal", "be_hr", {"main_phone": "+41 31 555 31 00"}, ()),
    ("david", "David Frei, Verkauf", "zh_sales", {"job_title": "Leiter Verkauf Zürich"}, ()),
    ("eva", "Eva Meier, Verkauf Bern", "be_sales", {"phone": "+41 79 555 42 10"}, ()),
    ("eva", "Eva Meier, Aushilfe Zürich", "zh_sales",
     {"job_title": "Kundenberaterin (Aushilfe)", "main_phone": "+41 44 555 41 00"}, ()),
]  # fmt: skip


@dataclass
class _Seed:
    """What the steps share: the open change and the rows made so far, by their demo keys."""

    change: Change
    blobs: BlobStore
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    template_groups: dict[str, str] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)

    def actor(self, login: str) -> Actor:
        return accounts.actor_of(self.change.session, self.users[login])

    def rights(self, group_names: tuple[str, ...]) -> list[str]:
        return [group_principal(self.groups[n].id) for n in group_names] or ["*"]


def seed_demo(db: Database, blobs: BlobStore, passwords: Passwords) -> bool:
    """Fill an empty database with the demo; returns False (and changes nothing) otherwise."""
    with db.read() as session:
        if _has_users(session):
            return False
    password_hash = passwords.hash(DEMO_PASSWORD)  # once: argon2 is slow on purpose
    try:
        with db.change(_ACTOR_NAME, origin=DEMO) as change:
            # Asked again under the write lock: another process may have seeded meanwhile.
            if _has_users(change.session):
                raise _AlreadySeeded
            _seed_all(_Seed(change, blobs), password_hash)
    except _AlreadySeeded:
        return False
    return True


class _AlreadySeeded(Exception):
    """Raised inside the change to roll it back, counter included."""


def _has_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def _seed_all(seed: _Seed, password_hash: str) -> None:
    _seed_fields(seed)
    _seed_groups(seed)
    _seed_accounts(seed, password_hash)
    _seed_units(seed)
    _seed_template_groups(seed)
    _seed_templates(seed)
    _seed_snippets(seed)
    _seed_profiles(seed)


def _seed_fields(seed: _Seed) -> None:
    for order, (key, scope, type_, de, en) in enumerate(_FIELDS):
        labels = {"de": de, "en": en}
        patch = FieldDefinitionPatch(key=key, scope=scope, type=type_, labels=labels, order=order)
        create_field(seed.change, _SYSTEM, patch)


def _seed_groups(seed: _Seed) -> None:
    for name, description in _GROUPS:
        patch = GroupPatch(name=name, description=description)
        seed.groups[name] = accounts.create_group(seed.change, _SYSTEM, patch)
    for parent, member in _NESTED_GROUPS:
        accounts.add_member(
            seed.change, _SYSTEM, seed.groups[parent], member_group=seed.groups[member]
        )


def _seed_accounts(seed: _Seed, password_hash: str) -> None:
    for a in _ACCOUNTS:
        user_fields = {
            "first_name": a.first_name,
            "last_name": a.last_name,
            "job_title": a.job_title,
            "phone": a.phone,
            "email": f"{a.first_name}.{a.last_name}@{_DOMAIN}".lower(),
        }
        patch = UserPatch(
            login=a.login,
            display_name=f"{a.first_name} {a.last_name}",
            roles=tuple(a.roles),
            fields=user_fields,
        )
        user = accounts.create_user(seed.change, _SYSTEM, patch, password_hash=password_hash)
        seed.users[a.login] = user
        for name in a.groups:
            accounts.add_member(seed.change, _SYSTEM, seed.groups[name], user=user)


def _seed_units(seed: _Seed) -> None:
    logo = store_bytes(seed.change.session, seed.blobs, logo_png(*_LOGO))
    for order, (key, parent, title, unit_fields) in enumerate(_UNITS):
        values = unit_fields if parent else {**unit_fields, "logo": logo}
        patch = UnitPatch(
            title=title,
            parent_id=seed.units[parent] if parent else None,
            fields=values,
            order=order,
        )
        row = units.create_unit(seed.change, _SYSTEM, patch)
        seed.units[key] = row.id


def _seed_template_groups(seed: _Seed) -> None:
    # Made by the layouter, as in real life; the system actor would work as well here.
    layouter = seed.actor("layouter")
    for order, (key, parent, de, en) in enumerate(_TEMPLATE_GROUPS):
        patch = TemplateGroupPatch(
            titles={"de": de, "en": en},
            parent_id=seed.template_groups[parent] if parent else None,
            order=order,
        )
        row = templates.create_group(seed.change, layouter, patch)
        seed.template_groups[key] = row.id


def _seed_templates(seed: _Seed) -> None:
    # Made by the layouter, who holds the Layouter group's Change right: create_template adds
    # the creator to the Change right when they don't hold it, and the system actor (a
    # layouter too, in no group) would leave a "user:system" grant on every template.
    layouter = seed.actor("layouter")
    for order, spec in enumerate(_TEMPLATES):
        patch = TemplatePatch(
            kind=spec.kind,
            titles=dict(zip(("de", "en"), spec.titles, strict=True)),
            descriptions=dict(zip(("de", "en"), spec.about, strict=True)),
            group_id=seed.template_groups[spec.group],
            status=spec.status,
            use_rights=tuple(seed.rights(spec.use)),
            change_rights=tuple(seed.rights(("Layouter",))),
            order=order,
        )
        row = templates.create_template(seed.change, layouter, patch)
        _attach_files(seed, layouter, row, spec)
        seed.templates[spec.key] = row


def _attach_files(seed: _Seed, layouter: Actor, row: Template, spec: _TemplateSpec) -> None:
    source = _TEMPLATE_BY_KEY[spec.file_from] if spec.file_from else spec
    for lang in spec.langs:
        # Uploaded for each template like a layouter would; equal bytes are stored once.
        sha = store_bytes(seed.change.session, seed.blobs, _file_bytes(source, lang))
        filename = f"{spec.titles[_LANG_INDEX[lang]]}.{spec.kind}"
        templates.set_file(
            seed.change, layouter, seed.blobs, row, lang=lang, sha256=sha, filename=filename
        )


def _file_bytes(spec: _TemplateSpec, lang: str) -> bytes:
    index = _LANG_INDEX[lang]
    body = [spec.about[index], *_BODIES[spec.group][lang]]
    if spec.kind in ("docx", "dotx"):
        return letter_bytes(
            spec.titles[index], lang, body, _letter(spec, lang), template=spec.kind == "dotx"
        )
    return office_bytes(spec.kind, spec.titles[index], lang, body)


def _letter(spec: _TemplateSpec, lang: str) -> Letter:
    labels = {key: label[_LANG_INDEX[lang]] for key, _, _, *label in _FIELDS}
    return Letter(
        labels,
        sender=spec.group in _SENDER_GROUPS,
        bound=spec.key in _BOUND_SENDER,
        closing=_CLOSINGS[lang] if spec.group == "letters" else None,
    )


def _seed_snippets(seed: _Seed) -> None:
    change, blobs = seed.change, seed.blobs
    for owner, title, body in _PERSONAL_SNIPPETS:
        patch = SnippetPatch(kind="personal", title=title, body_text=body)
        snippets.create_snippet(change, seed.actor(owner), blobs, patch)
    layouter = seed.actor("layouter")
    for title, body, readers in _SHARED_SNIPPETS:
        patch = SnippetPatch(
            kind="shared",
            title=title,
            read_rights=tuple(seed.rights(readers)),
            write_rights=tuple(seed.rights(("Layouter",))),
            body_text=body,
        )
        snippets.create_snippet(change, layouter, blobs, patch)
    for template, title, body in _TEMPLATE_SNIPPETS:
        template_id = seed.templates[template].id
        patch = SnippetPatch(kind="template", title=title, template_id=template_id, body_text=body)
        snippets.create_snippet(change, layouter, blobs, patch)


def _seed_profiles(seed: _Seed) -> None:
    # Each owner makes their own profiles, so unit assignment is checked as for them.
    for owner, title, unit, overrides, shared_with in _PROFILES:
        patch = ProfilePatch(
            owner_id=seed.users[owner].id,
            title=title,
            unit_id=seed.units[unit],
            overrides=overrides,
            shared_with=tuple(seed.users[login].id for login in shared_with),
        )
        profiles.create_profile(seed.change, seed.actor(owner), patch)
