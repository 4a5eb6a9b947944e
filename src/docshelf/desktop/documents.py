""" "Open" of a Word snippet: a copy of the snippet's file, under a fresh name, in the
documents folder ("Create document" fills a template: client/documents.py).

Runs on the task thread (it reads and writes files). The copy is made with an exclusive
create, so two copies made in the same minute never overwrite each other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from docshelf.client import FileStore, MissingFile, fresh_path
from docshelf.i18n import tr

__all__ = ["fresh_path", "open_snippet_copy"]


def open_snippet_copy(files: FileStore, sha: str, title: str, folder: Path) -> Path:
    """A Word snippet's file copied to the documents folder as ``<title> <date>.docx``,
    to be opened with the system's application (the stored file stays untouched)."""
    source = files.path(sha)
    if not source.is_file():
        raise MissingFile(
            tr("The file of this snippet is not downloaded yet; synchronise, then try again.")
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
