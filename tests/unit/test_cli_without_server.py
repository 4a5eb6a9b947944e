"""The client CLI on a home that never signed in, and with unusual user data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from docshelf.client.planner import Upsert
from docshelf.client.status import Status, write_status_file
from docshelf.client.store import LocalStore


def docshelf(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_sync_before_login_exits_4_with_one_json_object(tmp_path: Path) -> None:
    done = docshelf(tmp_path / "h", "sync", "--json")
    assert done.returncode == 4
    answer = json.loads(done.stdout)
    assert answer["status"] == "error" and "docshelf login" in answer["error"]


def test_status_before_login_says_not_signed_in(tmp_path: Path) -> None:
    done = docshelf(tmp_path / "h", "status", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["state"] == "not_signed_in"


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
    store.close()
    done = docshelf(home, "templates")
    assert done.returncode != 0
    output = _no_crash(done)
    assert "cache.db is damaged" in output and "nested deeper than 64" in output, output


def _status_file(home: Path, **fields: object) -> None:
    home.mkdir(exist_ok=True)
    write_status_file(home / "status.json", Status(**fields))  # type: ignore[arg-type]


def test_status_shows_hints_off_without_a_daemon(tmp_path: Path) -> None:
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
