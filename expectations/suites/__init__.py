"""Every suite, by the asset it checks: one per raw entity, one per metrics.* table."""

from __future__ import annotations

from expectations.spec import Suite
from expectations.suites import backup, iam, incident, metrics, scanner, training

RAW_SUITES: list[Suite] = [*scanner.SUITES, *iam.SUITES, *training.SUITES, *backup.SUITES, *incident.SUITES]
METRIC_SUITES: list[Suite] = list(metrics.SUITES)
ALL_SUITES: list[Suite] = [*RAW_SUITES, *METRIC_SUITES]
