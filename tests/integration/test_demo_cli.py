"""The demo's banner commands, run as printed, and the reading commands on the demo content:
profiles (key, source, image), snippet show, template-groups, package export --group TITLE,
and errors that never show a regular expression."""

from __future__ import annotations

import json
import os
import pty
import select
import shlex
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from docshelf.server.demo.seed import DEMO_PASSWORD
from support.server import ServerProcess, demo_server

ENGLISH = {"LANG": "C", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
DEADLINE = 120.0
# What a leaked validation pattern would look like (e.g. the server's id pattern).
REGEX_TRACES = ("[A-Za-z", "{1,64}", "pattern", "\\d", ".*")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("demo")
    with demo_server(root / "demo", env=ENGLISH, timeout=DEADLINE) as server:
        yield server


def banner_commands(demo: ServerProcess) -> dict[str, list[str]]:
    """The banner's command lines for anna, keyed by their sub-command."""
    found: dict[str, list[str]] = {}
    for line in demo.log_text().splitlines():
        if not line.startswith("  ") or "--home" not in line:
            continue
        argv = shlex.split(line)
        found[argv[argv.index("--home") + 2]] = argv
    return found


def run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env={**os.environ, **ENGLISH},
    )


def run_in_terminal(argv: list[str], answer: str) -> tuple[int, str]:
    """Run ``argv`` on a terminal of its own and type ``answer`` at its password prompt,
    as a person would; returns the exit code and everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal
        os.execvpe(argv[0], argv, {**os.environ, **ENGLISH})
    output, answered = b"", False
    deadline = time.monotonic() + DEADLINE
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal: it ended
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"Password" in output:
                os.write(fd, answer.encode() + b"\n")
                answered = True
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_the_banners_commands_work_as_printed(demo: ServerProcess) -> None:
    commands = banner_commands(demo)
    assert {"login", "sync", "templates"} <= set(commands), demo.log_text()
    assert commands["login"][commands["login"].index("--server") + 1] == demo.url
    code, said = run_in_terminal(commands["login"], DEMO_PASSWORD)
    assert code == 0, said
    assert "Signed in to" in said and "as anna" in said
    synced = run(commands["sync"])
    assert synced.returncode == 0, synced.stderr
    assert "Up to date as of" in synced.stdout
    listed = run(commands["templates"])
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(run([*commands["templates"], "--json"]).stdout)) >= 5


def signed_in_home(demo: ServerProcess, home: Path, user: str) -> Path:
    signed_in = docshelf(
        home, "login", "--server", demo.url, "--user", user, "--password-stdin",
        stdin=DEMO_PASSWORD + "\n",
    )  # fmt: skip
    assert signed_in.returncode == 0, signed_in.stderr
    synced = docshelf(home, "sync")
    assert synced.returncode == 0, synced.stderr
    return home


@pytest.fixture(scope="module")
def anna_home(demo: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signed_in_home(demo, tmp_path_factory.mktemp("anna") / "home", "anna")


@pytest.fixture(scope="module")
def layouter_home(demo: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signed_in_home(demo, tmp_path_factory.mktemp("layouter") / "home", "layouter")


def docshelf(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "docshelf", "--home", str(home), *args], stdin=stdin)


def test_profiles_show_key_source_and_image_file(anna_home: Path) -> None:
    as_json = json.loads(docshelf(anna_home, "profiles", "--json").stdout)
    assert as_json, "the demo's anna has profiles"
    text = docshelf(anna_home, "profiles")
    assert text.returncode == 0, text.stderr
    shown = text.stdout
    for profile in as_json:
        assert f"{profile['title']} ({profile['id']}" in shown
    fields = [f for p in as_json for f in p["fields"] if f["value"] is not None]
    for field in fields:
        assert f"[{field['key']}]: " in shown, field
    sources = {f["source"].partition(":")[0] for f in fields}
    assert "unit" in sources
    assert "from unit «" in shown
    if "profile" in sources:
        assert "set in this profile" in shown
    # An image value is shown as the file that holds it here, never as its hash.
    logos = [f for f in fields if f["key"] == "logo"]
    assert logos, "the demo's units have a logo"
    assert f"[logo]: {logos[0]['value']}" not in shown
    logo_line = next(line for line in shown.splitlines() if "[logo]: image " in line)
    logo_path = logo_line.split("[logo]: image ", 1)[1].split(" (", 1)[0]
    assert Path(logo_path).is_file() and Path(logo_path).is_relative_to(anna_home)


def test_snippet_show_prints_the_text_of_a_snippet_found_by_title(anna_home: Path) -> None:
    snippets = json.loads(docshelf(anna_home, "snippets", "--json").stdout)
    with_text = [s for s in snippets if s.get("body_sha256")]
    assert with_text, "the demo has snippets with a text"
    snippet = with_text[0]
    by_title = docshelf(anna_home, "snippet", "show", snippet["title"])
    by_id = docshelf(anna_home, "snippet", "show", snippet["id"])
    assert by_title.returncode == 0, by_title.stderr
    assert by_title.stdout == by_id.stdout and by_title.stdout.strip()
    assert "<" not in by_title.stdout  # HTML and Word markup left out
    unknown = docshelf(anna_home, "snippet", "show", "No such snippet")
    assert unknown.returncode == 1
    assert "There is no snippet «No such snippet» in the local copy" in unknown.stderr


def test_template_groups_list_titles_parents_and_counts(layouter_home: Path) -> None:
    groups = json.loads(docshelf(layouter_home, "template-groups", "--json").stdout)
    assert groups and all({"id", "title", "parent", "templates"} <= set(g) for g in groups)
    assert sum(g["templates"] for g in groups) > 0
    titles = {g["id"]: g["title"] for g in groups}
    for group in groups:
        if group.get("parent_id"):
            assert group["parent"] == titles[group["parent_id"]]
    text = docshelf(layouter_home, "template-groups")
    assert text.returncode == 0, text.stderr
    for group in groups:
        assert group["title"] in text.stdout


def test_package_export_takes_a_group_by_its_title(layouter_home: Path, tmp_path: Path) -> None:
    groups = json.loads(docshelf(layouter_home, "template-groups", "--json").stdout)
    group = max(groups, key=lambda g: g["templates"])
    output = tmp_path / "group.zip"
    exported = docshelf(
        layouter_home, "package", "export", "--group", group["title"], "-o", str(output)
    )
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(output) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert group["id"] in {g["id"] for g in manifest["template_groups"]}
    assert len(manifest["templates"]) >= group["templates"]


def test_no_error_shows_a_regular_expression(layouter_home: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x")
    refused = [
        docshelf(layouter_home, "package", "export", "--group", "No such group!", "-o", out),
        docshelf(layouter_home, "package", "export", "--template", "bad id?", "-o", out),
        docshelf(layouter_home, "template", "get", "bad id?", "-o", out),
        docshelf(layouter_home, "snippet", "show", "bad [id]"),
        docshelf(layouter_home, "login", "--server", "127.0.0.1:1", "--user", "x"),
    ]
    for done in refused:
        assert done.returncode != 0, done.args
        assert done.stderr.startswith("Error: "), done.stderr
        assert not any(trace in done.stderr for trace in REGEX_TRACES), done.stderr
        assert "Traceback" not in done.stderr
