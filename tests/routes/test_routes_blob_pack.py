"""The route tests of integration/test_blob_pack.py, in process."""

from integration.test_blob_pack import *  # noqa: F403

# Process only: the sync client talks to a server over the network, and holding a heavy
# slot needs a download the server can't finish sending.
del test_the_client_s_remote_reads_the_pack  # noqa: F821
del test_a_client_sync_downloads_small_files_in_packs  # noqa: F821
del test_a_pack_needs_a_heavy_slot_and_holds_it  # noqa: F821
