"""What one user may see, row by row, and how each kind of row looks on the wire."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor
from docshelf.domain.snippets import SnippetKind
from docshelf.server import convert
from docshelf.server.db import models as m


@dataclass(frozen=True)
class KindSpec:
    name: str
    model: type[Any]
    # The record as the feed sends it (convert.*_wire).
    wire: Callable[[Any], dict[str, Any]]


SPECS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec("field", m.FieldDefinition, convert.field_def_wire),
        KindSpec("unit", m.Unit, convert.unit_wire),
        KindSpec("user", m.User, convert.user_wire),
        KindSpec("group", m.Group, convert.group_wire),
        KindSpec("template_group", m.TemplateGroup, convert.template_group_wire),
        KindSpec("template", m.Template, convert.template_wire),
        KindSpec("snippet", m.Snippet, convert.snippet_wire),
        KindSpec("profile", m.Profile, convert.profile_wire),
    )
}


class View:
    """Applies the permission rules for one actor; caches the templates snippets depend on.

    The rules read the rows themselves (permissions.TemplateFacts and its siblings): a page
    decides hundreds of rows, and an entity built for each cost more than the decision.
    """

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self._templates: dict[str, rules.TemplateFacts | None] = {}

    def _template(self, template_id: str | None) -> rules.TemplateFacts | None:
        if template_id is None:
            return None
        if template_id not in self._templates:
            self._templates[template_id] = self.session.get(m.Template, template_id)
        return self._templates[template_id]

    def visible(self, kind: str, row: Any) -> bool:
        actor = self.actor
        if kind == "user":
            return bool(row.active)
        if kind == "template":
            self._templates[row.id] = row
            return rules.can_see_template(actor, row)
        if kind == "snippet":
            return rules.can_see_snippet(actor, row, self._template(row.template_id))
        if kind == "profile":
            return rules.can_see_profile(actor, row)
        return True  # units, fields, groups, template groups: organisation-wide

    def could_have_seen(self, kind: str, row: Any) -> bool:
        """Might this client hold the row from earlier? If not, no need to tell it to drop it.

        Another user's personal snippet never was and never will be visible (its owner
        can't change), so clients aren't told about those at all.
        """
        if kind == "snippet" and row.kind == SnippetKind.PERSONAL.value:
            return bool(row.owner_id == self.actor.user_id)
        return True

    @staticmethod
    def record(kind: str, row: Any) -> dict[str, Any]:
        return SPECS[kind].wire(row)
