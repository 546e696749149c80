"""sslyze JSON of every schema, reduced to servers, their certificate leaves and their TLS checks.

Three schemas (sslyze's `--json_out`):
- 1.x/2.x: `{"accepted_targets": [{"server_info": {hostname, ip_address, port, ...},
  "commands_results": {certinfo, heartbleed, openssl_ccs, robot, reneg, compression, fallback,
  sslv2, sslv3, tlsv1, tlsv1_1, tlsv1_2, tlsv1_3}}], "invalid_targets": [...], "sslyze_version",
  "total_scan_time"}`; cipher lists are `accepted_cipher_list[]` ({openssl_name, key_size,
  is_anonymous}), ROBOT is `robot_result_enum`, compression `compression_name`.
- 3.x/4.x: `{"server_scan_results": [{"server_info": {"server_location": {...},
  "network_configuration": {...}}, "scan_commands_results": {certificate_info, heartbleed,
  openssl_ccs_injection, robot, session_renegotiation, tls_compression, tls_fallback_scsv,
  ssl_2_0_cipher_suites, ..., tls_1_3_cipher_suites}}], "server_connectivity_errors": [...],
  "sslyze_version", "total_scan_time"}`; cipher lists are `accepted_cipher_suites[].cipher_suite`.
- 5.x and later: `{"server_scan_results": [{"server_location": {...}, "scan_result":
  {<same commands>: {"status", "result": {...}}}}], "date_scans_started", ...}` (`sslyze_json`).

`commands(server)` gives every schema's results under the 3.x names, unwrapped from 5.x's
`{"status", "result"}` (a command that did not complete is None). `failed_checks` reads them.
"""

from __future__ import annotations

from typing import Any

from ingest.formats.scanner import _tls

LEGACY_NAMES = {
    "certinfo": "certificate_info", "openssl_ccs": "openssl_ccs_injection", "reneg": "session_renegotiation",
    "compression": "tls_compression", "fallback": "tls_fallback_scsv", "sslv2": "ssl_2_0_cipher_suites",
    "sslv3": "ssl_3_0_cipher_suites", "tlsv1": "tls_1_0_cipher_suites", "tlsv1_1": "tls_1_1_cipher_suites",
    "tlsv1_2": "tls_1_2_cipher_suites", "tlsv1_3": "tls_1_3_cipher_suites",
}
PROTOCOLS = {"ssl_2_0_cipher_suites": "TLS-SSLV2", "ssl_3_0_cipher_suites": "TLS-SSLV3",
             "tls_1_0_cipher_suites": "TLS-TLS1_0", "tls_1_1_cipher_suites": "TLS-TLS1_1"}
CIPHER_COMMANDS = ("ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites",
                   "tls_1_1_cipher_suites", "tls_1_2_cipher_suites", "tls_1_3_cipher_suites")
ROBOT_STRONG = ("VULNERABLE_STRONG_ORACLE",)
ROBOT_WEAK = ("VULNERABLE_WEAK_ORACLE",)


def get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def schema_of(document: Any) -> str | None:
    """'2' (accepted_targets), '3' (scan_commands_results), '5' (scan_result) or None."""
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("accepted_targets"), list):
        return "2"
    servers = document.get("server_scan_results")
    if not isinstance(servers, list):
        return None
    entries = [s for s in servers if isinstance(s, dict)]
    if any("scan_commands_results" in s or "server_info" in s for s in entries):
        return "3"
    if any("scan_result" in s or "server_location" in s for s in entries) or "date_scans_started" in document:
        return "5"
    return "5" if "sslyze_version" in document or "sslyze_url" in document else None


def servers(document: dict, schema: str) -> list[tuple[str, dict, dict]]:
    """(record, location {hostname, ip_address, port, sni}, commands) per scanned server."""
    found = []
    if schema == "2":
        for i, target in enumerate(document.get("accepted_targets") or []):
            info = get(target, "server_info") or {}
            raw = get(target, "commands_results") or {}
            found.append((f"accepted_targets[{i}]", {
                "hostname": info.get("hostname"), "ip_address": info.get("ip_address"), "port": info.get("port"),
                "sni": info.get("tls_server_name_indication"),
            }, {LEGACY_NAMES.get(k, k): v for k, v in raw.items()} if isinstance(raw, dict) else {}))
        return found
    for i, server in enumerate(document.get("server_scan_results") or []):
        if not isinstance(server, dict):
            continue
        if schema == "3":
            location = get(server, "server_info", "server_location") or {}
            sni = get(server, "server_info", "network_configuration", "tls_server_name_indication")
            raw = server.get("scan_commands_results") or {}
        else:
            location = server.get("server_location") or {}
            sni = get(server, "network_configuration", "tls_server_name_indication")
            raw = {k: (v.get("result") if isinstance(v, dict) and v.get("status") == "COMPLETED" else None)
                   for k, v in (server.get("scan_result") or {}).items()}
        found.append((f"server_scan_results[{i}]", {
            "hostname": location.get("hostname"), "ip_address": location.get("ip_address"),
            "port": location.get("port"), "sni": sni,
        }, raw if isinstance(raw, dict) else {}))
    return found


