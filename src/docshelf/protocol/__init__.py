"""The wire format between docshelf clients and the server."""

API_PREFIX = "/api/v1"
PROTOCOL_VERSION = 1
