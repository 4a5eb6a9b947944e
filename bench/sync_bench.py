"""Sync benchmark: initial sync, no-change polls, deltas and client memory on two corpus sizes.

Not a timed test: run it by hand on a quiet machine and compare the ratios, which say more
than the absolute numbers (see docs/performance.md).

    .venv/bin/python bench/sync_bench.py                     # 20 000 records, 500 files
    .venv/bin/python bench/sync_bench.py --quick             # a small smoke run
    .venv/bin/python bench/sync_bench.py --out-dir .bench --keep --markdown results.md

For each corpus (the full one and one ten times smaller) it builds a server data dir with
``bench/corpus.py``, starts a real ``docshelf server`` on a free loopback port and measures:

* initial sync of a fresh client home, run as ``docshelf sync --json`` in its own process so
  that its peak RSS can be read; next to it a plain HTTP download of the same file bytes from
  ``python -m http.server`` over the server's blob directory, with httpx as the client uses it,
  and the same bytes as one stream (a tar of those files, one GET, written to one file),
  once as it is and once fsynced at its end (the disk's share of a durable download);
* no-change polls (``GET /sync/changes`` with an up-to-date cursor) from one keep-alive
  connection (p50, p99) and from several client processes at once (polls per second);
* a delta sync after 10 record changes and 1 file change made through the admin API.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import multiprocessing
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from corpus import BENCH_PASSWORD, BENCH_USER, CorpusInfo, CorpusSpec, build, office_like

from docshelf.client.remote import CHUNK

API = "/api/v1"
PYTHON = sys.executable
# Loopback only: a proxy from the environment must not sit between client and server.
CLIENT_ENV = {
    **{k: v for k, v in os.environ.items() if "proxy" not in k.lower()},
    "DOCSHELF_KEYRING": "0",  # token in a file in the home: no keyring daemon needed
    "NO_PROXY": "127.0.0.1,localhost",
}
DELTA_RECORDS = 10
DELTA_FILE_SIZE = 1024 * 1024
MB = 1_000_000


# --- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    records: int
    files: int
    max_file: int
    repeat: int
    polls: int
    clients: int
    poll_seconds: float
    out_dir: Path
    database_url: str | None

    def specs(self) -> dict[str, CorpusSpec]:
        return {
            "small": CorpusSpec(
                records=max(10, self.records // 10),
                files=max(1, self.files // 10),
                max_file=self.max_file,
            ),
            "full": CorpusSpec(records=self.records, files=self.files, max_file=self.max_file),
        }


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float
    cpu_seconds: float  # user + system, interpreter start-up included


# Starts the measured process and reports its rusage. Linux counts the resident pages a
# process had before exec in its ru_maxrss, and this benchmark holds the server stack in
# memory: a child spawned from here directly would never look smaller than this process.
# Spawned from this small launcher, it is measured on its own.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
print("rusage", usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(argv: list[str], *, stdin: str = "", timeout: float = 1800) -> Finished:
    """Run a process to its end; its own peak RSS and CPU time come from the launcher."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, "-c", LAUNCHER, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CLIENT_ENV,
        start_new_session=True,  # a timeout ends the measured process too, not only the launcher
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    seconds = time.perf_counter() - started
    lines = err.rstrip().splitlines()
    report = lines[-1].split() if lines else []
    if len(report) != 3 or report[0] != "rusage":
        return Finished(proc.returncode, out, err, 0.0, seconds, 0.0)
    # ru_maxrss is in KiB on Linux.
    peak_mb, cpu = int(report[1]) / 1024, float(report[2])
    return Finished(proc.returncode, out, "\n".join(lines[:-1]), peak_mb, seconds, cpu)


@contextlib.contextmanager
def background(
    argv: list[str], cwd: Path, log: Path, ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process in its own process group, stopped (and its group killed) on exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=CLIENT_ENV,
            start_new_session=True,
        )
    try:
        wait_ready(proc, ready_url, log)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2, trust_env=False) as http:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{url}: process exited with {proc.returncode}; see {log}")
            with contextlib.suppress(httpx.TransportError):
                if http.get(url).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} not ready within {timeout} s; see {log}")
            time.sleep(0.05)


