"""The client home: every file named in one place, found the way the user asked."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import platformdirs
import pytest

from docshelf.client.paths import HOME_ENV, Home, default_home, resolve_home


def test_home_names_every_client_file(tmp_path: Path) -> None:
    home = Home(tmp_path)
    assert home.cache_db == tmp_path / "cache.db"
    assert home.files_dir == tmp_path / "files"
    assert home.config_file == tmp_path / "config.json"
    assert home.credentials_file == tmp_path / "credentials"
    assert home.status_file == tmp_path / "status.json"
    assert home.lock_file == tmp_path / "sync.lock"
    assert home.log_file == tmp_path / "logs" / "client.log"


def test_home_is_immutable(tmp_path: Path) -> None:
    home = Home(tmp_path)
    with pytest.raises(AttributeError):
        home.root = tmp_path / "other"  # type: ignore[misc]


def test_ensure_creates_a_private_root_and_its_folders(tmp_path: Path) -> None:
    home = Home(tmp_path / "not" / "yet" / "home")
    assert home.ensure() is home
    assert stat.S_IMODE(home.root.stat().st_mode) == 0o700
    assert home.files_dir.is_dir()
    assert home.log_file.parent.is_dir()
    home.ensure()  # a second start finds everything in place


def test_default_home_is_the_platform_data_dir_without_author() -> None:
    expected = Path(platformdirs.user_data_dir("docshelf", appauthor=False))
    assert default_home() == expected
    assert default_home().name == "docshelf"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is the Linux convention")
def test_default_home_follows_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_home() == tmp_path / "docshelf"


def test_an_explicit_option_beats_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "from-env"))
    assert resolve_home(tmp_path / "from-option").root == tmp_path / "from-option"
    assert resolve_home(str(tmp_path / "as-text")).root == tmp_path / "as-text"


def test_the_environment_beats_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "from-env"))
    assert resolve_home(None).root == tmp_path / "from-env"


@pytest.mark.parametrize("unset", [None, ""])
def test_without_option_or_environment_the_default_is_used(
    unset: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if unset is None:
        monkeypatch.delenv(HOME_ENV, raising=False)
    else:
        monkeypatch.setenv(HOME_ENV, unset)
    assert resolve_home(None).root == default_home()


def test_resolved_home_is_absolute_and_expands_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert resolve_home("~/shelf").root == tmp_path / "shelf"
    assert resolve_home("relative").root == tmp_path / "relative"
