"""What the JSON incident formats of the incident family share beyond `_json_records`:
severity through a rules map (an unmapped value refuses the row with its reason), category and
geography through the first matching regex rule (the shape of `pagerduty_category_rules`), and
the refused-row record. Kept apart so PagerDuty's module stays as it was.
"""

from __future__ import annotations

from typing import Any, Mapping

from ingest.formats.iam._json_records import as_text, first_matching_rule


def lookup(mapping: Any, value: Any) -> str | None:
    """A value through a rules map, case-insensitively; None when unmapped."""
    if value is None or not isinstance(mapping, dict):
        return None
    wanted = str(value).strip().lower()
    for key, mapped in mapping.items():
        if str(key).strip().lower() == wanted:
            return str(mapped)
    return None


def refused(number: int, field: str, value: Any, reason: str) -> dict[str, Any]:
    return {"entity": "incidents", "source_row": number, "field": field, "value": as_text(value), "reason": reason}


def classify(rules: Mapping[str, Any], prefix: str, fields: Mapping[str, str | None]) -> dict[str, Any]:
    """category, geography and the rules that gave them (`<prefix>_category_rules`, then
    `<prefix>_default_category`; `<prefix>_geography_rules`, else blank)."""
    category, category_rule = first_matching_rule(rules.get(f"{prefix}_category_rules"), fields, "category")
    if category is None and rules.get(f"{prefix}_default_category"):
        category, category_rule = str(rules[f"{prefix}_default_category"]), "default"
    geography, geography_rule = first_matching_rule(rules.get(f"{prefix}_geography_rules"), fields, "geography")
    return {
        "category": category, "geography": geography,
        "category_rule": category_rule, "geography_rule": geography_rule,
    }
