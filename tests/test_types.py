"""mypy over the code base, as `make lint` runs it (docs/development.md, "Type checking").

Here too so that a type error shows up in the test run everyone makes before landing, not
only in CI's lint step. When it fails: fix the types; a module that cannot be made clean
now may go on the not-yet-clean list in pyproject.toml, with a reason in the commit."""

import os
import subprocess
import sys

from django.conf import settings


def test_mypy_is_clean():
    root = settings.BASE_DIR
    # The django-stubs plugin imports config.settings: this checkout's, not an installed one.
    env = {**os.environ, "PYTHONPATH": str(root), "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, (
        "mypy found type errors (fix them, or see docs/development.md):\n"
        + result.stdout[-6000:]
        + result.stderr[-2000:]
    )
