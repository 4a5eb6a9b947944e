"""HAProxy in front of several docshelf server processes: its configuration and its
runtime API (take a server out, put it back, read what its health checks see).

The configuration is generated from the template below with the chosen ports; the
reasons for each setting are in its comments, which land in the generated file too.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

BINARY_HINT = "Install it with `apt-get install haproxy` (Debian/Ubuntu)."

CONFIG_TEMPLATE = Template("""\
# Generated for one docshelf cluster; see docs/operations.md.
global
    # The runtime API: the cluster tooling takes servers out and puts them back here.
    stats socket $socket mode 600 level admin
    # Connections in all; each takes two descriptors (client and server side).
    maxconn $maxconn

defaults
    mode http
    option httplog
    log stdout format raw local0 info
    # Inactivity limits, not totals: a long download keeps moving, and a held change-hint
    # stream carries a keepalive every 20 s (DOCSHELF_HINT_HEARTBEAT_SECONDS), so a minute
    # of silence means the peer is gone.
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout http-request 15s
    timeout http-keep-alive 15s
    timeout queue 15s
    # A connection opened ahead and left unused is closed without a 408 answer, which a
    # client would read as the answer to the next request it sends on it.
    option http-ignore-probes
    # A server that dies with requests in flight: try the request again, on another server.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response junk-response response-timeout 502 503 504
    # A polled client, its hint stream and its downloads may land on different processes:
    # everything a request needs is in the database and the shared blob store, so no
    # stickiness (no cookie, no source hashing).

frontend docshelf
    bind 127.0.0.1:$port
    default_backend servers
    # Only requests that change nothing are sent again: GET, and the two POSTs that only
    # read (files in a pack, records by id). An edit that may have reached a dying server
    # is left to the client, which sends it again with the same mutation id.
    acl reads_only path /api/v1/blobs/pack /api/v1/sync/records
    http-request disable-l7-retry if !METH_GET !reads_only

backend servers
    # Fewest open connections: held hint streams are most of a process's connections, and
    # a process back from a restart has none, so it takes the new ones first.
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    # Out after three failed checks, back after two good ones. A busy process answers
    # slowly but still serves: a check fails on a timeout of seconds, not the interval
    # (the default), or under load every process would be taken out at once.
    timeout check 5s
    default-server inter ${check_ms}ms fall 3 rise 2 maxconn 5000
$servers
""")


class HaproxyMissing(RuntimeError):
    """The haproxy binary is not installed."""


def find_haproxy() -> str:
    found = shutil.which("haproxy") or next(
        (str(p) for p in (Path("/usr/sbin/haproxy"),) if p.is_file()), None
    )
    if found is None:
        raise HaproxyMissing(f"HAProxy is missing. {BINARY_HINT}")
    return found


@dataclass(frozen=True)
class Backend:
    name: str
    port: int


def render_config(port: int, backends: Sequence[Backend], socket_path: Path, check_ms: int) -> str:
    servers = "\n".join(f"    server {b.name} 127.0.0.1:{b.port} check" for b in backends)
    return CONFIG_TEMPLATE.substitute(
        port=port, servers=servers, socket=socket_path, check_ms=check_ms, maxconn=max_connections()
    )


def max_connections() -> int:
    """As many as the open-files limit allows (two descriptors per connection, some spare)."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return 20000
    return max(256, min(20000, (hard - 100) // 2))


class RuntimeApi:
    """HAProxy's runtime API on its stats socket (one command per connection)."""

    def __init__(self, socket_path: Path, backend: str = "servers") -> None:
        self.socket_path = socket_path
        self.backend = backend

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> dict[str, dict[str, str]]:
        """Server name → its row of `show stat` (status, stot: requests answered, ...)."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = (dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line)
        return {
            row["svname"]: row
            for row in rows
            if row.get("pxname") == self.backend and row["svname"] not in ("BACKEND", "FRONTEND")
        }

    def statuses(self) -> dict[str, str]:
        """Server name → what HAProxy sees: UP, DOWN, MAINT, DRAIN, or UP/DOWN n/m while
        a check result is still being confirmed."""
        return {name: row["status"] for name, row in self.stats().items()}

    def set_state(self, server: str, state: str) -> None:
        """`ready`, `drain` (no new connections) or `maint` (out)."""
        answer = self.command(f"set server {self.backend}/{server} state {state}")
        if answer.strip():
            raise RuntimeError(f"haproxy refused `set server {server} state {state}`: {answer}")

    def wait_for(
        self,
        server: str,
        status: str,
        timeout: float = 60,
        process: subprocess.Popen[bytes] | None = None,
    ) -> None:
        """Until HAProxy sees ``server`` as ``status``; fails at once if ``process`` (HAProxy)
        exits meanwhile."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"haproxy exited with code {process.returncode}")
            try:
                seen = self.statuses().get(server)
            except (FileNotFoundError, ConnectionRefusedError):
                seen = "(haproxy not started yet)"
            if seen == status:
                return
            time.sleep(0.1)
        raise TimeoutError(f"haproxy server {server} is {seen}, not {status}, after {timeout} s")


def start_haproxy(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """HAProxy in the foreground (-db), in a session of its own: the launcher may exit, and
    the state file keeps its pid."""
    check = subprocess.run(
        [find_haproxy(), "-c", "-q", "-f", str(config)], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"haproxy rejected {config}:\n{check.stdout}{check.stderr}")
    with log.open("ab") as out:
        return subprocess.Popen(
            [find_haproxy(), "-db", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
