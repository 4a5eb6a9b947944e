"""``docshelf package export / import``: packages of templates, snippets, units and fields.

Both talk to a server's API. With ``--server`` and ``--user`` they sign in for this one
command (the password from the terminal or ``--password-stdin``) and sign out after it;
without them they act as the account this client's home is signed in with.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, ClassVar

import click
import httpx
from rich.text import Text

import docshelf
from docshelf.cli.options import read_password
from docshelf.cli.output import console, errors
from docshelf.client import NotSignedIn, RemoteError, ServerUnreachable, normalize_server_url
from docshelf.domain.errors import DocshelfError, InvalidInput
from docshelf.domain.json_text import parse_json
from docshelf.i18n import N_, ntr, tr
from docshelf.i18n.click_help import TranslatedGroup
from docshelf.i18n.formats import format_size
from docshelf.protocol import API_PREFIX
from docshelf.protocol.packages import (
    PACKAGE_MEDIA_TYPE,
    PackageExport,
    PackageItem,
    PackagePreview,
    PackageReport,
)

CHUNK = 256 * 1024
# Unpacking and applying a large package takes a while; connecting must not.
TIMEOUT = httpx.Timeout(30.0, read=900.0, write=900.0)
KIND_NAMES = {
    "field": N_("field"),
    "unit": N_("unit"),
    "template_group": N_("group"),
    "template": N_("template"),
    "snippet": N_("snippet"),
}


@click.group(
    cls=TranslatedGroup,
    help=N_("Export and import packages of templates, snippets, units and field definitions."),
)
def package() -> None:
    pass


def server_options(command: Any) -> Any:
    for option in reversed(
        (
            click.option(
                "--server",
                "server_url",
                help=N_("Server address; default: the server this client is signed in to."),
            ),
            click.option("--user", "login", help=N_("Sign in as LOGIN for this command.")),
            click.option(
                "--password-stdin", is_flag=True, help=N_("Read the password from standard input.")
            ),
        )
    ):
        command = option(command)
    return command


class Api:
    def __init__(self, http: httpx.Client, server_url: str) -> None:
        self.http = http
        self.server_url = server_url

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        try:
            with self.http.stream(method, path, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _refusal(response)
                yield response
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def upload(self, path: str, archive: Path, **params: str) -> Any:
        size = archive.stat().st_size
        headers = {"Content-Type": PACKAGE_MEDIA_TYPE, "Content-Length": str(size)}
        with archive.open("rb") as source:
            response = self.send(
                "POST", path, content=_chunks(source), headers=headers, params=params
            )
        return _answer(response)

    def _unreachable(self, exc: Exception) -> ServerUnreachable:
        return ServerUnreachable(
            tr(
                "Cannot reach the server at {url} ({error}); nothing was changed there by this"
                " command.",
                url=self.server_url,
                error=type(exc).__name__,
            )
        )


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _answer(response: httpx.Response) -> Any:
    try:
        return parse_json(response.content, tr("The server's answer"))
    except ValueError as exc:  # not JSON, or nested too deep
        raise RemoteError(
            tr(
                "The server's answer cannot be read ({error}); check the server address, or"
                " update docshelf.",
                error=str(exc).rstrip("."),
            ),
            title=tr("Answer not understood"),
            status=response.status_code,
            code="",
        ) from None


def _refusal(response: httpx.Response) -> RemoteError:
    try:
        problem = parse_json(response.content, "The problem")
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    detail = str(problem.get("detail") or response.reason_phrase or tr("no details"))
    return RemoteError(
        detail,
        title=str(problem.get("title") or tr("Server refused")),
        status=response.status_code,
        code=str(problem.get("code") or ""),
    )


@contextmanager
def connect(
    ctx: click.Context, server_url: str | None, login: str | None, password_stdin: bool
) -> Iterator[Api]:
    if server_url is None and login is None:
        with _home_session(ctx) as api:
            yield api
        return
    if server_url is None or login is None:
        raise click.UsageError(
            tr(
                "Give --server and --user together, or neither to act as the account this"
                " client is signed in with."
            )
        )
    server_url = normalize_server_url(server_url)
    password = read_password(password_stdin, confirm=False)
    headers = {"User-Agent": f"docshelf-cli/{docshelf.__version__}"}
    with httpx.Client(base_url=server_url + API_PREFIX, timeout=TIMEOUT, headers=headers) as http:
        api = Api(http, server_url)
        device = f"docshelf package ({platform.node() or 'cli'})"
        body = {"login": login, "password": password, "device_name": device[:200]}
        token = _answer(api.send("POST", "/auth/login", json=body))["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        try:
            yield api
        finally:
            # This sign-in was for the one command: don't leave a device behind.
            with suppress(DocshelfError, httpx.HTTPError):
                api.send("POST", "/auth/logout")


@contextmanager
def _home_session(ctx: click.Context) -> Iterator[Api]:
    from docshelf.cli.home import open_client

    client = open_client(ctx)
    config = client.config
    token = client.credentials.load(config.server_url, config.login) if config else None
    if config is None or token is None:
        raise NotSignedIn(
            tr("This client is not signed in: run `docshelf login`, or give --server and --user.")
        )
    headers = {
        "User-Agent": f"docshelf-cli/{docshelf.__version__}",
        "Authorization": f"Bearer {token}",
    }
    base = config.server_url + API_PREFIX
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers=headers) as http:
        yield Api(http, config.server_url)


# --- export ----------------------------------------------------------------------------


@package.command(
    "export",
    help=N_(
        "Write a package of chosen templates, template groups, snippets, units and "
        "fields.\n\nTemplates, groups and snippets may be named by id or, as in the "
        "local copy, by title."
    ),
)
@server_options
@click.option("--template", "template_ids", multiple=True, metavar="ID", help=N_("A template."))
@click.option(
    "--group",
    "group_ids",
    multiple=True,
    metavar="ID|TITLE",
    help=N_("A template group (id or title), with all below it."),
)
@click.option("--snippet", "snippet_ids", multiple=True, metavar="ID", help=N_("A snippet."))
@click.option("--units", is_flag=True, help=N_("Every unit, with the fields they use (Sys)."))
@click.option("--fields", is_flag=True, help=N_("Every field definition (Sys)."))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Where to write the package (a zip)."),
)
@click.pass_context
def export(
    ctx: click.Context,
    server_url: str | None,
    login: str | None,
    password_stdin: bool,
    template_ids: tuple[str, ...],
    group_ids: tuple[str, ...],
    snippet_ids: tuple[str, ...],
    units: bool,
    fields: bool,
    output: Path,
) -> None:
    if not (template_ids or group_ids or snippet_ids or units or fields):
        raise click.UsageError(
            tr("Choose what to export: --template, --group, --snippet, --units or --fields.")
        )
    names = LocalNames.of(ctx, server_url)
    choice = PackageExport(
        template_ids=[names.id_of("template", ref) for ref in template_ids],
        group_ids=[names.id_of("template_group", ref) for ref in group_ids],
        snippet_ids=[names.id_of("snippet", ref) for ref in snippet_ids],
        units=units,
        fields=fields,
    )
    partial = output.with_name(output.name + ".part")
    with connect(ctx, server_url, login, password_stdin) as api:
        body = choice.model_dump()
        with (
            api.stream("POST", "/admin/packages/export", json=body) as response,
            partial.open("wb") as out,
        ):
            for chunk in response.iter_bytes(CHUNK):
                out.write(chunk)
    os.replace(partial, output)
    console.print(
        Text(tr("Wrote {path}: {contents}.", path=str(output), contents=_contents(output))),
        highlight=False,
    )


def _contents(archive: Path) -> str:
    with zipfile.ZipFile(archive) as zf:
        manifest = parse_json(zf.read("manifest.json"), "manifest.json")

    def count(key: str) -> int:
        return len(manifest.get(key) or [])

    parts = [
        ntr("{n} template group", "{n} template groups", count("template_groups")),
        ntr("{n} template", "{n} templates", count("templates")),
        ntr("{n} snippet", "{n} snippets", count("snippets")),
        ntr("{n} unit", "{n} units", count("units")),
        ntr("{n} field definition", "{n} field definitions", count("fields")),
    ]
    keys = ("template_groups", "templates", "snippets", "units", "fields")
    listed = ", ".join(part for part, key in zip(parts, keys, strict=True) if count(key))
    return tr("{listed} ({size})", listed=listed, size=format_size(archive.stat().st_size))


class LocalNames:
    """Titles to ids through the local copy, as other commands accept titles. Only when the
    home is signed in to the server exported from (another server's ids differ)."""

    _KINDS: ClassVar[dict[str, str]] = {
        "template": N_("Template"),
        "template_group": N_("Template group"),
        "snippet": N_("Snippet"),
    }

    def __init__(self, records: dict[str, list[dict[str, Any]]]) -> None:
        self.records = records

    @classmethod
    def of(cls, ctx: click.Context, server_url: str | None) -> LocalNames:
        from docshelf.cli.home import open_client

        client = open_client(ctx)
        config = client.config
        same_server = config is not None and (
            server_url is None or normalize_server_url(server_url) == config.server_url
        )
        if not same_server:
            return cls({})
        user_id = config.user_id if config else None
        return cls({kind: client.store.view(kind, user_id) for kind in cls._KINDS})

    def id_of(self, kind: str, ref: str) -> str:
        records = self.records.get(kind, [])
        if any(r["id"] == ref for r in records):
            return ref
        found = [r for r in records if ref in _titles(r)]
        if len(found) == 1:
            return str(found[0]["id"])
        what = tr(self._KINDS[kind])
        if found:
            ids = ", ".join(r["id"] for r in found[:5])
            raise InvalidInput(
                tr("«{ref}» is the title of several; use an id ({ids}).", ref=ref, ids=ids)
            )
        if _ID.fullmatch(ref):
            return ref  # an id the local copy does not hold: the server decides
        raise InvalidInput(
            tr(
                "{what} «{ref}» is not in the local copy; give its id or its title"
                " (sync first if it is new).",
                what=what,
                ref=ref,
            )
        )


def _titles(record: dict[str, Any]) -> set[str]:
    titles = set((record.get("titles") or {}).values())
    if record.get("title"):
        titles.add(record["title"])
    return titles


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


# --- import ----------------------------------------------------------------------------


@package.command(
    "import",
    help=N_(
        "Preview a package, confirm, and import it in one step.\n\nClients receive the "
        "import at their next sync. Importing the same package again changes nothing."
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@server_options
@click.option("--yes", is_flag=True, help=N_("Import after the preview without asking."))
@click.option("--dry-run", is_flag=True, help=N_("Show the preview only; import nothing."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the preview or report as JSON."))
@click.pass_context
def import_(
    ctx: click.Context,
    file: Path,
    server_url: str | None,
    login: str | None,
    password_stdin: bool,
    yes: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    if as_json and not (yes or dry_run):
        raise click.UsageError(tr("--json needs --yes or --dry-run: there is no one to ask."))
    with connect(ctx, server_url, login, password_stdin) as api:
        preview = PackagePreview.model_validate(api.upload("/admin/packages/preview", file))
        if as_json and dry_run:
            click.echo(preview.model_dump_json())
            return
        if not as_json:
            _print_preview(file, preview)
        if dry_run:
            return
        if not (preview.added or preview.changed):
            report = PackageReport(**preview.model_dump(), applied=False, seq=None)
        else:
            if not yes:
                _confirm()
            answer = api.upload("/admin/packages/import", file, expected_plan=preview.plan)
            report = PackageReport.model_validate(answer)
    if as_json:
        click.echo(report.model_dump_json())
    else:
        _print_report(report)


def _confirm() -> None:
    confirm(
        tr("Import this package?"),
        tr("No terminal to confirm the import on; run again with --yes (or --dry-run)."),
    )


def confirm(question: str, no_terminal: str) -> None:
    """Ask on the terminal; without one, say what to run instead (``no_terminal``)."""
    if not sys.stdin.isatty():
        raise click.UsageError(no_terminal)
    if not click.confirm(question, default=False):
        raise click.Abort


def item_line(sign: str, item: PackageItem) -> Text:
    """One object of a preview or report: ``+ template  Title [id]: what changes``."""
    kind = tr(KIND_NAMES[item.kind]) if item.kind in KIND_NAMES else item.kind
    changes = f": {', '.join(item.changes)}" if item.changes else ""
    return Text(f"  {sign} {kind:<9} {item.title} [{item.id}]{changes}")


def _print_preview(file: Path, preview: PackagePreview) -> None:
    info = preview.package
    fields = {
        "name": file.name,
        "files": ntr("{n} file", "{n} files", info.files),
        "size": format_size(info.unpacked_bytes),
        "version": info.format_version,
    }
    if info.generator:
        line = tr(
            "Package {name}: {files}, {size} unpacked, format {version}, written by {generator}.",
            generator=info.generator,
            **fields,
        )
    else:
        line = tr("Package {name}: {files}, {size} unpacked, format {version}.", **fields)
    console.print(Text(line), highlight=False)
    if preview.added:
        console.print(ntr("Added ({n}):", "Added ({n}):", len(preview.added)), highlight=False)
        for item in preview.added:
            console.print(item_line("+", item), highlight=False)
    if preview.changed:
        console.print(
            ntr("Changed ({n}):", "Changed ({n}):", len(preview.changed)), highlight=False
        )
        for item in preview.changed:
            console.print(item_line("~", item), highlight=False)
    console.print(ntr("Unchanged: {n}", "Unchanged: {n}", len(preview.unchanged)), highlight=False)
    for warning in preview.warnings:
        errors.print(Text(tr("Warning: {warning}", warning=warning)), highlight=False)


def _print_report(report: PackageReport) -> None:
    counts = tr(
        "{added} added, {changed} changed, {unchanged} unchanged",
        added=len(report.added),
        changed=len(report.changed),
        unchanged=len(report.unchanged),
    )
    if report.applied:
        console.print(
            tr(
                "Imported as change {seq}: {counts}. Clients receive it at their next sync.",
                seq=report.seq,
                counts=counts,
            ),
            highlight=False,
        )
    else:
        console.print(
            tr(
                "Nothing to import: everything in the package is on the server already ({counts}).",
                counts=counts,
            ),
            highlight=False,
        )


# History and revert live in their own module; they are commands of this group.
from docshelf.cli.package_history import history, revert  # noqa: E402

package.add_command(history)
package.add_command(revert)
