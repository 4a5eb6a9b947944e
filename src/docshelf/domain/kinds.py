"""What the objects docshelf keeps are called in messages: "the template", "die Vorlage".

Code names an object's kind with a fixed English word ("template_group"); messages that
mention the kind show :func:`kind_label`, its name in the context's language.
"""

from __future__ import annotations

from collections.abc import Mapping

from docshelf.i18n import N_, tr

KIND_LABELS: Mapping[str, str] = {
    "user": N_("user"),
    "group": N_("group"),
    "device": N_("device"),
    "unit": N_("unit"),
    "profile": N_("profile"),
    "field": N_("field"),
    "template": N_("template"),
    "template_group": N_("template group"),
    "snippet": N_("snippet"),
    "setting": N_("setting"),
}


def kind_label(kind: str) -> str:
    """``template_group`` or ``template group`` → "template group" / "Vorlagengruppe"."""
    label = KIND_LABELS.get(kind.replace(" ", "_"))
    return tr(label) if label is not None else kind.replace("_", " ")
