"""The route tests of integration/test_audit_log.py, in process."""

from integration.test_audit_log import *  # noqa: F403
