"""What a reader of the monthly report sees, read back from its HTML for the report tests."""

from __future__ import annotations

from html.parser import HTMLParser


class ReportRows(HTMLParser):
    """Cell texts of every <tr data-key> per section id, list items per <ul data-process>, <img> tags,
    and the text of every <p> or <strong> with an id (the notices and the summary's counts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: dict[tuple[str, str], list[str]] = {}
        self.flags: dict[str, dict[str, str]] = {}
        self.images: list[dict[str, str]] = []
        self.body: dict[str, str] = {}
        self.scripts: list[str] = []
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._process: str | None = None
        self._item: tuple[str, list[str]] | None = None
        self._in_script = False
        self.texts: dict[str, str] = {}
        self._text: tuple[str, str, list[str]] | None = None  # tag, id, parts

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag in ("p", "strong") and "id" in attrs and self._text is None:
            self._text = (tag, attrs["id"], [])
        if tag == "section":
            self._section = attrs.get("id", "")
        elif tag == "tr" and "data-key" in attrs:
            self._row = []
            self.rows[(self._section, attrs["data-key"])] = self._row
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "ul" and "data-process" in attrs:
            self._process = attrs["data-process"]
            self.flags[self._process] = {}
        elif tag == "li" and self._process is not None:
            self._item = (attrs.get("data-month", ""), [])
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "body":
            self.body = attrs
        elif tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if self._text is not None and tag == self._text[0]:
            self.texts[self._text[1]] = " ".join("".join(self._text[2]).split())
            self._text = None
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "li" and self._item is not None and self._process is not None:
            self.flags[self._process][self._item[0]] = " ".join("".join(self._item[1]).split())
            self._item = None
        elif tag == "ul":
            self._process = None
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._text is not None:
            self._text[2].append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._item is not None:
            self._item[1].append(data)
        if self._in_script:
            self.scripts[-1] += data


def parse_report(html: str) -> ReportRows:
    parsed = ReportRows()
    parsed.feed(html)
    return parsed
