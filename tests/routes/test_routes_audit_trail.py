"""The route tests of integration/test_audit_trail.py, in process."""

from integration.test_audit_trail import *  # noqa: F403
