"""Run the docshelf server as a real subprocess on a loopback port.

Integration tests talk to the server over HTTP exactly as clients do, so the server runs in
its own process (its own event loop, its own database connections) and can be stopped,
killed or restarted mid-test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import httpx

from support.postgres import free_port

DEFAULT_COMMAND = (sys.executable, "-m", "docshelf", "server")


class ServerStartError(RuntimeError):
    """The server exited or did not become ready in time; carries the log tail."""


class MakeServer(Protocol):
    """Type of the `make_server` fixture, for annotating test parameters."""

    def __call__(
        self,
        database_url: str | None = None,
        *,
        data_dir: Path | None = None,
        timeout: float = 30,
        **kwargs: Any,
    ) -> ServerProcess: ...


class ServerProcess:
    """One `docshelf server` process.

    `command` replaces `python -m docshelf server` (e.g. with a stand-in script); the
    standard options (--data-dir, --host, --port, --database-url) and `extra_args` are
    still appended to it.
    """

    def __init__(
        self,
        data_dir: Path,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        *,
        command: list[str] | None = None,
        port: int | None = None,
        ready_path: str = "/readyz",
    ) -> None:
        # "/healthz" to start a process that is up but not meant to be ready.
        self.ready_path = ready_path
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.env = dict(env or {})
        self.extra_args = list(extra_args or [])
        self.command = list(command) if command is not None else list(DEFAULT_COMMAND)
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server has no port yet; call start() first")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("server is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and _exit_status(self._process) is None

    @property
    def returncode(self) -> int | None:
        """Exit code of the last process, None while it runs or before the first start."""
        return None if self._process is None else _exit_status(self._process)

    def argv(self) -> list[str]:
        args = [
            *self.command,
            "--data-dir",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if self.database_url is not None:
            args += ["--database-url", self.database_url]
        return args + self.extra_args

    def log_text(self, *, current_run_only: bool = False) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset if current_run_only else 0)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout: float = 30) -> None:
        if self.running:
            raise RuntimeError(f"server already running (pid {self.pid})")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._port is None:
            self._port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        # Append so a restart keeps the previous run's log; errors only show this run's part.
        with self.log_path.open("ab") as log:
            self._log_offset = log.tell()
            self._process = subprocess.Popen(
                self.argv(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                # Relative paths the server writes must land in its data dir, not the repo.
                cwd=self.data_dir,
                # Own process group, so kill() also reaches any worker children.
                start_new_session=True,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise

    def _wait_ready(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        ready_url = f"{self.url}{self.ready_path}"
        # trust_env=False: an HTTP(S)_PROXY in the environment must not capture loopback calls.
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                code = _exit_status(self._process)
                if code is not None:
                    raise ServerStartError(
                        f"server exited with code {code} before becoming ready"
                        f" ({' '.join(self.argv())})\n{self._log_tail()}"
                    )
                try:
                    if client.get(ready_url).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() >= deadline:
                    raise ServerStartError(
                        f"server did not answer 200 on {ready_url} within {timeout:g} s"
                        f"\n{self._log_tail()}"
                    )
                time.sleep(0.05)

    def _log_tail(self, lines: int = 60) -> str:
        tail = "\n".join(self.log_text(current_run_only=True).splitlines()[-lines:])
        return f"--- tail of {self.log_path} ---\n{tail or '(empty)'}"

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code."""
        process = self._process
        if process is None:
            return None
        if _exit_status(process) is None:
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _exit_status(process) is None and time.monotonic() < deadline:
                time.sleep(0.05)
        # Also reaps stray children, which must not keep the port or the database busy.
        self._kill_group(process)
        return process.returncode

    def kill(self) -> int | None:
        """SIGKILL at once, as a crash would; returns the exit code."""
        if self._process is None:
            return None
        self._kill_group(self._process)
        return self._process.returncode

    @staticmethod
    def _kill_group(process: subprocess.Popen[bytes]) -> None:
        # Only while the leader is unreaped (alive or zombie) is its pid, and so the group
        # id, guaranteed not to belong to some unrelated new process.
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def restart(self, timeout: float = 30) -> None:
        """Stop, then start again on the same port and data dir."""
        self.stop()
        self.start(timeout)

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


def _exit_status(process: subprocess.Popen[bytes]) -> int | None:
    """Like Popen.poll(), but leaves an exited process as a zombie (see _kill_group)."""
    if process.returncode is not None:
        return process.returncode
    try:
        info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return process.poll()
    if info is None or info.si_pid == 0:
        return None
    if info.si_code == os.CLD_EXITED:
        return info.si_status
    return -info.si_status


@contextlib.contextmanager
def demo_server(
    data_dir: Path, env: dict[str, str] | None = None, timeout: float = 90
) -> Iterator[ServerProcess]:
    """``docshelf demo`` (seeds the demo content, then serves) running until the block ends."""
    server = ServerProcess(data_dir, command=[sys.executable, "-m", "docshelf", "demo"], env=env)
    server.start(timeout=timeout)
    try:
        yield server
    finally:
        server.stop()
