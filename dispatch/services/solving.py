"""Make the plan for a date and half-day: read the bookings, solve, store. Used by
the command line and by background jobs alike.

The solve runs with no transaction open: on SQLite a transaction holds the write
lock, and a solve takes seconds to minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from dispatch.db import unit_of_work
from dispatch.events import PendingNotices
from dispatch.models import Half
from dispatch.services.planning import build_problem, plan_to_follow, store_plan
from dispatch.settings import Settings
from routing.plan import Summary
from routing.solver import SolveParams, SolveProgress, solve


@dataclass(frozen=True)
class PlanOutcome:
    plan_id: int
    summary: Summary
    notices: PendingNotices


def make_plan(
    factory: sessionmaker[Session],
    service_date: dt.date,
    half: Half | str,
    settings: Settings,
    *,
    time_limit_s: float | None = None,
    created_by_id: int | None = None,
    progress: Callable[[SolveProgress], None] | None = None,
    draft: bool = False,
) -> PlanOutcome:
    """Plan `service_date`'s `half` and store it as the plan in force.

    Returns the new plan's id and the notices to send (the caller sends them;
    they are already committed). With `draft`, the plan waits for a dispatcher
    to publish it (plans started from the board); the command line publishes.
    """
    with unit_of_work(factory) as session:
        planning = build_problem(session, service_date, half, settings)
        # Regular riders keep their car and time where they can (routing.solver, stability).
        previous = plan_to_follow(session, service_date, half)
    limit = settings.SOLVER_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    result = solve(planning.problem, SolveParams(time_limit_s=float(limit)), progress=progress,
                   previous=previous)
    notices = PendingNotices()
    with unit_of_work(factory) as session:
        plan = store_plan(
            session, planning, result, created_by_id=created_by_id, notices=notices, draft=draft
        )
        plan_id = plan.id
    return PlanOutcome(plan_id=plan_id, summary=result.summary, notices=notices)
