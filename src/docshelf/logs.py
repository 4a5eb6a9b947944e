"""Structured logging: one JSON object per line in the log file, readable lines on stderr."""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


class _Handoff(logging.handlers.QueueHandler):
    """Hands records to the writer thread as they are: the JSON formatter there needs their
    extra fields, which QueueHandler.prepare would flatten into the message."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.message = record.getMessage()
        return record


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
    file_handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(JsonFormatter())
    if background:
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        _listener = logging.handlers.QueueListener(records, file_handler)
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
