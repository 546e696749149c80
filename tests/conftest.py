"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests write their exports and ingest them at once: no quiet period unless a test asks for one
# (SOURCES.md's quiet period for files still being written; tests/reliability covers it).
os.environ.setdefault("SECOPS_QUIET_SECONDS", "0")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = REPO_ROOT.parent / "shared" / "samples"


@pytest.fixture(scope="module")
def restore_environment():
    """The CLI sets SECOPS_* variables for the definitions it loads; put them back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
