"""What an edit in the outbox does, kept as data and told in the reader's language.

The outbox keeps each edit's description as JSON, ``{"kind": …, "fields": {…}}``; lists
(``docshelf uploads``, the desktop's conflicts) render it when they show it, so it reads
in the language spoken then, not in the one of the moment it was made. A field is named
by its labels in every language (a key only where a field has none).

Entries made by older versions hold an English sentence instead: it is shown as it is.

    describe(entry.description)   # "phone of profile 'Anna' set to '+41 …'" / "Telefon …"
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from docshelf.i18n import N_, current_language, tr

__all__ = ["Description", "describe", "in_current_language", "label_of", "parse"]

# One sentence per kind of edit; its fields are the description's fields.
TEXTS: dict[str, str] = {
    "profile_title": N_("title of profile '{profile}' set to '{value}'"),
    "profile_unit": N_("unit of profile '{profile}' set to '{value}'"),
    "profile_field": N_("{field} of profile '{profile}' set to '{value}'"),
    "profile_field_reset": N_("{field} of profile '{profile}' reset to the inherited value"),
    "profile_new": N_("new profile '{title}'"),
    "profile_copy": N_("copy of profile '{profile}' as '{title}'"),
    "profile_delete": N_("profile '{profile}' deleted"),
    "profile_share": N_("profile '{profile}' shared with {login}"),
    "profile_unshare": N_("profile '{profile}' no longer shared with {login}"),
    "snippet_new_personal": N_("new personal snippet '{title}'"),
    "snippet_new_shared": N_("new shared snippet '{title}'"),
    "snippet_new_template": N_("new template snippet '{title}'"),
    "snippet_edit": N_("snippet '{snippet}' edited"),
    "snippet_read_rights": N_("read rights of snippet '{snippet}' changed"),
    "snippet_write_rights": N_("write rights of snippet '{snippet}' changed"),
    "snippet_delete": N_("snippet '{snippet}' deleted"),
    "template_change": N_("template '{template}' changed"),
    "template_use_rights": N_("use rights of template '{template}' changed"),
    "template_change_rights": N_("change rights of template '{template}' changed"),
    "template_file": N_("{lang} file of template '{template}' replaced by {filename}"),
    "unit_new": N_("new unit '{title}'"),
    "unit_rename": N_("unit '{unit}' renamed to '{value}'"),
    "unit_field": N_("{field} of unit '{unit}' set to '{value}'"),
    "unit_field_reset": N_("{field} of unit '{unit}' set to inherit its value"),
    "unit_move_top": N_("unit '{unit}' moved to the top"),
    "unit_move_below": N_("unit '{unit}' moved below '{parent}'"),
    "unit_delete": N_("unit '{unit}' deleted"),
    "template_group_new": N_("new template group '{title}'"),
    "template_group_change": N_("template group '{group}' changed"),
    "template_group_delete": N_("template group '{group}' deleted"),
}


@dataclass(frozen=True)
class Description:
    """An edit's description: its kind (a key of :data:`TEXTS`) and the fields to fill.

    ``field`` is the labels of a field by language (``{"de": "Telefon", "en": "Phone"}``)
    or its key; it becomes the label in the reader's language."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in TEXTS:
            raise ValueError(f"no text for edits of kind {self.kind!r}")

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "fields": self.fields}, sort_keys=True)

    def render(self) -> str:
        values = {name: in_current_language(value) for name, value in self.fields.items()}
        try:
            return tr(TEXTS[self.kind], **values)
        except (KeyError, IndexError):  # written by a version with other fields
            return ", ".join(str(v) for v in values.values()) or self.kind


def parse(stored: str) -> Description | str:
    """The stored description: a :class:`Description`, or an older entry's sentence."""
    if not stored.startswith("{"):
        return stored
    try:
        data = json.loads(stored)
        return Description(kind=str(data["kind"]), fields=dict(data.get("fields") or {}))
    except (ValueError, KeyError, TypeError, AttributeError):
        return stored


def describe(stored: str | Description) -> str:
    """The description in the current language (an older entry's sentence unchanged)."""
    description = parse(stored) if isinstance(stored, str) else stored
    return description if isinstance(description, str) else description.render()


def label_of(labels: Mapping[str, str] | None, key: str) -> dict[str, str] | str:
    """What a description keeps of a field: its labels, or its key if it has none."""
    return dict(labels) if labels else key


def in_current_language(value: Any) -> Any:
    """Labels by language (a mapping) as the current language's; anything else as it is."""
    if isinstance(value, Mapping):
        # A field's labels: the reader's language, else English, else any.
        return value.get(current_language()) or value.get("en") or next(iter(value.values()), "")
    return value
