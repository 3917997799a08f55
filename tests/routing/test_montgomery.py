"""A Montgomery-like morning (300 riders, 60 cars) through the CLI.

The default run uses a short limit and checks quality only. The timing measurement
(``--time-limit 30`` must finish within 31.5 s) runs with CARPOOL_MEASURE=1, as it is
a wall-clock test and takes half a minute.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from routing.cli import solve_command
from routing.formats import problem_from_json, problem_to_json
from routing.generate import montgomery_morning

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "montgomery-300.json"


def test_saved_example_is_the_generated_problem():
    assert problem_from_json(json.loads(EXAMPLE.read_text())) == montgomery_morning()
    assert problem_to_json(montgomery_morning())["requests"][0]["id"] == "r-001"


def _solve(tmp_path, limit: float) -> tuple[dict, float]:
    out = tmp_path / "plan.json"
    began = time.monotonic()
    result = CliRunner().invoke(solve_command, [str(EXAMPLE), "--time-limit", str(limit),
                                                "--out", str(out), "--no-progress"])
    wall = time.monotonic() - began
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text()), wall


def test_most_riders_are_served_quickly(tmp_path):
    plan, _ = _solve(tmp_path, 8)
    assert plan["summary"]["served"] >= 285


@pytest.mark.skipif(not os.environ.get("CARPOOL_MEASURE"), reason="set CARPOOL_MEASURE=1")
def test_thirty_second_limit_is_kept(tmp_path):
    plan, wall = _solve(tmp_path, 30)
    print(f"\nserved {plan['summary']['served']}/300, drive {plan['summary']['drive_s']} s, "
          f"wall {wall:.1f} s")
    assert plan["summary"]["served"] >= 285
    assert wall <= 30 * 1.05
