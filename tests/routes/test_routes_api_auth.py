"""The route tests of integration/test_api_auth.py, in process."""

from integration.test_api_auth import *  # noqa: F403
