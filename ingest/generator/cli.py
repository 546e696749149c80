"""Command line: `python -m ingest.generator --out DIR [--months N] [--seed N] [--scale N]`.

`secops generate` delegates here (`add_arguments` + `run`), so both take the same options.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from .landing import generate_landing


def _end(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from exc


def _positive(value: str) -> float:
    x = float(value)
    if x <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return x


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write into")
    parser.add_argument("--months", type=int, default=6, help="calendar months ending with END's month (6)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    parser.add_argument("--scale", type=_positive, default=1.0,
                        help="population multiplier: 1 ~ 400 assets, 300 people (1)")
    parser.add_argument("--end", type=_end, default=None,
                        help="last instant covered, ISO 8601 (default: now UTC, to the minute)")
    parser.add_argument("--no-quirks", dest="quirks", action="store_false",
                        help="leave out the deliberate data-quality quirks")


def run(args: argparse.Namespace) -> int:
    report = generate_landing(args.out, months=args.months, seed=args.seed, scale=args.scale,
                              end=args.end, quirks=args.quirks)
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.generator",
                                     description="Write a deterministic synthetic landing zone.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
