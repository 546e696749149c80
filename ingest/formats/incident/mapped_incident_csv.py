"""Ticket-system incident CSVs (Jira, ServiceNow or any tool) read through a column mapping.

Detected when a mapping file `<csv name without .csv>.mapping.yaml` sits beside the CSV
(it wins; every column it names must be in the header), or when the header has the
columns that one of the incident rule's `csv_mappings` (ingest/rules.yaml) names for
incident_id, category and severity (its other columns are used where present). Mapping files are configuration, not
exports: discovery skips `*.mapping.yaml` (ingest/landing.py).

A mapping (YAML):

    name: jira_security            # optional label, kept in _extra.mapping
    columns:                       # canonical field: source column (header name, any case)
      incident_id: Issue key
      severity: Priority
      ...
    values:                        # canonical field: {source value: canonical value}, any case
      severity: {Highest: P1, High: P2, Medium: P3, Low: P4}
    defaults:                      # canonical field: value when its column is absent or blank
      category: security
    timestamp_formats: ['%d/%b/%y %I:%M %p']   # strptime formats tried first (else ISO,
                                               # epoch, 'Mon D, YYYY', MM/DD/YYYY are read)
    time_zone: Europe/Berlin       # IANA zone of times without an offset; absent: the
                                   # loader's default zone (counted as naive timestamps)

COUNTING RULE: one CSV record = one incident row, merged by incident_id downstream.

Completion: a field is the mapped column's value, through its value map when there is
one, else the mapping's default. Enumerations (severity, category, root_cause_category)
always end canonical: a value already canonical in any case (P1..P4,
security/availability/other, people/process/technology/environment) passes without an
entry, any other value needs one;
`_extra.defaulted` lists the fields a default completed. A value with no entry in its
map refuses the row when the field is required (category, severity; reason in
ingest.rejected_rows) and is blanked otherwise (`_extra.unmapped_<field>` keeps it).
Unmapped source columns go to `_extra` (a repeated column name, as Jira writes one per
label or component, is kept as `name__2`, `name__3`...). ServiceNow's 'YYYY-MM-DD HH:MM:SS' instance
times are ISO without an offset: read in `time_zone` when given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import yaml

from ingest.formats import vendor_values
from ingest.formats.base import REJECTED_SCHEMA, ExportError, ExportFormat, ParsedExport
from ingest.formats.csv_text import EXTRA, SOURCE_ROW, normalise_name, read_csv_text, read_header, tidy_text
from ingest.formats.iam._json_records import add_to_extra
from ingest.formats.registry import HEAD_BYTES
from ingest.rules import ParseContext, load_rules
from ingest.schemas import INCIDENTS

MAPPING_SUFFIX = ".mapping.yaml"
CANONICAL_VALUES = {
    "severity": ("P1", "P2", "P3", "P4"),
    "category": ("security", "availability", "other"),
    "root_cause_category": ("people", "process", "technology", "environment"),
}
ISO_UTC = "%Y-%m-%dT%H:%M:%S%.6fZ"


def mapping_path(csv_path: Path) -> Path:
    """Where the sidecar mapping of a CSV lives: `<stem>.mapping.yaml` in the same folder."""
    return csv_path.with_name(csv_path.stem + MAPPING_SUFFIX)


class MappedIncidentCsv(ExportFormat):
    name: ClassVar[str] = "mapped_incident_csv"
    families: ClassVar[tuple[str, ...]] = ("incident",)

    def detect(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        if mapping_path(path).is_file():
            return True
        # detect() is given no context: the default mappings are those of the rules in force.
        header = read_header(head)
        return header is not None and _default_mapping(header, load_rules()) is not None

    def parse(self, path: Path, family: str, context: ParseContext | None = None) -> ParsedExport:
        context = context or ParseContext()
        with path.open("rb") as handle:
            header = read_header(handle.read(HEAD_BYTES))
        if header is None:
            raise ExportError(f"{path}: empty CSV (no header)")
        header = unique_names(header)
        sidecar = mapping_path(path)
        if sidecar.is_file():
            mapping = _read_mapping(sidecar)
            label = str(mapping.get("name") or sidecar.name)
        else:
            mapping = _default_mapping(header, context.rules)
            if mapping is None:
                raise ExportError(f"{path}: no {sidecar.name} beside it and no csv_mappings rule matches its header")
            label = str(mapping.get("name") or "csv_mappings")
        columns = _columns(mapping, path)
        missing = sorted({source for source in columns.values() if source not in header})
        if missing:
            raise ExportError(f"{path}: column(s) named by mapping {label} not in the header: {', '.join(missing)}")

        raw = tidy_text(read_csv_text(path, header), header)
        frame, rejected = _map(raw, header, columns, mapping, label, path)
        notes = [f"mapping {label}"]
        if not rejected.is_empty():
            notes.append(f"{rejected['source_row'].n_unique()} row(s) refused: value(s) not in the mapping")
        return ParsedExport(format_name=self.name, entities={"incidents": frame}, rejected=rejected, notes=notes)


def unique_names(header: list[str]) -> list[str]:
    """Header names made unique: Jira repeats a column per value of a multi-valued field
    (Labels, Component/s...); the first keeps its name, the next are `name__2`, `name__3`..."""
    seen: dict[str, int] = {}
    unique = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}__{seen[name]}")
    return unique


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ExportError(f"{path}: unreadable mapping file: {error}") from error
    if not isinstance(mapping, dict) or not isinstance(mapping.get("columns"), dict):
        raise ExportError(f"{path}: a mapping needs a `columns:` map of canonical field -> source column")
    return mapping


def _columns(mapping: Mapping[str, Any], path: Path) -> dict[str, str]:
    """canonical field -> normalised source column name."""
    columns = mapping.get("columns") or {}
    unknown = sorted(set(columns) - set(INCIDENTS.column_names))
    if unknown:
        raise ExportError(f"{path}: the mapping names unknown incident field(s): {', '.join(map(str, unknown))}")
    return {field: normalise_name(str(source), 0) for field, source in columns.items() if source is not None}


def _default_mapping(header: list[str], rules: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first `incident.csv_mappings` entry whose required fields' columns are in the header.

    Required fields are incident_id, category and severity (those without a default).
    The mapping's other columns are used where the header has them: the returned copy
    leaves out the ones it lacks (an export may omit optional columns).
    """
    names = set(header)
    required = set(INCIDENTS.required_columns)
    for mapping in (rules.get("incident", {}) or {}).get("csv_mappings") or []:
        columns = mapping.get("columns") if isinstance(mapping, dict) else None
        if not columns:
            continue
        defaults = mapping.get("defaults") or {}
        wanted = {
            normalise_name(str(source), 0)
            for field, source in columns.items()
            if field in required and field not in defaults and source is not None
        }
        if wanted and wanted <= names:
            present = {f: c for f, c in columns.items() if c is not None and normalise_name(str(c), 0) in names}
            return {**mapping, "columns": present}
    return None