# --- the corpus and its server -----------------------------------------------------------


def corpus(name: str, spec: CorpusSpec, settings: Settings) -> tuple[Path, str | None, CorpusInfo]:
    """Build the corpus, or reuse the one a previous run left with --keep."""
    data_dir = settings.out_dir / name / "server"
    marker = settings.out_dir / name / "corpus.json"
    url = database_for(name, settings)
    if marker.exists():
        saved = json.loads(marker.read_text())
        if saved["spec"] == asdict(spec) and saved["database_url"] == url:
            print(f"  {name}: reusing the corpus an earlier run kept")
            return data_dir, url, CorpusInfo(**saved["info"])
        raise SystemExit(
            f"{rel(marker.parent)} holds a different corpus; remove it or choose another --out-dir"
        )
    if data_dir.exists():
        shutil.rmtree(data_dir)
    if url is not None:
        create_database(url)
    started = time.perf_counter()
    info = build(data_dir, spec, url)
    print(
        f"  {name}: built {info.records} records, {info.files} files ({info.unique_files}"
        f" unique, {info.unique_bytes / MB:.0f} MB) in {time.perf_counter() - started:.0f} s"
    )
    marker.write_text(json.dumps({"spec": asdict(spec), "database_url": url, "info": asdict(info)}))
    return data_dir, url, info


def database_for(name: str, settings: Settings) -> str | None:
    """SQLite in the data dir, or on PostgreSQL a database of its own per corpus."""
    if settings.database_url is None:
        return None
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    return url.set(database=f"{url.database}_bench_{name}").render_as_string(hide_password=False)


def create_database(url: str) -> None:
    """Create a corpus database on the server of --database-url; refuse to reuse a stranger's."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if exists:
                raise SystemExit(
                    f"Database {target.database} exists but this --out-dir does not know it;"
                    " drop it or choose another --out-dir."
                )
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server process used so far (Linux /proc; 0 where there is none)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        # utime and stime, fields 14 and 15 of stat(5), counted after the ")".
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def docshelf_server(data_dir: Path, database_url: str | None) -> Iterator[Server]:
    port = free_port()
    argv = [PYTHON, "-m", "docshelf", "server", "--data-dir", str(data_dir)]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    if database_url:
        argv += ["--database-url", database_url]
    base = f"http://127.0.0.1:{port}"
    with background(argv, data_dir, data_dir / "logs" / "stdout.log", f"{base}/readyz") as proc:
        yield Server(base, proc.pid)


@contextlib.contextmanager
def static_server(directory: Path, log: Path) -> Iterator[str]:
    """The baseline: Python's plain file server, HTTP/1.1 so that connections are kept alive."""
    port = free_port()
    argv = [PYTHON, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(directory)]
    argv += ["--protocol", "HTTP/1.1", str(port)]
    base = f"http://127.0.0.1:{port}"
    with background(argv, directory, log, f"{base}/"):
        yield base


def api_login(base: str, device: str) -> httpx.Client:
    """An httpx client signed in as the bench user with a device (and token) of its own."""
    http = httpx.Client(base_url=base + API, timeout=120, trust_env=False)
    answer = http.post(
        "/auth/login",
        json={"login": BENCH_USER, "password": BENCH_PASSWORD, "device_name": device},
    )
    answer.raise_for_status()
    http.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return http


# --- the client, as users run it ---------------------------------------------------------


def cli(home: Path, *args: str) -> list[str]:
    return [PYTHON, "-m", "docshelf", "--home", str(home), *args]


def client_login(base: str, home: Path) -> None:
    if home.exists():
        shutil.rmtree(home)
    done = run_measured(
        cli(home, "login", "--server", base, "--user", BENCH_USER, "--password-stdin"),
        stdin=BENCH_PASSWORD + "\n",
    )
    if done.returncode != 0:
        raise RuntimeError(f"login failed: {done.stderr}")


@dataclass
class SyncRun:
    seconds: float  # the engine's own time, without interpreter start-up
    bytes: int
    downloaded: int
    peak_rss_mb: float
    client_cpu: float
    server_cpu: float = 0.0


