"""Qt's own words (the buttons of standard dialogs: OK, Cancel, Yes, No, ...) in the app's
language, from the translations that come with Qt; docshelf's words are in i18n.py."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator


class QtTexts:
    def __init__(self) -> None:
        self._installed: QTranslator | None = None

    def use(self, language: str) -> bool:
        """Switch Qt's texts to ``language``; False when Qt has none for it (then English)."""
        app = QCoreApplication.instance()
        if app is None:
            return False
        if self._installed is not None:
            app.removeTranslator(self._installed)
            self._installed = None
        if language == "en":
            return True  # Qt's own language
        translator = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if not translator.load(f"qtbase_{language}", folder):
            return False
        app.installTranslator(translator)
        self._installed = translator
        return True
