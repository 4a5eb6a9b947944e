"""The route tests of integration/test_api_bad_input.py, in process."""

from integration.test_api_bad_input import *  # noqa: F403
