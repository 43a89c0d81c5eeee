import pytest


@pytest.fixture(autouse=True)
def _log_places(settings, tmp_path):
    """Each test has its own tree-head directory and signing key."""
    settings.CASEFILES_CHECKPOINT_DIR = tmp_path / "tree-heads"
    settings.CASEFILES_SIGNING_KEY = tmp_path / "signing" / "ed25519.key"
    settings.CASEFILES_LOG_ORIGIN = "casefiles.test/log"
