"""The canonical CSV interchange format that every family accepts (SOURCES.md)."""
