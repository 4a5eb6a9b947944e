"""The desktop app stays out of the way of everything else: Qt loads only for it."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
{setup}
loaded = sorted(m for m in sys.modules if m.startswith(("PySide6", "docshelf.desktop.")))
print(",".join(loaded))
"""


def _loaded_after(setup: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(setup=setup)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return [m for m in out.split(",") if m]


def test_the_cli_loads_no_desktop_code_unless_asked() -> None:
    setup = "from docshelf.cli.main import cli"
    assert _loaded_after(setup) == []


def test_the_desktop_command_loads_qt_only_when_it_runs() -> None:
    setup = (
        "import click\n"
        "from docshelf.cli.main import cli\n"
        "cli.get_command(click.Context(cli), 'desktop')"
    )
    assert _loaded_after(setup) == ["docshelf.desktop.command"]


def test_the_handover_helper_needs_no_qt() -> None:
    # `docshelf sync` imports it to ask a running app: no Qt, no desktop code.
    assert _loaded_after("import docshelf.client.handover") == []
    assert _loaded_after("import docshelf.cli.client") == []
