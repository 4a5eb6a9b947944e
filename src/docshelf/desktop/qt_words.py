"""Qt's own words (standard buttons, the context menu of text fields) from our catalogue.

Qt's shipped German spells "Schließen" where ours says "Schliessen"; with both loaded the
app showed the two side by side. So no Qt translation is loaded; instead this translator
answers Qt's requests for the words it shows in our windows from our catalogue, in the
language in force when Qt asks. Widgets that word their buttons themselves (most do)
never ask.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator

from docshelf.i18n import N_, tr

# Qt's source text (with its "&" mnemonic where it has one) -> our message.
_WORDS = {
    "OK": N_("OK"),
    "&OK": N_("OK"),
    "Cancel": N_("Cancel"),
    "&Cancel": N_("Cancel"),
    "Close": N_("Close"),
    "&Close": N_("Close"),
    "Yes": N_("Yes"),
    "&Yes": N_("Yes"),
    "No": N_("No"),
    "&No": N_("No"),
    "Apply": N_("Apply"),
    "Open": N_("Open"),
    "&Open": N_("Open"),
    "Save": N_("Save"),
    "&Save": N_("Save"),
    "Help": N_("Help"),
    "&Undo": N_("&Undo"),
    "&Redo": N_("&Redo"),
    "Cu&t": N_("Cu&t"),
    "&Copy": N_("&Copy"),
    "Copy &Link Location": N_("Copy &Link Location"),
    "&Paste": N_("&Paste"),
    "Delete": N_("Delete"),
    "Select All": N_("Select All"),
}


class QtWords(QTranslator):
    """Installed once on the application; speaks whatever language is in force."""

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        message = _WORDS.get(source)
        # "": no translation, Qt keeps its own text (there is none of ours for it).
        return tr(message) if message is not None else ""

    def install(self) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            app.installTranslator(self)

    def remove(self) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            app.removeTranslator(self)
