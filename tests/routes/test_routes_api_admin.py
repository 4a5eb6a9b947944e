"""The route tests of integration/test_api_admin.py, in process."""

from integration.test_api_admin import *  # noqa: F403
