"""Detection by parsed structure (ingest/formats/_structure.py): keys in any position,
even beyond the 64 KiB head, and XML by its root element."""

from __future__ import annotations

import json

from ingest.formats import registry
from ingest.formats._structure import json_structure, xml_root
from ingest.formats.registry import HEAD_BYTES


def _write(tmp_path, family, name, text):
    folder = tmp_path / family
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_keys_after_a_value_longer_than_the_head_are_seen(tmp_path):
    # AWS pagination: a NextToken of 70 KiB before the BackupJobs list
    body = {"NextToken": "x" * (70 * 1024), "BackupJobs": [
        {"BackupJobId": "bj-1", "ResourceArn": "arn:aws:rds:eu-west-1:1:db:shop", "CreationDate": "2026-09-01T01:00:00Z",
         "State": "COMPLETED", "IsEncrypted": True}]}
    path = _write(tmp_path, "backup", "jobs.json", json.dumps(body))
    head = path.read_bytes()[:HEAD_BYTES]
    assert b"BackupJobs" not in head
    assert json_structure(path, head).keys == {"NextToken", "BackupJobs"}
    assert registry.detect(path, "backup").name == "aws_backup_jobs_json"


def test_graph_collection_with_its_context_last(tmp_path):
    body = {"value": [{"id": "1", "userPrincipalName": "ada@example.com", "isAdmin": True, "isMfaRegistered": True}],
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails"}
    path = _write(tmp_path, "iam", "entra.json", json.dumps(body))
    assert registry.detect(path, "iam").name == "entra_user_registration_json"


def test_a_broken_document_keeps_its_head_keys(tmp_path):
    path = _write(tmp_path, "scanner", "broken.json", '{"runs": [], "version": "2.1.0", ')
    structure = json_structure(path, path.read_bytes())
    assert (structure.parsed, structure.kind) == (False, "object")
    assert {"runs", "version"} <= structure.keys
    assert registry.detect(path, "scanner").name == "sarif"


def test_not_json_reads_nothing_beyond_the_head(tmp_path):
    path = _write(tmp_path, "scanner", "notes.txt", "hello")
    assert json_structure(path, path.read_bytes()) is None


def test_xml_root_and_namespace(tmp_path):
    path = _write(tmp_path, "scanner", "r.xml", '<?xml version="1.0"?>\n<!-- c -->\n<a:report xmlns:a="urn:x"><b/></a:report>')
    assert xml_root(path, path.read_bytes()) == ("report", "urn:x")
    plain = _write(tmp_path, "scanner", "n.nessus", "<NessusClientData_v2><Report/></NessusClientData_v2>")
    assert xml_root(plain, plain.read_bytes()) == ("NessusClientData_v2", "")


def test_unknown_file_is_refused_naming_the_formats_considered(tmp_path):
    path = _write(tmp_path, "scanner", "other.json", '{"hello": "world"}')
    try:
        registry.detect(path, "scanner")
    except Exception as error:  # ExportError
        message = str(error)
    else:
        raise AssertionError("an unknown file was recognised")
    assert message.startswith(f"{path}: not a recognised scanner export")
    assert "formats considered: " in message and "trivy_json" in message and "grype_json" in message
