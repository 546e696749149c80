"""Thresholds and cadences of the checks: expectations/config.yaml plus owners.yaml."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from orchestration.owners import owners_file

CONFIG_FILE = Path(__file__).with_name("config.yaml")
CONFIG_FILE_ENV = "SECOPS_CHECKS_CONFIG"  # a deployment's own thresholds


@dataclass(frozen=True)
class CheckConfig:
    error_share: float
    stale_severity: str
    cadence_hours: dict[str, float]
    thresholds: dict[str, float]
    sample_values: int
    family_cadences: dict[str, str | None]

    def freshness_window(self, family: str) -> timedelta | None:
        """How old a family's newest record may be at as_of; None: no freshness check."""
        hours = self.cadence_hours.get(self.family_cadences.get(family) or "")
        return None if hours is None else timedelta(hours=hours)


def load_config(path: Path | None = None) -> CheckConfig:
    if path is None:
        value = os.environ.get(CONFIG_FILE_ENV)
        path = Path(value).expanduser().resolve() if value else CONFIG_FILE
    return _load(path, path.stat().st_mtime, str(owners_file()))


@functools.cache
def _load(path: Path, _mtime: float, _owners: str) -> CheckConfig:
    raw = yaml.safe_load(path.read_text())
    severity = str(raw.get("stale_severity", "WARN")).upper()
    if severity not in ("WARN", "ERROR"):
        raise ValueError(f"{path.name}: stale_severity must be WARN or ERROR, not {severity!r}")
    families = (yaml.safe_load(owners_file().read_text()) or {}).get("families", {})
    return CheckConfig(
        error_share=float(raw["error_share"]),
        stale_severity=severity,
        cadence_hours={k: float(v) for k, v in raw["cadence_hours"].items()},
        thresholds={k: float(v) for k, v in raw["thresholds"].items()},
        sample_values=int(raw.get("sample_values", 5)),
        family_cadences={name: (spec or {}).get("cadence") for name, spec in families.items()},
    )
