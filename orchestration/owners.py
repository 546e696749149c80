"""Owners of each source family (and, where it differs, of one entity), read from owners.yaml.

owners.yaml sits at the repository root; SECOPS_OWNERS_FILE points at another file (a
deployment's own ownership). Owners are "team:<name>" strings (or e-mail addresses, which
Dagster also accepts). Contacts for alerts are never in this file: they come from the
environment per team (publish/alerts/config.py).

    pipeline:  {owners: [...]}                      dbt models, jobs, failed pipeline runs
    families:
      <family>:
        owners: [...]                               every entity of the family ...
        entities:
          <entity table>: {owners: [...]}           ... unless the entity names its own
    slo_notifications:                              breaches of closed months (publish/slo_notifications.py)
      executives: [...]                             every breached security SLO
      security_slo: {<slo_id>: [...]}               metrics.security_slo_monthly
      error_budget: {<dimension>: [...]}            metrics.error_budget_monthly
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import yaml

from orchestration.settings import OWNERS_FILE

OWNERS_FILE_ENV = "SECOPS_OWNERS_FILE"


def owners_file() -> Path:
    value = os.environ.get(OWNERS_FILE_ENV)
    return Path(value).expanduser().resolve() if value else OWNERS_FILE


def _check_owners(value: Any, where: str, path: str) -> None:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{path}: {where}.owners must be a non-empty list")
    for owner in value:
        if not isinstance(owner, str) or not (
            (owner.startswith("team:") and len(owner) > len("team:")) or "@" in owner
        ):
            raise ValueError(f"{path}: {where}.owners: {owner!r} is neither 'team:<name>' nor an e-mail")


@lru_cache(maxsize=8)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    _check_owners((config.get("pipeline") or {}).get("owners"), "pipeline", path)
    families = config.get("families")
    if not isinstance(families, dict) or not families:
        raise ValueError(f"{path}: 'families' must map each source family to its owners")
    for family, spec in families.items():
        spec = spec or {}
        _check_owners(spec.get("owners"), f"families.{family}", path)
        entities = spec.get("entities") or {}
        if not isinstance(entities, dict):
            raise ValueError(f"{path}: families.{family}.entities must be a mapping")
        for entity, entity_spec in entities.items():
            _check_owners((entity_spec or {}).get("owners"), f"families.{family}.entities.{entity}", path)
    notifications = config.get("slo_notifications") or {}
    if not isinstance(notifications, dict):
        raise ValueError(f"{path}: slo_notifications must be a mapping")
    if notifications.get("executives") is not None:
        _check_owners(notifications["executives"], "slo_notifications.executives", path)
    for section in ("security_slo", "error_budget"):
        named = notifications.get(section) or {}
        if not isinstance(named, dict):
            raise ValueError(f"{path}: slo_notifications.{section} must map each id to its owners")
        for name, owners in named.items():
            _check_owners(owners, f"slo_notifications.{section}.{name}", path)
    return config


def _owners_config() -> dict:
    return _load(str(owners_file()))


def family_owners(family: str) -> list[str]:
    return list(_owners_config()["families"][family]["owners"])


def pipeline_owners() -> list[str]:
    return list(_owners_config()["pipeline"]["owners"])


def slo_owners(section: str, name: str) -> list[str]:
    """Teams told of a breach of `name` (an slo_id or error-budget dimension); [] when none is named."""
    notifications = _owners_config().get("slo_notifications") or {}
    return list((notifications.get(section) or {}).get(name) or [])


def executive_owners() -> list[str]:
    return list((_owners_config().get("slo_notifications") or {}).get("executives") or [])


def owners_for(family: str, entity: str | None = None) -> list[str]:
    """The entity's own owners if owners.yaml names them, else its family's (KeyError: unknown family)."""
    spec = _owners_config()["families"][family]
    if entity is not None:
        entity_spec = (spec.get("entities") or {}).get(entity)
        if entity_spec:
            return list(entity_spec["owners"])
    return list(spec["owners"])


def owners_for_asset(asset_key: str | Sequence[str]) -> list[str]:
    """Owners of a Dagster asset key ("scanner/findings" or ["scanner", "findings"]).

    A raw asset (`[family, entity]`) belongs to its entity's owners; everything else
    (dbt models, metric tables) to the pipeline's owners.
    """
    parts = asset_key.split("/") if isinstance(asset_key, str) else list(asset_key)
    families = _owners_config()["families"]
    if len(parts) == 2 and parts[0] in families:
        return owners_for(parts[0], parts[1])
    return pipeline_owners()