def client_sync(home: Path, server: Server) -> SyncRun:
    cpu_before = server.cpu_seconds()
    done = run_measured(cli(home, "sync", "--json"))
    server_cpu = server.cpu_seconds() - cpu_before
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"sync failed ({done.returncode}): {done.stdout} {done.stderr}")
    result = json.loads(lines[-1])
    if result["status"] != "ok":
        raise RuntimeError(f"sync failed: {result['error']}")
    return SyncRun(
        result["seconds"],
        result["bytes"],
        result["downloaded"],
        done.peak_rss_mb,
        done.cpu_seconds,
        server_cpu,
    )


def cache_state(home: Path, key: str) -> str:
    with contextlib.closing(sqlite3.connect(f"file:{home / 'cache.db'}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return str(row[0])


def template_with_file(home: Path) -> str:
    with contextlib.closing(sqlite3.connect(f"file:{home / 'cache.db'}?mode=ro", uri=True)) as db:
        for ident, data in db.execute("SELECT id, data FROM records WHERE kind = 'template'"):
            if json.loads(data).get("files"):
                return str(ident)
    raise RuntimeError("no template with a file in the corpus")


def held_files(home: Path) -> list[str]:
    """Blob paths (``ab/cd/<sha>``) of every file the client downloaded."""
    root = home / "files"
    return sorted(p.relative_to(root).as_posix() for p in root.glob("??/??/*") if p.is_file())


# --- measurements ------------------------------------------------------------------------


def plain_download(base: str, paths: list[str], scratch: Path) -> tuple[float, int]:
    """Download every file once, one after the other, as the client does: httpx, one kept-alive
    connection, the client's chunk size, each file written to disk (no hash, no fsync)."""
    scratch.mkdir(parents=True, exist_ok=True)
    total = 0
    with httpx.Client(base_url=base, timeout=120, trust_env=False) as http:
        started = time.perf_counter()
        for path in paths:
            with http.stream("GET", "/" + path) as response, (scratch / "file").open("wb") as out:
                response.raise_for_status()
                for chunk in response.iter_bytes(CHUNK):
                    out.write(chunk)
                    total += len(chunk)
        seconds = time.perf_counter() - started
    shutil.rmtree(scratch)
    return seconds, total


# The single-stream baseline reads into one buffer of this size (no fresh bytes per read).
STREAM_BUFFER = 1024 * 1024


def stream_archive(blob_dir: Path, paths: list[str], directory: Path) -> Path:
    """One uncompressed tar of exactly these files, built once and kept for later rounds
    (and runs, with --keep) as long as the list of files is the same."""
    directory.mkdir(parents=True, exist_ok=True)
    archive = directory / "files.tar"
    listing = directory / "files.txt"
    wanted = "\n".join(paths)
    if archive.exists() and listing.exists() and listing.read_text() == wanted:
        return archive
    partial = directory / "files.tar.part"
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in paths:
            tar.add(blob_dir / path, arcname=path, recursive=False)
    partial.replace(archive)
    listing.write_text(wanted)
    return archive


def stream_download(
    base: str, name: str, scratch: Path, *, durable: bool = False
) -> tuple[float, int]:
    """The bytes of every file as one stream: one GET of the tar, written to one file (no
    hash), read into one reused buffer. What this machine moves over loopback from Python's
    file server without any per-file cost. ``durable``: the file is fsynced before the clock
    stops, the guarantee a sync gives each file (what the disk adds to the stream)."""
    scratch.mkdir(parents=True, exist_ok=True)
    url = httpx.URL(base)
    buffer = bytearray(STREAM_BUFFER)
    view = memoryview(buffer)
    total = 0
    conn = http.client.HTTPConnection(url.host, url.port, timeout=120)
    try:
        started = time.perf_counter()
        conn.request("GET", "/" + name)
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"stream baseline: {response.status} {response.reason}")
        with (scratch / "stream").open("wb", buffering=0) as out:
            while n := response.readinto(buffer):
                out.write(view[:n])
                total += n
            if durable:
                os.fsync(out.fileno())
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    shutil.rmtree(scratch)
    return seconds, total


def blob_endpoint_download(http: httpx.Client, paths: list[str]) -> tuple[float, int]:
    """The same files through docshelf's /blobs endpoint, without the sync engine."""
    total = 0
    started = time.perf_counter()
    for path in paths:
        with http.stream("GET", f"/blobs/{path.rsplit('/', 1)[-1]}") as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(CHUNK):
                total += len(chunk)
    return time.perf_counter() - started, total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class PollLatency:
    p50_ms: float
    p99_ms: float
    answer_bytes: int
    server_cpu_ms: float  # per poll: less disturbed by other load than the latency


def poll_latency(server: Server, cursor: str, polls: int) -> PollLatency:
    http = api_login(server.base, "bench-latency")
    params: dict[str, str | int] = {"cursor": cursor, "limit": 500}
    timings: list[float] = []
    size = 0
    rounds = polls + polls // 10
    cpu_before = server.cpu_seconds()
    try:
        for i in range(rounds):
            started = time.perf_counter()
            response = http.get("/sync/changes", params=params)
            elapsed = time.perf_counter() - started
            page = response.json()
            if response.status_code != 200 or page["changes"] or page["has_more"]:
                raise RuntimeError(f"not a no-change answer: {response.status_code} {page}")
            size = len(response.content)
            if i >= polls // 10:  # the first tenth warms up connections and caches
                timings.append(elapsed * 1000)
    finally:
        http.close()
    server_cpu = (server.cpu_seconds() - cpu_before) / rounds * 1000
    return PollLatency(percentile(timings, 0.50), percentile(timings, 0.99), size, server_cpu)


def _poll_worker(
    base: str, cursor: str, seconds: float, index: int, barrier: Any, results: Any
) -> None:
    """One polling client in its own process (its own GIL), with its own device token."""
    http = api_login(base, f"bench-poller-{index}")
    params: dict[str, str | int] = {"cursor": cursor, "limit": 500}
    count = errors = 0
    try:
        http.get("/sync/changes", params=params)  # first poll notes the device: not counted
        barrier.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if http.get("/sync/changes", params=params).status_code == 200:
                count += 1
            else:
                errors += 1
    finally:
        http.close()
    results.put((count, errors))


def poll_throughput(base: str, cursor: str, clients: int, seconds: float) -> tuple[float, int]:
    """Polls per second the server answers while ``clients`` processes poll flat out."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_poll_worker, args=(base, cursor, seconds, i, barrier, results))
        for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout=120)
        counts = [results.get(timeout=seconds + 120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    return sum(c for c, _ in counts) / seconds, sum(e for _, e in counts)


def make_delta(http: httpx.Client, template_id: str, round_no: int) -> int:
    """10 record changes and 1 file change, each its own request, as an administrator makes
    them (and so 11 change numbers); returns the new file's size."""
    units = http.get("/admin/units", params={"limit": DELTA_RECORDS})
    units.raise_for_status()
    for i, unit in enumerate(units.json()):
        answer = http.patch(f"/admin/units/{unit['id']}", json={"title": f"Abt {round_no}.{i}"})
        answer.raise_for_status()
    # New bytes every time, also when a kept corpus is measured again.
    data = office_like(random.Random(secrets.token_hex(8)), DELTA_FILE_SIZE)
    sha = hashlib.sha256(data).hexdigest()
    http.put(f"/blobs/{sha}", content=data).raise_for_status()
    answer = http.put(
        f"/admin/templates/{template_id}/files/de",
        json={"sha256": sha, "filename": f"neu-{round_no}.docx"},
    )
    answer.raise_for_status()
    return len(data)


@dataclass
class CorpusResult:
    info: CorpusInfo
    initial: list[SyncRun] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    plain_bytes: int = 0
    stream: list[float] = field(default_factory=list)
    stream_bytes: int = 0
    durable_stream: list[float] = field(default_factory=list)
    blob_endpoint: list[float] = field(default_factory=list)
    latency: PollLatency | None = None
    polls_per_s: float = 0.0
    poll_errors: int = 0
    delta: list[SyncRun] = field(default_factory=list)


def measure_corpus(name: str, spec: CorpusSpec, settings: Settings, round0: int) -> CorpusResult:
    data_dir, url, info = corpus(name, spec, settings)
    result = CorpusResult(info)
    homes = settings.out_dir / name / "homes"
    with docshelf_server(data_dir, url) as server:
        base = server.base
        admin = api_login(base, "bench-admin")
        try:
            home = homes / "client"
            static_log = settings.out_dir / name / "static.log"
            stream_dir = settings.out_dir / name / "stream"
            stream_dir.mkdir(parents=True, exist_ok=True)
            with (
                static_server(data_dir / "blobs", static_log) as static,
                static_server(stream_dir, settings.out_dir / name / "stream.log") as stream,
            ):
                # Interleaved with the baseline so that a noisy minute hits both alike.
                for i in range(settings.repeat):
                    client_login(base, home)
                    run = client_sync(home, server)
                    result.initial.append(run)
                    if run.downloaded < info.records - 10:
                        raise RuntimeError(f"initial sync stored only {run.downloaded} records")
                    paths = held_files(home)
                    seconds, result.plain_bytes = plain_download(
                        static, paths, settings.out_dir / name / "plain-download"
                    )
                    result.plain.append(seconds)
                    archive = stream_archive(data_dir / "blobs", paths, stream_dir)
                    stream_seconds, stream_bytes = stream_download(
                        stream, archive.name, settings.out_dir / name / "stream-download"
                    )
                    result.stream.append(stream_seconds)
                    result.stream_bytes = stream_bytes
                    durable_seconds, _ = stream_download(
                        stream,
                        archive.name,
                        settings.out_dir / name / "stream-download",
                        durable=True,
                    )
                    result.durable_stream.append(durable_seconds)
                    result.blob_endpoint.append(blob_endpoint_download(admin, paths)[0])
                    print(
                        f"  {name}: initial sync {run.seconds:.2f} s, {run.bytes / MB:.0f} MB,"
                        f" CPU client {run.client_cpu:.1f} s, server {run.server_cpu:.1f} s,"
                        f" peak RSS {run.peak_rss_mb:.0f} MB; plain download {seconds:.2f} s,"
                        f" one stream {stream_seconds:.2f} s, fsynced {durable_seconds:.2f} s"
                        f" (round {i + 1} of {settings.repeat})"
                    )
            cursor = cache_state(home, "cursor")
            result.latency = poll_latency(server, cursor, settings.polls)
            result.polls_per_s, result.poll_errors = poll_throughput(
                base, cursor, settings.clients, settings.poll_seconds
            )
            print(
                f"  {name}: poll p50 {result.latency.p50_ms:.2f} ms, p99"
                f" {result.latency.p99_ms:.2f} ms, server CPU {result.latency.server_cpu_ms:.2f}"
                f" ms/poll, {result.polls_per_s:.0f} polls/s"
            )
            template_id = template_with_file(home)
            for i in range(settings.repeat):
                size = make_delta(admin, template_id, round0 + i)
                run = client_sync(home, server)
                if run.downloaded != DELTA_RECORDS + 1 or run.bytes != size:
                    raise RuntimeError(
                        f"delta sync brought {run.downloaded} records, {run.bytes} B"
                    )
                result.delta.append(run)
                print(
                    f"  {name}: delta sync {run.seconds:.3f} s, server CPU"
                    f" {run.server_cpu * 1000:.0f} ms"
                )
        finally:
            admin.close()
    return result


# --- the report --------------------------------------------------------------------------


def machine_facts() -> list[str]:
    load = os.getloadavg()
    return [
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" httpx {httpx.__version__}",
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)",
    ]


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def table(small: CorpusResult, full: CorpusResult, settings: Settings) -> list[list[str]]:
    """Rows of (metric, small, full, baseline, ratio, target, result). Times: best of N,
    memory: the largest of N; the ratios compare the full corpus with the baseline or with
    the small corpus."""

    def row(metric: str, small: str, full: str, *rest: str) -> list[str]:
        return [metric, small, full, *rest, *[""] * (4 - len(rest))]

    def corpus(info: CorpusInfo) -> str:
        return f"{info.records} / {info.files} ({info.unique_files}) / {info.unique_bytes / MB:.0f}"

    def best(runs: list[SyncRun]) -> SyncRun:
        return min(runs, key=lambda run: run.seconds)

    def cpu(runs: list[SyncRun]) -> str:
        return f"{min(r.client_cpu for r in runs):.1f} + {min(r.server_cpu for r in runs):.1f}"

    n = settings.repeat
    s_init, f_init = best(small.initial), best(full.initial)
    s_plain, f_plain = min(small.plain), min(full.plain)
    s_blobs, f_blobs = min(small.blob_endpoint), min(full.blob_endpoint)
    init_ratio = f_init.seconds / f_plain
    s_stream, f_stream = min(small.stream), min(full.stream)
    stream_ratio = f_init.seconds / f_stream
    s_durable, f_durable = min(small.durable_stream), min(full.durable_stream)
    durable_ratio = f_init.seconds / f_durable
    s_delta, f_delta = best(small.delta), best(full.delta)
    delta_ratio = f_delta.seconds / s_delta.seconds
    s_rss = max(r.peak_rss_mb for r in small.initial)
    f_rss = max(r.peak_rss_mb for r in full.initial)
    rss_ratio = f_rss / s_rss
    assert small.latency and full.latency
    s_poll, f_poll = small.latency, full.latency
    p50_ok = max(s_poll.p50_ms, f_poll.p50_ms) < 5
    return [
        row("corpus: records / files (unique) / MB", corpus(small.info), corpus(full.info)),
        row(
            f"initial sync, s (best of {n})",
            f"{s_init.seconds:.2f}",
            f"{f_init.seconds:.2f}",
            f"{f_plain:.2f} plain download",
            f"{init_ratio:.2f}x",
            "<= 1.5x plain",
            verdict(init_ratio <= 1.5),
        ),
        row(
            f"initial sync against one stream, s (best of {n})",
            f"{s_init.seconds:.2f}",
            f"{f_init.seconds:.2f}",
            f"{f_stream:.2f} one stream",
            f"{stream_ratio:.2f}x",
            "<= 2x one stream",
            verdict(stream_ratio <= 2),
        ),
        row(
            f"initial sync against one stream fsynced, s (best of {n})",
            f"{s_init.seconds:.2f}",
            f"{f_init.seconds:.2f}",
            f"{f_durable:.2f} fsynced",
            f"{durable_ratio:.2f}x",
            "(same guarantee)",
        ),
        # No sync can end before its bytes are on disk: the stream fsynced is its floor.
        # Where that floor is above twice the plain stream, the 2x target is out of reach.
        row(
            "the disk's floor: one stream fsynced / one stream",
            "",
            "",
            "",
            f"{f_durable / f_stream:.2f}x",
            "< 2x for the target to be reachable",
            "reachable" if f_durable / f_stream < 2 else "out of reach",
        ),
        row(
            "initial sync, MB/s",
            f"{s_init.bytes / MB / s_init.seconds:.1f}",
            f"{f_init.bytes / MB / f_init.seconds:.1f}",
            f"{full.plain_bytes / MB / f_plain:.1f}",
        ),
        row(
            "initial sync CPU, s: client + server",
            cpu(small.initial),
            cpu(full.initial),
        ),
        row(
            "plain download (static server), s",
            f"{s_plain:.2f}",
            f"{f_plain:.2f}",
            "",
            f"{s_init.seconds / s_plain:.2f}x (small)",
        ),
        row(
            "one stream of the same bytes (a tar, one GET), s",
            f"{s_stream:.2f}",
            f"{f_stream:.2f}",
            f"{full.stream_bytes / MB / f_stream:.1f} MB/s",
            f"{s_init.seconds / s_stream:.2f}x (small)",
        ),
        row(
            "the same stream, fsynced before the clock stops, s",
            f"{s_durable:.2f}",
            f"{f_durable:.2f}",
            f"{full.stream_bytes / MB / f_durable:.1f} MB/s",
            f"{s_init.seconds / s_durable:.2f}x (small)",
        ),
        row(
            "same files from docshelf /blobs, s",
            f"{s_blobs:.2f}",
            f"{f_blobs:.2f}",
            "",
            f"{f_blobs / f_plain:.2f}x",
        ),
        row(
            "no-change poll p50, ms",
            f"{s_poll.p50_ms:.2f}",
            f"{f_poll.p50_ms:.2f}",
            "",
            "",
            "< 5 ms",
            verdict(p50_ok),
        ),
        row("no-change poll p99, ms", f"{s_poll.p99_ms:.2f}", f"{f_poll.p99_ms:.2f}"),
        row(
            "server CPU per no-change poll, ms",
            f"{s_poll.server_cpu_ms:.2f}",
            f"{f_poll.server_cpu_ms:.2f}",
        ),
        row(
            f"no-change polls/s, {settings.clients} client processes",
            f"{small.polls_per_s:.0f}",
            f"{full.polls_per_s:.0f}",
            "",
            "",
            "",
            "errors!" if small.poll_errors or full.poll_errors else "",
        ),
        row(
            "no-change poll answer, bytes",
            str(s_poll.answer_bytes),
            str(f_poll.answer_bytes),
        ),
        row(
            f"delta sync (10 records, 1 file), s (best of {n})",
            f"{s_delta.seconds:.3f}",
            f"{f_delta.seconds:.3f}",
            "",
            f"{delta_ratio:.2f}x",
            "<= 1.5x small",
            verdict(delta_ratio <= 1.5),
        ),
        row(
            "delta sync server CPU, ms",
            f"{min(r.server_cpu for r in small.delta) * 1000:.0f}",
            f"{min(r.server_cpu for r in full.delta) * 1000:.0f}",
        ),
        row(
            "client peak RSS, initial sync, MB",
            f"{s_rss:.0f}",
            f"{f_rss:.0f}",
            "",
            f"{rss_ratio:.2f}x",
            "<= 1.2x small",
            verdict(rss_ratio <= 1.2),
        ),
        row(
            "client peak RSS, delta sync, MB",
            f"{max(r.peak_rss_mb for r in small.delta):.0f}",
            f"{max(r.peak_rss_mb for r in full.delta):.0f}",
        ),
    ]


