"""Where a client keeps its files: one *home* directory per local cache.

Every file of a home is named here and nowhere else, so the engine, the daemon,
the CLI and the desktop app agree on the layout without sharing string literals.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

__all__ = ["HOME_ENV", "Home", "default_home", "resolve_home"]

HOME_ENV = "DOCSHELF_HOME"
APP_NAME = "docshelf"


class Home(NamedTuple):
    root: Path

    @property
    def cache_db(self) -> Path:
        return self.root / "cache.db"

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    @property
    def config_file(self) -> Path:
        return self.root / "config.json"

    @property
    def credentials_file(self) -> Path:
        return self.root / "credentials"

    @property
    def status_file(self) -> Path:
        return self.root / "status.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "sync.lock"

    @property
    def daemon_lock_file(self) -> Path:
        """Held by a running daemon (or desktop app) for as long as it plans syncs."""
        return self.root / "daemon.lock"

    @property
    def log_file(self) -> Path:
        return self.root / "logs" / "client.log"

    def ensure(self) -> Home:
        """Create the home and its folders; returns self so callers can chain."""
        # Only the root gets 0700: it shields everything below, and parents such as
        # ~/.local/share are shared with other applications and not ours to tighten.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.files_dir.mkdir(exist_ok=True)
        self.log_file.parent.mkdir(exist_ok=True)
        return self


def default_home() -> Path:
    import platformdirs  # here: a home given by --home or $DOCSHELF_HOME needs none of it

    # appauthor=False: otherwise Windows nests the app folder inside an author folder.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_home(option: str | Path | None = None) -> Home:
    """The home named by a command-line option, else by $DOCSHELF_HOME, else the default."""
    chosen = option or os.environ.get(HOME_ENV) or default_home()
    # Absolute at once: the daemon may change its working directory later.
    return Home(Path(chosen).expanduser().absolute())
