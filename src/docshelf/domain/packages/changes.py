"""What a package would change about an object, in words a person reads.

A plan names each changed attribute by its key (``titles``, ``files.de``: machine parts,
the same in every language, in the API's ``changes``); :func:`change_label` is its label
in the context's language, for the dashboard, the CLI and the desktop.
"""

from __future__ import annotations

from collections.abc import Mapping

from docshelf.i18n import N_, tr

# Every attribute a package's objects carry (see compare.py's *_state functions).
CHANGE_LABELS: Mapping[str, str] = {
    "parent_id": N_("Parent"),
    "group_id": N_("Template group"),
    "template_id": N_("Template"),
    "titles": N_("Titles"),
    "title": N_("Title"),
    "descriptions": N_("Descriptions"),
    "labels": N_("Labels"),
    "order": N_("Order"),
    "kind": N_("Kind"),
    "status": N_("Publication status"),
    "active": N_("Active"),
    "use_rights": N_("Use rights"),
    "change_rights": N_("Change rights"),
    "read_rights": N_("Read rights"),
    "write_rights": N_("Write rights"),
    "assignable_by": N_("May be assigned by"),
    "fields": N_("Field values"),
    "body": N_("Content"),
    "body_format": N_("Format"),
    "scope": N_("Scope"),
    "type": N_("Type"),
}
FILE_PREFIX = "files."


def change_label(change: str) -> str:
    """``titles`` → "Titles" / "Titel"; ``files.de`` → "File (de)" / "Datei (de)"."""
    if change.startswith(FILE_PREFIX):
        return tr("File ({language})", language=change.removeprefix(FILE_PREFIX))
    label = CHANGE_LABELS.get(change)
    return tr(label) if label is not None else change


def change_labels(changes: list[str] | tuple[str, ...]) -> list[str]:
    return [change_label(change) for change in changes]