HEADER = ["metric", "small corpus", "full corpus", "baseline", "ratio", "target", "result"]


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    for row in [HEADER, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def markdown(rows: list[list[str]], facts: list[str], runtime: float) -> str:
    lines = [f"Run {datetime.now().astimezone():%Y-%m-%d %H:%M}, {runtime / 60:.1f} min.", ""]
    lines += [f"- {fact}" for fact in facts]
    lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def rel(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return path.name


# --- main --------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> tuple[Settings, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="full corpus records")
    parser.add_argument("--files", type=int, default=500, help="full corpus files")
    parser.add_argument("--out-dir", type=Path, help="where corpora go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep --out-dir to reuse it")
    parser.add_argument("--database-url", help="PostgreSQL server: one database per corpus")
    parser.add_argument("--quick", action="store_true", help="a small, fast smoke run")
    parser.add_argument("--repeat", type=int, help="rounds per timing (default 3, quick 1)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent polling processes")
    parser.add_argument("--markdown", type=Path, help="also write the results as Markdown")
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.files = min(args.records, 1000), min(args.files, 20)
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="docshelf-bench-"))
    settings = Settings(
        records=args.records,
        files=args.files,
        max_file=256 * 1024 if args.quick else CorpusSpec.max_file,
        repeat=args.repeat or (1 if args.quick else 3),
        polls=100 if args.quick else 1000,
        clients=min(args.clients, 2) if args.quick else args.clients,
        poll_seconds=1.0 if args.quick else 5.0,
        out_dir=out_dir.absolute(),
        database_url=args.database_url,
    )
    return settings, args


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    settings, args = parse(argv)
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    print(f"docshelf sync benchmark: {settings.records} records, {settings.files} files")
    specs = settings.specs()
    try:
        small = measure_corpus("small", specs["small"], settings, round0=1000)
        full = measure_corpus("full", specs["full"], settings, round0=2000)
    finally:
        if not args.keep:
            for name in specs:
                url = database_for(name, settings)
                if url is not None:
                    drop_database(url)
            shutil.rmtree(settings.out_dir, ignore_errors=True)
    runtime = time.perf_counter() - started
    facts = machine_facts()
    rows = table(small, full, settings)
    print()
    for fact in facts:
        print(fact)
    print()
    print_table(rows)
    print(f"\ntotal {runtime / 60:.1f} min")
    if args.markdown:
        args.markdown.write_text(markdown(rows, facts, runtime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
