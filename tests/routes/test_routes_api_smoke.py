"""The route tests of integration/test_api_smoke.py, in process."""

from integration.test_api_smoke import *  # noqa: F403
