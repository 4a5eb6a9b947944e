"""The click command for ``docshelf desktop``; Qt is imported only when it runs."""

from __future__ import annotations

import click

from docshelf.client.paths import resolve_home


@click.command()
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    help="The client's folder (default: the one given to docshelf, or the per-user one).",
)
@click.pass_context
def desktop(ctx: click.Context, home: str | None) -> None:
    """Open the desktop app (window and tray icon); a second start shows the running one."""
    try:
        from docshelf.desktop.main import run
    except ImportError as exc:
        raise click.ClickException(
            f"The desktop app needs Qt ({exc}). Install it with: pip install 'docshelf[desktop]'"
        ) from exc
    chosen = home or ctx.find_root().params.get("home")
    ctx.exit(run(resolve_home(chosen)))
