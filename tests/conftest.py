"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = REPO_ROOT.parent / "shared" / "samples"

# The landing-zone sensor starts stopped in tests (a test that needs it running says so).
os.environ.setdefault("SECOPS_SENSOR_DEFAULT", "off")


@pytest.fixture(scope="module")
def restore_environment():
    """The CLI sets SECOPS_* variables for the definitions it loads; put them back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
