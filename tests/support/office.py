"""LibreOffice and poppler-utils for the documents tests: a Word file to PDF, the PDF read back.

Installed by ``scripts/system-packages.sh office`` (part of ``make test``). Without them a
test skips on a developer's machine, but fails in CI (the CI environment variable set), so
that CI never passes without having looked at a single page.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

# Generous: a first start of LibreOffice builds its profile, and the machine may be busy.
CONVERT_TIMEOUT = 900
TOOLS = ("soffice", "pdftotext", "pdfimages")


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    message = (
        f"{', '.join(missing)} not found: install them with "
        "scripts/system-packages.sh office (Debian: libreoffice-writer-nogui, poppler-utils)"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def to_pdf(files: list[Path], outdir: Path, profile: Path) -> dict[Path, Path]:
    """Convert ``files`` to PDF in one LibreOffice run; returns file -> its PDF.

    A private user profile (-env:UserInstallation) keeps parallel runs from sharing, and
    locking, the one in the home directory.
    """
    command = [
        "soffice",
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        *map(str, files),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT, check=False
    )
    pdfs = {f: outdir / f"{f.stem}.pdf" for f in files}
    missing = [f.name for f, pdf in pdfs.items() if not pdf.is_file()]
    assert done.returncode == 0 and not missing, (done.returncode, missing, done.stderr)
    return pdfs


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@dataclass(frozen=True)
class PdfImage:
    page: int
    width: int  # in pixels, as stored in the PDF
    height: int


def pdf_images(pdf: Path) -> list[PdfImage]:
    """The images ``pdfimages -list`` shows (soft masks left out)."""
    done = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, timeout=120, check=True
    )
    images = []
    for line in done.stdout.splitlines()[2:]:  # two header lines
        columns = line.split()
        if len(columns) > 4 and columns[2] == "image":
            images.append(PdfImage(int(columns[0]), int(columns[3]), int(columns[4])))
    return images
