"""``docshelf … --help`` speaks the language of the locale, like the rest of the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import click
import pytest

from docshelf.cli.main import cli
from docshelf.i18n.catalogues import AREA_NAMES
from docshelf.i18n.click_help import TranslatedCommand
from docshelf.i18n.tools import _load, english_leftovers

ENGLISH = {"LANG": "C", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
GERMAN = {"LANG": "de_CH.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
# German words that are also English msgids elsewhere ("Profile" → "Profil").
SAME_IN_GERMAN = {"Profile", "Synchronisation", "Org"}
# The root, two groups and a command three levels down.
HELP_PAGES = [(), ("sync",), ("admin",), ("admin", "blobs", "gc")]


def help_page(command: tuple[str, ...], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "docshelf", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "100", **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def prose(page: str) -> str:
    """The help's sentences: without the usage line, the command and option names (words
    for the machine), click's own "[default: …]" notes and commands named in a
    sentence ("siehe docshelf conflicts")."""
    lines = page.splitlines()[1:]
    lines = [re.sub(r"^  \S.*?(  +|$)", "", line) for line in lines]
    text = re.sub(r"\[[^\]]*\]", "", "\n".join(lines))
    return re.sub(r"docshelf [a-z-]+", "", text)  # a command named in a sentence


@pytest.mark.parametrize("command", HELP_PAGES, ids=lambda c: " ".join(c) or "docshelf")
def test_help_is_german_in_a_german_locale(command: tuple[str, ...]) -> None:
    text = help_page(command, GERMAN)
    assert set(english_leftovers(prose(text))) <= SAME_IN_GERMAN, text
    assert "Aufruf:" in text and "Optionen:" in text, text
    assert "Diese Hilfe anzeigen und beenden." in text, text


def test_german_help_pages_show_the_commands_and_options_in_german() -> None:
    root = help_page((), GERMAN)
    assert "Befehle:" in root
    assert "Der Ordner des Clients (Cache, Dateien, Einstellungen)" in root
    assert "Vorlagen in der lokalen Kopie (funktioniert offline)." in root
    sync = help_page(("sync",), GERMAN)
    assert "Jetzt synchronisieren: Ihre Änderungen senden" in sync
    assert "Endet mit Code 6" in sync  # the second paragraph, kept apart
    gc = help_page(("admin", "blobs", "gc"), GERMAN)
    assert "Nur angeben, was entfernt würde." in gc


@pytest.mark.parametrize("command", HELP_PAGES, ids=lambda c: " ".join(c) or "docshelf")
def test_help_is_english_in_the_c_locale(command: tuple[str, ...]) -> None:
    text = help_page(command, ENGLISH)
    assert "Usage:" in text and "Options:" in text and "Show this message and exit." in text
    assert "Aufruf:" not in text and "Optionen:" not in text


def test_english_help_keeps_its_wording() -> None:
    assert "Synchronise now: send your edits, fetch what changed" in help_page(("sync",), ENGLISH)
    gc = help_page(("admin", "blobs", "gc"), ENGLISH)
    assert "Only tell what would be removed." in gc and "[default: 24.0; x>=0]" in gc


def _tree(command: click.Command, path: str = "docshelf") -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from _tree(sub, f"{path} {name}")


# Every command, `docshelf desktop` (the desktop app's) included.
OURS = [
    (p, c)
    for p, c in _tree(cli)
    if getattr(c.callback, "__module__", "").startswith(("docshelf.cli.", "docshelf.desktop."))
]
assert len(OURS) > 50, "the command tree was not walked"


@pytest.mark.parametrize(("path", "command"), OURS, ids=[p for p, _ in OURS])
def test_every_help_text_is_a_message_of_the_cli_catalogue(
    path: str, command: click.Command
) -> None:
    msgids = {m.id for area in AREA_NAMES for m in _load("en", area) if isinstance(m.id, str)}
    texts = [command.help, command.short_help, command.epilog]
    texts += [getattr(p, "help", None) for p in command.get_params(click.Context(command))]
    unmarked = [text for text in texts if text and text not in msgids]
    assert not unmarked, f"`{path}`: help not marked with N_(): {unmarked}"
    # Marked is not enough: only these classes translate when the help is shown.
    assert isinstance(command, TranslatedCommand), f"`{path}` is a {type(command).__name__}"
