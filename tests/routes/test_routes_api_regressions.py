"""The route tests of integration/test_api_regressions.py, in process."""

from integration.test_api_regressions import *  # noqa: F403
