""" "Create document": a copy of a template's file, under a fresh name, in the documents folder;
"Open" of a Word snippet: the same for the snippet's file.

Runs on the task thread (it reads and writes files). The copy is made with an exclusive
create, so two documents made in the same minute never overwrite each other.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

from docshelf.client import reading
from docshelf.client.errors import MissingFile
from docshelf.client.files import FileStore
from docshelf.client.store import LocalStore

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def fresh_path(folder: Path, title: str, suffix: str, now: datetime | None = None) -> Path:
    """``<title> <date>.<suffix>``, with `` (2)``, `` (3)`` … until the name is free."""
    stamp = (now or datetime.now().astimezone()).strftime("%Y-%m-%d")
    base = _UNSAFE.sub("_", title).strip(" .") or "document"
    candidate = folder / f"{base} {stamp}{suffix}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{base} {stamp} ({number}){suffix}"
        number += 1
    return candidate


def create_document(
    store: LocalStore, files: FileStore, template_id: str, lang: str, folder: Path, ui_lang: str
) -> Path:
    source, filename = reading.template_file(store, files, template_id, lang)
    if not source.is_file():
        raise MissingFile(
            f"The {lang} file of this template is not downloaded yet; synchronise, then try again."
        )
    record = store.view_record("template", template_id) or {}
    title = reading.title_of(record, ui_lang) or Path(filename).stem
    return _copy_fresh(source, folder, title, Path(filename).suffix)


def open_snippet_copy(files: FileStore, sha: str, title: str, folder: Path) -> Path:
    """A Word snippet's file copied to the documents folder as ``<title> <date>.docx``,
    to be opened with the system's application (the stored file stays untouched)."""
    source = files.path(sha)
    if not source.is_file():
        raise MissingFile(
            "The file of this snippet is not downloaded yet; synchronise, then try again."
        )
    return _copy_fresh(source, folder, title, ".docx")


def _copy_fresh(source: Path, folder: Path, title: str, suffix: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        target = fresh_path(folder, title, suffix)
        try:
            with source.open("rb") as src, target.open("xb") as out:
                shutil.copyfileobj(src, out)
        except FileExistsError:
            continue  # made by someone else between the check and the create
        return target
