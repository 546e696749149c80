"""Owners of each source family, read from owners.yaml at the repository root."""

from __future__ import annotations

from functools import lru_cache

import yaml

from orchestration.settings import OWNERS_FILE


@lru_cache(maxsize=1)
def _owners_config() -> dict:
    with OWNERS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def family_owners(family: str) -> list[str]:
    return list(_owners_config()["families"][family]["owners"])


def pipeline_owners() -> list[str]:
    return list(_owners_config()["pipeline"]["owners"])
