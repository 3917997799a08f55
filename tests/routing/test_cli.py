"""``carpool solve`` as a user runs it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from routing.cli import solve_command

from .test_formats_and_travel import SPEC_EXAMPLE


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(SPEC_EXAMPLE))
    return path


def run(*args):
    return CliRunner().invoke(solve_command, [str(a) for a in args])


def test_plan_goes_to_stdout(problem_file):
    result = run(problem_file, "--time-limit", "5", "--solution-limit", "50", "--no-progress")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["summary"]["served"] == 1
    assert "1/1 riders served" in result.stderr


def test_plan_goes_to_out_file_with_progress_on_stderr(problem_file, tmp_path):
    out = tmp_path / "plan.json"
    result = run(problem_file, "--time-limit", "5", "--solution-limit", "50", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "riders placed: 1/1" in result.stderr
    assert json.loads(out.read_text())["routes"][0]["vehicle"] == "car-1"


def test_bad_field_is_one_line_and_exit_2(tmp_path):
    doc = json.loads(json.dumps(SPEC_EXAMPLE))
    doc["requests"][0]["seats"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    result = run(path)
    assert result.exit_code == 2
    assert result.stderr == "error: requests[0].seats: must be at least 1\n"
    assert result.stdout == ""


def test_missing_file(tmp_path):
    result = run(tmp_path / "nope.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read ") and "No such file" in result.stderr


def test_not_json(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{oops")
    result = run(path)
    assert result.exit_code == 2
    assert "is not valid JSON: line 1 column 2" in result.stderr


def test_bad_time_limit(problem_file):
    assert run(problem_file, "--time-limit", "0").exit_code == 2
