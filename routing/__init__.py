"""Carpool routing: an immutable problem in, a checked plan out.

The only package that imports OR-Tools; it knows nothing of Flask, the database or
``dispatch``. Start with :func:`solve`, :func:`problem_from_json` and :func:`plan_to_json`.
"""

from routing.check import PlanViolation, check_plan
from routing.formats import plan_from_json, plan_to_json, problem_from_json, problem_to_json
from routing.plan import ExtraCar, Plan, Route, Stop, Summary, Unassigned
from routing.problem import (
    Point,
    Problem,
    ProblemError,
    Request,
    TimeWindow,
    TravelModel,
    Vehicle,
)
from routing.replan import Replan, replan
from routing.solver import SolveParams, SolveProgress, solve

__all__ = [
    "ExtraCar", "Replan", "replan", "Plan", "PlanViolation", "Point", "Problem", "ProblemError", "Request", "Route",
    "SolveParams", "SolveProgress", "Stop", "Summary", "TimeWindow", "TravelModel",
    "Unassigned", "Vehicle", "check_plan", "plan_from_json", "plan_to_json",
    "problem_from_json", "problem_to_json", "solve",
]
