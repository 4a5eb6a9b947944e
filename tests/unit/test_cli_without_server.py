"""The client CLI on a home that never signed in, and with unusual user data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from docshelf.client.config import ClientConfig, save_config
from docshelf.client.engine import CURSOR
from docshelf.client.planner import Upsert
from docshelf.client.status import Status, SyncState, write_status_file
from docshelf.client.store import LocalStore

ENGLISH = {"LANG": "C", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
GERMAN = {"LANG": "de_CH.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}


def docshelf(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **ENGLISH, **(env or {})},
    )


def test_sync_before_login_exits_4_with_one_json_object(tmp_path: Path) -> None:
    done = docshelf(tmp_path / "h", "sync", "--json")
    assert done.returncode == 4
    answer = json.loads(done.stdout)
    assert answer["status"] == "error" and "docshelf login" in answer["error"]


def test_status_before_login_says_not_signed_in(tmp_path: Path) -> None:
    done = docshelf(tmp_path / "h", "status", "--json")
    assert done.returncode == 4
    answer = json.loads(done.stdout)
    assert answer["state"] == "not_signed_in" and answer["daemon_running"] is False


def test_reading_commands_on_a_home_that_never_signed_in_say_so(tmp_path: Path) -> None:
    for command in ("templates", "snippets", "profiles", "units", "status", "template-groups"):
        done = docshelf(tmp_path / "h", command)
        assert done.returncode == 4, (command, done.stdout, done.stderr)
        assert done.stdout == ""
        # The client's NoLocalCopy, told once (exit 4 like any missing sign-in).
        assert (
            "Not signed in on this computer yet: run"
            " `docshelf login --server URL --user LOGIN`, then `docshelf sync`."
        ) in done.stderr, done.stderr


def test_german_locale_speaks_german_and_c_locale_english(tmp_path: Path) -> None:
    german = docshelf(tmp_path / "h", "units", env=GERMAN)
    assert german.returncode == 4
    assert "Auf diesem Computer noch nicht angemeldet" in german.stderr, german.stderr
    assert german.stderr.startswith("Fehler:")
    english = docshelf(tmp_path / "h", "units")
    assert english.stderr.startswith("Error: No local copy yet: Not signed in on this computer yet")
    help_de = docshelf(tmp_path / "h", "--help", env=GERMAN)
    assert "Exit-Codes:" in help_de.stdout and "6  synchronisiert, aber" in help_de.stdout
    help_en = docshelf(tmp_path / "h", "--help")
    assert "Exit codes:" in help_en.stdout and "6  synchronised, but edits wait" in help_en.stdout


def test_a_server_address_without_scheme_is_refused_with_the_fix(tmp_path: Path) -> None:
    done = docshelf(
        tmp_path / "h", "login", "--server", "127.0.0.1:8480", "--user", "anna", "--password-stdin"
    )
    assert done.returncode == 1
    assert "write http://127.0.0.1:8480 or https://127.0.0.1:8480" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "h" / "config.json").exists()
    german = docshelf(
        tmp_path / "h",
        "login",
        "--server",
        "127.0.0.1:8480",
        "--user",
        "anna",
        "--password-stdin",
        env=GERMAN,
    )
    assert "Schreiben Sie http://127.0.0.1:8480 oder https://127.0.0.1:8480" in german.stderr


def test_titles_are_shown_as_typed_not_as_markup(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    store = LocalStore(home / "cache.db")
    record = {
        "id": "t1",
        "version": 1,
        "group_id": None,
        "kind": "docx",
        "status": "released",
        "active": True,
        "titles": {"de": "Offerte [Entwurf]"},
        "descriptions": {},
        "use_rights": ["*"],
        "change_rights": [],
        "files": {},
        "order": 0,
    }
    with store.transaction() as db:
        LocalStore.write_upserts(db, [Upsert("template", "t1", 1, "h", record)])
    store.put(CURSOR, "c1")  # synchronised once: a local copy to read
    store.close()
    done = docshelf(home, "templates")
    assert "Offerte [Entwurf]" in done.stdout, done.stdout


DEEP = 100_000


def _no_crash(done: subprocess.CompletedProcess[str]) -> str:
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "RecursionError" not in output, output
    return output


def test_a_deeply_nested_config_file_is_told_as_damaged(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.json").write_text("[" * DEEP + "]" * DEEP)
    done = docshelf(home, "status")
    assert done.returncode != 0
    output = _no_crash(done)
    assert "config.json cannot be read" in output and "nested deeper than 64" in output, output


def test_a_deeply_nested_record_in_the_cache_is_told_as_damaged(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    store = LocalStore(home / "cache.db")
    with store.transaction() as db:
        db.execute(
            "INSERT INTO records (kind, id, version, hash, data) VALUES (?, ?, ?, ?, ?)",
            ("template", "t1", 1, "h", "[" * DEEP + "]" * DEEP),
        )
    store.put(CURSOR, "c1")
    store.close()
    done = docshelf(home, "templates")
    assert done.returncode != 0
    output = _no_crash(done)
    assert "cache.db is damaged" in output and "nested deeper than 64" in output, output


def _status_file(home: Path, **fields: object) -> None:
    """A signed-in home whose status file says ``fields`` (as a daemon left it)."""
    home.mkdir(exist_ok=True)
    config = ClientConfig("http://127.0.0.1:9", "anna", "u1", "d1", "cli-test")
    save_config(home / "config.json", config)
    write_status_file(home / "status.json", Status(**fields))  # type: ignore[arg-type]


# Holds a home's daemon lock as a running `docshelf daemon` does, until stdin closes.
DAEMON_STAND_IN = """
import sys
from pathlib import Path
from docshelf.client.lock import SyncLock
lock = SyncLock(Path(sys.argv[1]) / "daemon.lock", "docshelf daemon")
assert lock.try_acquire()
print("locked", flush=True)
sys.stdin.read()
"""


def test_status_shows_no_next_sync_once_the_daemon_is_gone(tmp_path: Path) -> None:
    home = tmp_path / "h"
    planned = datetime(2030, 1, 2, 11, 3, tzinfo=UTC)
    # The last words of a daemon that was killed: a next sync nobody will run.
    _status_file(home, state=SyncState.IDLE, next_sync=planned)
    answer = json.loads(docshelf(home, "status", "--json").stdout)
    assert answer["next_sync"] is None and answer["daemon_running"] is False
    assert "Next sync:" in (text := docshelf(home, "status").stdout)
    assert "— (no daemon running)" in text
    with subprocess.Popen(
        [sys.executable, "-c", DAEMON_STAND_IN, str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as daemon:
        assert daemon.stdout is not None and daemon.stdout.readline() == "locked\n"
        answer = json.loads(docshelf(home, "status", "--json").stdout)
        assert answer["daemon_running"] is True
        assert datetime.fromisoformat(answer["next_sync"]) == planned
        assert daemon.stdin is not None
        daemon.stdin.close()


def test_status_shows_hints_off_without_a_daemon(tmp_path: Path) -> None:
    _status_file(tmp_path / "h")
    done = docshelf(tmp_path / "h", "status", "--json")
    answer = json.loads(done.stdout)
    assert answer["hints"] == "off" and answer["last_hint_at"] is None
    text = docshelf(tmp_path / "h", "status").stdout
    assert "Hints:" in text and "off — syncing every 15 min" in text


def test_status_reports_the_hints_of_a_running_listener(tmp_path: Path) -> None:

    home = tmp_path / "h"
    last = datetime(2026, 1, 2, 11, 3, 4, tzinfo=UTC)
    # This test's process stands in for the daemon whose listener wrote the state.
    _status_file(home, hints="connected", last_hint_at=last, hints_pid=os.getpid())
    answer = json.loads(docshelf(home, "status", "--json").stdout)
    assert answer["hints"] == "connected"
    assert datetime.fromisoformat(answer["last_hint_at"]) == last
    text = docshelf(home, "status").stdout
    assert f"connected (last hint {last.astimezone():%H:%M:%S})" in text


def test_status_reports_hints_off_when_the_listener_is_gone(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    home = tmp_path / "h"
    _status_file(home, hints="connected", hints_pid=int(gone.stdout))
    assert json.loads(docshelf(home, "status", "--json").stdout)["hints"] == "off"