def _map(
    raw: pl.DataFrame,
    header: list[str],
    columns: dict[str, str],
    mapping: Mapping[str, Any],
    label: str,
    path: Path,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The canonical frame (one select over the raw text) and the refused rows."""
    values = {field: {str(k).strip().lower(): str(v) for k, v in (m or {}).items()}
              for field, m in (mapping.get("values") or {}).items()}
    defaults = {field: str(v) for field, v in (mapping.get("defaults") or {}).items() if v is not None}
    formats = [str(f) for f in mapping.get("timestamp_formats") or []]
    zone = _zone(mapping.get("time_zone"), path)
    required = set(INCIDENTS.required_columns)

    used = set(columns.values())
    extra_columns = [c for c in header if c not in used]
    selected: list[pl.Expr] = [
        pl.col(SOURCE_ROW),
        (pl.struct(extra_columns).struct.json_encode() if extra_columns
         else pl.lit(None, dtype=pl.String)).alias(EXTRA),
        pl.lit(label).alias("_mapping"),
    ]
    marks = ["_mapping"]
    refused_when: list[tuple[str, pl.Expr, pl.Expr]] = []
    defaulted: list[pl.Expr] = []
    for column in INCIDENTS.columns:
        field = column.name
        source = columns.get(field)
        if source is None and field not in defaults:
            if field in required:
                raise ExportError(f"{path}: mapping {label} gives no column nor default for required field {field}")
            continue
        original = vendor_values.text(pl.col(source)) if source else pl.lit(None, dtype=pl.String)
        value = original
        if field in values or field in CANONICAL_VALUES:
            canonical = {v.lower(): v for v in CANONICAL_VALUES.get(field, ())}
            lowered = original.str.to_lowercase()
            value = pl.coalesce(
                lowered.replace_strict(values.get(field, {}), default=None, return_dtype=pl.String),
                lowered.replace_strict(canonical, default=None, return_dtype=pl.String),
            )
            unmapped = original.is_not_null() & value.is_null()
            if field in required:
                refused_when.append((field, unmapped, original))
            else:
                selected.append(pl.when(unmapped).then(original).alias(f"_unmapped_{field}"))
                marks.append(f"_unmapped_{field}")
        if field in defaults:
            defaulted.append(pl.when(value.is_null()).then(pl.lit(field)))
            value = pl.coalesce(value, pl.lit(defaults[field]))
        if column.type == "timestamp":
            value = _timestamp(value, formats, zone)
        selected.append(value.alias(field))
    if defaulted:
        selected.append(
            pl.concat_list(defaulted).list.drop_nulls().list.join(",").replace("", None).alias("_defaulted")
        )
        marks.append("_defaulted")
    selected += [flag.alias(f"_refuse_{field}") for field, flag, _ in refused_when]
    selected += [text.alias(f"_value_{field}") for field, _, text in refused_when]
    out = raw.select(selected)

    refusals = [
        out.filter(pl.col(f"_refuse_{field}")).select(
            pl.lit("incidents").alias("entity"),
            pl.col(SOURCE_ROW).alias("source_row"),
            pl.lit(field).alias("field"),
            pl.col(f"_value_{field}").alias("value"),
            pl.format("{} value '{}' is not in mapping {}", pl.lit(field), pl.col(f"_value_{field}"), pl.lit(label))
            .alias("reason"),
        )
        for field, _, _ in refused_when
    ]
    rejected = pl.concat([pl.DataFrame(schema=REJECTED_SCHEMA), *refusals], how="vertical_relaxed")
    helpers = [f"_refuse_{f}" for f, _, _ in refused_when] + [f"_value_{f}" for f, _, _ in refused_when]
    if refused_when:
        out = out.filter(~pl.any_horizontal(pl.col(f"_refuse_{f}") for f, _, _ in refused_when))
    return add_to_extra(out.drop(helpers), marks), rejected


def _zone(zone: Any, path: Path) -> str | None:
    if not zone:
        return None
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ExportError(f"{path}: unknown time_zone {zone!r} in the mapping") from error
    return str(zone)


def _timestamp(value: pl.Expr, formats: list[str], zone: str | None) -> pl.Expr:
    """ISO text: the mapping's formats first, then the shared vendor forms; naive ones put in `zone`."""
    text = vendor_values.timestamp(value)
    if formats:
        parsed = pl.coalesce([value.str.strptime(pl.Datetime("us"), f, strict=False) for f in formats])
        text = pl.when(parsed.is_not_null()).then(parsed.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")).otherwise(text)
    if zone is None:
        return text
    naive = text.str.contains(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
    local = text.str.replace(" ", "T")
    parsed = pl.coalesce([
        local.str.strptime(pl.Datetime("us"), f, strict=False)
        for f in ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
    ])
    # A time that does not exist in the zone (a spring-forward gap) stays naive text: the
    # loader reads it in its default zone and counts it as a naive timestamp.
    zoned = (
        parsed.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC").dt.strftime(ISO_UTC)
    )
    return pl.when(naive & zoned.is_not_null()).then(zoned).otherwise(text)
