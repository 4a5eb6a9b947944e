"""``docshelf desktop``: start the app, or bring the running one of this home to the front."""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from docshelf import logs
from docshelf.client import Client, Home
from docshelf.desktop.app import DesktopApp
from docshelf.desktop.instance import Instance, hand_over
from docshelf.desktop.worker import close_client


def run(home: Home) -> int:
    home.ensure()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("docshelf")
    instance = Instance(home)
    if not instance.claim():
        return 0 if hand_over(home) else 1
    logs.setup(home.log_file, to_stderr=False)
    client = Client(home)
    desktop = DesktopApp(client, instance=instance)
    # With a tray icon the app lives on when its window closes, until "Beenden".
    app.setQuitOnLastWindowClosed(not desktop.window.keep_in_tray)
    app.aboutToQuit.connect(desktop.shutdown)
    # SIGTERM/Ctrl+C quit cleanly (socket removed, sync thread stopped). Python handles
    # signals only when it runs, so a timer hands it control now and then.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: desktop.quit())
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(300)
    desktop.start()
    try:
        return app.exec()
    finally:
        desktop.shutdown()
        close_client(client)
