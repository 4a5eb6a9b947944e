"""docshelf: keeps document templates, snippets, profiles and units in sync."""

__version__ = "0.1.0"
