"""The dbt project as Dagster sees it, with a manifest parsed when missing or stale.

dagster-dbt needs a parsed manifest when definitions load. A fresh checkout has
none, and a model edited since the last parse makes it stale, so both are parsed
here (about ten seconds) instead of asking people to remember `dbt parse`.
The parse writes one set of files to dbt_project/target (manifest, partial-parse
state), replaced by the next parse and never added to; runs write their own dbt
files elsewhere (orchestration/dbt_runs.py).
"""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

_SOURCE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for folder in ("models", "macros", "seeds", "tests", "snapshots", "analyses"):
        for path in (project_dir / folder).rglob("*"):
            if path.suffix in _SOURCE_SUFFIXES:
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (project_dir / name).stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject) -> Path:
    manifest = project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project.project_dir):
        return manifest
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [
            "parse",
            "--quiet",
            # no dbt.log in the checkout (dbt would append one under dbt_project/logs)
            "--log-level-file", "none",
            "--project-dir", str(project.project_dir),
            "--profiles-dir", str(project.profiles_dir),
            "--target-path", str(manifest.parent),
        ]
    )
    if not result.success:
        raise RuntimeError(f"dbt parse of {project.project_dir} failed: {result.exception}")
    return manifest


secops_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
