"""Change hints for tests: a held hint stream read the way a client does."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
from typing import Any

import httpx

from support.api import API, Api

DEADLINE = 30.0


class HintReader:
    """One held hint stream; its events, parsed, arrive on a queue from a reader thread."""

    def __init__(self, base_url: str, token: str, cursor: str | None = None) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._http = httpx.Client(
            base_url=base_url + API,
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
            timeout=httpx.Timeout(120),
            trust_env=False,
        )
        params = {"cursor": cursor} if cursor else {}
        self._context = self._http.stream("GET", "/sync/hints", params=params)
        self.response = self._context.__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        if self.response.status_code == 200:
            self._thread.start()

    def _read(self) -> None:
        name, data = "message", ""
        try:
            for line in self.response.iter_lines():
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line == "":
                    if data:
                        self.events.put((name, json.loads(data)))
                    name, data = "message", ""
        except httpx.HTTPError:
            pass
        self.events.put(("eof", {}))

    def next(self) -> tuple[str, dict[str, Any]]:
        return self.events.get(timeout=DEADLINE)

    def expect(self, name: str) -> dict[str, Any]:
        got, data = self.next()
        assert got == name, (got, data)
        return data

    def close(self) -> None:
        # Closing the response waits for the reader thread's read, which returns only with
        # the server's next keepalive: shut the socket first, as a client that goes away.
        stream = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._thread.join(timeout=DEADLINE)
        self._context.__exit__(None, None, None)
        self._http.close()


def drain(api: Api, cursor: str | None = None) -> str:
    """Sync to the end; returns the up-to-date cursor."""
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = api.ok("GET", "/sync/changes", params=params)
        cursor = page["cursor"]
        if not page["has_more"]:
            return str(cursor)
