"""Reading a template's tags (to be written: Word content controls, Excel defined names)."""

from __future__ import annotations

from docshelf.documents.model import DocumentError, Tag


def tags_of(data: bytes, filename: str) -> list[Tag]:
    raise DocumentError(f"Reading the tags of {filename} is not built yet.")
