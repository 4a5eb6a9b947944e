"""The headless client's commands, run as a user runs them: real processes, a real server.

Every command is a separate ``python -m docshelf --home HOME …`` process against the
module's live server (SQLite and PostgreSQL). The tests look at what a user or a script
sees — exit codes, standard output and error — and at the effects: the home's files, the
server's view of the device, the local copy that stays readable offline.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from docshelf.client.app import Client
from docshelf.client.files import FileStore
from docshelf.client.paths import Home
from docshelf.client.status import read_status_file
from docshelf.server.demo.files import docx_bytes
from support.api import FAST_HASHING, PASSWORD, Api, LiveServer, admin_cli, login
from support.server import MakeServer, ServerProcess
from support.sync import assert_client_matches_server

EXIT_OK, EXIT_OFFLINE, EXIT_SIGNED_OUT, EXIT_BUSY = 0, 3, 4, 5
SYNC_KEYS = {
    "status",
    "downloaded",
    "deleted",
    "uploaded",
    "conflicts",
    "rejected",
    "conflicts_waiting",
    "rejected_waiting",
    "files",
    "bytes",
    "seconds",
    "last_update",
    "error",
}
STATUS_KEYS = {
    "server",
    "user",
    "state",
    "last_update",
    "client_sync_interval_ms",
    "client_sync_max_delay_after_start_ms",
    "next_sync",
    "hints",
    "last_hint_at",
    "pending_uploads",
    "conflicts",
    "rejected_uploads",
    "daemon_running",
}
# Not the default (900 000 ms), so that the value must have come from the server.
SYNC_INTERVAL_MS = 1_260_000

# Takes a home's sync lock the way another docshelf process would, until stdin closes.
LOCK_HOLDER = """
import sys
from pathlib import Path
from docshelf.client.lock import SyncLock
lock = SyncLock(Path(sys.argv[1]), "test holder")
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
"""


# --- running the command -----------------------------------------------------------------


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # A pipe, as in a script: no terminal width handed down from whoever runs the tests.
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {**env, **(extra or {})}


def cli_argv(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "docshelf", "--home", str(home), *args]


def docshelf(
    home: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_argv(home, *args),
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(env),
    )


def docshelf_all(home: Path, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Several read-only commands on one home at once (each start costs seconds)."""
    started = [
        (
            command,
            subprocess.Popen(
                cli_argv(home, *command),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=cli_env(),
            ),
        )
        for command in commands
    ]
    done = []
    for command, process in started:
        out, err = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return done


