"""The docshelf desktop app: a Qt window and tray icon on top of :mod:`docshelf.client`.

It holds no sync logic of its own. The sync runs on a worker thread through the same
:class:`~docshelf.client.app.Client` and scheduler the CLI and daemon use; the GUI renders
the one :class:`~docshelf.client.status.Status` the engine publishes. Qt (PySide6) comes
with the optional ``desktop`` extra and is imported only when ``docshelf desktop`` runs.
"""
