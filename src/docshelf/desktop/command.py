"""The click command for ``docshelf desktop``; Qt is imported only when it runs."""

from __future__ import annotations

import click

from docshelf.client import resolve_home
from docshelf.i18n import N_, tr
from docshelf.i18n.click_help import TranslatedCommand


@click.command(
    cls=TranslatedCommand,
    help=N_("Open the desktop app (window and tray icon); a second start shows the running one."),
)
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    help=N_("The client's folder (default: the one given to docshelf, or the per-user one)."),
)
@click.pass_context
def desktop(ctx: click.Context, home: str | None) -> None:
    try:
        from docshelf.desktop.main import run
    except ImportError as exc:
        raise click.ClickException(
            tr(
                "The desktop app needs Qt ({error}). Install it with:"
                " pip install 'docshelf[desktop]'",
                error=exc,
            )
        ) from exc
    chosen = home or ctx.find_root().params.get("home")
    ctx.exit(run(resolve_home(chosen)))
