"""The client's log file rotates as the standard library's RotatingFileHandler rotates it,
without importing logging.handlers (a command-line sync would pay for it at start)."""

from __future__ import annotations

import logging
import logging.handlers
import subprocess
import sys
from pathlib import Path

from docshelf.logs import RotatingFile


def _files(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


def test_the_files_rotate_as_the_standard_librarys(tmp_path: Path) -> None:
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    ours = RotatingFile(ours_dir / "client.log", max_bytes=200, backups=3)
    theirs = logging.handlers.RotatingFileHandler(
        theirs_dir / "client.log", maxBytes=200, backupCount=3, encoding="utf-8"
    )
    try:
        for i in range(60):
            record = logging.makeLogRecord({"msg": f"line {i} " + "x" * (i % 37) + " ä"})
            ours.handle(record)
            theirs.handle(record)
    finally:
        ours.close()
        theirs.close()
    assert _files(ours_dir) == _files(theirs_dir)
    assert set(_files(ours_dir)) == {"client.log", "client.log.1", "client.log.2", "client.log.3"}


def test_setting_up_the_client_log_imports_no_handlers_module(tmp_path: Path) -> None:
    code = (
        "import sys, logging\n"
        "from pathlib import Path\n"
        "from docshelf import logs\n"
        f"logs.setup(Path({str(tmp_path / 'c.log')!r}), to_stderr=False)\n"
        "logging.getLogger('docshelf.client').info('sync done', extra={'event': 'sync'})\n"
        "assert 'logging.handlers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert '"message": "sync done"' in (tmp_path / "c.log").read_text()