def _accepted(result: Any) -> list[dict]:
    """Accepted cipher suites as {name, key_size, is_anonymous}, any schema."""
    if not isinstance(result, dict):
        return []
    suites = result.get("accepted_cipher_suites")
    if isinstance(suites, list):
        return [s.get("cipher_suite") if isinstance(s.get("cipher_suite"), dict) else s
                for s in suites if isinstance(s, dict)]
    legacy = result.get("accepted_cipher_list")
    return [s for s in legacy if isinstance(s, dict)] if isinstance(legacy, list) else []


def failed_checks(commands: dict) -> tuple[list[tuple[str, str]], int]:
    """([(check key, evidence)], checks that passed) for one server's commands."""
    failed: list[tuple[str, str]] = []
    passed = 0

    def verdict(check: str, is_failed: bool | None, evidence: str) -> None:
        nonlocal passed
        if is_failed:
            failed.append((check, evidence))
        elif is_failed is not None:
            passed += 1

    heartbleed = commands.get("heartbleed")
    verdict("heartbleed", get(heartbleed, "is_vulnerable_to_heartbleed"), "is_vulnerable_to_heartbleed=true")
    ccs = commands.get("openssl_ccs_injection")
    verdict("ccs", get(ccs, "is_vulnerable_to_ccs_injection"), "is_vulnerable_to_ccs_injection=true")
    robot = commands.get("robot")
    robot_result = get(robot, "robot_result") or get(robot, "robot_result_enum")
    if isinstance(robot_result, str):
        if robot_result in ROBOT_STRONG:
            verdict("robot_strong", True, f"robot_result={robot_result}")
        elif robot_result in ROBOT_WEAK:
            verdict("robot_weak", True, f"robot_result={robot_result}")
        elif robot_result.startswith("NOT_VULNERABLE"):
            verdict("robot_strong", False, "")
        # UNKNOWN_INCONSISTENT_RESULTS and the like: no verdict
    reneg = commands.get("session_renegotiation")
    if isinstance(reneg, dict):
        dos = reneg.get("is_vulnerable_to_client_renegotiation_dos", reneg.get("accepts_client_renegotiation"))
        verdict("client_renegotiation", dos, "client-initiated renegotiation accepted")
        secure = reneg.get("supports_secure_renegotiation")
        verdict("insecure_renegotiation", None if secure is None else not secure, "supports_secure_renegotiation=false")
    compression = commands.get("tls_compression")
    if isinstance(compression, dict):
        supports = compression.get("supports_compression")
        if supports is None and "compression_name" in compression:
            supports = compression.get("compression_name") is not None
        verdict("crime", supports, "TLS compression supported")
    fallback = commands.get("tls_fallback_scsv")
    if isinstance(fallback, dict) and fallback.get("supports_fallback_scsv") is not None:
        verdict("TLS-NO-FALLBACK-SCSV", not fallback.get("supports_fallback_scsv"), "supports_fallback_scsv=false")
    accepted_all: list[dict] = []
    for command in CIPHER_COMMANDS:
        result = commands.get(command)
        if not isinstance(result, dict):
            continue
        accepted = _accepted(result)
        accepted_all += accepted
        if command in PROTOCOLS:
            names = ", ".join(str(s.get("openssl_name") or s.get("name")) for s in accepted[:5])
            verdict(PROTOCOLS[command], bool(accepted), f"{len(accepted)} cipher suite(s) accepted: {names}")
    if accepted_all:
        weak = _tls.weak_cipher_checks(
            [str(s.get("openssl_name") or s.get("name") or "") for s in accepted_all],
            [s.get("key_size") for s in accepted_all], [bool(s.get("is_anonymous")) for s in accepted_all],
        )
        for check in weak:
            verdict(check, True, "accepted cipher suites include it")
        passed += 5 - len(weak)
    return failed, passed


def leaf_certificates(commands: dict) -> list[dict]:
    """The leaf of each certificate deployment (3.x+) or of the received chain (2.x)."""
    info = commands.get("certificate_info")
    if not isinstance(info, dict):
        return []
    deployments = info.get("certificate_deployments")
    chains = ([d.get("received_certificate_chain") for d in deployments if isinstance(d, dict)]
              if isinstance(deployments, list) else [info.get("received_certificate_chain")])
    leaves = []
    for chain in chains:
        if isinstance(chain, list) and chain and isinstance(chain[0], dict):
            leaves.append(chain[0])
    return leaves


def subject_text(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("rfc4514_string")
    return value if isinstance(value, str) and value.strip() else None
