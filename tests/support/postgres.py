"""A throwaway PostgreSQL cluster started from the installed server binaries.

The integration tests need a real PostgreSQL, not a mock, and they must not depend on a
database someone happened to leave running: every session gets its own cluster in a temp
directory, listening on a free loopback port, and removes it afterwards.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

BINDIR_ENV = "DOCSHELF_PG_BINDIR"
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
_TOOLS = ("initdb", "pg_ctl")
_INSTALL_HINT = (
    "Install them with `apt-get install postgresql` (Debian/Ubuntu; the binaries land in "
    f"{DEBIAN_PG_ROOT}/<version>/bin), or set {BINDIR_ENV} to the directory that holds "
    "`initdb` and `pg_ctl`."
)
# A free port can be taken by someone else between our probe and the server's bind.
_BIND_RETRIES = 3


class PostgresBinariesMissing(RuntimeError):
    """The PostgreSQL server binaries (`initdb`, `pg_ctl`) could not be found."""


class PostgresStartError(RuntimeError):
    """initdb or pg_ctl failed; the message carries their output or the server log."""


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _has_tools(directory: Path) -> bool:
    return all(
        (directory / tool).is_file() and os.access(directory / tool, os.X_OK) for tool in _TOOLS
    )


def _version_key(name: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return None


def _bindir_from_path() -> Path | None:
    found = [shutil.which(tool) for tool in _TOOLS]
    if not all(found):
        return None
    # PATH often holds symlinks (/usr/local/bin/pg_ctl -> /usr/lib/postgresql/15/bin/pg_ctl);
    # the real directory is the one that also has `postgres` next to pg_ctl.
    for tool_path in found:
        assert tool_path is not None
        candidate = Path(tool_path).resolve().parent
        if _has_tools(candidate):
            return candidate
    return None


def _bindir_from_debian(debian_root: Path) -> Path | None:
    if not debian_root.is_dir():
        return None
    versioned = [
        (key, entry)
        for entry in debian_root.iterdir()
        if (key := _version_key(entry.name)) is not None
    ]
    # Numeric order: "10" must beat "9.6", which a string sort gets wrong.
    for _, entry in sorted(versioned, reverse=True):
        if _has_tools(entry / "bin"):
            return entry / "bin"
    return None


def find_pg_bindir(debian_root: Path = DEBIAN_PG_ROOT) -> Path:
    """The directory holding `initdb` and `pg_ctl`.

    Looks at $DOCSHELF_PG_BINDIR, then PATH, then Debian's /usr/lib/postgresql/<version>/bin
    (highest version first).
    """
    configured = os.environ.get(BINDIR_ENV)
    if configured:
        # An explicit setting that is wrong must not quietly fall back to something else.
        bindir = Path(configured)
        if _has_tools(bindir):
            return bindir
        raise PostgresBinariesMissing(
            f"PostgreSQL server binaries are missing: {BINDIR_ENV}={configured} does not "
            f"contain executable `initdb` and `pg_ctl`. {_INSTALL_HINT}"
        )
    found = _bindir_from_path() or _bindir_from_debian(debian_root)
    if found is None:
        raise PostgresBinariesMissing(
            "PostgreSQL server binaries are missing: `initdb` and `pg_ctl` are neither on "
            f"PATH nor under {debian_root}/<version>/bin. {_INSTALL_HINT}"
        )
    return found


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(could not read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


@dataclass(frozen=True)
class _RunAs:
    """Who runs initdb/pg_ctl: `uid is None` means the current user."""

    superuser: str
    uid: int | None = None
    gid: int | None = None


def _resolve_run_as() -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs(superuser=pwd.getpwuid(os.geteuid()).pw_name)
    # PostgreSQL refuses to run as root (CI containers run tests as root), so drop to the
    # `postgres` system account that the distribution's package creates.
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresStartError(
            "Tests run as root, and PostgreSQL refuses to run as root, but there is no "
            "`postgres` system user to run it as. Install the `postgresql` package (which "
            "creates it), create one with `useradd --system postgres`, or run the tests as "
            "a non-root user."
        ) from None
    return _RunAs(superuser="postgres", uid=account.pw_uid, gid=account.pw_gid)


class PostgresCluster:
    """One private PostgreSQL server: `initdb` + `pg_ctl start` in a fresh temp directory."""

    def __init__(
        self,
        bindir: Path | None = None,
        *,
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.bindir = bindir if bindir is not None else find_pg_bindir()
        self.settings = dict(settings or {})
        self.start_timeout = start_timeout
        self._run_as = _resolve_run_as()
        self._base_dir: Path | None = None
        self._port: int | None = None

    @classmethod
    def attach(cls, bindir: Path, base_dir: Path) -> PostgresCluster:
        """A cluster another process started in ``base_dir``, to stop it (stop() removes
        the directory too)."""
        cluster = cls(bindir)
        cluster._base_dir = base_dir
        return cluster

    @property
    def superuser(self) -> str:
        return self._run_as.superuser

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("PostgresCluster is not running; call start() first")
        return self._port

    @property
    def base_dir(self) -> Path:
        if self._base_dir is None:
            raise RuntimeError("PostgresCluster is not running; call start() first")
        return self._base_dir

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "postgres.log"

    @property
    def running(self) -> bool:
        return self._port is not None

    def url_for(self, name: str) -> str:
        """SQLAlchemy URL for database `name` on this cluster (trust auth: no password)."""
        user = urllib.parse.quote(self.superuser, safe="")
        dbname = urllib.parse.quote(name, safe="")
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[TupleRow]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.superuser,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str) -> str:
        # CREATE DATABASE cannot run inside a transaction block, hence autocommit.
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        # FORCE (PostgreSQL 13+) ends sessions a server under test may still hold open;
        # without it teardown would fail whenever a test left a connection behind.
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def start(self) -> None:
        if self._base_dir is not None:
            raise RuntimeError("PostgresCluster already started")
        self._base_dir = Path(tempfile.mkdtemp(prefix="docshelf-pg-"))
        try:
            if self._run_as.uid is not None:
                os.chown(self._base_dir, self._run_as.uid, self._run_as.gid or -1)
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._base_dir is None:
            return
        try:
            if self._port is not None or (self.data_dir / "postmaster.pid").exists():
                self._stop_server()
        finally:
            shutil.rmtree(self._base_dir, ignore_errors=True)
            self._base_dir = None
            self._port = None

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

    def _run(self, args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        env = {
            key: value
            for key, value in os.environ.items()
            # Stray PG* variables from the developer's shell must not redirect our tools.
            if not key.startswith("PG")
        }
        if self._run_as.uid is not None:
            env["HOME"] = str(self.base_dir)
            env["USER"] = env["LOGNAME"] = self._run_as.superuser
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            # The caller's cwd may be unreadable for the postgres user (e.g. /root).
            cwd=self.base_dir,
            env=env,
            user=self._run_as.uid,
            group=self._run_as.gid,
            extra_groups=[] if self._run_as.uid is not None else None,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _initdb(self) -> None:
        result = self._run(
            [
                "initdb",
                "--pgdata",
                str(self.data_dir),
                "--username",
                self.superuser,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                # Skipping fsync makes initdb several times faster; the data is disposable.
                "--no-sync",
            ],
            timeout=120,
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"initdb failed (exit {result.returncode}) in {self.base_dir}:\n"
                f"{result.stdout}{result.stderr}"
                + self._permission_hint(result.stdout + result.stderr)
            )

    def _server_options(self, port: int) -> str:
        settings = {
            "listen_addresses": "127.0.0.1",
            # Durability is pointless for a throwaway cluster and costs seconds per test run.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            **self.settings,
        }
        options = ["-p", str(port), "-k", str(self.base_dir)]
        for key, value in settings.items():
            options += ["-c", f"{key}={value}"]
        # pg_ctl hands -o to a shell, so paths and values need shell quoting.
        return shlex.join(options)

    def _start_server(self) -> None:
        for attempt in range(1, _BIND_RETRIES + 1):
            port = free_port()
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            result = self._run(
                [
                    "pg_ctl",
                    "start",
                    "--pgdata",
                    str(self.data_dir),
                    "--log",
                    str(self.log_path),
                    "--wait",
                    "--timeout",
                    str(int(self.start_timeout)),
                    "-o",
                    self._server_options(port),
                ],
                timeout=self.start_timeout + 30,
            )
            if result.returncode == 0:
                self._port = port
                return
            log_tail = _tail(self.log_path)
            lost_port_race = "could not bind" in self._log_since(log_offset)
            if lost_port_race and attempt < _BIND_RETRIES:
                continue
            raise PostgresStartError(
                f"pg_ctl start failed (exit {result.returncode}) on port {port}:\n"
                f"{result.stdout}{result.stderr}\n"
                f"--- tail of {self.log_path} ---\n{log_tail}" + self._permission_hint(log_tail)
            )

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def _stop_server(self) -> None:
        pgdata = str(self.data_dir)
        result = self._run(["pg_ctl", "stop", "--pgdata", pgdata, "--mode=fast", "--wait"], 60)
        if result.returncode != 0 and (self.data_dir / "postmaster.pid").exists():
            # Fast shutdown waits for open transactions to roll back; if that hangs, an
            # immediate stop is fine because the cluster is thrown away anyway.
            self._run(["pg_ctl", "stop", "--pgdata", pgdata, "--mode=immediate", "--wait"], 60)

    def _permission_hint(self, output: str) -> str:
        if self._run_as.uid is None or "ermission denied" not in output:
            return ""
        return (
            f"\nHint: initdb/pg_ctl run as user `postgres` because the tests run as root; "
            f"every directory above {self.base_dir} must be searchable by that user. "
            "Point TMPDIR at a world-accessible directory such as /tmp."
        )
