"""The suite's environment rules (tests/conftest.py)."""

from __future__ import annotations

import os

from tests.conftest import environment_changes


def test_no_test_run_lands_in_a_real_dagster_instance():
    # Even when the shell that started pytest has DAGSTER_HOME set, tests see none, so
    # `secops run` uses an ephemeral instance (orchestration/cli.py).
    from orchestration.cli import _instance

    assert "DAGSTER_HOME" not in os.environ
    with _instance() as instance:
        assert instance.is_ephemeral


def test_environment_changes_are_named():
    before = {"HOME": "/root", "SECOPS_LANDING": "a", "PATH": "/bin"}
    after = {"HOME": "/root", "SECOPS_LANDING": "b", "SECOPS_WAREHOUSE": "w", "_RJEM_MALLOC_CONF": "x"}
    # SECOPS_LANDING changed, SECOPS_WAREHOUSE set, PATH removed; a library's own variable is not counted
    assert environment_changes(before, after) == ["PATH", "SECOPS_LANDING", "SECOPS_WAREHOUSE"]
