"""Commands that read the local copy start fast: they import what they need and nothing else.

Each command runs in a process of its own (as a person runs it) on a home with a local
copy; the process writes the names of the modules it loaded at its end. The timings
themselves are in docs/performance.md (bench/cli_startup.py): a test never times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from docshelf.cli import quick
from docshelf.cli.main import COMMANDS, cli
from docshelf.client.config import ClientConfig, save_config
from docshelf.client.keys import CURSOR, DOCUMENT_FILES
from docshelf.client.planner import Upsert
from docshelf.client.store import LocalStore

Opt = quick.Options
ENGLISH = {"LANG": "C", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
# Runs `docshelf ARGS...` and writes sys.modules to the file named first, however it ends.
WRAPPER = """
import atexit, sys
out, args = sys.argv[1], sys.argv[2:]
# A None entry is an import blocked on purpose (httpx._main, see docshelf.client): not loaded.
loaded = lambda: sorted(name for name, module in sys.modules.items() if module is not None)
atexit.register(lambda: open(out, "w").write("\\n".join(loaded())))
sys.argv = ["docshelf", *args]
from docshelf.cli.main import main
main()
"""
# What no reading command needs: the server, the HTTP stack, the wire models, the engine.
NEVER = (
    "docshelf.server",
    "httpx",
    "httpcore",
    "h11",
    "pydantic",
    "docshelf.protocol.sync",
    "docshelf.client.transport",
    "docshelf.client.remote",
    "docshelf.client.engine",
    "docshelf.client.editing",
    "sqlalchemy",
    "fastapi",
    "PySide6",
)
# Nor what they were made to do without: the outbox and planner (no edit waits here), the
# credentials, locks and sockets, hashing, the log's file handlers, Babel (numbers are
# written without it), the documents' tag model (the templates' readiness is known from
# the last sync), dataclasses (the types a reading command meets are named tuples).
NOT_FOR_READING = (
    "babel",
    "docshelf.client.outbox",
    "docshelf.client.planner",
    "docshelf.client.credentials",
    "docshelf.client.lock",
    "docshelf.client.handover",
    "docshelf.documents",
    "secrets",
    "hashlib",
    "socket",
    "tempfile",
    "logging.handlers",
    # dataclasses loads inspect (ast, dis, tokenize): a fifth of such a command's start.
    "dataclasses",
    "inspect",
)
# What each resolves: only these load the domain's field and unit resolution.
RESOLVING = {"profiles": ("docshelf.domain.fields", "docshelf.domain.units"), "units": ()}
READING = [
    ("templates", "--json"),
    ("template-groups", "--json"),
    ("snippets", "--json"),
    ("profiles", "--json"),
    ("units", "--json"),
    ("status", "--json"),
    ("templates",),
    ("units",),
    ("status",),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed-in home with a template in its local copy (no server needed to read it)."""
    home = tmp_path_factory.mktemp("cli-imports") / "h"
    home.mkdir()
    save_config(home / "config.json", ClientConfig("http://127.0.0.1:9", "anna", "u1", "d1", "t"))
    store = LocalStore(home / "cache.db")
    record = {
        "id": "t1",
        "version": 1,
        "group_id": None,
        "kind": "docx",
        "status": "released",
        "active": True,
        "titles": {"de": "Offerte"},
        "descriptions": {},
        "use_rights": ["*"],
        "change_rights": [],
        "files": {},
        "order": 0,
    }
    with store.transaction() as db:
        LocalStore.write_upserts(db, [Upsert("template", "t1", 1, "h", record)])
    store.put(CURSOR, "c1")
    # As a sync leaves it: what the templates need offline, found at this cursor.
    store.put(DOCUMENT_FILES, json.dumps({"cursor": "c1", "needed": [], "overlaid": False}))
    store.close()
    return home


def loaded_by(home: Path, tmp_path: Path, *args: str) -> tuple[set[str], str]:
    out = tmp_path / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(out), "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **ENGLISH},
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return set(out.read_text().split()), done.stdout


