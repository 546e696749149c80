"""Finding the export files of the landing folder."""

from __future__ import annotations

import pytest

from ingest.load import discover


def test_files_are_found_per_family_recursively_and_sorted(landing, drop):
    drop("scanner", "b.csv", "x")
    drop("scanner", "2024/03/a.json", "x")
    drop("iam", "z.csv", "x")

    found = [(family, path.relative_to(landing).as_posix()) for family, path in discover(landing)]

    assert found == [
        ("scanner", "scanner/2024/03/a.json"),
        ("scanner", "scanner/b.csv"),
        ("iam", "iam/z.csv"),
    ]


def test_hidden_files_and_folders_are_skipped(landing, drop):
    drop("backup", ".partial.csv", "x")
    drop("backup", ".cache/jobs.csv", "x")
    drop("backup", "jobs.csv", "x")

    assert [p.name for _, p in discover(landing)] == ["jobs.csv"]


def test_folders_outside_the_families_are_ignored(landing, drop):
    drop("archive", "old.csv", "x")
    (landing / "readme.txt").write_text("x")

    assert discover(landing) == []


def test_families_can_be_restricted(landing, drop):
    drop("scanner", "a.csv", "x")
    drop("incident", "b.csv", "x")

    assert [family for family, _ in discover(landing, families=["incident"])] == ["incident"]


def test_unknown_family_is_refused(landing):
    with pytest.raises(ValueError, match="unknown family: payroll"):
        discover(landing, families=["payroll"])


def test_missing_landing_folder_has_no_files(tmp_path):
    assert discover(tmp_path / "nowhere") == []
