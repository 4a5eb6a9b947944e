"""Command line start-up: how long ``docshelf`` commands take as whole processes.

Not a timed test: run it by hand, on a machine as quiet as you can get, and compare the
ratios to ``python -c pass`` (the floor every command pays), which say more than the
absolute numbers (see docs/performance.md, "Command line start-up").

    .venv/bin/python bench/cli_startup.py                        # this checkout, 15 runs each
    .venv/bin/python bench/cli_startup.py --compare 6de8ddd      # and a previous version
    .venv/bin/python bench/cli_startup.py --runs 25 --markdown cli.md
    .venv/bin/python bench/cli_startup.py --compare 6de8ddd --instructions  # and valgrind's count
    .venv/bin/python bench/cli_startup.py --database-url postgresql+psycopg://u@127.0.0.1:5432/cli

It starts ``docshelf demo`` on a free loopback port in a temporary folder, signs a fresh
client home in as the demo user anna and synchronises it, then runs each command ``--runs``
times in a process of its own (after one run to warm the file cache) and prints the median,
minimum and maximum wall time and the median CPU time (user + system) of each. ``--compare
REV`` exports that revision's ``src`` with ``git archive`` and runs the same commands with it
on the same home, in the same run, one after the other for each command.

``--database-url`` runs the server on PostgreSQL instead of the demo's SQLite (the demo
content seeded into a database created for the run): only the sync's figure can differ,
the reading commands never ask the server.

``--instructions`` also runs each command once under valgrind (callgrind) and reports the
instructions it executed, in millions: unlike the times, that count does not change with
what else runs on the machine (the times of a loaded machine are inflated by waiting for
a CPU and by caches others evict; the count is the work itself).

Python's bytecode caches are written and used, as in an installed docshelf
(PYTHONDONTWRITEBYTECODE is dropped for the children); the message catalogues are
compiled first, as ``make`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEMO_USER, DEMO_PASSWORD = "anna", "demo"
# The targets (seconds, median wall time of the whole process).
READING_TARGET = 0.12
SYNC_TARGET = 0.2
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("templates --json", ["templates", "--json"], READING_TARGET),
    ("templates (table)", ["templates"], READING_TARGET),
    ("template-groups --json", ["template-groups", "--json"], READING_TARGET),
    ("snippets --json", ["snippets", "--json"], READING_TARGET),
    ("profiles --json", ["profiles", "--json"], READING_TARGET),
    ("units --json", ["units", "--json"], READING_TARGET),
    ("status --json", ["status", "--json"], READING_TARGET),
    ("status", ["status"], READING_TARGET),
    ("sync --json (nothing new)", ["sync", "--json"], SYNC_TARGET),
    ("--help", ["--help"], None),
]


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]
    instructions: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def cells(self) -> str:
        return (
            f"{self.median * 1000:.0f} | {min(self.wall) * 1000:.0f} | "
            f"{max(self.wall) * 1000:.0f} | {statistics.median(self.cpu) * 1000:.0f}"
        )

    def counted(self) -> str:
        return "" if self.instructions is None else f"{self.instructions / 1e6:.0f}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(src: Path, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    return {
        **env,
        "PYTHONPATH": str(src),
        "DOCSHELF_HOME": str(home),
        "DOCSHELF_KEYRING": "0",  # token in a file in the home: no keyring daemon needed
        "NO_PROXY": "127.0.0.1,localhost",
        "LANG": "C.UTF-8",
        "LC_ALL": "",
        "LANGUAGE": "",
        "COLUMNS": "120",
    }


def instructions(argv: list[str], env: dict[str, str]) -> int | None:
    """Instructions the process executed (valgrind's callgrind); None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found.group(1)) if found else None


def measure(argv: list[str], env: dict[str, str], runs: int, count: bool = False) -> Timing:
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(
            after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
        )
    return Timing(wall, cpu, instructions(argv, env) if count else None)


# Seeds the demo content into the database of argv[2] (data dir argv[1]), as `docshelf demo`
# does into its SQLite: the server then runs on that database.
SEED = """
import sys
from pathlib import Path
from docshelf.server.config import ServerSettings
from docshelf.server.demo.seed import seed_demo
from docshelf.server.runner import prepare
state = prepare(ServerSettings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2]))
seed_demo(state.db, state.blobs, state.passwords)
state.db.dispose()
"""


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[None]:
    """The database --database-url names, created for this run and dropped after it (one
    that exists already is refused: it may be somebody's)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = target.database
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                raise SystemExit(f"Database {name} exists already; name another in the URL.")
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def demo_server(work: Path, src: Path, database_url: str | None = None) -> Iterator[str]:
    """`docshelf demo` on a free loopback port; with a PostgreSQL URL, the demo content
    seeded into that database and `docshelf server` on it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "server.log").open("wb")
    data_dir = str(work / "server")
    if database_url is None:
        argv = [PYTHON, "-m", "docshelf", "demo", "--data-dir", data_dir]
    else:
        seed = [PYTHON, "-c", SEED, data_dir, database_url]
        subprocess.run(seed, env=child_env(src, work / "unused"), check=True)
        argv = [PYTHON, "-m", "docshelf", "server", "--data-dir", data_dir]
        argv += ["--database-url", database_url]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        argv, env=child_env(src, work / "unused"), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise SystemExit(f"docshelf demo ended; see {work / 'server.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("docshelf demo did not become ready in 120 s")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def signed_in_home(url: str, home: Path, src: Path) -> None:
    env = child_env(src, home)
    login = [PYTHON, "-m", "docshelf", "login", "--server", url, "--user", DEMO_USER]
    subprocess.run(
        [*login, "--password-stdin"], input=DEMO_PASSWORD, text=True, env=env, check=True
    )
    subprocess.run([PYTHON, "-m", "docshelf", "sync"], env=env, check=True)


def export_revision(revision: str, work: Path) -> Path:
    target = work / f"rev-{revision}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def compile_catalogues(src: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run(
        [PYTHON, "-m", "docshelf.i18n.tools", "compile"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def table(
    baseline: dict[str, Timing],
    rows: list[tuple[str, float | None, Timing, Timing | None]],
    rev: str | None,
) -> str:
    floor = baseline["python -c pass"].median
    counted = baseline["python -c pass"].instructions is not None
    head = "| command | median ms | min | max | CPU ms | × `python -c pass` | target |"
    rule = "|---|---:|---:|---:|---:|---:|---|"
    if rev:
        head += f" {rev}: median ms | CPU ms |"
        rule += "---:|---:|"
    if counted:
        head += " instructions, M |" + (f" {rev}: instructions, M |" if rev else "")
        rule += "---:|" + ("---:|" if rev else "")
    lines = [head, rule]
    for name, timing in baseline.items():
        lines.append(
            f"| `{name}` | {timing.cells()} | {timing.median / floor:.1f} | |"
            + (" | |" if rev else "")
            + (f" {timing.counted()} |" + (" |" if rev else "") if counted else "")
        )
    for name, target, timing, before in rows:
        met = ""
        if target is not None:
            verdict = "met" if timing.median <= target else "**not met**"
            met = f"≤ {target * 1000:.0f} ms: {verdict}"
        line = f"| `docshelf {name}` | {timing.cells()} | {timing.median / floor:.1f} | {met} |"
        if rev:
            line += (
                f" {before.median * 1000:.0f} | {statistics.median(before.cpu) * 1000:.0f} |"
                if before
                else " | |"
            )
        if counted:
            line += f" {timing.counted()} |"
            if rev:
                line += f" {before.counted() if before else ''} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--compare", metavar="REV", help="also time this git revision's src")
    parser.add_argument("--markdown", type=Path, help="write the table to this file too")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions once under valgrind (load-independent)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="run the server on this PostgreSQL database (created and dropped by the run)",
    )
    args = parser.parse_args()
    started_load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    src = ROOT / "src"
    with tempfile.TemporaryDirectory(prefix="docshelf-cli-bench-") as tmp:
        work = Path(tmp)
        compile_catalogues(src)
        before_src = None
        if args.compare:
            before_src = export_revision(args.compare, work)
            compile_catalogues(before_src)
        home = work / "home"
        with (
            fresh_database(args.database_url) if args.database_url else contextlib.nullcontext(),
            demo_server(work, src, args.database_url) as url,
        ):
            signed_in_home(url, home, src)
            env = child_env(src, home)
            count = args.instructions
            baseline = {
                "python -c pass": measure([PYTHON, "-c", "pass"], env, args.runs, count),
                "python -S -c pass": measure([PYTHON, "-S", "-c", "pass"], env, args.runs, count),
            }
            rows = []
            for name, argv, target in COMMANDS:
                command = [PYTHON, "-m", "docshelf", *argv]
                timing = measure(command, env, args.runs, count)
                before = None
                if before_src is not None:
                    before = measure(command, child_env(before_src, home), args.runs, count)
                rows.append((name, target, timing, before))
                print(f"{name}: {timing.median * 1000:.0f} ms", file=sys.stderr)
        shutil.rmtree(home, ignore_errors=True)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    database = "PostgreSQL" if args.database_url else "SQLite"
    text = f"{os.cpu_count()} CPUs, load average {started_load} at the start, {load} at the end,"
    text += f" the server on {database}\n\n"
    text += table(baseline, rows, args.compare)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
