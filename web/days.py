"""Which service day and half-day a page shows when the user has not said."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput
from dispatch.models import Half, Plan, PlanStatus, Route


def parse_date(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput({field: f"expected a date as YYYY-MM-DD, got {text!r}"}) from None


def default_day(
    session: Session,
    day: dt.date | None,
    half: Half | None,
    *,
    driver_id: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[dt.date, Half]:
    """The date and half-day to show: what was asked, else the next one with a plan.

    Before noon the morning comes first, after noon the evening; a day with no
    plan yet falls through to the next planned day (the demo plans the next weekday).
    With `driver_id`, only plans in which that driver has a route count.
    """
    now = now or dt.datetime.now()
    today = now.date()
    if day is not None and half is not None:
        return day, half
    query = (
        select(Plan.service_date, Plan.half)
        .where(Plan.status == PlanStatus.PUBLISHED)
        .where(Plan.service_date >= (day or today))
        .order_by(Plan.service_date)
    )
    if day is not None:
        query = query.where(Plan.service_date == day)
    if driver_id is not None:
        query = query.where(Plan.routes.any(Route.driver_id == driver_id))
    planned = [(d, Half(h)) for d, h in session.execute(query.limit(20))]
    order = [Half.MORNING, Half.EVENING]
    if now.hour >= 12:
        order.reverse()
    for candidate_day in sorted({d for d, _ in planned}):
        halves = {h for d, h in planned if d == candidate_day}
        if half is not None:
            if half in halves:
                return candidate_day, half
            continue
        if candidate_day == today:
            # Today: the half that is current first, but an evening that is over
            # gives way to the next day.
            for h in order:
                if h in halves and not (h == Half.MORNING and now.hour >= 12 and Half.EVENING in halves):
                    return candidate_day, h
        for h in (Half.MORNING, Half.EVENING):
            if h in halves:
                return candidate_day, h
    return day or today, half or order[0]
