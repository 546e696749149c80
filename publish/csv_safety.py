"""CSV cells a spreadsheet would run as a formula, neutralised as OWASP recommends.

OWASP "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): a cell that
begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula; prefixing it with a single quote makes it text, and the
CSV writer's own quoting takes care of embedded quotes and separators. Text columns
only: a negative number in a numeric column stays a number.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The parameter that carries FORMULA_STARTS into the COPY statement.
FORMULA_STARTS_PARAMETER = "formula_starts"


def neutralised_text(column_sql: str) -> str:
    """SQL for a text column's cells with a single quote before any formula start.

    `column_sql` is a quoted identifier from the catalog; the characters come in as
    the `$formula_starts` parameter.
    """
    return (
        f"CASE WHEN list_contains(${FORMULA_STARTS_PARAMETER}, left({column_sql}, 1)) "
        f"THEN '''' || {column_sql} ELSE {column_sql} END"
    )
