"""A blocked family keeps exactly the metric models that read it from being rebuilt."""

from __future__ import annotations

from orchestration.dbt_manifest import ensure_manifest, secops_dbt_project
from orchestration.gating import models_blocked_by

MANIFEST = ensure_manifest(secops_dbt_project)
MARTS = [
    "incident_response_monthly", "security_slo_monthly", "training_monthly", "training_quarterly",
    "dpmo_monthly", "error_budget_monthly", "incident_acknowledgement_monthly",
]


def test_a_blocked_backup_family_blocks_the_models_that_read_backup_jobs():
    # security_slo (backup_restore_test) and dpmo (backup, restore_testing) read backup jobs;
    # the month spine reads every family only to list months, which does not count.
    assert models_blocked_by(MANIFEST, ["backup"], MARTS) == ["dpmo_monthly", "security_slo_monthly"]


def test_a_blocked_training_family_leaves_the_incident_metrics_alone():
    assert models_blocked_by(MANIFEST, ["training"], MARTS) == ["dpmo_monthly", "training_monthly", "training_quarterly"]


def test_nothing_blocked_blocks_nothing():
    assert models_blocked_by(MANIFEST, [], MARTS) == []
