"""What the GitHub alert formats share: the repository an alert belongs to."""

from __future__ import annotations

import re
from typing import Any

from ingest.formats.iam._json_records import dig

HTML_REPO = re.compile(r"^https?://[^/]+/([^/]+/[^/]+)/security/")
API_REPO = re.compile(r"/repos/([^/]+/[^/]+)/")


def repository(alert: dict[str, Any]) -> tuple[str | None, str | None]:
    """(owner/name, the field it came from): `repository.full_name` (org and enterprise
    listings), else the owner/name in `html_url` or `url`."""
    name = dig(alert, "repository", "full_name")
    if isinstance(name, str) and name.strip():
        return name.strip(), "repository.full_name"
    for key, pattern in (("html_url", HTML_REPO), ("url", API_REPO)):
        match = pattern.search(str(alert.get(key) or ""))
        if match:
            return match.group(1), key
    return None, None
