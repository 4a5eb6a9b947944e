"""X screen helpers for ``desktop.sh``, through Qt (already installed for the app), so the
end-to-end test needs no separate screenshot tool:

    screen.py grab OUT.png X Y WIDTH HEIGHT   save that rectangle of the screen as a PNG
    screen.py wait-tray SECONDS               wait until the desktop has a system tray

Screenshots are reduced to at most 256 colours, which keeps a window's picture small
enough to keep in the repository.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QSystemTrayIcon


def grab(out: str, x: int, y: int, width: int, height: int) -> int:
    screen = QApplication.primaryScreen()
    image = screen.grabWindow(0, x, y, width, height).toImage()
    if image.isNull() or image.width() != width or image.height() != height:
        print(f"could not read the screen at {x},{y} {width}x{height}", file=sys.stderr)
        return 1
    small = image.convertToFormat(
        QImage.Format.Format_Indexed8,
        Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither,
    )
    if not small.save(out, "PNG", 0):
        print(f"could not write {out}", file=sys.stderr)
        return 1
    return 0


def wait_tray(seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while not QSystemTrayIcon.isSystemTrayAvailable():
        if time.monotonic() > deadline:
            print("no system tray on this display", file=sys.stderr)
            return 1
        QApplication.processEvents()
        time.sleep(0.1)
    return 0


def main(argv: list[str]) -> int:
    command, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if command == "grab" and len(args) == 5:
        QApplication([argv[0], "-platform", "xcb"])
        x, y, width, height = (int(value) for value in args[1:])
        return grab(args[0], x, y, width, height)
    if command == "wait-tray" and len(args) == 1:
        QApplication([argv[0], "-platform", "xcb"])
        return wait_tray(float(args[0]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
