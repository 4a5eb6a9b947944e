"""A loopback TCP proxy that can hold one HTTP exchange, so a test can kill a real client
process at an exact moment: before its request reaches the server, after the server
answered but before the client heard it, or part-way through an answer. A held request can
also be let through (:meth:`HoldingProxy.release`), for a test to change the server's data
while the client waits. With :meth:`HoldingProxy.hold_after` it lets a number of matching
exchanges through first, so a client is stopped at the same point of its work however fast
the machine is."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from enum import Enum


class Hold(Enum):
    NOTHING = "nothing"
    REQUEST = "request"  # the matching request never reaches the server
    RESPONSE = "response"  # the server answers, the client never hears
    PART_OF_RESPONSE = "part"  # the client hears the first ``pass_bytes`` of the answer


class HoldingProxy:
    def __init__(self, upstream_port: int, marker: bytes) -> None:
        self._upstream = upstream_port
        self._marker = marker
        self.hold = Hold.NOTHING
        self.held = threading.Event()  # set once an exchange is being held
        self.pass_bytes = 0  # with Hold.PART_OF_RESPONSE: the answer's bytes let through
        self._lock = threading.Lock()
        self._let_through = 0  # matching exchanges still to pass before the next is held
        self._released = threading.Event()  # lets go of the exchange being held
        self.connections_made = 0
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Drop every connection open now, as a proxy or a NAT that forgets them would."""
        opened, self._open = self._open, []
        for sock in opened:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def hold_after(self, count: int, hold: Hold = Hold.REQUEST) -> None:
        """Let ``count`` more matching exchanges through, then hold the next one.

        An exchange held before is let go (its client was killed meanwhile).
        """
        with self._lock:
            self._released.set()
            self._released = threading.Event()
            self._let_through = count
            self.held.clear()
            self.hold = hold

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        # shutdown() first: a thread blocked in accept() would keep the socket listening.
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._upstream))
            self.connections_made += 1
            self._open += [client, upstream]
            state = {"matched": False}
            threading.Thread(
                target=self._pump, args=(client, upstream, state, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, state, False), daemon=True
            ).start()

    def release(self) -> None:
        """Let a held request go on to the server, and hold nothing from now on."""
        self.hold = Hold.NOTHING
        self._released.set()

    def _claim(self) -> bool:
        """Whether a matching exchange just seen is one to hold (once the hold is on)."""
        with self._lock:
            if self._let_through > 0:
                self._let_through -= 1
                return False
            return True

    def _hold(self) -> bool:
        """Keep the connection open and silent until :meth:`release` or :meth:`hold_after`
        (True: go on) or the proxy closes (False); the client waits meanwhile, or is killed."""
        released = self._released
        self.held.set()
        while not self._stop.is_set():
            if released.wait(0.05):
                return True
        return False

    def _pump(
        self, source: socket.socket, target: socket.socket, state: dict[str, bool], outbound: bool
    ) -> None:
        passed = 0
        try:
            while data := source.recv(65536):
                if outbound and self._marker in data:
                    state["matched"] = self.hold is Hold.NOTHING or self._claim()
                    # Held, the server doesn't see this request (until released).
                    if self.hold is Hold.REQUEST and state["matched"] and not self._hold():
                        return
                if not outbound and state["matched"] and self.hold is Hold.RESPONSE:
                    self._hold()  # the server answered; the client never hears it
                    return
                if not outbound and state["matched"] and self.hold is Hold.PART_OF_RESPONSE:
                    if passed + len(data) >= self.pass_bytes:
                        target.sendall(data[: self.pass_bytes - passed])
                        self._hold()  # the client has part of the answer, and waits
                        return
                    passed += len(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def holding_proxy(upstream_port: int, marker: bytes) -> Iterator[HoldingProxy]:
    proxy = HoldingProxy(upstream_port, marker)
    try:
        yield proxy
    finally:
        proxy.close()
