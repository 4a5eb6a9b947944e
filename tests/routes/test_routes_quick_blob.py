"""The route tests of integration/test_quick_blob.py, in process."""

from integration.test_quick_blob import *  # noqa: F403

# Process only: holding a heavy slot needs a download the server can't finish sending.
del test_a_download_holds_the_slot_and_a_client_going_away_frees_it  # noqa: F821
