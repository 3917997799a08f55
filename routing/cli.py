"""``carpool solve``: solve a routing JSON problem file into a plan.

Registered in the ``carpool`` group by ``dispatch/cli.py`` (``main.add_command(solve_command)``).
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click
from tqdm import tqdm

from routing.clock import format_minutes
from routing.formats import plan_to_json, problem_from_json
from routing.problem import ProblemError
from routing.solver import SolveParams, SolveProgress, solve


class InputError(click.ClickException):
    """Bad input: one line on stderr, ``error: ...``, and exit code 2 (as for usage errors)."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file or sys.stderr)


def _read_problem(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: line {exc.lineno} column {exc.colno}: "
                         f"{exc.msg}") from None


class _Bar:
    """The progress hook for the terminal: riders placed out of all, best driving, time left."""

    def __init__(self, requests: int, enabled: bool):
        self.bar = tqdm(total=requests, desc="riders placed", file=sys.stderr,
                        bar_format="{desc}: {n}/{total} |{bar}| {elapsed} {postfix}",
                        disable=not enabled, dynamic_ncols=True, leave=True)

    def __call__(self, p: SolveProgress) -> None:
        self.bar.n = p.placed
        drive = "-" if p.best_drive_s is None else format_minutes(p.best_drive_s)
        self.bar.set_postfix_str(f"drive {drive}, {p.time_left_s:.0f} s left", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


@click.command("solve")
@click.argument("problem_file", metavar="PROBLEM.json")
@click.option("--time-limit", "time_limit", type=click.FloatRange(min=0, min_open=True),
              default=10.0, show_default=True, metavar="SECONDS",
              help="Wall-clock budget for the whole solve.")
@click.option("--solution-limit", type=click.IntRange(min=1), default=None,
              help="Stop after this many solutions (makes runs repeatable).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, writable=True), default=None,
              metavar="PLAN.json", help="Write the plan here instead of to stdout.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
def solve_command(problem_file: str, time_limit: float, solution_limit: int | None,
                  out_file: str | None, progress: bool) -> None:
    """Solve PROBLEM.json (routing format v1) and write the plan as JSON."""
    try:
        problem = problem_from_json(_read_problem(problem_file))
    except ProblemError as exc:
        raise InputError(str(exc)) from None
    bar = _Bar(len(problem.requests), enabled=progress)
    try:
        plan = solve(problem, SolveParams(time_limit_s=time_limit, solution_limit=solution_limit),
                     progress=bar)
    finally:
        bar.close()
    text = json.dumps(plan_to_json(plan), indent=2) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        try:
            with open(out_file, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise InputError(f"cannot write {out_file}: {exc.strerror or exc}") from None
    click.echo(plan.summary_line(), err=True)
