"""A ``docshelf sync`` that finds nothing new answers without the engine, against a real
server: it loads neither httpx, pydantic nor the engine, and ends as the engine's sync
ends (exit code, JSON, status file, last update). Anything else is the engine's. A plain
``docshelf sync [--json] [--no-wait]`` runs without click (cli/quick.py) and says what the
click command says.

Each sync runs as a process of its own that writes the names of the modules it loaded
at its end (as tests/unit/test_cli_imports.py does for the reading commands).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from docshelf.client.app import Client
from docshelf.client.paths import Home
from docshelf.client.status import read_status_file
from docshelf.server.demo.files import docx_bytes
from support.api import PASSWORD, LiveServer

# Runs `docshelf ARGS...` and writes sys.modules to the file named first, however it ends.
WRAPPER = """
import atexit, sys
out, args = sys.argv[1], sys.argv[2:]
loaded = lambda: sorted(name for name, module in sys.modules.items() if module is not None)
atexit.register(lambda: open(out, "w").write("\\n".join(loaded())))
sys.argv = ["docshelf", *args]
from docshelf.cli.main import main
main()
"""
# The same command line through click, as `docshelf` runs what cli/quick.py does not take.
WITH_CLICK = """
import sys
sys.argv = ["docshelf", *sys.argv[1:]]
from docshelf.cli.main import _with_click, choose_language
choose_language()
_with_click()
"""
ENGINE = ("httpx", "httpcore", "pydantic", "docshelf.client.engine", "docshelf.client.remote")


def sync_process(home: Path, tmp_path: Path, *options: str) -> tuple[int, dict[str, Any], set[str]]:
    out = tmp_path / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(out), "--home", str(home), "sync", "--json", *options],
        capture_output=True,
        text=True,
        timeout=120,
        env=english(),
    )
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout), set(out.read_text().split())


def english() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return {**env, "LANG": "C", "LANGUAGE": "", "LC_ALL": ""}


def loaded(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def engine_modules(modules: set[str]) -> list[str]:
    return loaded(modules, *ENGINE)


@pytest.fixture
def home(live: LiveServer, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A home signed in as a new user with a template of their own, synchronised."""
    _, user = live.new_user()
    template: dict[str, Any] = live.admin.ok(
        "POST",
        "/admin/templates",
        json={
            "kind": "docx",
            "titles": {"de": "Brief"},
            "status": "released",
            "use_rights": [f"user:{user['id']}"],
        },
    )
    live.admin.ok(
        "PUT",
        f"/admin/templates/{template['id']}/files/de",
        json={"sha256": live.admin.upload(docx_bytes("Brief", ["Hallo"])), "filename": "b.docx"},
    )
    path = tmp_path / "home"
    client = Client(Home(path))
    try:
        client.login(live.url, user["login"], PASSWORD, device_name="quick")
        assert client.sync().status == "ok"
    finally:
        client.close()
    return path, user


def test_a_sync_that_finds_nothing_new_loads_no_engine_and_ends_like_it(
    live: LiveServer, home: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, _ = home
    before = Client(Home(path))
    try:
        cursor, last_update = before.cursor(), before.last_update()
    finally:
        before.close()
    code, result, modules = sync_process(path, tmp_path)
    assert code == 0, result
    assert engine_modules(modules) == []
    # Nor click, nor rich: a plain `sync --json` is cli/quick.py's.
    assert loaded(modules, "click", "rich") == []
    assert result["status"] == "ok" and result["error"] is None
    assert (result["downloaded"], result["deleted"], result["uploaded"], result["files"]) == (
        0,
        0,
        0,
        0,
    )
    after = Client(Home(path))
    try:
        assert after.cursor() == cursor
        assert last_update is not None and after.last_update() is not None
        assert after.last_update() > last_update
        assert after.last_update().isoformat() == result["last_update"]
    finally:
        after.close()
    status = read_status_file(path / "status.json")
    assert status is not None and status.state.value == "idle" and status.phase is None
    assert status.last_update is not None
    assert status.last_update.isoformat() == result["last_update"]


def test_a_change_on_the_server_is_pulled_by_the_engine(
    live: LiveServer, home: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, user = home
    live.admin.ok(
        "POST",
        "/admin/templates",
        json={
            "kind": "docx",
            "titles": {"de": "Neu"},
            "status": "released",
            "use_rights": [f"user:{user['id']}"],
        },
    )
    code, result, modules = sync_process(path, tmp_path)
    assert code == 0, result
    assert result["downloaded"] == 1
    assert "docshelf.client.engine" in modules
    # Nothing new after it: quick again.
    code, result, modules = sync_process(path, tmp_path)
    assert code == 0 and result["downloaded"] == 0
    assert engine_modules(modules) == []


def test_an_edit_waiting_is_sent_by_the_engine(
    live: LiveServer, home: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, _ = home
    client = Client(Home(path))
    try:
        client.editor().profile_new("Unterwegs", None)
    finally:
        client.close()
    code, result, modules = sync_process(path, tmp_path)
    assert code == 0, result
    assert result["uploaded"] == 1
    assert "docshelf.client.engine" in modules


def test_a_server_gone_is_reported_as_the_engine_reports_it(
    live: LiveServer, home: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, _ = home
    config = json.loads((path / "config.json").read_text())
    gone = "http://127.0.0.1:9"  # nothing listens: refused
    (path / "config.json").write_text(json.dumps({**config, "server_url": gone}))
    credentials = json.loads((path / "credentials").read_text())
    ((_, token),) = credentials.items()
    (path / "credentials").write_text(json.dumps({f"{config['login']}@{gone}": token}))
    code, result, modules = sync_process(path, tmp_path, "--no-wait")
    assert code == 3, result
    assert result["status"] == "error"
    assert "Cannot reach the server at http://127.0.0.1:9." in result["error"]
    assert loaded(modules, "click") == []
    # What click's command says, in the same words and with the same exit code.
    for options in (["--json", "--no-wait"], []):
        argv = ["--home", str(path), "sync", *options]
        quick, clicked = (
            subprocess.run(
                [sys.executable, *way, *argv],
                capture_output=True,
                text=True,
                timeout=120,
                env=english(),
            )
            for way in (["-m", "docshelf"], ["-c", WITH_CLICK])
        )
        assert quick.returncode == clicked.returncode == 3
        assert same_answer(quick.stdout, options) == same_answer(clicked.stdout, options)
        assert quick.stderr == clicked.stderr
        assert "Cannot reach the server" in (quick.stdout if options else quick.stderr)


def same_answer(stdout: str, options: list[str]) -> Any:
    """The answer without the seconds the sync took (they differ from run to run)."""
    if "--json" not in options:
        return stdout
    answer = json.loads(stdout)
    answer.pop("seconds")
    return answer
