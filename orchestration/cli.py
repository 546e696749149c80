"""`secops`: run the pipeline, validate or withdraw exports, generate sample exports, run the demo.

`secops run` executes the Dagster job `secops_run` of orchestration.definitions
in-process: the CLI and the UI run the same definitions, there is no second path.
It exits 0 when every file loaded and every blocking check passed, else 1 with a
one-line reason per problem; environment faults (a read-only folder, a full disk,
a corrupt warehouse) end with one `problem:` line and their own exit code
(orchestration/faults.py, README "Exit codes").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from datetime import datetime
from pathlib import Path

from orchestration.as_of import AS_OF_TAG, format_as_of, now_utc, parse_as_of
from orchestration.faults import (
    EXIT_CORRUPT_WAREHOUSE,
    EXIT_MISSING,
    EnvironmentFault,
    classify_message,
    guarded,
    unique_run_token,
)


def _set_locations(landing: Path | None, warehouse: Path | None) -> None:
    # The definitions read their locations from the environment (orchestration.settings),
    # so the CLI sets it before loading them.
    if landing is not None:
        os.environ["SECOPS_LANDING"] = str(landing.expanduser().resolve())
    if warehouse is not None:
        os.environ["SECOPS_WAREHOUSE"] = str(warehouse.expanduser().resolve())


def _instance():
    import dagster as dg

    # With DAGSTER_HOME set (as `make ui` does) CLI runs appear in the UI's run history.
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _run_log_path(warehouse: Path, as_of: datetime) -> Path:
    folder = warehouse.expanduser().resolve().parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    # pid and a random token: concurrent runs never write the same log
    return folder / f"secops-run-{now_utc():%Y%m%dT%H%M%S}-{unique_run_token()}-asof-{as_of:%Y%m%dT%H%M%S}.log"


def _check_warehouse_readable(warehouse: Path) -> None:
    """A warehouse file that is not a DuckDB database is said before the run starts."""
    import duckdb

    from ingest.warehouse import connect

    if not warehouse.exists():
        return
    try:
        connect(warehouse, read_only=True).close()
    except duckdb.Error as error:
        if classify_message(str(error)) == EXIT_CORRUPT_WAREHOUSE:
            raise EnvironmentFault(
                f"{warehouse}: not a readable DuckDB warehouse (corrupt or another kind of file); "
                "restore it from a backup or move it away to rebuild from the landing folder",
                EXIT_CORRUPT_WAREHOUSE,
            ) from error
        # anything else (a writer holding the file) is the run's to meet


def parse_months(text: str | None) -> tuple[str, str] | None:
    """`YYYY-MM` or `YYYY-MM:YYYY-MM` as partition keys (first days of the months)."""
    from orchestration.partitions import month_key

    if not text:
        return None
    first, _, last = text.partition(":")
    start, end = month_key(first), month_key(last or first)
    if end < start:
        raise ValueError(f"month range {text!r} ends before it starts")
    return start, end


def _partition_tags(months: tuple[str, str] | None) -> dict[str, str]:
    from orchestration.partitions import every_partition

    if months is None:
        everything = every_partition()
        months = (everything.start, everything.end)
    return {
        "dagster/asset_partition_range_start": months[0],
        "dagster/asset_partition_range_end": months[1],
    }


def run_pipeline(
    landing: Path,
    warehouse: Path,
    as_of: datetime,
    months: tuple[str, str] | None = None,
    *,
    verbose: bool = False,
) -> int:
    """Ingest, build and check; print the outcome; return the exit code.

    Without `months` every month's metrics are rebuilt; with a range (partition
    keys) only those months' rows are replaced, earlier months keep theirs.
    Dagster's event log and dbt's output go to a run log beside the warehouse
    (or to the terminal with verbose), so the terminal shows the outcome only.
    """
    _set_locations(landing, warehouse)
    if not landing.is_dir():
        raise EnvironmentFault(f"{landing}: landing folder does not exist (or is not a folder)", EXIT_MISSING)
    _check_warehouse_readable(warehouse)

    from orchestration.writer_lock import WarehouseBusy, warehouse_writer_lock

    try:
        with warehouse_writer_lock(warehouse):
            return _run_holding_the_lock(landing, warehouse, as_of, months, verbose=verbose)
    except WarehouseBusy as busy:
        print(f"problem: {busy}", file=sys.stderr)
        return 1


def _outside_holder(warehouse: Path) -> str | None:
    """The problem line when a process outside the pipeline holds the warehouse file open."""
    import duckdb

    from ingest.warehouse import connect
    from orchestration.writer_lock import is_outside_lock_error, outside_holder_problem
    from publish.bi_snapshot import bi_snapshot_path

    if not warehouse.exists():
        return None
    try:
        connect(warehouse).close()
    except duckdb.IOException as error:
        if is_outside_lock_error(str(error)):
            return outside_holder_problem(warehouse, str(error), bi_snapshot_path(warehouse))
        raise
    return None


def _bi_snapshot_line(result, warehouse: Path) -> str:
    from publish.bi_snapshot import bi_snapshot_path

    for event in result.get_asset_materialization_events():
        if event.asset_key.path == ["publish", "bi_snapshot"]:
            return f"bi snapshot: {event.materialization.metadata['path'].value}"
    return f"bi snapshot: not published by this run ({bi_snapshot_path(warehouse)} is unchanged)"


def _steps_failed_on_outside_lock(result) -> dict[str, str]:
    """Step key -> DuckDB's message, for the steps that failed on the warehouse's file lock."""
    from orchestration.writer_lock import is_outside_lock_error

    found = {}
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            if is_outside_lock_error(error.message):
                found[event.step_key] = error.message
                break
            error = error.cause
    return found


def _run_holding_the_lock(
    landing: Path, warehouse: Path, as_of: datetime, months: tuple[str, str] | None, *, verbose: bool
) -> int:
    from orchestration.definitions import defs
    from orchestration.defs.jobs import WAREHOUSE_TAG
    from orchestration.run_summary import (
        alert_failed_run,
        blocked_lines,
        landing_warnings_of,
        print_headline,
        problems_of,
        warnings_of,
    )
    from orchestration.settings import data_docs_dir, reports_dir
    from orchestration.writer_lock import outside_holder_problem
    from publish.bi_snapshot import bi_snapshot_path

    held_outside = _outside_holder(warehouse)
    if held_outside:
        print(f"problem: {held_outside}", file=sys.stderr)
        return 1
    log_path = None if verbose else _run_log_path(warehouse, as_of)  # a read-only folder fails here, early
    job = defs().resolve_job_def("secops_run")
    with contextlib.ExitStack() as stack:
        if log_path is not None:
            log_file = stack.enter_context(log_path.open("w", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(log_file))
            stack.enter_context(contextlib.redirect_stderr(log_file))
        instance = stack.enter_context(_instance())
        result = job.execute_in_process(
            instance=instance,
            # the job's warehouse tag was read when the definitions were first loaded
            tags={AS_OF_TAG: format_as_of(as_of), **_partition_tags(months), WAREHOUSE_TAG: str(warehouse.resolve())},
            raise_on_error=False,
        )
    problems = problems_of(result)
    # A reader that opened the working file mid-run: said once, not as DuckDB's error per step.
    outside = _steps_failed_on_outside_lock(result)
    if outside:
        problems = [line for line in problems if not any(line.startswith(f"step {k} failed:") for k in outside)]
        message = next(iter(outside.values()))
        problems.insert(0, outside_holder_problem(warehouse, message, bi_snapshot_path(warehouse)))
    for line in landing_warnings_of(result):
        print(f"warning: {line}")
    for line in warnings_of(result):
        print(f"warning: {line}")
    # With the file still held open outside, what needs the warehouse after the run waits for the next one.
    for line in [] if outside else blocked_lines(warehouse, result.run_id):
        print(f"blocked: {line}")
    print_headline(warehouse, as_of, months)
    for line in problems:
        print(f"problem: {line}", file=sys.stderr)
    if not result.success and not outside:
        alert_failed_run(warehouse, result, problems)
    if log_path is not None:
        print(f"run log: {log_path}")
    print(_bi_snapshot_line(result, warehouse))
    print(f"data quality: {data_docs_dir() / 'index.html'}")
    print(f"reports: {reports_dir()}")
    print(f"warehouse: {warehouse.resolve()}")
    # a fault of the machine met inside a step (disk full, read-only) keeps its own exit code
    step_faults = (classify_message(line) for line in problems if line.startswith("step "))
    faults = [code for code in step_faults if code is not None]
    return faults[0] if faults else (1 if problems else 0)


def _cmd_run(args: argparse.Namespace) -> int:
    as_of = parse_as_of(args.as_of) if args.as_of else now_utc()
    months = parse_months(args.month)
    return run_pipeline(args.landing, args.warehouse, as_of, months, verbose=args.verbose)


def _cmd_export(args: argparse.Namespace) -> int:
    from publish.export import export_metrics

    source, exported = export_metrics(args.warehouse, args.out, args.format, parse_months(args.month))
    print(f"exported from: {source}")
    for table in exported:
        print(f"{table.table}: {table.rows} rows -> {table.path}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from ingest.generator import generate_landing

    end = parse_as_of(args.end) if args.end else None
    report = generate_landing(
        args.out, months=args.months, seed=args.seed, scale=args.scale, end=end, quirks=not args.no_quirks
    )
    print(report.summary())
    return 0


def _cmd_withdraw(args: argparse.Namespace) -> int:
    from ingest.load import withdraw
    from ingest.warehouse import ensure_schema, open_warehouse

    with open_warehouse(args.warehouse) as con:
        ensure_schema(con)
        try:
            withdrawn = withdraw(con, args.landing, args.file)
        except (FileNotFoundError, ValueError, LookupError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    for name in withdrawn:
        print(f"withdrawn: {name} (its rows leave every metric on the next run)")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from ingest.validate import validate_file
    from orchestration.settings import default_timezone

    failed = 0
    for path in args.files:
        result = validate_file(path, family=args.family, default_tz=default_timezone())
        failed += result.error is not None
        for line in result.lines():
            print(line)
    return 1 if failed else 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import shutil

    from ingest.generator import generate_landing

    base = args.dir.resolve()
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    if landing.exists():
        shutil.rmtree(landing)
    warehouse.unlink(missing_ok=True)
    as_of = now_utc()
    report = generate_landing(landing, months=args.months, seed=args.seed, end=as_of)
    print(f"generated sample exports in {landing}")
    print(report.summary())
    return run_pipeline(landing, warehouse, as_of)


def build_parser() -> argparse.ArgumentParser:
    from orchestration.settings import REPO_ROOT, landing_dir, warehouse_path

    parser = argparse.ArgumentParser(prog="secops", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="ingest everything new in the landing folder, build and check every metric")
    run.add_argument("--landing", type=Path, default=landing_dir(), help="landing folder (<landing>/<family>/...)")
    run.add_argument("--warehouse", type=Path, default=warehouse_path(), help="DuckDB file")
    run.add_argument("--as-of", help="evaluation time, ISO 8601 (default: now, UTC)")
    run.add_argument("--month", help="YYYY-MM or YYYY-MM:YYYY-MM: recompute only these months' metric rows "
                                     "(a monthly partition run or backfill; default: every month)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's log instead of writing it to a run log")
    run.set_defaults(handler=_cmd_run)

    export = commands.add_parser("export", help="write every metrics.* table as Parquet or CSV files for BI tools")
    export.add_argument("--format", required=True, choices=("parquet", "csv"))
    export.add_argument("--out", type=Path, required=True, help="output folder")
    export.add_argument("--month", help="YYYY-MM or YYYY-MM:YYYY-MM: only these months' rows of the monthly tables")
    export.add_argument("--warehouse", type=Path, default=warehouse_path(),
                        help="DuckDB file; its BI snapshot is read when it exists")
    export.set_defaults(handler=_cmd_export)

    generate = commands.add_parser("generate", help="write canonical sample exports for every family")
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--months", type=int, default=6)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--scale", type=float, default=1.0)
    generate.add_argument("--end", help="last instant of data, ISO 8601 (default: now, UTC)")
    generate.add_argument("--no-quirks", action="store_true",
                          help="leave out the deliberate data-quality quirks (see ingest.generator)")
    generate.set_defaults(handler=_cmd_generate)

    withdraw = commands.add_parser("withdraw", help="take back a loaded export: its rows leave every metric")
    withdraw.add_argument("file", help="path of the export file (or its sha256)")
    withdraw.add_argument("--landing", type=Path, default=landing_dir())
    withdraw.add_argument("--warehouse", type=Path, default=warehouse_path())
    withdraw.set_defaults(handler=_cmd_withdraw)

    validate = commands.add_parser("validate", help="dry run: the format, the rows and the refusals of export files, loading nothing")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--family", help="source family, when the file is not under a folder named after one")
    validate.set_defaults(handler=_cmd_validate)

    demo = commands.add_parser("demo", help="generate sample exports and run the whole pipeline on them")
    demo.add_argument("--dir", type=Path, default=REPO_ROOT / "var" / "demo")
    demo.add_argument("--months", type=int, default=6)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # every fault ends in one `problem:` line and a documented exit code (orchestration/faults.py)
    return guarded(args.command, lambda: args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
