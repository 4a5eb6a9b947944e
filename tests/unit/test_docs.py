"""Docs that tests keep true: every command, setting and option is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from docshelf.cli.main import cli
from docshelf.domain.settings import SETTINGS
from docshelf.server.config import ServerSettings

DOCS = Path(__file__).resolve().parents[2] / "docs"
ADMIN = cli.get_command(click.Context(cli), "admin")
assert isinstance(ADMIN, click.Group)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path + " "))
    return found


@pytest.mark.parametrize(("path", "command"), _commands(cli), ids=lambda v: str(v))
def test_every_command_has_help(path: str, command: click.Command) -> None:
    assert command.help or command.short_help, f"`docshelf {path}` has no help text"


@pytest.mark.parametrize(
    "path",
    [p for p, c in _commands(ADMIN) if not isinstance(c, click.Group)],
)
def test_every_admin_command_is_documented(path: str) -> None:
    assert f"`{path}" in (DOCS / "server.md").read_text(), f"admin {path} missing in server.md"


@pytest.mark.parametrize("key", list(SETTINGS))
def test_every_client_setting_is_documented_with_its_default(key: str) -> None:
    text = (DOCS / "settings.md").read_text()
    spec = SETTINGS[key]
    row = next((line for line in text.splitlines() if line.startswith(f"| `{key}`")), "")
    assert row, f"{key} missing in settings.md"
    if isinstance(spec.default, bool):
        default = "true" if spec.default else "false"
    elif isinstance(spec.default, list):
        default = ",".join(spec.default)
    else:
        default = str(spec.default)
    assert default in row
    if spec.minimum is not None:
        assert str(spec.minimum) in row and str(spec.maximum) in row


@pytest.mark.parametrize("name", list(ServerSettings.model_fields))
def test_every_server_option_is_documented(name: str) -> None:
    field = ServerSettings.model_fields[name]
    assert field.description, f"ServerSettings.{name} has no description"
    assert f"`DOCSHELF_{name.upper()}`" in (DOCS / "server.md").read_text()


CLIENT_COMMANDS = [
    name
    for name in cli.list_commands(click.Context(cli))
    if name not in ("server", "demo", "admin")
]
assert CLIENT_COMMANDS, "no client commands found: the check below would pass vacuously"


@pytest.mark.parametrize("name", CLIENT_COMMANDS)
def test_every_client_command_is_documented(name: str) -> None:
    text = (DOCS / "client.md").read_text()
    assert f"`docshelf {name}" in text, f"docshelf {name} missing in client.md"
