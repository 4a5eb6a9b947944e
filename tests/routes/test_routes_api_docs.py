"""The route tests of integration/test_api_docs.py, in process."""

from integration.test_api_docs import *  # noqa: F403
