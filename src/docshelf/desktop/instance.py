"""One desktop app per home: the first holds a lock and listens; later starts hand over.

Who is first is decided by ``flock`` on ``desktop.lock`` in the home (the kernel drops it
when the app dies, however it dies), not by whether the socket answers: two apps started
in the same instant would both find no answer. The first app then replaces any socket a
crashed predecessor left behind and serves :mod:`docshelf.desktop.handover` requests.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Mapping

from PySide6.QtCore import QByteArray, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from docshelf.client import Home, Status, handover
from docshelf.domain.json_text import parse_json

LOCK_NAME = "desktop.lock"


class Instance(QObject):
    activate_requested = Signal()
    sync_requested = Signal()

    def __init__(self, home: Home) -> None:
        super().__init__()
        self.home = home
        self.path = str(handover.socket_path(home))
        self._fd: int | None = None
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._watchers: list[QLocalSocket] = []

    def claim(self) -> bool:
        """Become the app of this home; False if another one runs."""
        fd = os.open(self.home.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        QLocalServer.removeServer(self.path)
        self.server.listen(self.path)
        return True

    def release(self) -> None:
        self.server.close()
        QLocalServer.removeServer(self.path)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # --- requests ------------------------------------------------------------------------

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(lambda c=conn: self._forget(c))

    def _read(self, conn: QLocalSocket) -> None:
        while conn.canReadLine():
            raw = bytes(conn.readLine().data())
            try:
                command = parse_json(raw, "The request").get("command")
            except (ValueError, AttributeError):
                command = None
            if command == "activate":
                self._send(conn, {"event": "ok"})
                conn.disconnectFromServer()
                self.activate_requested.emit()
            elif command == "sync":
                self._watchers.append(conn)
                self.sync_requested.emit()
            else:
                self._send(conn, {"event": "error", "message": f"unknown command {command!r}"})
                conn.disconnectFromServer()

    def _forget(self, conn: QLocalSocket) -> None:
        if conn in self._watchers:
            self._watchers.remove(conn)
        conn.deleteLater()

    def report(
        self, status: Status, done: bool, result: Mapping[str, object] | None = None
    ) -> None:
        """Tell the callers of ``sync`` how it goes; ``done`` ends their exchange (with the
        sync's result, as ``docshelf sync --json`` prints it)."""
        if not self._watchers:
            return
        message: dict[str, object] = {
            "event": "done" if done else "status",
            "status": status.to_json(),
        }
        if result is not None:
            message["result"] = dict(result)
        for conn in list(self._watchers):
            self._send(conn, message)
            if done:
                self._watchers.remove(conn)
                conn.disconnectFromServer()

    @staticmethod
    def _send(conn: QLocalSocket, message: Mapping[str, object]) -> None:
        conn.write(QByteArray(json.dumps(message).encode() + b"\n"))
        conn.flush()


def hand_over(
    home: Home, tries: int = 20, pause: float = 0.25, log: Callable[[str], None] | None = None
) -> bool:
    """Ask the running app to come to the front; True if it answered.

    The first app may still be starting (lock taken, socket not yet listening), so a
    refused connection is tried again for a few seconds.
    """
    for _ in range(tries):
        if any(m.get("event") == "ok" for m in handover.request(home, "activate")):
            return True
        time.sleep(pause)
    if log is not None:
        log("docshelf desktop seems to run for this home but does not answer.")
    return False
