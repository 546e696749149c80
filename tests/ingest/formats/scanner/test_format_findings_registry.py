"""Exactly one format claims each findings export: the real samples and every own fixture.

`registry.detect` refuses a file that no format or several formats claim, so a
single successful detection of the expected format proves that neither the
canonical CSV format nor any other format (KEV, EPSS, testssl, other families'
JSON) claims these files. The findings formats must also leave every other
shared sample alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats import registry
from ingest.formats.registry import HEAD_BYTES
from tests.ingest.formats.scanner.findings_support import FIXTURES, FORMAT_FOLDERS, SHARED_SAMPLES, SHARED_SCANNER

FOLDER_FORMAT = {folder: name for name, folder in FORMAT_FOLDERS.items()}


def _files(root: Path, folders) -> list[tuple[str, Path]]:
    return sorted(
        (folder, path) for folder in folders for path in (root / folder).glob("*") if path.is_file()
    )


FIXTURE_FILES = _files(FIXTURES, FORMAT_FOLDERS.values())
SHARED_FILES = _files(SHARED_SCANNER, FORMAT_FOLDERS.values()) if SHARED_SCANNER.is_dir() else []
OTHER_SHARED = sorted(
    path for path in SHARED_SAMPLES.glob("*/*/*")
    if path.is_file() and not (path.parent.parent.name == "scanner" and path.parent.name in FOLDER_FORMAT)
) if SHARED_SAMPLES.is_dir() else []


def test_every_format_has_fixtures_for_its_cases():
    for folder in FORMAT_FOLDERS.values():
        stems = {path.stem for path in (FIXTURES / folder).glob("*")}
        assert {"no_findings", "one_finding", "many_findings"} <= stems, folder


@pytest.mark.parametrize("folder,path", FIXTURE_FILES, ids=[f"{f}/{p.name}" for f, p in FIXTURE_FILES])
def test_each_fixture_is_claimed_by_its_format_only(folder, path):
    assert registry.detect(path, "scanner").name == FOLDER_FORMAT[folder]


@pytest.mark.skipif(not SHARED_FILES, reason="shared samples not present")
@pytest.mark.parametrize("folder,path", SHARED_FILES, ids=[f"{f}/{p.name}" for f, p in SHARED_FILES])
def test_each_real_sample_is_claimed_by_its_format_only(folder, path):
    assert registry.detect(path, "scanner").name == FOLDER_FORMAT[folder]


@pytest.mark.skipif(not OTHER_SHARED, reason="shared samples not present")
def test_findings_formats_leave_every_other_sample_alone():
    ours = [f for f in registry.all_formats() if f.name in FORMAT_FOLDERS]
    assert len(ours) == len(FORMAT_FOLDERS)
    claimed = [
        (path.relative_to(SHARED_SAMPLES).as_posix(), f.name)
        for path in OTHER_SHARED
        for f in ours
        if f.detect(path, path.read_bytes()[:HEAD_BYTES])
    ]
    assert claimed == []
