"""Helpers for the findings-format tests (trivy, grype, sarif, nessus, qualys, tenable, openvas): not a test module."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ingest.formats.base import ExportFormat, ParsedExport
from ingest.rules import ParseContext, load_rules
from tests.conftest import SHARED_SAMPLES

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "samples"
SHARED_SCANNER = SHARED_SAMPLES / "scanner"

# A fixed modification time for copies whose scan time falls back to it.
MTIME = datetime(2024, 3, 9, 6, 30, 15, tzinfo=timezone.utc)
MTIME_ISO = "2024-03-09T06:30:15.000000Z"

# The formats of this issue and the folders their samples and fixtures live in.
FORMAT_FOLDERS = {
    "trivy_json": "trivy-json",
    "grype_json": "grype-json",
    "sarif": "sarif",
    "nessus_csv": "nessus-csv",
    "nessus_xml": "nessus-xml",
    "qualys_csv": "qualys-csv",
    "tenable_vm_csv": "tenable-vm-csv",
    "tenable_sc_csv": "tenable-sc-csv",
    "qualys_pci_csv": "qualys-pci-csv",
    "qualys_xml": "qualys-xml",
    "openvas_xml": "openvas-xml",
    "openvas_csv": "openvas-csv",
}


def fixture(folder: str, name: str) -> Path:
    return FIXTURES / folder / name


def shared_sample(folder: str, name: str) -> Path:
    """A real export from the shared samples; the test is skipped when it is absent."""
    path = SHARED_SCANNER / folder / name
    if not path.is_file():
        pytest.skip(f"shared sample {folder}/{name} not present")
    return path


def parsed(export_format: ExportFormat, path: Path, context: ParseContext | None = None) -> ParsedExport:
    return export_format.parse(path, "scanner", context or ParseContext(rules=load_rules()))


def rows(export_format: ExportFormat, path: Path, context: ParseContext | None = None) -> list[dict[str, Any]]:
    """The findings rows of a file, `_extra` decoded."""
    frame = parsed(export_format, path, context).entities["findings"]
    return [{**row, "_extra": json.loads(row["_extra"]) if row["_extra"] else None} for row in frame.to_dicts()]


def severities(found: list[dict[str, Any]]) -> dict[str | None, int]:
    return dict(Counter(row["severity"] for row in found))


def by_vulnerability(found: list[dict[str, Any]], vulnerability_id: str) -> list[dict[str, Any]]:
    return [row for row in found if row["vulnerability_id"] == vulnerability_id]


def copy_with_mtime(source: Path, folder: Path, moment: datetime = MTIME) -> Path:
    """A copy of `source` in `folder` whose modification time is `moment`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    os.utime(target, (moment.timestamp(), moment.timestamp()))
    return target


def mtime_iso(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
