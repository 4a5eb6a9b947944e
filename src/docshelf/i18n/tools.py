"""Keeping the catalogues: extract the source strings, update the ``.po`` files, check, compile.

    python -m docshelf.i18n.tools update    # after changing texts in the code
    python -m docshelf.i18n.tools check     # what the completeness test checks
    python -m docshelf.i18n.tools compile   # docshelf.mo per language (make does this)

Extraction looks for ``tr("…")``, ``ntr("…", "…", n)`` and ``N_("…")`` in Python and
in the dashboard's Jinja templates. English is the source language; the English
catalogue starts as a copy of the source and may reword it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from docshelf.i18n.catalogues import AREA_NAMES, po_path, write_compiled
from docshelf.i18n.language import LANGUAGES

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS = {"tr": None, "ntr": (1, 2), "N_": None}
# Each area's sources: (directory under the package, patterns to skip).
AREAS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "core": [("domain", ()), ("protocol", ()), ("documents", ()), ("i18n", ())],
    "server": [("server", ("dashboard/**",))],
    "dashboard": [("server/dashboard", ())],
    "client": [("client", ())],
    "cli": [("cli", ())],
    "desktop": [("desktop", ())],
}
assert tuple(AREAS) == AREA_NAMES
_HEADER_DATE = datetime(2026, 12, 6, tzinfo=UTC)
# Paths, addresses and tag names ("field:fax") are data, not words.
_PATH = re.compile(r"\S*[/\\]\S*|\b\w+:\w\S*")
_FIELD = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)[^{}]*\}")


def extract(area: str) -> Catalog:
    """The area's source strings as a template catalogue."""
    catalog = Catalog(project="docshelf", fuzzy=False)
    for directory, skipped in AREAS[area]:
        method_map = [(pattern, "ignore") for pattern in skipped]
        method_map += [("**.py", "python"), ("**/templates/**.html", "jinja2")]
        found = extract_from_dir(
            str(PACKAGE / directory),
            method_map=method_map,
            options_map={"**/templates/**.html": {"trimmed": "false"}},
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
        )
        for filename, lineno, message, comments, context in found:
            location = (f"{directory}/{filename}", lineno)
            catalog.add(message, locations=[location], auto_comments=comments, context=context)
    return catalog


def _load(language: str, area: str) -> Catalog:
    path = po_path(language, area)
    if not path.exists():
        return Catalog(locale=language, project="docshelf", fuzzy=False)
    with path.open("rb") as stream:
        return read_po(stream, locale=language)


def _save(catalog: Catalog, language: str, area: str) -> None:
    # A header that stays the same, so that only real changes show in a diff.
    catalog.creation_date = catalog.revision_date = _HEADER_DATE
    catalog.version = "1"
    catalog.copyright_holder = "docshelf"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "docshelf"
    catalog.language_team = LANGUAGES[language]
    path = po_path(language, area)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        # No line numbers: they would change the catalogue on every edit of the code.
        write_po(
            stream, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True
        )


def update() -> None:
    """Add new source strings to every language's catalogues and drop vanished ones."""
    for area in AREA_NAMES:
        template = extract(area)
        for language in LANGUAGES:
            catalog = _load(language, area)
            catalog.update(template, no_fuzzy_matching=True)
            if language == "en":
                for message in catalog:
                    _fill_from_source(message)
            _save(catalog, language, area)


def _fill_from_source(message: Message) -> None:
    if not message.id:
        return
    if isinstance(message.id, tuple | list):
        if not any(message.string or ()):
            message.string = (message.id[0], message.id[1])
    elif not message.string:
        message.string = message.id


def problems() -> list[str]:
    """What keeps the catalogues from being complete and consistent; empty when they are."""
    found: list[str] = []
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for area in AREA_NAMES:
        expected = {m.id if isinstance(m.id, str) else m.id[0] for m in extract(area) if m.id}
        for language in LANGUAGES:
            catalog = _load(language, area)
            where = f"{language}/{area}.po"
            have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
            found += [f"{where}: missing {mid!r}" for mid in sorted(expected - have)]
            found += [f"{where}: no longer in the code {mid!r}" for mid in sorted(have - expected)]
            for message in catalog:
                if not message.id:
                    continue
                found += [f"{where}: {p}" for p in _message_problems(message, language)]
                key = _key(message)
                value = (str(message.string), area)
                if (language, key[0]) in seen and seen[(language, key[0])][0] != value[0]:
                    other = seen[(language, key[0])][1]
                    found.append(f"{where}: {key[0]!r} reads differently in {other}.po")
                seen.setdefault((language, key[0]), value)
    return found


def _key(message: Message) -> tuple[str, str]:
    ident = message.id if isinstance(message.id, str) else message.id[0]
    return ident, str(message.string)


def _message_problems(message: Message, language: str) -> Iterator[str]:
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    targets = [message.string] if isinstance(message.string, str) else list(message.string or ())
    label = repr(sources[0])
    if message.fuzzy:
        yield f"{label} is marked fuzzy"
    if not targets or not all(targets):
        yield f"{label} has no translation"
        return
    wanted = set().union(*(_fields(s) for s in sources))
    for target in targets:
        if not _fields(target) <= wanted:
            extra = sorted(_fields(target) - wanted)
            yield f"{label}: translation uses fields the source has not: {extra}"
        if len(sources) == 1 and _fields(target) != wanted:
            yield f"{label}: translation drops fields {sorted(wanted - _fields(target))}"
        if language == "de" and "ß" in target:
            yield f"{label}: German here is written the Swiss way, with ss for ß"


def _fields(text: str) -> set[str]:
    return set(_FIELD.findall(text.replace("{{", "").replace("}}", "")))


def compile_all() -> list[Path]:
    return [write_compiled(language) for language in LANGUAGES]


def main(argv: Iterable[str] = sys.argv[1:]) -> int:
    args = list(argv)
    command = args[0] if args else "check"
    if command == "update":
        update()
    elif command == "compile":
        for path in compile_all():
            sys.stdout.write(f"compiled {path.relative_to(PACKAGE.parent)}\n")
    elif command == "check":
        found = problems()
        for line in found:
            sys.stdout.write(line + "\n")
        return 1 if found else 0
    else:
        sys.stdout.write(__doc__ or "")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())


def english_leftovers(text: str) -> list[str]:
    """The English source strings (those German words differently) that appear in ``text``.

    For tests that render a window or page in German: any hit is a text that bypassed the
    catalogue or lacks its German. Fields match any text; matching is by whole words.
    """
    text = _PATH.sub(" ", text)
    return [source for source, pattern in _english_patterns() if pattern.search(text)]


@cache
def _english_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns: list[tuple[str, re.Pattern[str]]] = []
    seen: set[str] = set()  # a text several areas use (an error title) is listed once
    for area in AREA_NAMES:
        for message in _load("de", area):
            if not message.id:
                continue
            sources = [message.id] if isinstance(message.id, str) else list(message.id)
            targets = [message.string] if isinstance(message.string, str) else message.string
            for source, target in zip(sources, targets or (), strict=False):
                # The same word ("login" / "Login") is not English left over.
                same = source.casefold() == target.casefold()
                if not target or same or len(_FIELD.sub("", source).strip()) < 3:
                    continue
                if source in seen:
                    continue
                seen.add(source)
                parts = _FIELD.split(source)
                # split() keeps the field names at odd positions: replace them with ".+?".
                literal = [re.escape(p) if i % 2 == 0 else ".+?" for i, p in enumerate(parts)]
                patterns.append((source, re.compile(r"(?<!\w)" + "".join(literal) + r"(?!\w)")))
    return patterns