def _forbidden(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_reading_commands_load_no_server_http_or_wire_models(
    home: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    modules, stdout = loaded_by(home, tmp_path, *args)
    assert stdout.strip(), "the command printed nothing: the test would pass vacuously"
    assert _forbidden(modules, NEVER) == []
    # `docshelf status` asks the home's locks whether a sync or a daemon runs.
    allowed = ("docshelf.client.lock",) if args[0] == "status" else ()
    assert _forbidden(modules, tuple(m for m in NOT_FOR_READING if m not in allowed)) == []
    # A plain listing or status runs without click (cli/quick.py).
    assert _forbidden(modules, ("click",)) == []
    if args[0] not in RESOLVING:
        assert _forbidden(modules, ("docshelf.domain.fields", "docshelf.domain.units")) == []
    # Each loads only its own way of printing.
    other = "docshelf.cli.listing" if args[0] == "status" else "docshelf.cli.status_view"
    assert _forbidden(modules, (other,)) == []
    # Nothing is printed through rich: JSON needs none, a table that fits the width is drawn
    # as rich draws it (tests/unit/test_cli_output.py), and `docshelf status` is plain lines.
    assert _forbidden(modules, ("rich",)) == []


# Runs ARGS through click, as `docshelf` runs any command line cli/quick.py does not take.
WITH_CLICK = """
import sys
sys.argv = ["docshelf", *sys.argv[1:]]
from docshelf.cli.main import _with_click, choose_language
choose_language()
_with_click()
"""


@pytest.mark.parametrize(
    "args",
    [*READING, ("templates", "--lang=en"), ("snippets",)],
    ids=" ".join,
)
def test_a_plain_listing_prints_what_click_prints(
    home: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    env = {**os.environ, "COLUMNS": "200", **ENGLISH}
    quick = subprocess.run(
        [sys.executable, "-m", "docshelf", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    clicked = subprocess.run(
        [sys.executable, "-c", WITH_CLICK, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert (quick.returncode, quick.stdout, quick.stderr) == (
        clicked.returncode,
        clicked.stdout,
        clicked.stderr,
    )
    assert quick.stdout.strip()


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["templates"], ("templates", None, Opt(False, "de"))),
        (["--home", "h", "templates", "--json"], ("templates", "h", Opt(True, "de"))),
        (["--home=h", "profiles", "--lang", "en", "--json"], ("profiles", "h", Opt(True, "en"))),
        (["template-groups", "--lang=en"], ("template-groups", None, Opt(False, "en"))),
        (["units", "--json"], ("units", None, Opt(True, "de"))),
        (["templates", "--json", "--json"], None),
        (["templates", "--lang", "de", "--lang", "en"], None),
        (["units", "--lang", "en"], None),
        (["templates", "--help"], None),
        (["templates", "-h"], None),
        (["--help"], None),
        (["--version"], None),
        (["templates", "--home", "h"], None),
        (["--home"], None),
        (["--home", "h"], None),
        (["--home", "--json", "templates"], None),
        (["templates", "--lang"], None),
        (["templates", "--lang", "--json"], None),
        (["templates", "--lang="], None),
        (["templates", "extra"], None),
        (["templates", "--"], None),
        (["sync"], ("sync", None, Opt())),
        (["--home", "h", "sync", "--json", "--no-wait"], ("sync", "h", Opt(True, no_wait=True))),
        (["sync", "--no-wait"], ("sync", None, Opt(no_wait=True))),
        (["sync", "--no-wait", "--no-wait"], None),
        (["sync", "--lang", "en"], None),
        (["sync", "--help"], None),
        (["templates", "--no-wait"], None),
        (["status", "--no-wait"], None),
        (["status"], ("status", None, Opt(False, "de"))),
        (["--home", "h", "status", "--json"], ("status", "h", Opt(True, "de"))),
        (["status", "--lang", "en"], None),
        (["status", "--json", "--json"], None),
        ([], None),
    ],
)
def test_only_plain_listings_are_taken_without_click(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], parsed: tuple[Any, ...] | None
) -> None:
    monkeypatch.delenv("DOCSHELF_HOME", raising=False)
    assert quick.parse(argv) == parsed


def test_a_home_click_would_refuse_is_left_to_click(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert quick.parse(["--home", str(a_file), "templates"]) is None
    monkeypatch.setenv("DOCSHELF_HOME", str(a_file))
    assert quick.parse(["templates"]) is None
    monkeypatch.setenv("DOCSHELF_HOME", "")
    assert quick.parse(["templates"]) == ("templates", None, Opt(False, "de"))
    monkeypatch.setenv("DOCSHELF_HOME", str(tmp_path / "new"))
    assert quick.parse(["templates"]) == ("templates", str(tmp_path / "new"), Opt(False, "de"))
    monkeypatch.setenv("_DOCSHELF_COMPLETE", "bash_complete")
    assert quick.parse(["templates"]) is None


def test_a_listing_answers_from_the_local_copy(home: Path, tmp_path: Path) -> None:
    _, stdout = loaded_by(home, tmp_path, "templates", "--json")
    assert [t["title"] for t in json.loads(stdout)] == ["Offerte"]


def test_the_command_list_loads_no_command(home: Path, tmp_path: Path) -> None:
    modules, stdout = loaded_by(home, tmp_path, "--help")
    assert "template-groups" in stdout and "Exit codes:" in stdout
    commands = {entry.target.partition(":")[0] for entry in COMMANDS.values()}
    assert _forbidden(modules, (*NEVER, *commands, "rich", "docshelf.client")) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_says_what_the_command_says(name: str) -> None:
    """`docshelf --help` lists the table's help; it must be the command's own."""
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.name == name
    assert COMMANDS[name].help == command.help
    assert command.short_help is None, "a short_help would be shown by `docshelf NAME --help`"
