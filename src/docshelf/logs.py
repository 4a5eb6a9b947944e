"""Structured logging: one JSON object per line in the log file, readable lines on stderr."""

from __future__ import annotations

import atexit
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# logging.handlers (pickle, queue, struct, ...) only for the server's writer thread: a
# command-line sync would pay a tenth of its start for a file handler.
if TYPE_CHECKING:
    import logging.handlers

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RotatingFile(logging.FileHandler):
    """``logging.handlers.RotatingFileHandler``'s rotation (``name``, ``name.1`` …
    ``name.<backups>``; rolled over before a record would reach ``max_bytes``), without
    importing ``logging.handlers``. tests/unit/test_logs.py checks the files it leaves
    against the standard library's."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._should_roll_over(record):
                self._roll_over()
            logging.FileHandler.emit(self, record)
        except Exception:
            self.handleError(record)

    def _should_roll_over(self, record: logging.LogRecord) -> bool:
        # Never anything but a regular file (bpo-45401).
        if os.path.exists(self.baseFilename) and not os.path.isfile(self.baseFilename):
            return False
        if self.stream is None:
            self.stream = self._open()
        if self.max_bytes <= 0:
            return False
        message = f"{self.format(record)}\n"
        self.stream.seek(0, 2)
        return bool(self.stream.tell() + len(message) >= self.max_bytes)

    def _roll_over(self) -> None:
        if self.stream:
            self.stream.close()
            self.stream = None
        if self.backups > 0:
            for i in range(self.backups - 1, 0, -1):
                older, newer = f"{self.baseFilename}.{i}", f"{self.baseFilename}.{i + 1}"
                if os.path.exists(older):
                    if os.path.exists(newer):
                        os.remove(newer)
                    os.rename(older, newer)
            first = f"{self.baseFilename}.1"
            if os.path.exists(first):
                os.remove(first)
            if os.path.exists(self.baseFilename):
                os.rename(self.baseFilename, first)
        self.stream = self._open()


_listener: logging.handlers.QueueListener | None = None


def _stop_listener() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()  # writes what is queued before the process ends
        _listener = None


def setup(
    log_path: Path,
    *,
    level: int = logging.INFO,
    to_stderr: bool = True,
    background: bool = False,
) -> Path:
    """Log to ``log_path`` (rotated) and, briefly, to stderr; returns the path for the user.

    ``background``: format and write the file on a thread of its own, for the server, where
    a line per request would otherwise be written on the event loop between requests.
    """
    global _listener
    log_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("docshelf")
    root.setLevel(level)
    root.handlers.clear()
    _stop_listener()
    file_handler = RotatingFile(log_path, max_bytes=10 * 1024 * 1024, backups=5)
    file_handler.setFormatter(JsonFormatter())
    if background:
        import queue
        from logging.handlers import QueueHandler, QueueListener

        class _Handoff(QueueHandler):
            """Hands records to the writer thread as they are: the JSON formatter there
            needs their extra fields, which QueueHandler.prepare would flatten."""

            def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
                record.message = record.getMessage()
                return record

        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        _listener = QueueListener(records, file_handler)
        _listener.start()
        atexit.register(_stop_listener)
        root.addHandler(_Handoff(records))
    else:
        root.addHandler(file_handler)
    if to_stderr:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        console.setLevel(logging.WARNING)
        root.addHandler(console)
    return log_path
