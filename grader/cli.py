"""The command line: ``python -m grader grade SLUG FILE`` and ``python -m grader list``.

Exit status: 0 passed; 1 failed, or an error in the learner's code; 2 a usage
or infrastructure error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from grader.sandbox import BACKEND_NAMES
from grader.errors import GraderError, SubmissionError
from grader.verdict import Reason, Status, Verdict

EXIT_PASSED = 0
EXIT_LEARNER = 1
EXIT_INFRASTRUCTURE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade PyTorch exercises in a sandbox.")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade a .py module or an .ipynb notebook against an exercise")
    grade.add_argument("slug", help="the exercise slug, as printed by 'python -m grader list'")
    grade.add_argument("file", type=Path, help="the learner's .py module or .ipynb notebook")
    grade.add_argument("--json", action="store_true", help="print the verdict as one JSON object")
    grade.add_argument(
        "--sandbox",
        choices=list(BACKEND_NAMES),
        help=(
            "the sandbox backend (default: $TENSORCRAFT_SANDBOX, else bwrap where it works, else docker); "
            "forkserver pays off in a worker's warm pool, not for one grading"
        ),
    )
    grade.add_argument(
        "--seed",
        type=int,
        help="the seed of the hidden checks' variant (default: derived from the file's contents)",
    )

    commands.add_parser("list", help="print the exercise slugs, one a line")
    return parser


def print_human(verdict: Verdict) -> None:
    print(f"{verdict.exercise} v{verdict.version}: {verdict.status.value} (score {verdict.score:.2f}, {verdict.duration_ms:.0f} ms)")
    if verdict.reason:
        print(f"reason: {verdict.reason.value}")
    if verdict.message:
        print(verdict.message)
    for check in verdict.checks:
        mark = "PASS" if check.passed else "FAIL"
        print(f"  [{mark}] {check.name}")
        if not check.passed:
            for line in check.message.splitlines():
                print(f"         {line}")
    for item in verdict.diagnosis:
        print(f"diagnosis {item.id}: {item.message}")


def run_grade(args: argparse.Namespace) -> int:
    from grader.exercise import get_exercise
    from grader.grading import grade
    from grader.notebooks import graded_cell_count
    from grader.submission import source_from_bytes

    exercise = get_exercise(args.slug)
    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"error: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    try:
        source = source_from_bytes(data, args.file.name, graded_cells=graded_cell_count(exercise))
    except SubmissionError as error:
        verdict = Verdict(
            exercise=exercise.slug, version=exercise.version, status=Status.ERROR, score=0.0,
            reason=Reason(error.reason), message=str(error),
        )
    else:
        verdict = grade(args.slug, source, backend=args.sandbox, variant_seed=args.seed)

    if args.json:
        print(json.dumps(verdict.as_dict()))
    else:
        print_human(verdict)
    return EXIT_PASSED if verdict.status is Status.PASSED else EXIT_LEARNER


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            from grader.exercise import list_slugs

            for slug in list_slugs():
                print(slug)
            return EXIT_PASSED
        return run_grade(args)
    except GraderError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
