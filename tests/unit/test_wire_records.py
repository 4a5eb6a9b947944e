"""The feed's wire records (convert.*_wire) have exactly the shape of their protocol models.

The feed builds plain dicts for speed; the models in protocol/records.py document the wire
and the admin API validates through them. A field added to one and not the other, or a
value of the wrong type, fails here.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

from docshelf.protocol import records as r
from docshelf.server import convert

FILE = SimpleNamespace(lang="de", sha256="a" * 64, size=1234, filename="Brief.docx")

ROWS: dict[str, tuple[Any, type[BaseModel], dict[str, Any]]] = {
    "user": (
        convert.user_wire,
        r.UserRecord,
        {
            "login": "anna",
            "display_name": "Anna",
            "fields": {"phone": "1"},
            "roles": ["org", "layouter"],
            "active": True,
        },
    ),
    "group": (convert.group_wire, r.GroupRecord, {"name": "Sales", "description": ""}),
    "field": (
        convert.field_def_wire,
        r.FieldDefRecord,
        {"key": "logo", "scope": "unit", "type": "image", "labels": {"de": "Logo"}, "order": 2},
    ),
    "unit": (
        convert.unit_wire,
        r.UnitRecord,
        {
            "parent_id": None,
            "title": "Bern",
            "fields": {"logo": "b" * 64},
            "assignable_by": ["g1"],
            "order": 0,
        },
    ),
    "profile": (
        convert.profile_wire,
        r.ProfileRecord,
        {
            "owner_id": "u1",
            "unit_id": "unit1",
            "title": "Mine",
            "overrides": {"phone": "2"},
            "shared_with": ["u3", "u2"],
        },
    ),
    "template_group": (
        convert.template_group_wire,
        r.TemplateGroupRecord,
        {"parent_id": "tg0", "titles": {"de": "Briefe"}, "order": 1},
    ),
    "template": (
        convert.template_wire,
        r.TemplateRecord,
        {
            "group_id": "tg1",
            "kind": "word",
            "status": "released",
            "active": True,
            "titles": {"de": "Brief", "en": "Letter"},
            "descriptions": {},
            "use_rights": ["g2", "g1"],
            "change_rights": [],
            "files": [FILE],
            "order": 3,
        },
    ),
    "snippet": (
        convert.snippet_wire,
        r.SnippetRecord,
        {
            "kind": "shared",
            "title": "Gruss",
            "owner_id": None,
            "template_id": None,
            "read_rights": ["g1"],
            "write_rights": [],
            "body_sha256": "c" * 64,
            "body_format": "text",
        },
    ),
}


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_a_wire_record_is_its_models_dump(kind: str) -> None:
    wire, model, columns = ROWS[kind]
    row = SimpleNamespace(id=f"{kind}-1", version=7, **columns)
    record = wire(row)
    assert list(record) == list(model.model_fields), "fields and their order as in the model"
    assert record == model.model_validate(record).model_dump(mode="json")


def test_lists_that_are_sets_go_out_sorted() -> None:
    wire, _model, columns = ROWS["template"]
    record = wire(SimpleNamespace(id="t", version=1, **columns))
    assert record["use_rights"] == ["g1", "g2"]
    assert record["files"] == {"de": {"sha256": "a" * 64, "size": 1234, "filename": "Brief.docx"}}


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_the_admin_api_gets_the_same_record_validated(kind: str) -> None:
    wire, model, columns = ROWS[kind]
    row = SimpleNamespace(id=f"{kind}-1", version=7, **columns)
    typed = getattr(convert, wire.__name__.replace("_wire", "_record"))(row)
    assert isinstance(typed, model)
    assert typed.model_dump(mode="json") == wire(row)
