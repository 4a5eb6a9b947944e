"""The route tests of integration/test_api_language.py, in process."""

from integration.test_api_language import *  # noqa: F403
