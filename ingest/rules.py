"""The completion rules of ingest/rules.yaml, and the context a format parses in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yaml")


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def load_rules() -> dict[str, Any]:
    """The rules in force: SECOPS_INGEST_RULES if set, else the project's defaults."""
    return _load(os.environ.get("SECOPS_INGEST_RULES", str(DEFAULT_RULES_FILE)))


@dataclass(frozen=True)
class ParseContext:
    """What a format may need beyond the file: the landing folder and the rules."""

    landing: Path | None = None
    rules: dict[str, Any] = field(default_factory=load_rules)

    def reference_file(self, family: str, key: str) -> Path | None:
        """A reference file named in the rules, if it exists under the landing folder."""
        relative = self.rules.get(family, {}).get(key)
        if not relative or self.landing is None:
            return None
        path = self.landing / relative
        return path if path.is_file() else None
