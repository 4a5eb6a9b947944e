"""The real check of filled documents: every demo Word template, filled for anna, eva (both
profiles) and clara, converted to PDF by LibreOffice and read back with poppler-utils.

The page must show the profile's values and the unit's logo, and no placeholder where a value
exists; data-bound controls must have their new values in the custom XML part too (Word would
put the old ones back otherwise). FillData is gathered from the seeded demo database the way
a client gathers it from its copy: resolved profile fields, the logo's file, snippet bodies.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from lxml import etree
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.documents import FillData, Filled, SnippetBody, Tag, TagKind, fill, tags_of
from docshelf.domain.fields import FieldType
from docshelf.domain.permissions import can_see_snippet, can_see_template
from docshelf.server import convert
from docshelf.server.blobstore import BlobStore, LocalBlobStore
from docshelf.server.db.engine import Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.db.models import Profile, Snippet, Template, User
from docshelf.server.demo.files import logo_png
from docshelf.server.demo.seed import seed_demo
from docshelf.server.demo.word import PLACEHOLDER_PICTURE_PX, SENDER_NS, placeholder
from docshelf.server.services import accounts, profiles
from docshelf.server.services.fields import definitions
from docshelf.server.services.passwords import Passwords
from support.office import pdf_images, pdf_text, require_tools, to_pdf

USERS = ("anna", "eva", "clara")
WORD_KINDS = ("docx", "dotx")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass
class Case:
    login: str
    profile: str  # its title
    template: str  # its German title
    lang: str
    source: str  # the template's file name
    tags: list[Tag]
    values: dict[str, str]
    labels: dict[str, str]
    snippets: dict[str, str]  # title -> text
    filled: Filled
    path: Path
    pdf: Path | None = None

    def __str__(self) -> str:
        return f"{self.template} ({self.lang}) for {self.login}, profile {self.profile}"


def _blob(blobs: BlobStore, sha: str) -> bytes:
    with blobs.open(sha) as f:
        return f.read()


def _fill_data(session: Session, blobs: BlobStore, row: Profile, lang: str) -> FillData:
    defs = definitions(session)
    resolved = {f.key: f.value for f in profiles.resolved_fields(session, row) if f.value}
    images = {k for k, d in defs.items() if d.type is FieldType.IMAGE}
    owner = session.get(User, row.owner_id)
    assert owner is not None
    who = accounts.actor_of(session, owner)
    snippets: dict[str, SnippetBody] = {}
    for s in session.scalars(select(Snippet)):
        parent = session.get(Template, s.template_id) if s.template_id else None
        visible = can_see_snippet(
            who, convert.snippet(s), convert.template(parent) if parent else None
        )
        if visible and s.body_sha256:
            body = SnippetBody(s.body_format, _blob(blobs, s.body_sha256))
            snippets[s.id] = snippets[s.title] = body
    return FillData(
        values={k: v for k, v in resolved.items() if k not in images},
        labels={k: (d.labels or {}).get(lang, k) for k, d in defs.items()},
        images={k: _blob(blobs, v) for k, v in resolved.items() if k in images},
        snippets=snippets,
    )


def _cases_for(session: Session, blobs: BlobStore, login: str, outdir: Path) -> list[Case]:
    user = session.scalars(select(User).where(User.login == login)).one()
    who = accounts.actor_of(session, user)
    cases = []
    for row in profiles.profiles_of(session, user.id):
        for template in session.scalars(select(Template).order_by(Template.order)):
            if template.kind not in WORD_KINDS or not can_see_template(
                who, convert.template(template)
            ):
                continue
            for f in template.files:
                data = _blob(blobs, f.sha256)
                values = _fill_data(session, blobs, row, f.lang)
                filled = fill(data, f.filename, values)
                path = outdir / f"{login}-{len(cases):03d}{filled.suffix}"
                path.write_bytes(filled.data)
                cases.append(
                    Case(
                        login=login,
                        profile=row.title,
                        template=template.titles["de"],
                        lang=f.lang,
                        source=f.filename,
                        tags=tags_of(data, f.filename),
                        values=dict(values.values),
                        labels=dict(values.labels),
                        snippets={t: b.data.decode() for t, b in values.snippets.items()},
                        filled=filled,
                        path=path,
                    )
                )
    return cases


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Case]]:
    """Every demo Word template filled for each profile of anna, eva and clara, as PDF."""
    require_tools()
    root = tmp_path_factory.mktemp("office")
    db = Database(f"sqlite:///{root / 'docshelf.db'}")
    upgrade(db)
    blobs = LocalBlobStore(root / "blobs")
    assert seed_demo(db, blobs, Passwords(time_cost=1, memory_kib=16))
    (root / "docs").mkdir()
    with db.read() as session:
        found = [c for login in USERS for c in _cases_for(session, blobs, login, root / "docs")]
    db.dispose()
    pdfs = to_pdf([c.path for c in found], root / "pdf", root / "lo-profile")
    for case in found:
        case.pdf = pdfs[case.path]
    yield found


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _page_text(case: Case) -> str:
    assert case.pdf is not None
    return _flat(pdf_text(case.pdf))


def test_the_demo_gives_each_user_bound_and_plain_word_templates(cases: list[Case]) -> None:
    for login in USERS:
        mine = [c for c in cases if c.login == login]
        assert len({c.template for c in mine}) >= 3, login
        bound = [c for c in mine if _bound_parts(c)]
        assert bound and len(bound) < len(mine), login
    assert len({c.profile for c in cases if c.login == "eva"}) == 2


def test_every_page_shows_the_profiles_values_and_no_placeholder_where_a_value_exists(
    cases: list[Case],
) -> None:
    for case in cases:
        text = _page_text(case)
        for tag in case.tags:
            if tag.kind is TagKind.FIELD:
                value, label = case.values.get(tag.name), case.labels[tag.name]
                if value:
                    assert _flat(value) in text, (str(case), tag.text, value)
                    assert placeholder(label) not in text, (str(case), tag.text)
                else:
                    assert label in case.filled.missing, (str(case), tag.text)
            elif tag.kind is TagKind.SNIPPET:
                assert _flat(case.snippets[tag.name]) in text, (str(case), tag.text)
                assert placeholder(tag.name) not in text, (str(case), tag.text)


def test_eva_gets_each_profiles_own_values(cases: list[Case]) -> None:
    by_profile: dict[str, str] = {}
    for case in cases:
        if case.login == "eva" and case.template == "Brief" and case.lang == "de":
            by_profile[case.profile] = _page_text(case)
    bern, zurich = by_profile["Eva Meier, Verkauf Bern"], by_profile["Eva Meier, Aushilfe Zürich"]
    assert "Bundesgasse 20" in bern and "Bundesgasse 20" not in zurich
    assert "Bahnhofstrasse 10" in zurich and "Kundenberaterin (Aushilfe)" in zurich


def test_the_units_logo_is_on_the_page_instead_of_the_placeholder_picture(
    cases: list[Case],
) -> None:
    logo_size = _png_size(logo_png("MUSTER AG", (0, 84, 147)))
    for case in cases:
        assert case.pdf is not None
        if Tag(TagKind.IMAGE, "logo") not in case.tags:
            continue
        sizes = {(i.width, i.height) for i in pdf_images(case.pdf) if i.page == 1}
        assert logo_size in sizes, (str(case), sizes)
        assert PLACEHOLDER_PICTURE_PX not in sizes, str(case)


def test_bound_controls_have_their_new_values_in_the_custom_xml_part(cases: list[Case]) -> None:
    checked = 0
    for case in cases:
        for item in _bound_parts(case):
            for node in item:
                key = etree.QName(node).localname
                assert node.text == case.values[key], (str(case), key)
                checked += 1
    assert checked


def test_filled_documents_open_in_python_docx_and_are_never_templates(cases: list[Case]) -> None:
    for case in cases:
        assert case.filled.suffix == ".docx", str(case)
        document = docx.Document(io.BytesIO(case.filled.data))
        assert document.paragraphs
        with zipfile.ZipFile(io.BytesIO(case.filled.data)) as archive:
            types = archive.read("[Content_Types].xml")
        assert b"template.main+xml" not in types, str(case)
        if not case.filled.missing:  # every control filled: none shows a placeholder
            body = etree.fromstring(_member(case, "word/document.xml"))
            assert not body.xpath("//w:showingPlcHdr", namespaces={"w": W}), str(case)


def _member(case: Case, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(case.filled.data)) as archive:
        return archive.read(name)


def _bound_parts(case: Case) -> list[etree._Element]:
    with zipfile.ZipFile(io.BytesIO(case.filled.data)) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"customXml/item\d+\.xml", n)]
        roots = [etree.fromstring(archive.read(n)) for n in names]
    return [r for r in roots if etree.QName(r).namespace == SENDER_NS]


def _png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