def succeeds(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = docshelf(home, *args, env=env)
    assert done.returncode == EXIT_OK, f"docshelf {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def json_of(home: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return json.loads(succeeds(home, *args, "--json", env=env))


def sign_in(
    home: Path, server_url: str, login_name: str, password: str = PASSWORD
) -> subprocess.CompletedProcess[str]:
    return docshelf(
        home,
        "login",
        "--server",
        server_url,
        "--user",
        login_name,
        "--password-stdin",
        "--device-name",
        f"cli-{home.name}",
        stdin=password + "\n",
    )


def signed_in(home: Path, server_url: str, login_name: str) -> Path:
    done = sign_in(home, server_url, login_name)
    assert done.returncode == EXIT_OK, done.stderr
    return home


def prepared_home(home: Path, server_url: str, login_name: str, *, synced: bool) -> Path:
    """A home as an earlier ``docshelf login`` (and ``sync``) leaves it.

    Made in this process with the class the CLI runs on: each CLI start costs seconds,
    and these steps are not what the test is about.
    """
    client = Client(Home(home))
    try:
        client.login(server_url, login_name, PASSWORD, device_name=f"cli-{home.name}")
        if synced:
            result = client.sync()
            assert result.status == "ok", result.error
    finally:
        client.close()
    return home


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    return lines[0]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def token_in(home: Path) -> str:
    tokens: dict[str, str] = json.loads((home / "credentials").read_text())
    (token,) = tokens.values()
    return token


def has_utc_offset(value: str) -> bool:
    return datetime.fromisoformat(value).utcoffset() is not None


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def new_user(live: LiveServer) -> tuple[Api, dict[str, Any]]:
    return live.new_user(login_name=unique("cli"))


def make_template(
    live: LiveServer, titles: dict[str, str], files: dict[str, bytes], use: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "docx", "titles": titles, "status": "released"}
    if use is not None:
        body["use_rights"] = use
    template: dict[str, Any] = live.admin.ok("POST", "/admin/templates", json=body)
    for lang, data in files.items():
        template = live.admin.ok(
            "PUT",
            f"/admin/templates/{template['id']}/files/{lang}",
            json={"sha256": live.admin.upload(data), "filename": f"{titles[lang]}.docx"},
        )
    return template


def personal_template(live: LiveServer, user: dict[str, Any], title: str) -> dict[str, Any]:
    data = docx_bytes(title, [f"only for {user['login']}"])
    return make_template(live, {"de": title}, {"de": data}, use=[f"user:{user['id']}"])


# --- a library of content, synced once into a home that read-only tests share ----------


@dataclass
class Library:
    home: Path
    user: dict[str, Any]
    template: dict[str, Any]
    files: dict[str, bytes]
    snippet: dict[str, Any]
    parent_unit: dict[str, Any]
    unit: dict[str, Any]
    profile: dict[str, Any]
    street: str  # unit field set on the parent unit, inherited by the child and the profile
    phone: str  # unit field the profile overrides


@pytest.fixture(scope="module")
def library(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Library:
    settings = admin_cli(
        ["settings", "set", "ClientSyncInterval", str(SYNC_INTERVAL_MS)],
        data_dir=str(live.process.data_dir),
        database_url=live.database_url,
    )
    assert settings.returncode == 0, settings.stderr
    tag = secrets.token_hex(3)
    user_api, user = new_user(live)
    files = {
        "de": docx_bytes(f"Brief {tag}", ["Sehr geehrte Damen und Herren"], lang="de"),
        "en": docx_bytes(f"Letter {tag}", ["Dear Sir or Madam"], lang="en"),
    }
    template = make_template(live, {"de": f"Brief {tag}", "en": f"Letter {tag}"}, files)
    snippet = user_api.ok(
        "POST",
        "/admin/snippets",
        json={"kind": "personal", "title": f"Gruss {tag}", "body": "Freundliche Grüsse"},
    )
    street, phone = f"street_{tag}", f"phone_{tag}"
    for key in (street, phone):
        live.admin.ok("POST", "/admin/fields", json={"key": key, "scope": "unit"})
    parent_unit = live.admin.ok(
        "POST",
        "/admin/units",
        json={"title": f"Muster AG {tag}", "fields": {street: "Hauptstr. 1", phone: "044 1"}},
    )
    unit = live.admin.ok(
        "POST", "/admin/units", json={"title": f"Zürich {tag}", "parent_id": parent_unit["id"]}
    )
    profile = live.admin.ok(
        "POST",
        "/admin/profiles",
        json={
            "owner_id": user["id"],
            "title": f"Profil {tag}",
            "unit_id": unit["id"],
            "overrides": {phone: "044 2"},
        },
    )
    home = tmp_path_factory.mktemp("library") / "home"
    prepared_home(home, live.url, user["login"], synced=True)
    return Library(home, user, template, files, snippet, parent_unit, unit, profile, street, phone)


# --- signing in --------------------------------------------------------------------------


def test_login_names_server_and_user_and_keeps_the_token_in_a_private_file(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = new_user(live)
    home = tmp_path / "home"
    done = sign_in(home, live.url, user["login"])
    assert done.returncode == EXIT_OK, done.stderr
    assert live.url in done.stdout and user["login"] in done.stdout
    credentials = home / "credentials"
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in credentials.read_text()
    assert Api(live.url, token_in(home)).get("/me").json()["login"] == user["login"]


def test_a_wrong_password_says_so_in_one_line_and_writes_no_config(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = new_user(live)
    home = tmp_path / "home"
    done = sign_in(home, live.url, user["login"], password="not-the-password")
    assert done.returncode != EXIT_OK
    assert "Login or password is wrong." in one_line(done.stderr)
    assert not (home / "config.json").exists()
    assert not (home / "credentials").exists()


def test_signing_in_as_another_user_wipes_the_previous_users_copy(
    live: LiveServer, tmp_path: Path
) -> None:
    _, anna = new_user(live)
    _, ben = new_user(live)
    annas = personal_template(live, anna, unique("Anna "))
    home = prepared_home(tmp_path / "home", live.url, anna["login"], synced=True)
    annas_file = FileStore(home / "files")
    assert annas_file.has(annas["files"]["de"]["sha256"])

    signed_in(home, live.url, ben["login"])
    # Before any sync: nothing of anna's is left to see, neither records nor files.
    assert json_of(home, "templates") == []
    assert not annas_file.has(annas["files"]["de"]["sha256"])


# --- syncing -----------------------------------------------------------------------------


def test_sync_json_is_one_object_with_the_documented_keys_and_pages_through_everything(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = new_user(live)
    for n in range(6):
        personal_template(live, user, f"Paged {n}")
    home = prepared_home(tmp_path / "home", live.url, user["login"], synced=False)
    small_pages = {"DOCSHELF_SYNC_PAGE_SIZE": "5"}

    first = json.loads(one_line(succeeds(home, "sync", "--json", env=small_pages)))
    assert set(first) == SYNC_KEYS
    assert first["status"] == "ok" and first["error"] is None
    assert first["downloaded"] >= 6 and first["bytes"] > 0
    assert has_utc_offset(first["last_update"])
    client = Client(Home(home))
    try:
        assert_client_matches_server(live, client)
    finally:
        client.close()

    second = json.loads(one_line(succeeds(home, "sync", "--json", env=small_pages)))
    assert second["status"] == "ok"
    assert second["downloaded"] == 0 and second["deleted"] == 0 and second["bytes"] == 0
    assert datetime.fromisoformat(second["last_update"]) > datetime.fromisoformat(
        first["last_update"]
    )


def test_status_json_shows_the_server_settings_received_with_the_sync(
    live: LiveServer, library: Library
) -> None:
    as_json, human = docshelf_all(library.home, ["status", "--json"], ["status"])
    assert as_json.returncode == EXIT_OK and human.returncode == EXIT_OK, as_json.stderr
    status = json.loads(as_json.stdout)
    assert set(status) == STATUS_KEYS
    assert status["server"] == live.url
    assert status["user"] == library.user["login"]
    assert status["state"] == "idle"
    assert has_utc_offset(status["last_update"])
    assert status["client_sync_interval_ms"] == SYNC_INTERVAL_MS
    assert status["next_sync"] is None  # no daemon runs for this home
    assert status["hints"] == "off" and status["last_hint_at"] is None  # nor its hints
    assert status["pending_uploads"] == 0
    rows = dict(line.split(":", 1) for line in human.stdout.splitlines())
    assert {"Last update", "Log file", "Hints"} <= set(rows)
    assert rows["Hints"].strip().startswith("off")
    assert rows["Log file"].strip() == str(library.home / "logs" / "client.log")


def test_status_after_a_killed_daemon_shows_no_next_sync(live: LiveServer, tmp_path: Path) -> None:
    _, user = new_user(live)
    home = prepared_home(tmp_path / "home", live.url, user["login"], synced=True)
    status_file = Home(home).status_file

    def planned() -> bool:
        status = read_status_file(status_file)
        return status is not None and status.next_sync is not None

    daemon = subprocess.Popen(
        cli_argv(home, "daemon"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(),
    )
    try:
        wait_until(planned, "the daemon to plan its next sync", timeout=120)
        running = json.loads(docshelf(home, "status", "--json").stdout)
        assert running["daemon_running"] is True and running["next_sync"] is not None
    finally:
        daemon.send_signal(signal.SIGKILL)  # no goodbye: the status file keeps its plan
        daemon.wait(timeout=30)
    assert planned(), "the killed daemon's last words name a next sync"
    as_json = docshelf(home, "status", "--json")
    assert as_json.returncode == EXIT_OK, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert (answer["next_sync"], answer["daemon_running"]) == (None, False)
    text = docshelf(home, "status")
    assert "— (no daemon running)" in text.stdout, text.stdout


def test_two_syncs_on_one_home_never_run_at_once(live: LiveServer, tmp_path: Path) -> None:
    _, user = new_user(live)
    home = prepared_home(tmp_path / "home", live.url, user["login"], synced=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(home / "sync.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    waiter: subprocess.Popen[str] | None = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"

        busy = docshelf(home, "sync", "--no-wait")
        assert busy.returncode == EXIT_BUSY, busy.stderr
        assert f"pid {holder.pid}, test holder" in one_line(busy.stderr)

        stderr_file = tmp_path / "waiter.err"
        with stderr_file.open("w") as stderr:
            waiter = subprocess.Popen(
                cli_argv(home, "sync", "--json"),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=cli_env(),
            )
        wait_until(lambda: "waiting" in stderr_file.read_text(), "the second sync to wait")
        assert waiter.poll() is None, "the second sync must wait, not run or give up"
    finally:
        holder.communicate(timeout=30)  # closing its stdin ends the holder
    assert waiter is not None
    out, _ = waiter.communicate(timeout=120)
    assert waiter.returncode == EXIT_OK
    assert json.loads(out)["status"] == "ok"


# --- the local copy ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def listings(library: Library) -> dict[str, list[dict[str, Any]]]:
    """What ``templates/snippets/profiles/units --json`` print for the library's home."""
    kinds = ("templates", "snippets", "profiles", "units")
    runs = docshelf_all(library.home, *([kind, "--json"] for kind in kinds))
    for run in runs:
        assert run.returncode == EXIT_OK, f"{run.args}: {run.stderr}"
    return {kind: json.loads(run.stdout) for kind, run in zip(kinds, runs, strict=True)}


def test_library_lists_are_json_arrays_with_id_version_and_title(
    library: Library, listings: dict[str, list[dict[str, Any]]]
) -> None:
    for kind, rows in listings.items():
        assert isinstance(rows, list) and rows, kind
        for row in rows:
            assert {"id", "version", "title"} <= set(row), f"{kind}: {row}"
    templates = {t["id"]: t for t in listings["templates"]}
    assert templates[library.template["id"]]["title"] == library.template["titles"]["de"]
    assert sorted(templates[library.template["id"]]["files"]) == ["de", "en"]
    assert library.snippet["id"] in {s["id"] for s in listings["snippets"]}
    assert library.profile["id"] in {p["id"] for p in listings["profiles"]}
    assert {library.unit["id"], library.parent_unit["id"]} <= {u["id"] for u in listings["units"]}


def test_profiles_json_resolves_inherited_and_overridden_fields(
    library: Library, listings: dict[str, list[dict[str, Any]]]
) -> None:
    (profile,) = (p for p in listings["profiles"] if p["id"] == library.profile["id"])
    assert profile["title"] == library.profile["title"]
    fields = {f["key"]: f for f in profile["fields"]}
    for field in fields.values():
        assert {"value", "source", "inherited"} <= set(field)
    street, phone = fields[library.street], fields[library.phone]
    assert street["value"] == "Hauptstr. 1"
    assert street["source"] == f"unit:{library.parent_unit['id']}" and street["inherited"]
    assert phone["value"] == "044 2"
    assert phone["source"] == "profile" and not phone["inherited"]


def test_template_get_writes_the_uploaded_file_byte_for_byte(
    library: Library, tmp_path: Path
) -> None:
    target = tmp_path / "letter.docx"
    tid = library.template["id"]
    ok, unknown, french = docshelf_all(
        library.home,
        ["template", "get", tid, "--lang", "en", "-o", str(target)],
        ["template", "get", "tpl_nosuchthing", "-o", str(tmp_path / "x")],
        ["template", "get", tid, "--lang", "fr", "-o", str(tmp_path / "y")],
    )
    assert ok.returncode == EXIT_OK, ok.stderr
    assert target.read_bytes() == library.files["en"]
    assert unknown.returncode != EXIT_OK
    assert "tpl_nosuchthing" in unknown.stderr
    assert french.returncode != EXIT_OK
    assert "de, en" in french.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


# --- when the server is away or says no --------------------------------------------------


def test_offline_sync_exits_3_and_the_local_copy_stays_readable(
    own_database_url: str | None, make_server: MakeServer, tmp_path: Path
) -> None:
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    created = admin_cli(
        ["create-user", "lena", "--role", "layouter", "--password-stdin"],
        data_dir=str(data_dir),
        database_url=own_database_url,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    server: ServerProcess = make_server(own_database_url, data_dir=data_dir, env=FAST_HASHING)
    layouter = login(server.url, "lena")
    template = layouter.ok(
        "POST",
        "/admin/templates",
        json={"kind": "docx", "titles": {"de": "Offline"}, "status": "released"},
    )
    layouter.close()
    home = prepared_home(tmp_path / "home", server.url, "lena", synced=True)

    server.stop()
    failed = docshelf(home, "sync")
    assert failed.returncode == EXIT_OFFLINE, failed.stderr
    assert server.url in one_line(failed.stderr)
    templates, status = docshelf_all(home, ["templates", "--json"], ["status", "--json"])
    assert [t["id"] for t in json.loads(templates.stdout)] == [template["id"]]
    assert json.loads(status.stdout)["state"] == "offline"


def test_a_revoked_device_exits_4_and_keeps_the_local_copy(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = new_user(live)
    mine = personal_template(live, user, unique("Revoked "))
    home = prepared_home(tmp_path / "home", live.url, user["login"], synced=True)
    devices = live.admin.ok("GET", f"/admin/users/{user['id']}/devices")
    (device,) = (d for d in devices if d["name"] == f"cli-{home.name}")
    live.admin.ok("DELETE", f"/admin/devices/{device['id']}")

    failed = docshelf(home, "sync")
    assert failed.returncode == EXIT_SIGNED_OUT, failed.stderr
    assert "docshelf login" in one_line(failed.stderr)
    status, templates = docshelf_all(home, ["status", "--json"], ["templates", "--json"])
    assert json.loads(status.stdout)["state"] == "signed_out"
    assert mine["id"] in {t["id"] for t in json.loads(templates.stdout)}


def test_logout_revokes_the_token_and_forgets_the_sign_in(live: LiveServer, tmp_path: Path) -> None:
    _, user = new_user(live)
    home = prepared_home(tmp_path / "home", live.url, user["login"], synced=False)
    token = token_in(home)

    succeeds(home, "logout")
    assert Api(live.url, token).get("/me").status_code == 401
    assert not (home / "config.json").exists()
    assert not (home / "credentials").exists()
    after = docshelf(home, "sync")
    assert after.returncode != EXIT_OK
    message = one_line(after.stderr)
    assert "docshelf login" in message and message.count("Not signed in") == 1


# --- the daemon --------------------------------------------------------------------------


def test_daemon_syncs_a_fresh_home_at_once_and_stops_on_sigterm(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = new_user(live)
    home = prepared_home(tmp_path / "home", live.url, user["login"], synced=False)
    daemon = subprocess.Popen(
        cli_argv(home, "daemon"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:

        def synced_and_scheduled() -> bool:
            assert daemon.poll() is None, "the daemon ended on its own"
            status = read_status_file(home / "status.json")
            return status is not None and None not in (status.last_update, status.next_sync)

        wait_until(synced_and_scheduled, "the daemon's first sync")
        status = json_of(home, "status")
        # Idle: a change hint may bring one more short sync (the setup's own changes).
        while status["state"] != "idle":
            wait_until(lambda: read_status_file(home / "status.json").state.value == "idle", "idle")
            status = json_of(home, "status")
        assert has_utc_offset(status["last_update"]) and has_utc_offset(status["next_sync"])
        assert datetime.fromisoformat(status["next_sync"]) > datetime.fromisoformat(
            status["last_update"]
        )
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            out, err = daemon.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.communicate()
            raise
    assert daemon.returncode == EXIT_OK, err
    assert "stopped" in out
    log_file = home / "logs" / "client.log"
    assert f"log: {log_file}\n" in out
    events = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert any(e.get("event") == "sync" for e in events)


# --- edits that wait ---------------------------------------------------------------------


EXIT_EDITS_WAITING = 6


def test_a_sync_whose_edit_became_a_conflict_says_so_and_exits_6(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = new_user(live)
    profile = live.admin.ok(
        "POST", "/admin/profiles", json={"owner_id": user["id"], "title": unique("Profil ")}
    )
    first = prepared_home(tmp_path / "first", live.url, user["login"], synced=True)
    second = prepared_home(tmp_path / "second", live.url, user["login"], synced=True)
    succeeds(first, "profile", "set", profile["id"], "title", "Verkauf Zürich")
    succeeds(first, "sync")
    # The second computer still saw the old title: its different one is a conflict.
    succeeds(second, "profile", "set", profile["id"], "title", "Verkauf Bern")
    done = docshelf(second, "sync")
    assert done.returncode == EXIT_EDITS_WAITING, done.stdout + done.stderr
    assert "1 edit of yours is waiting in conflict" in done.stdout, done.stdout
    (entry,) = json_of(second, "conflicts")
    assert f"docshelf conflicts resolve {entry['id']} --keep mine" in done.stdout
    # Still waiting at the next sync, and said in JSON too (counts of what waits).
    again = docshelf(second, "sync", "--json", env={"LANG": "de_CH.UTF-8"})
    assert again.returncode == EXIT_EDITS_WAITING, again.stderr
    answer = json.loads(again.stdout)
    assert answer["status"] == "ok" and answer["conflicts_waiting"] == 1
    assert answer["rejected_waiting"] == 0
    german = docshelf(second, "sync", env={"LANG": "de_CH.UTF-8", "LANGUAGE": ""})
    assert german.returncode == EXIT_EDITS_WAITING
    assert "1 Ihrer Änderungen wartet im Konflikt" in german.stdout, german.stdout
    # Settled: the sync is plain again.
    succeeds(second, "conflicts", "resolve", entry["id"], "--keep", "theirs")
    assert docshelf(second, "sync").returncode == EXIT_OK
