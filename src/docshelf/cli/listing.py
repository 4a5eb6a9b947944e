"""What ``docshelf templates / template-groups / snippets / profiles / units`` print: the
local copy, offline.

These answer from the cache alone and start fast: nothing here may import click, the
engine, the HTTP stack, the wire models or rich before it prints (see
tests/unit/test_cli_imports.py). The click commands are in cli/lists.py; cli/quick.py runs
these without click when the command line is a plain one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from docshelf.cli.output import click_echo, console, table
from docshelf.client import Client, reading
from docshelf.i18n import N_, tr
from docshelf.i18n.formats import format_size


def _emit(rows: list[dict[str, Any]], as_json: bool) -> bool:
    if as_json:
        click_echo(json.dumps(rows, ensure_ascii=False, indent=2))
    return as_json


_SHA256 = re.compile(r"[0-9a-f]{64}")


def templates(client: Client, as_json: bool, lang: str) -> None:
    groups = {g["id"]: reading.title_of(g, lang) for g in reading.template_groups(client.store)}
    listed = reading.templates(client.store, lang)
    # Its files and what its tags need (logos, Word snippets) are all here.
    ready = client.offline_ready(listed)
    rows = [
        {
            **t,
            "title": reading.title_of(t, lang),
            "group": groups.get(t.get("group_id") or ""),
            "offline_ready": ready[t["id"]],
        }
        for t in listed
    ]
    if not _emit(rows, as_json):
        table(
            N_("Templates"),
            [
                N_("id"),
                N_("title"),
                N_("group"),
                N_("type"),
                N_("status"),
                N_("languages"),
                N_("offline"),
            ],
            (
                (
                    r["id"],
                    r["title"],
                    r["group"],
                    r["kind"],
                    r["status"],
                    ",".join(sorted(r["files"])),
                    tr("ready") if r["offline_ready"] else tr("sync needed"),
                )
                for r in rows
            ),
        )


def template_groups(client: Client, as_json: bool, lang: str) -> None:
    groups = reading.template_groups(client.store)
    titles = {g["id"]: reading.title_of(g, lang) for g in groups}
    counts: dict[str, int] = {}
    for t in reading.templates(client.store, lang):
        counts[t.get("group_id") or ""] = counts.get(t.get("group_id") or "", 0) + 1
    rows = [
        {
            **g,
            "title": titles[g["id"]],
            "parent": titles.get(g.get("parent_id") or ""),
            "templates": counts.get(g["id"], 0),
        }
        for g in groups
    ]
    if not _emit(rows, as_json):
        table(
            N_("Template groups"),
            [N_("id"), N_("title"), N_("parent"), N_("templates")],
            ((r["id"], r["title"], r["parent"], r["templates"]) for r in rows),
        )


def snippets(client: Client, as_json: bool) -> None:
    rows = reading.snippets(client.store, client.config.user_id if client.config else None)
    if not _emit(rows, as_json):
        table(
            N_("Snippets"),
            [N_("id"), N_("title"), N_("kind")],
            ((r["id"], r["title"], r["kind"]) for r in rows),
        )


def profiles(client: Client, as_json: bool, lang: str) -> None:
    config = client.config
    rows = reading.profiles(client.store, config.user_id if config else None, lang)
    if _emit(rows, as_json):
        return
    from rich.text import Text

    images = _image_fields(client)
    units = {u["id"]: u["title"] for u in reading.units(client.store)}
    for row in rows:
        if row["shared_with_me"]:
            head = tr(
                "{title} ({id}, {unit}) — shared by {owner}",
                title=row["title"],
                id=row["id"],
                unit=row["unit"] or tr("no unit"),
                owner=row["owner"],
            )
        else:
            head = tr(
                "{title} ({id}, {unit})",
                title=row["title"],
                id=row["id"],
                unit=row["unit"] or tr("no unit"),
            )
        console.print(Text(head, style="bold"), highlight=False)
        for field in row["fields"]:
            if field["value"] is None:
                continue
            value = field["value"]
            if field["key"] in images:
                value = _image(client, value)
            line = tr(
                "  {label} [{key}]: {value}  ({source})",
                label=field["label"],
                key=field["key"],
                value=value,
                source=_source(field["source"], units),
            )
            # Inherited values grey, overridden ones in the normal colour, as in the app.
            console.print(Text(line, style="dim" if field["inherited"] else ""), highlight=False)


def _image_fields(client: Client) -> set[str]:
    return {r["key"] for r in client.store.records("field") if r.get("type") == "image"}


def _image(client: Client, sha256: str) -> str:
    """An image by the file that holds it here, not by its hash."""
    if not _SHA256.fullmatch(sha256):
        return sha256
    if client.files.has(sha256):
        path = client.files.path(sha256)
        return tr(
            "image {path} ({size})", path=str(path), size=format_size(client.files.size(sha256))
        )
    return tr("image, not in the local copy yet (run `docshelf sync`)")


def _source(source: str, units: dict[str, str]) -> str:
    if source == "profile":
        return tr("set in this profile")
    if source == "user":
        return tr("from the user")
    if source.startswith("unit:"):
        unit_id = source.removeprefix("unit:")
        return tr("from unit «{unit}»", unit=units.get(unit_id, unit_id))
    return source


def units(client: Client, as_json: bool) -> None:
    rows = reading.units(client.store)
    if not _emit(rows, as_json):
        names = {r["id"]: r["title"] for r in rows}
        table(
            N_("Units"),
            [N_("id"), N_("title"), N_("parent")],
            ((r["id"], r["title"], names.get(r["parent_id"] or "", "")) for r in rows),
        )
