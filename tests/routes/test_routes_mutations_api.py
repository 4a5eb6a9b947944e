"""The route tests of integration/test_mutations_api.py, in process."""

from integration.test_mutations_api import *  # noqa: F403

# Process only: the in-process transport reads a request's whole body before the app
# sees it, so an upload can't be caught half-way.
del test_a_retry_cannot_write_into_an_upload_still_running  # noqa: F821
