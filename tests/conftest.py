import os
import tempfile

from tests.bankfixtures import bank_dir  # noqa: F401  (fixture)

# The app caches trained demos, parsed bank files and embeddings in the user cache folder; the tests
# (and the servers they start, which inherit the environment) get a fresh one of their own.
if "STUDYAPP_CACHE_DIR" not in os.environ:
    os.environ["STUDYAPP_CACHE_DIR"] = tempfile.mkdtemp(prefix="studyapp-test-cache-")
