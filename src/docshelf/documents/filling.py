"""Filling a template (to be written: Word content controls, data-bound ones too; Excel)."""

from __future__ import annotations

from docshelf.documents.model import DocumentError, FillData, Filled


def fill(data: bytes, filename: str, values: FillData) -> Filled:
    raise DocumentError(f"Filling {filename} is not built yet.")
