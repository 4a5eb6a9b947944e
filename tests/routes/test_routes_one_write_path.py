"""One write path: any change, made through the admin API, an uploaded sync edit, a package
import or the dashboard, gives the same stored state and the same audit entry — or is
refused by all of them.

Driven by the registry of docshelf.domain.patches: for each kind, seeded random patches
over the registry's attributes (a generator per attribute; a test fails when the registry
has an attribute the generator doesn't know). Each patch is applied to equal copies of one
object, one copy per way that can express it, and the stored records are compared.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from docshelf.domain.patches import REGISTRY
from support.api import PASSWORD
from support.app import URL, AppServer

ROUNDS = 10
MISSING = "no-such-id"  # a reference to nothing: every way must refuse it
TEXTS = ("Guten Tag", "Freundliche Grüsse", "<p>Hallo</p>")
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')

Value = Any
Patch = dict[str, Value]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class World:
    """What the random values refer to: units, groups, users, fields, uploaded bodies."""

    server: AppServer
    root_id: str
    units: list[str]
    groups: list[str]
    users: list[str]
    principals: list[str]
    unit_fields: list[str]
    profile_fields: list[str]
    bodies: dict[str, bytes] = field(default_factory=dict)  # sha256 → bytes


@pytest.fixture(scope="module")
def world(live: AppServer) -> World:
    admin = live.admin
    tag = secrets.token_hex(3)
    unit_fields = [f"room_{tag}", f"motto_{tag}"]
    for key in unit_fields:
        admin.ok("POST", "/admin/fields", json={"key": key, "scope": "unit"})
    phone = f"phone_{tag}"
    admin.ok("POST", "/admin/fields", json={"key": phone, "scope": "user"})
    units = [admin.ok("POST", "/admin/units", json={"title": f"U{n}"})["id"] for n in range(2)]
    groups = [
        admin.ok("POST", "/admin/template-groups", json={"titles": {"de": f"G{n}"}})["id"]
        for n in range(2)
    ]
    users = [
        admin.ok("POST", "/admin/users", json={"login": f"wp{n}{tag}", "password": PASSWORD})["id"]
        for n in range(2)
    ]
    group = admin.ok("POST", "/admin/groups", json={"name": f"wp-{tag}"})["id"]
    root_id = next(u["id"] for u in admin.ok("GET", "/admin/users") if u["login"] == "root")
    bodies = {}
    for text in TEXTS:
        data = text.encode()
        bodies[admin.upload(data)] = data
    return World(
        server=live,
        root_id=root_id,
        units=units,
        groups=groups,
        users=users,
        principals=["*", f"group:{group}", f"user:{users[0]}"],
        unit_fields=unit_fields,
        profile_fields=[phone, unit_fields[0]],
        bodies=bodies,
    )


# --- random values per attribute --------------------------------------------------------------


def _subset(rnd: random.Random, items: list[str]) -> list[str]:
    return sorted(rnd.sample(items, rnd.randint(0, len(items))))


def _texts(rnd: random.Random, at_least: int) -> dict[str, str]:
    langs = rnd.sample(["de", "en", "fr"], rnd.randint(at_least, 3))
    return {lang: f"{lang}-{rnd.randint(0, 9)}" for lang in sorted(langs)}


def _entries(rnd: random.Random, keys: list[str]) -> dict[str, str | None]:
    chosen = rnd.sample(keys, rnd.randint(1, len(keys)))
    return {key: rnd.choice([None, f"v{rnd.randint(0, 9)}"]) for key in sorted(chosen)}


Generator = Callable[[random.Random, World], Value]
GENERATORS: dict[str, dict[str, Generator]] = {
    "template": {
        "titles": lambda rnd, w: _texts(rnd, 1),
        "descriptions": lambda rnd, w: _texts(rnd, 0),
        "group_id": lambda rnd, w: rnd.choice([None, MISSING, *w.groups]),
        "status": lambda rnd, w: rnd.choice(["in_progress", "in_test", "released"]),
        "use_rights": lambda rnd, w: _subset(rnd, w.principals),
        "change_rights": lambda rnd, w: _subset(rnd, w.principals),
        "order": lambda rnd, w: rnd.randint(-3, 3),
    },
    "template_group": {
        "titles": lambda rnd, w: _texts(rnd, 1),
        "parent_id": lambda rnd, w: rnd.choice([None, MISSING, *w.groups]),
        "order": lambda rnd, w: rnd.randint(-3, 3),
    },
    "snippet": {
        "title": lambda rnd, w: f"S{rnd.randint(0, 9)}",
        "read_rights": lambda rnd, w: _subset(rnd, w.principals),
        "write_rights": lambda rnd, w: _subset(rnd, w.principals),
        "body_sha256": lambda rnd, w: rnd.choice([None, *w.bodies]),
        "body_text": lambda rnd, w: rnd.choice(TEXTS),
        "body_format": lambda rnd, w: rnd.choice(["text", "html"]),
    },
    "profile": {
        "title": lambda rnd, w: f"P{rnd.randint(0, 9)}",
        "unit_id": lambda rnd, w: rnd.choice([None, MISSING, *w.units]),
        "overrides": lambda rnd, w: _entries(rnd, w.profile_fields),
        "shared_with": lambda rnd, w: _subset(rnd, w.users),
    },
    "field": {
        "labels": lambda rnd, w: _texts(rnd, 0),
        "order": lambda rnd, w: rnd.randint(-3, 3),
    },
    "user": {
        "display_name": lambda rnd, w: f"N{rnd.randint(0, 9)}",
        "roles": lambda rnd, w: _subset(rnd, ["layouter", "org", "sys"]),
        "fields": lambda rnd, w: (
            {w.profile_fields[0]: f"p{rnd.randint(0, 9)}"} if rnd.random() < 0.7 else {}
        ),
    },
    "unit": {
        "title": lambda rnd, w: f"U{rnd.randint(0, 9)}",
        "parent_id": lambda rnd, w: rnd.choice([None, MISSING, *w.units]),
        "fields": lambda rnd, w: _entries(rnd, w.unit_fields),
        "assignable_by": lambda rnd, w: rnd.choice([None, _subset(rnd, w.principals)]),
        "order": lambda rnd, w: rnd.randint(-3, 3),
    },
}


def test_every_attribute_of_the_registry_has_a_generator() -> None:
    registered = {k: v.changeable for k, v in REGISTRY.items() if k != "group"}
    assert registered == {k: list(v) for k, v in GENERATORS.items()}


def random_patch(rnd: random.Random, world: World, kind: str) -> Patch:
    generators = GENERATORS[kind]
    names = [n for n in generators if rnd.random() < 0.35] or [rnd.choice(list(generators))]
    if "body_text" in names and "body_sha256" in names:
        names.remove(rnd.choice(["body_text", "body_sha256"]))
    return {name: generators[name](rnd, world) for name in names}


# --- the kinds: where they live, a first state ---------------------------------------------


@dataclass(frozen=True)
class Kind:
    path: str  # under /api/v1/admin
    first: Callable[[World], dict[str, Any]]
    export: Callable[[str], dict[str, Any]] | None  # the export request holding one object
    manifest_key: str = ""
    unique: str = ""  # an attribute each copy has its own value of (and packages match by)


KINDS = {
    "template": Kind(
        "templates",
        lambda w: {
            "kind": "docx",
            "titles": {"de": "Start", "en": "Start"},
            "descriptions": {"de": "Text"},
            "group_id": w.groups[0],
            "use_rights": ["*"],
            "change_rights": [w.principals[1]],
            "order": 1,
        },
        lambda ident: {"template_ids": [ident]},
        "templates",
    ),
    "template_group": Kind(
        "template-groups",
        lambda w: {"titles": {"de": "Start"}, "parent_id": w.groups[0], "order": 1},
        lambda ident: {"group_ids": [ident]},
        "template_groups",
    ),
    "snippet": Kind(
        "snippets",
        lambda w: {
            "kind": "shared",
            "title": "Start",
            "read_rights": ["*"],
            "write_rights": [w.principals[1]],
            "body_sha256": next(iter(w.bodies)),
        },
        lambda ident: {"snippet_ids": [ident]},
        "snippets",
    ),
    "profile": Kind(
        "profiles",
        lambda w: {
            "owner_id": w.root_id,
            "title": "Start",
            "unit_id": w.units[0],
            "overrides": {w.profile_fields[0]: "1"},
            "shared_with": [w.users[0]],
        },
        None,
    ),
    "unit": Kind(
        "units",
        lambda w: {
            "title": "Start",
            "parent_id": w.units[0],
            "fields": {w.unit_fields[0]: "A"},
            "assignable_by": ["*"],
            "order": 1,
        },
        lambda ident: {"units": True},
        "units",
    ),
    "field": Kind(
        "fields",
        lambda w: {"key": f"f_{secrets.token_hex(4)}", "scope": "unit", "labels": {"de": "Start"}},
        lambda ident: {"fields": True},
        "fields",
        unique="key",
    ),
    "user": Kind(
        "users",
        lambda w: {
            "login": f"u{secrets.token_hex(4)}",
            "display_name": "Start",
            "roles": ["layouter"],
            "fields": {w.profile_fields[0]: "1"},
        },
        None,
        unique="login",
    ),
    # Groups are left out: their names are unique, so one change can't go to two copies.
}


# --- the ways of writing: each applies a patch to one object, or says it can't -------------

Outcome = dict[str, Any] | str  # the stored record, or REFUSED
APPLIED, REFUSED, UNSAID = "applied", "refused", "unsaid"  # UNSAID: this way can't say it


def _merged(current: dict[str, Any], entries: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in entries.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _with_bodies(patch: Patch) -> Patch:
    """``body_text`` said as the file it becomes, for ways that name bodies by file."""
    if "body_text" not in patch:
        return patch
    rest = {k: v for k, v in patch.items() if k != "body_text"}
    return {**rest, "body_sha256": _sha(patch["body_text"].encode())}


def by_api(world: World, kind: str, record: dict[str, Any], patch: Patch) -> str:
    body = {("body" if k == "body_text" else k): v for k, v in patch.items()}
    response = world.server.admin.patch(f"/admin/{KINDS[kind].path}/{record['id']}", json=body)
    if response.status_code in (404, 409, 422):
        return REFUSED
    assert response.is_success, response.text
    return APPLIED


EDIT_KINDS = {"template", "template_group", "snippet", "profile", "unit"}
_NOT_EDITABLE = {("unit", "assignable_by")}
_REPLACED = {"titles", "descriptions"}
_SETS = {"use_rights", "change_rights", "read_rights", "write_rights", "shared_with"}


def by_sync(world: World, kind: str, record: dict[str, Any], patch: Patch) -> str:
    patch = _with_bodies(patch)
    if kind not in EDIT_KINDS or any((kind, name) in _NOT_EDITABLE for name in patch):
        return UNSAID  # a client cannot say this
    edit: dict[str, Any] = {"set": {}, "add": {}, "remove": {}}
    for name, value in patch.items():
        if REGISTRY[kind].attributes[name].entries:
            edit["set"].update({f"{name}.{k}": v for k, v in value.items()})
        elif name in _REPLACED:
            edit["set"].update({f"{name}.{k}": value.get(k) for k in {*record[name], *value}})
        elif name in _SETS:
            now, new = set(record[name]), set(value)
            edit["add"][name], edit["remove"][name] = sorted(new - now), sorted(now - new)
        else:
            edit["set"][name] = value
    mutation = {"id": f"m-{secrets.token_hex(8)}", "kind": kind, "op": "update"}
    mutation |= {"target": record["id"], **edit}
    answer = world.server.admin.ok("POST", "/sync/mutations", json={"mutations": [mutation]})
    result = answer["results"][0]
    assert result["outcome"] in ("applied", "rejected"), result
    return REFUSED if result["outcome"] == "rejected" else APPLIED


def by_package(world: World, kind: str, record: dict[str, Any], patch: Patch) -> str:
    spec = KINDS[kind]
    if spec.export is None:
        return UNSAID  # packages don't carry this kind
    if patch.get("read_rights") == []:
        return UNSAID  # in a package, a shared snippet without readers is read by everyone
    patch = _with_bodies(patch)
    admin = world.server.admin
    exported = admin.post("/admin/packages/export", json=spec.export(record["id"]))
    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(files["manifest.json"])
    match = spec.unique or "id"
    entry = next(e for e in manifest[spec.manifest_key] if e[match] == record[match])
    for name, value in patch.items():
        if name == "body_sha256":
            if value is None:
                entry["body"] = None
            else:
                path = f"files/{value}.txt"
                files[path] = world.bodies[value]
                entry["body"] = {"path": path, "sha256": value, "size": len(world.bodies[value])}
        elif REGISTRY[kind].attributes[name].entries:
            entry[name] = _merged(entry.get(name) or {}, value)
        else:
            entry[name] = value
    files["manifest.json"] = json.dumps(manifest).encode()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    headers = {"Content-Type": "application/zip"}
    response = admin.post("/admin/packages/import", content=archive.getvalue(), headers=headers)
    if response.status_code in (409, 422):
        return REFUSED
    assert response.is_success, response.text
    return APPLIED


def _signed_in(world: World) -> httpx.Client:
    http = world.server.connect(URL, {})
    form = http.get("/dashboard/login")
    csrf = CSRF_RE.search(form.text)
    assert csrf
    data = {"csrf": csrf.group(1), "login": "root", "password": PASSWORD}
    assert http.post("/dashboard/login", data=data).status_code == 303
    return http


def by_dashboard(world: World, kind: str, record: dict[str, Any], patch: Patch) -> str:
    form = _FORMS.get(kind, lambda w, r, p: None)(world, record, patch)
    if form is None:
        return UNSAID  # the dashboard's forms have no inputs for this
    with _signed_in(world) as http:
        path = f"/dashboard/{KINDS[kind].path}/{record['id']}"
        page = http.get(path)
        csrf = CSRF_RE.search(page.text)
        assert page.status_code == 200 and csrf
        answer = http.post(path, data={"csrf": csrf.group(1), "version": record["version"], **form})
    if answer.status_code in (409, 422):
        return REFUSED
    assert answer.status_code == 303, answer.text
    return APPLIED


def _unit_form(world: World, record: dict[str, Any], patch: Patch) -> dict[str, Any] | None:
    if set(patch) - {"title", "fields"}:
        return None
    fields = _merged(record["fields"], patch.get("fields", {}))
    return {
        "title": patch.get("title", record["title"]),
        **{f"field.{key}": fields.get(key, "") for key in world.unit_fields},
    }


def _field_form(world: World, record: dict[str, Any], patch: Patch) -> dict[str, Any] | None:
    labels = patch.get("labels", record["labels"])
    if set(labels) - {"de", "en"}:
        return None  # the form shows German and English labels only
    form = {f"label_{lang}": labels.get(lang, "") for lang in ("de", "en")}
    return {**form, "order": str(patch.get("order", record["order"]))}


def _user_form(world: World, record: dict[str, Any], patch: Patch) -> dict[str, Any] | None:
    fields = patch.get("fields", record["fields"])
    return {
        "display_name": patch.get("display_name", record["display_name"]),
        "roles": patch.get("roles", record["roles"]),
        **{f"field.{key}": fields.get(key, "") for key in world.profile_fields[:1]},
    }


_FORMS: dict[str, Callable[[World, dict[str, Any], Patch], dict[str, Any] | None]] = {
    "unit": _unit_form,
    "field": _field_form,
    "user": _user_form,
}


WAYS = {"api": by_api, "sync": by_sync, "package": by_package, "dashboard": by_dashboard}


# --- the property ----------------------------------------------------------------------------


def _stored(world: World, kind: str, ident: str) -> dict[str, Any]:
    path = f"/admin/{KINDS[kind].path}"
    if kind in ("template_group", "field"):  # no GET of one
        record = next(g for g in world.server.admin.ok("GET", path) if g["id"] == ident)
    else:
        record = world.server.admin.ok("GET", f"{path}/{ident}")
    return {k: v for k, v in record.items() if k not in ("id", "version", KINDS[kind].unique)}


def _audited(world: World, kind: str, ident: str, seq_before: int) -> dict[str, Any] | None:
    """The audit entry the change left on the object (None when it changed nothing): what
    it says, without when, so that every way can be held to one."""
    page = world.server.admin.ok("GET", "/admin/audit", params={"object": ident, "limit": 50})
    entries = [e for e in page["entries"] if e["seq"] > seq_before]
    if not entries:
        return None
    (entry,) = entries
    assert entry["object_id"] == ident and entry["action"] == "changed", entry
    return {key: entry[key] for key in ("kind", "action", "before", "after", "actor", "origin")}


def _newest_seq(world: World) -> int:
    page = world.server.admin.ok("GET", "/admin/audit", params={"limit": 1})
    return int(page["entries"][0]["seq"]) if page["entries"] else 0


def _copy(world: World, kind: str) -> dict[str, Any]:
    """A new object, equal to the other copies but for its id."""
    first = KINDS[kind].first(world)
    record: dict[str, Any] = world.server.admin.ok("POST", f"/admin/{KINDS[kind].path}", json=first)
    return record


def _assert_as_patched(
    kind: str, stored: dict[str, Any], before: dict[str, Any], patch: Patch
) -> None:
    """What the patch sets is stored (so that no way passes by ignoring it)."""
    for name, value in _with_bodies(patch).items():
        if REGISTRY[kind].attributes[name].entries:
            value = _merged(before[name], value)
        elif name in _SETS or (name == "assignable_by" and value is not None):
            value = sorted(value)
        elif name == "roles":  # every account is a plain user too
            value = sorted({*value, "user"})
        assert stored[name] == value, (name, stored, patch)


# The ways each kind can be written (the dashboard's forms edit units only; packages carry
# no profiles), each of which must have applied some of the random changes.
EXPECTED_WAYS = {
    "template": {"api", "sync", "package"},
    "template_group": {"api", "sync", "package"},
    "snippet": {"api", "sync", "package"},
    "profile": {"api", "sync"},
    "unit": {"api", "sync", "package", "dashboard"},
    "field": {"api", "package", "dashboard"},
    "user": {"api", "dashboard"},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_change_gives_the_same_state_whichever_way_it_is_made(world: World, kind: str) -> None:
    rnd = random.Random(f"one write path {kind}")
    applied: dict[str, int] = {}
    entries = 0
    for round_ in range(ROUNDS):
        patch = random_patch(rnd, world, kind)
        outcomes: dict[str, Outcome] = {}
        audits: dict[str, dict[str, Any] | None] = {}
        for way, write in WAYS.items():
            record = _copy(world, kind)
            seq = _newest_seq(world)
            said = write(world, kind, record, patch)
            if said == APPLIED:
                outcomes[way] = _stored(world, kind, record["id"])
                applied[way] = applied.get(way, 0) + 1
                _assert_as_patched(kind, outcomes[way], record, patch)
                audits[way] = _audited(world, kind, record["id"], seq)
            elif said == REFUSED:
                outcomes[way] = REFUSED
        for way, outcome in outcomes.items():
            assert outcome == outcomes["api"], f"round {round_}, {kind} {patch}: {way} ≠ api"
        # ... and the same audit entry: the same before → after, by the same person, each
        # naming the door it came through.
        for way, audit in audits.items():
            assert audit is None or audit.pop("origin") == way, (way, audit)
            assert audit == audits["api"], f"round {round_}, {kind} {patch}: audit by {way} ≠ api"
            entries += audit is not None
    assert {way for way, n in applied.items() if n >= 2} == EXPECTED_WAYS[kind], applied
    assert entries >= 2 * len(EXPECTED_WAYS[kind]), "too few audit entries were compared"


# --- creations: the same property for a new object ---------------------------------------
#
# A creation takes the patch of its kind too: what the registry requires, and random others
# (left out, they get the same defaults whichever way the object is made).


def _fresh(kind: str) -> str:
    return f"{kind[0]}{secrets.token_hex(5)}"


# What a creation must set (docshelf.domain.patches: the registry's ``required``).
REQUIRED: dict[str, dict[str, Generator]] = {
    "template": {
        "kind": lambda rnd, w: rnd.choice(["docx", "xlsx"]),
        "titles": lambda rnd, w: _texts(rnd, 1),
    },
    "template_group": {"titles": lambda rnd, w: _texts(rnd, 1)},
    "snippet": {
        "kind": lambda rnd, w: rnd.choice(["shared", "shared", "personal"]),
        "title": lambda rnd, w: f"S{rnd.randint(0, 9)}",
    },
    "profile": {
        "owner_id": lambda rnd, w: w.root_id,
        "title": lambda rnd, w: f"P{rnd.randint(0, 9)}",
    },
    "unit": {"title": lambda rnd, w: f"U{rnd.randint(0, 9)}"},
    "field": {"key": lambda rnd, w: "", "scope": lambda rnd, w: rnd.choice(["unit", "user"])},
    "user": {"login": lambda rnd, w: ""},  # key and login: each copy its own
}
# What only a creation sets and isn't required, beside the changeable attributes.
CREATE_GENERATORS: dict[str, dict[str, Generator]] = {
    "field": {"type": lambda rnd, w: rnd.choice(["text", "multiline", "email"])},
}
# Left out: a personal snippet's owner is its creator here, a template snippet needs a
# template (both have tests of their own).
NOT_GENERATED = {("snippet", "owner_id"), ("snippet", "template_id")}
# A new object's entries have values (null resets an entry of an object that exists).
_VALUES_ONLY = {"overrides", "fields"}


def test_every_attribute_of_the_registry_is_generated_for_a_creation() -> None:
    for kind in KINDS:
        registry = REGISTRY[kind]
        assert set(REQUIRED[kind]) == set(registry.required), kind
        generated = {*REQUIRED[kind], *GENERATORS[kind], *CREATE_GENERATORS.get(kind, {})}
        left_out = {name for k, name in NOT_GENERATED if k == kind}
        assert generated | left_out == set(registry.attributes), kind


def random_creation(rnd: random.Random, world: World, kind: str) -> Patch:
    generators = {**GENERATORS[kind], **CREATE_GENERATORS.get(kind, {})}
    names = [n for n in generators if rnd.random() < 0.35]
    if "body_text" in names and "body_sha256" in names:
        names.remove(rnd.choice(["body_text", "body_sha256"]))
    patch = {name: generators[name](rnd, world) for name in names}
    for name in _VALUES_ONLY & set(patch):
        if kind != "user":
            patch[name] = {k: v or "x" for k, v in patch[name].items()}
    required = {name: generate(rnd, world) for name, generate in REQUIRED[kind].items()}
    return {**required, **patch}


def _unique(kind: str, patch: Patch) -> Patch:
    """The patch for one copy: its own key or login."""
    unique = KINDS[kind].unique
    return {**patch, unique: _fresh(kind)} if unique else patch


def create_by_api(world: World, kind: str, patch: Patch) -> str | None:
    body = {("body" if k == "body_text" else k): v for k, v in patch.items()}
    response = world.server.admin.post(f"/admin/{KINDS[kind].path}", json=body)
    if response.status_code in (404, 409, 422):
        return None
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def create_by_sync(world: World, kind: str, patch: Patch) -> str | None:
    if kind not in EDIT_KINDS - {"template"}:  # a client creates no templates
        return UNSAID
    patch = dict(_with_bodies(patch))
    if kind == "profile" and patch.pop("owner_id") != world.root_id:
        return UNSAID  # a client creates profiles for its own user only
    if any((kind, name) in _NOT_EDITABLE for name in patch):
        return UNSAID
    edit: dict[str, Any] = {"set": {}, "add": {}}
    for name, value in patch.items():
        if isinstance(value, dict):
            edit["set"].update({f"{name}.{k}": v for k, v in value.items()})
        elif name in _SETS:
            edit["add"][name] = value
        else:
            edit["set"][name] = value
    target = _fresh(kind)
    mutation = {"id": f"m-{secrets.token_hex(8)}", "kind": kind, "op": "create"}
    mutation |= {"target": target, **edit}
    answer = world.server.admin.ok("POST", "/sync/mutations", json={"mutations": [mutation]})
    result = answer["results"][0]
    assert result["outcome"] in ("applied", "rejected"), result
    return None if result["outcome"] == "rejected" else target


def create_by_package(
    world: World, kind: str, patch: Patch, made_by_api: tuple[str, Patch] | None
) -> str | None:
    """The object the API made, exported, under a new id (and key): imported, it must be
    made the same, every attribute now given."""
    spec = KINDS[kind]
    if spec.export is None or made_by_api is None or patch.get("kind") == "personal":
        return UNSAID  # no package carries it (or nothing to carry: the API refused it)
    admin = world.server.admin
    exported = admin.post("/admin/packages/export", json=spec.export(made_by_api[0]))
    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(files["manifest.json"])
    ident, api_copy = made_by_api
    match = spec.unique or "id"
    value = api_copy[match] if spec.unique else ident
    entry = next(e for e in manifest[spec.manifest_key] if e[match] == value)
    if spec.unique:
        entry[spec.unique] = _fresh(kind)
    else:
        entry["id"] = _fresh(kind)
    manifest[spec.manifest_key] = [entry]  # only the new one
    files["manifest.json"] = json.dumps(manifest).encode()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    headers = {"Content-Type": "application/zip"}
    response = admin.post("/admin/packages/import", content=archive.getvalue(), headers=headers)
    assert response.is_success, response.text
    if spec.unique:
        key = entry[spec.unique]
        return next(r["id"] for r in admin.ok("GET", f"/admin/{spec.path}") if r["key"] == key)
    return str(entry["id"])


def create_by_dashboard(world: World, kind: str, patch: Patch) -> str | None:
    form = _CREATE_FORMS.get(kind, lambda p: None)(patch)
    if form is None:
        return UNSAID  # the dashboard's forms have no inputs for this
    path = f"/dashboard/{KINDS[kind].path}"
    with _signed_in(world) as http:
        page = http.get(path)
        csrf = CSRF_RE.search(page.text)
        assert page.status_code == 200 and csrf
        answer = http.post(path, data={"csrf": csrf.group(1), **form})
    if answer.status_code in (409, 422):
        return None
    assert answer.status_code == 303, answer.text
    if kind == "field":
        fields = world.server.admin.ok("GET", "/admin/fields")
        return next(r["id"] for r in fields if r["key"] == patch["key"])
    location = answer.headers["location"].split("?")[0]
    made = location.rsplit("/", 1)[-1]
    # A refused unit goes back to the list (or its parent) with the reason as a flash.
    return None if location.endswith(path) or made == patch.get("parent_id") else made


def _unit_create_form(patch: Patch) -> dict[str, Any] | None:
    if set(patch) - {"title", "parent_id"}:
        return None
    return {"title": patch["title"], "parent": patch.get("parent_id") or ""}


def _field_create_form(patch: Patch) -> dict[str, Any] | None:
    labels = patch.get("labels", {})
    if set(labels) - {"de", "en"}:
        return None
    return {
        "key": patch["key"],
        "scope": patch["scope"],
        "type": patch.get("type", "text"),
        **{f"label_{lang}": labels.get(lang, "") for lang in ("de", "en")},
        "order": str(patch.get("order", 0)),
    }


def _user_create_form(patch: Patch) -> dict[str, Any] | None:
    if patch.get("fields"):
        return None
    return {
        "login": patch["login"],
        "display_name": patch.get("display_name", ""),
        "roles": patch.get("roles", []),
    }


_CREATE_FORMS: dict[str, Callable[[Patch], dict[str, Any] | None]] = {
    "unit": _unit_create_form,
    "field": _field_create_form,
    "user": _user_create_form,
}


def _audited_creation(
    world: World, kind: str, ident: str, seq_before: int, own: dict[str, str]
) -> dict[str, Any]:
    """The audit entry of the creation, ``own`` values (a copy's login) named alike."""
    page = world.server.admin.ok("GET", "/admin/audit", params={"object": ident, "limit": 50})
    (entry,) = [e for e in page["entries"] if e["seq"] > seq_before]
    assert entry["object_id"] == ident and entry["action"] == "created", entry
    after = {k: v for k, v in entry["after"].items() if k not in ("id", KINDS[kind].unique)}
    return {"kind": entry["kind"], "before": entry["before"], "after": _renamed(after, own)} | {
        key: entry[key] for key in ("actor", "origin")
    }


def _renamed(record: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {k: names.get(v, v) if isinstance(v, str) else v for k, v in record.items()}


CREATING_WAYS = ("api", "sync", "package", "dashboard")
# The ways each kind can be created by (a client creates no templates, fields or users;
# packages carry no profiles or users; the dashboard makes units, fields and users).
EXPECTED_CREATING_WAYS = {
    "template": {"api", "package"},
    "template_group": {"api", "sync", "package"},
    "snippet": {"api", "sync", "package"},
    "profile": {"api", "sync"},
    "unit": {"api", "sync", "package", "dashboard"},
    "field": {"api", "package", "dashboard"},
    "user": {"api", "dashboard"},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_creation_gives_the_same_object_whichever_way_it_is_made(world: World, kind: str) -> None:
    rnd = random.Random(f"one write path, creating {kind}")
    made: dict[str, int] = {}
    for round_ in range(ROUNDS):
        patch = random_creation(rnd, world, kind)
        outcomes: dict[str, Outcome] = {}
        audits: dict[str, dict[str, Any]] = {}
        by_api: tuple[str, Patch] | None = None
        for way in CREATING_WAYS:
            copy = _unique(kind, patch)
            seq = _newest_seq(world)
            if way == "api":
                ident = create_by_api(world, kind, copy)
                by_api = None if ident is None else (ident, copy)
            elif way == "sync":
                ident = create_by_sync(world, kind, copy)
            elif way == "package":
                ident = create_by_package(world, kind, copy, by_api)
            else:
                ident = create_by_dashboard(world, kind, copy)
            if ident == UNSAID:
                continue
            if ident is None:
                outcomes[way] = REFUSED
                continue
            # Each copy its own key or login (and so display name, where none is given).
            own = {copy[KINDS[kind].unique]: "<own>"} if KINDS[kind].unique else {}
            outcomes[way] = _renamed(_stored(world, kind, ident), own)
            made[way] = made.get(way, 0) + 1
            audits[way] = _audited_creation(world, kind, ident, seq, own)
            assert audits[way].pop("origin") == way, (way, audits[way])
        for way, outcome in outcomes.items():
            assert outcome == outcomes["api"], f"round {round_}, {kind} {patch}: {way} ≠ api"
        for way, audit in audits.items():
            assert audit == audits["api"], f"round {round_}, {kind} {patch}: audit by {way} ≠ api"
    assert {way for way, n in made.items() if n >= 2} == EXPECTED_CREATING_WAYS[kind], made
