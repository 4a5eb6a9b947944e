"""Change hints: held streams that tell a client something it may see has changed
(issue #13; wire format in docs/protocol.md, "Change hints")."""
