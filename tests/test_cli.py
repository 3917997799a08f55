"""The carpool command as a new user meets it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dispatch.db import make_engine, make_session_factory
from dispatch.models import Booking, Person, Plan, PlanStatus, Vehicle
from dispatch.services.demo import next_service_day
from web.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_demo_loads_plans_and_prints_the_accounts(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    result = runner.invoke(
        main,
        ["demo", "--no-serve", "--database", url, "--riders", "20", "--cars", "4",
         "--demo-password", "montgomery55", "--date", "2026-12-07", "--time-limit", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "driver-1 ... driver-4" in result.output
    assert "rider-1 ... rider-20" in result.output
    assert "montgomery55" in result.output
    assert "http://127.0.0.1:5000/board" in result.output
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        usernames = set(session.scalars(select(Person.username)))
        assert {"admin", "dispatcher", "driver-1", "driver-4", "rider-20"} <= usernames
        assert session.scalar(select(func.count()).select_from(Vehicle)) == 4
        assert session.scalar(select(func.count()).select_from(Booking)) == 40
        plans = session.scalars(select(Plan).where(Plan.status == PlanStatus.PUBLISHED)).all()
        assert sorted(p.half.value for p in plans) == ["evening", "morning"]
        assert all(str(p.service_date) == "2026-12-07" for p in plans)
    engine.dispose()


def test_demo_makes_up_a_password_when_none_is_given(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    args = ["demo", "--no-serve", "--database", url, "--riders", "3", "--cars", "1", "--time-limit", "0.5"]
    first = runner.invoke(main, args)
    second = runner.invoke(main, args)  # a fresh database each time
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    passwords = [line.split(": ")[-1] for out in (first.output, second.output)
                 for line in out.splitlines() if "Password for every demo account" in line]  # fmt: skip
    assert len(passwords) == 2 and passwords[0] != passwords[1] and len(passwords[0]) >= 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--riders", "0"], "--riders"),
        (["demo", "--demo-password", "short"], "--demo-password"),
        (["plan", "--date", "2026-02-30", "--half", "morning"], "--date"),
        (["plan", "--date", "2026-12-07", "--half", "noon"], "--half"),
    ],
)
def test_bad_options_get_a_one_line_error_and_a_nonzero_exit(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_db_upgrade_then_plan_an_empty_day(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/carpool.db"
    result = runner.invoke(main, ["db", "upgrade", "--database", url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["plan", "--date", "2026-12-07", "--half", "morning", "--database", url])
    assert result.exit_code == 0, result.output
    assert "0 of 0 riders" in result.output


def test_user_add_and_duplicate(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/carpool.db"
    runner.invoke(main, ["db", "upgrade", "--database", url])
    args = ["user", "add", "eddie", "--name", "Eddie Posey", "--role", "dispatcher",
            "--password", "parking-lot-1955", "--database", url]  # fmt: skip
    assert runner.invoke(main, args).exit_code == 0
    again = runner.invoke(main, args)
    assert again.exit_code == 1
    assert "taken" in again.output


def test_solve_reads_the_json_format_and_writes_a_plan(runner: CliRunner, tmp_path: Path) -> None:
    problem = Path(__file__).parent.parent / "docs" / "examples" / "small-problem.json"
    out = tmp_path / "plan.json"
    result = runner.invoke(main, ["solve", str(problem), "--time-limit", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    assert set(plan) >= {"routes", "unassigned", "summary"}
    assert plan["summary"]["requests"] == len(json.loads(problem.read_text())["requests"])


def test_privacy_forget_homes_runs_on_an_empty_database(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/carpool.db"
    runner.invoke(main, ["db", "upgrade", "--database", url])
    result = runner.invoke(main, ["privacy", "forget-homes", "--days", "0", "--database", url])
    assert result.exit_code == 0, result.output
    assert "forgot 0 home stops" in result.output


@pytest.mark.parametrize("args", [
    ["plan", "--date", "2026-12-07", "--half", "morning"],
    ["user", "add", "someone", "--name", "Some One", "--role", "dispatcher", "--no-password"],
])
def test_a_database_without_tables_gets_told_to_upgrade(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    result = runner.invoke(main, [*args, "--database", url])
    assert result.exit_code != 0
    assert "carpool db upgrade" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("today", "planned"),
    [
        ("2026-11-25", "2026-11-26"),  # Wednesday: Thursday
        ("2026-11-26", "2026-11-27"),  # Thursday: Friday
        ("2026-11-27", "2026-11-30"),  # Friday: Monday, not Saturday
        ("2026-11-28", "2026-11-30"),  # Saturday: Monday, not Sunday
        ("2026-11-29", "2026-11-30"),  # Sunday: Monday
    ],
)
def test_the_demo_plans_the_next_weekday(today: str, planned: str) -> None:
    # Most demo riders ride Monday to Friday; a demo run on a Friday once opened on a
    # Saturday board with a tenth of them.
    assert next_service_day(dt.date.fromisoformat(today)) == dt.date.fromisoformat(planned)


def test_the_demo_without_a_date_plans_the_next_weekday(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    args = ["demo", "--no-serve", "--database", url, "--riders", "3", "--cars", "1", "--time-limit", "0.5"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    day = next_service_day(dt.date.today())
    assert f"planned for {day}" in result.output
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        assert {p.service_date for p in session.scalars(select(Plan))} == {day}
    engine.dispose()
