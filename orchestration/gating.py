"""Which metric models a blocked family keeps from being rebuilt.

A family is blocked in a run when one of its checks failed with ERROR severity (an
unreadable file, a broken schema, a share of definition-breaking rows above the
threshold). The granularity is the dbt model: every model of the metric layer that
reads the family, through its staging and intermediate models, is left out of that
run's `dbt build` and keeps the rows (and as_of) of its last good build; the other
models are rebuilt. The month spine and the family coverage read every family only to
know which months exist, so they do not count as reading a family.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

# Models that read every family only to list months: not a dependency on their data.
FAMILY_NEUTRAL_MODELS = frozenset({"int_month_spine", "int_family_coverage_months"})


@cache
def _manifest(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text())


def families_read(manifest: dict) -> dict[str, set[str]]:
    """For every model: the source families it reads (through its parents)."""
    nodes, sources, parents = manifest["nodes"], manifest["sources"], manifest["parent_map"]
    memo: dict[str, set[str]] = {}

    def walk(unique_id: str) -> set[str]:
        if unique_id in memo:
            return memo[unique_id]
        memo[unique_id] = set()  # cycles cannot happen in dbt; this guards recursion anyway
        found: set[str] = set()
        for parent in parents.get(unique_id, []):
            if parent in sources:
                found.add(sources[parent]["source_name"])
            elif parent in nodes and nodes[parent]["name"] not in FAMILY_NEUTRAL_MODELS:
                found |= walk(parent)
        memo[unique_id] = found
        return found

    return {nodes[uid]["name"]: walk(uid) for uid in nodes if nodes[uid]["resource_type"] == "model"}


def models_blocked_by(manifest_path: Path, families: Iterable[str], candidates: Iterable[str]) -> list[str]:
    """Of the `candidates` model names, those that read one of the blocked `families`."""
    blocked = set(families)
    if not blocked:
        return []
    reads = families_read(_manifest(str(manifest_path), manifest_path.stat().st_mtime))
    return sorted(name for name in candidates if reads.get(name, set()) & blocked)
