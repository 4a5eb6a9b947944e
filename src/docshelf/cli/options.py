"""Options several commands share."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import N_, tr

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DOCSHELF_DATA_DIR",
    show_envvar=True,
    help=N_("Server data directory (SQLite database, files, logs)."),
)
database_url_option = click.option(
    "--database-url",
    envvar="DOCSHELF_DATABASE_URL",
    show_envvar=True,
    help=N_(
        "Database URL instead of SQLite in the data dir, e.g. postgresql+psycopg://u:p@host/db."
    ),
)


def normalize_database_url(url: str | None) -> str | None:
    """Accept the plain ``postgresql://`` form people copy from elsewhere."""
    if url is None:
        return None
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput(tr("No password on standard input."))
        return line
    if not sys.stdin.isatty():
        raise InvalidInput(
            tr("No terminal to ask for the password; pass it with --password-stdin.")
        )
    return str(click.prompt(tr("Password"), hide_input=True, confirmation_prompt=confirm))
