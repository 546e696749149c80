"""GoPhish campaign summaries (`GET /api/campaigns/:id/summary`: one campaign with `stats`;
`GET /api/campaigns/summary`: `{"total", "campaigns": [...]}`), recognised in order to be refused.

Structure: gophish/api-documentation `campaigns.md` ("Get Campaign Summary", "Get Campaign
Summaries"; no licence stated): id, name, status, created_date, launch_date, send_by_date,
completed_date and `stats` {total, sent, opened, clicked, submitted_data, email_reported, error}.

COUNTING RULE: none. A summary holds counts per campaign, no per-recipient result, and the
phishing metrics count recipients (who clicked, who reported, by geography): nothing of it can
be loaded. The file is refused with a message that names the campaigns it summarises and the
API call that gives the results (`GET /api/campaigns/:id/results`, or the full campaign
`GET /api/campaigns/:id`), both read by `gophish_json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ingest.formats import _structure
from ingest.formats.base import ExportError, ExportFormat, ParsedExport
from ingest.formats.iam._json_records import load_json
from ingest.rules import ParseContext

STATS = frozenset({"total", "sent", "clicked"})


def _is_summary(campaign: Any) -> bool:
    return (
        isinstance(campaign, dict)
        and "results" not in campaign
        and isinstance(campaign.get("stats"), dict)
        and STATS <= set(campaign["stats"])
        and "id" in campaign
    )


def _campaigns(document: Any) -> list[dict] | None:
    """The summarised campaigns of a summary response, else None."""
    if _is_summary(document):
        return [document]
    if isinstance(document, dict) and isinstance(document.get("campaigns"), list) and "total" in document:
        campaigns = document["campaigns"]
        if all(_is_summary(c) for c in campaigns):
            return campaigns
    return None


class GophishSummaryJson(ExportFormat):
    name: ClassVar[str] = "gophish_summary_json"
    families: ClassVar[tuple[str, ...]] = ("training",)

    def detect(self, path: Path, head: bytes) -> bool:
        return _campaigns(_structure.json_document(path, head)) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        campaigns = _campaigns(load_json(path))
        if campaigns is None:
            raise ExportError(f"{path}: not a GoPhish campaign summary")
        named = ", ".join(f"{c.get('id')} {c.get('name')!r}" for c in campaigns[:5]) or "none"
        if len(campaigns) > 5:
            named += f" and {len(campaigns) - 5} more"
        ids = [str(c.get("id")) for c in campaigns[:1]] or [":id"]
        raise ExportError(
            f"{path}: a GoPhish campaign summary (campaign {named}: stats only) holds no "
            f"per-recipient results; export GET /api/campaigns/{ids[0]}/results (or the full "
            f"campaign, GET /api/campaigns/{ids[0]}) for each campaign instead"
        )
