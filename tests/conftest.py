"""Shared test fixtures, and the suite's rules on order and environment.

- Random order: pytest-randomly (pinned in requirements.lock) shuffles modules and the
  tests inside them on every run; the seed is printed at the end of the run (also with
  -q). Repeat an order with `-p randomly --randomly-seed=N`, run in file order with
  `-p no:randomly`.
- DAGSTER_HOME is removed for the whole session (before test modules are imported),
  so no test run lands in a real Dagster instance; it is put back at the end.
- Every module must leave os.environ as it found it: the autouse guard below restores
  what a module changed and fails that module's last test, naming the variables.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests write their exports and ingest them at once: no quiet period unless a test asks for one
# (SOURCES.md's quiet period for files still being written; tests/reliability covers it).
os.environ.setdefault("SECOPS_QUIET_SECONDS", "0")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = REPO_ROOT.parent / "shared" / "samples"

_SAVED_DAGSTER_HOME = "_secops_tests_saved_dagster_home"


def pytest_configure(config: pytest.Config) -> None:
    saved = os.environ.pop("DAGSTER_HOME", None)
    if saved is not None:
        setattr(config, _SAVED_DAGSTER_HOME, saved)


def pytest_unconfigure(config: pytest.Config) -> None:
    saved = getattr(config, _SAVED_DAGSTER_HOME, None)
    if saved is not None:
        os.environ["DAGSTER_HOME"] = saved


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    seed = getattr(config.option, "randomly_seed", None)
    if seed is not None and getattr(config.option, "randomly_reorganize", False):
        terminalreporter.write_line(
            f"random order seed: {seed} (repeat with -p randomly --randomly-seed={seed})"
        )
    else:
        terminalreporter.write_line("test order: file order")


# Variables the project or its tests set. Others that appear during a module are set by
# libraries on import (polars' _RJEM_MALLOC_CONF) or by pytest (PYTEST_CURRENT_TEST).
WATCHED_PREFIXES = ("SECOPS_", "DAGSTER", "DBT_", "NO_PROXY", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "TZ")
PYTEST_OWN = ("PYTEST_CURRENT_TEST",)


def environment_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Variables a module changed: a watched one set, changed or removed, or any existing one changed or removed."""
    changed = []
    for name in before.keys() | after.keys():
        if name in PYTEST_OWN or before.get(name) == after.get(name):
            continue
        if name in before or name.startswith(WATCHED_PREFIXES):
            changed.append(name)
    return sorted(changed)


@pytest.fixture(scope="module", autouse=True)
def _module_leaves_the_environment_as_it_found_it(request):
    before = dict(os.environ)
    yield
    changed = environment_changes(before, dict(os.environ))
    if changed:
        os.environ.clear()
        os.environ.update(before)
        pytest.fail(
            f"problem: {request.module.__name__} left the environment changed: {', '.join(changed)} "
            "(restored; use the restore_environment fixture or monkeypatch)",
            pytrace=False,
        )
# The landing-zone sensor starts stopped in tests (a test that needs it running says so).
os.environ.setdefault("SECOPS_SENSOR_DEFAULT", "off")


@pytest.fixture(scope="module")
def restore_environment():
    """The CLI sets SECOPS_* variables for the definitions it loads; put them back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
