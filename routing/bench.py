"""The routing benchmark: ``python -m routing.bench [SIZES...] [--limit S] [--lilim DIR]``.

Generates Montgomery-like mornings (routing JSON format, :mod:`routing.generate`) at sizes
S, M, L, XL and FULL, solves each with our solver and, when installed (``pip install
pyvroom``), with VROOM under the same time limit, checks every plan with the same checker,
and prints one table: riders served, drive time, ratio to the best peer, wall time and
peak memory. Each run is its own process, so wall time and memory are the run's own.

PyVRP (``pip install pyvrp``) is run the same way when installed. ``--no-ride-limit``
drops the riders' maximum ride time, for a comparison fair to peers that cannot keep one;
``--stability`` measures a re-plan from last week's plan with 5% of bookings changed
against a fresh solve (:mod:`routing.stability`; ``--repeat N`` for N runs and their means,
``--control`` adds a second fresh solve per run: two fresh solves differ too);
``--replan 07:10`` takes the car with most riders on board off the road at 07:10 and
re-plans in flight (:mod:`routing.replan`).

``--lilim DIR`` runs the Li & Lim 100-task pickup-and-delivery instances instead (fewest
vehicles first, then distance) and reports the gap to the best-known results in
``DIR/BEST-KNOWN.md``.

This is a script, not a test; its output is recorded in docs/bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from routing.clock import parse_time

SIZES = {"S": (60, 12), "M": (300, 60), "L": (1500, 300), "XL": (5000, 300),
         "FULL": (17000, 300)}


def make_problem(size: str, ride_limit: bool = True):  # type: ignore[no-untyped-def]
    """The size's generated morning; without ``ride_limit``, the same riders with no
    maximum ride time (for a fair comparison with peers that cannot keep one)."""
    from routing.generate import montgomery_morning

    requests, vehicles = SIZES[size]
    limit = 45 * 60 if ride_limit else None
    if size == "FULL":  # station to station: few places, many riders each
        return montgomery_morning(requests, vehicles, homes=25, workplaces=12,
                                  max_ride_s=limit)  # type: ignore[arg-type]
    return montgomery_morning(requests, vehicles, max_ride_s=limit)  # type: ignore[arg-type]


# --- one run, in its own process --------------------------------------------------------


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024  # Linux: kilobytes; own plus the largest worker


def run_ours(problem, limit: float, minimise_vehicles: bool = False,  # type: ignore[no-untyped-def]
             engine: str | None = None):
    from routing.solver import DEFAULT_PARAMS, SolveParams, solve

    return solve(problem, SolveParams(time_limit_s=limit, minimise_vehicles=minimise_vehicles,
                                      engine=engine or DEFAULT_PARAMS.engine))


def _peer_plan(problem, routes, who: str, began: float):  # type: ignore[no-untyped-def]
    """A peer's timed routes as our Plan: riders on no route are left out "by" the peer."""
    from routing.plan import Plan, Unassigned, summarise

    served = {s.request for r in routes for s in r.stops}
    unassigned = tuple(Unassigned(r.id, f"left out by {who}") for r in problem.requests
                       if r.id not in served)
    routes.sort(key=lambda r: r.vehicle)
    return Plan(tuple(routes), unassigned,
                summarise(tuple(routes), unassigned, len(problem.requests),
                          time.monotonic() - began))


def run_vroom(problem, limit: float):  # type: ignore[no-untyped-def]
    """VROOM on the same problem: shipments with windows, seats and service; it has no ride
    limit (VROOM #703), so its plans may break it, which the checker then reports."""
    from datetime import timedelta

    import vroom

    from routing.network import Network

    net = Network(problem)
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=net.durations_np.astype("uint32"))
    for v, vehicle in enumerate(problem.vehicles):
        begin, end = net.shift(v)
        inp.add_vehicle(vroom.Vehicle(id=v, start=net.pt[net.start(v)], end=net.pt[net.end(v)],
                                      capacity=[vehicle.seats],
                                      time_window=vroom.TimeWindow(begin, end)))
    for i in range(net.n_requests):
        p, d = 2 * i, 2 * i + 1
        inp.add_shipment(
            vroom.ShipmentStep(id=p, location=net.pt[p], default_service=net.service[p],
                               time_windows=[vroom.TimeWindow(net.lo[p], net.hi[p])]),
            vroom.ShipmentStep(id=d, location=net.pt[d], default_service=net.service[d],
                               time_windows=[vroom.TimeWindow(net.lo[d], net.hi[d])]),
            amount=vroom.Amount([net.seats[p]]))
    began = time.monotonic()
    solution = inp.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=limit))
    frame = solution.routes
    routes = []
    for v, rows in frame.groupby("vehicle_id"):
        seq = [int(row.id) for row in rows.itertuples() if row.type in ("pickup", "delivery")]
        timing = net.schedule(int(v), seq)
        if timing is None:  # VROOM ignored a ride limit: keep its order, time it plainly
            timing = _plain_timing(net, int(v), seq)
        routes.append(net.route(int(v), seq, timing))
    return _peer_plan(problem, routes, "VROOM", began)


def run_pyvrp(problem, limit: float):  # type: ignore[no-untyped-def]
    """PyVRP on the same problem: shipments with windows, seats and service, one vehicle
    type per car (its start, end and shift). PyVRP has no ride limit (PyVRP #1097), so it is
    folded into the pick-up window: picked up no earlier than the drop-off window's end
    minus the limit, every ride keeps it. Riders are optional with a prize larger than any
    detour, so PyVRP may leave some out, as the others do."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    from routing.network import Network

    net = Network(problem)
    model = pyvrp.Model()
    n_places = len(net.places) + 1  # and the sink open routes end at
    locations = [model.add_location(x=float(k), y=0.0) for k in range(n_places)]
    D = net.D
    for a in range(n_places):
        for b in range(n_places):
            if a != b:
                model.add_edge(locations[a], locations[b], distance=int(D[a][b]),
                               duration=int(D[a][b]))
    for v, vehicle in enumerate(problem.vehicles):
        begin, end = net.shift(v)
        start = model.add_depot(locations[net.pt[net.start(v)]])
        finish = model.add_depot(locations[net.pt[net.end(v)]])
        model.add_vehicle_type(1, capacity=[vehicle.seats], start_depot=start, end_depot=finish,
                               tw_early=begin, tw_late=end, name=str(v))
    prize = 10 * 3600 * 4
    for i in range(net.n_requests):
        p, d = 2 * i, 2 * i + 1
        lo_p = net.lo[p]
        limit_i = net.ride_limit(i)
        if limit_i is not None:
            lo_p = max(lo_p, net.hi[d] - limit_i)
        model.add_shipment(locations[net.pt[p]], locations[net.pt[d]], pickup_tw_early=lo_p,
                           pickup_tw_late=max(lo_p, net.hi[p]),
                           pickup_service_duration=net.service[p],
                           delivery_tw_early=net.lo[d], delivery_tw_late=net.hi[d],
                           delivery_service_duration=net.service[d], amount=[net.seats[p]],
                           prize=prize, required=False, name=str(i))
    began = time.monotonic()
    result = model.solve(stop=MaxRuntime(limit), display=False, seed=0)
    routes = []
    for route in result.best.routes():
        v = route.vehicle_type()
        seq = []
        for act in route.schedule():
            if act.is_pickup():
                seq.append(2 * act.idx)
            elif act.is_delivery():
                seq.append(2 * act.idx + 1)
        if not seq:
            continue
        timing = net.schedule(v, seq) or _plain_timing(net, v, seq)
        routes.append(net.route(v, seq, timing))
    return _peer_plan(problem, routes, "PyVRP", began)


def _plain_timing(net, v: int, seq):  # type: ignore[no-untyped-def]
    from routing.network import Timing

    t, last, starts = net.shift(v)[0], net.start(v), []
    for node in seq:
        t = max(t + net.t(last, node), net.lo[node])
        starts.append(t)
        t += net.service[node]
        last = node
    return Timing(leave_s=net.shift(v)[0], starts=tuple(starts), end_s=t + net.t(last, net.end(v)))


def one(args: argparse.Namespace) -> dict[str, Any]:
    from routing.check import plan_violations

    if args.lilim_file:
        problem, scale = read_lilim(Path(args.lilim_file))
    else:
        problem, scale = make_problem(args.one, ride_limit=not args.no_ride_limit), 1
    if args.stability:
        return stability_run(problem, args.limit, control=args.control)
    if args.replan:
        return replan_run(problem, args.limit, parse_time(args.replan))
    began = time.monotonic()
    if args.solver == "vroom":
        plan = run_vroom(problem, args.limit)
    elif args.solver == "pyvrp":
        plan = run_pyvrp(problem, args.limit)
    else:
        plan = run_ours(problem, args.limit, minimise_vehicles=bool(args.lilim_file),
                        engine=args.engine)
    wall = time.monotonic() - began
    broken = plan_violations(problem, plan)
    out = {"served": plan.summary.served, "requests": plan.summary.requests,
           "drive_s": plan.summary.drive_s, "cars": len(plan.routes), "wall_s": round(wall, 1),
           "peak_mb": round(_peak_mb()), "violations": len(broken)}
    if args.lilim_file:
        out["distance"] = lilim_distance(Path(args.lilim_file), problem, plan, scale)
    return out


def stability_run(problem, limit: float,  # type: ignore[no-untyped-def]
                  control: bool = False) -> dict[str, Any]:
    """Last week's plan, 5% of bookings changed, then the re-plan from last week's plan and
    a fresh solve, each with the same limit (see :mod:`routing.stability`). ``control``: a
    second fresh solve of the same bookings, to show how far two fresh solves differ."""
    from routing.solver import SolveParams, solve
    from routing.stability import change_bookings, compare

    params = SolveParams(time_limit_s=limit)
    last = solve(problem, params)
    changed = change_bookings(problem, 0.05)
    began = time.monotonic()
    again = solve(changed, params, previous=last)
    replan_s = time.monotonic() - began
    fresh = solve(changed, params)
    got = compare(problem, changed, last, again, fresh)
    second = solve(changed, params).summary.drive_s if control else None
    return {"second_fresh_drive_s": second,
            "unchanged": got.unchanged, "kept": got.kept, "kept_share": round(got.kept_share, 4),
            "last_drive_s": last.summary.drive_s,
            "replan_drive_s": got.replan_drive_s, "fresh_drive_s": got.fresh_drive_s,
            "extra_drive": round(got.extra_drive, 4), "replan_s": round(replan_s, 1),
            "served_replan": again.summary.served, "served_fresh": fresh.summary.served,
            "requests": again.summary.requests, "peak_mb": round(_peak_mb())}


def _stability_means(size: str, limit: float, runs: list[dict[str, Any]]) -> str:
    """The table row of the means over runs: extra drive is mean re-plan over mean fresh."""
    def mean(key: str) -> float:
        return sum(r[key] for r in runs) / len(runs)

    replan, fresh = mean("replan_drive_s"), mean("fresh_drive_s")
    lowest = min(100 * r["kept_share"] for r in runs)
    extras = [100 * r["extra_drive"] for r in runs]
    row = (f"| {size} | {limit:g} | mean of {len(runs)} | {mean('kept'):.1f} | "
           f"{100 * mean('kept_share'):.1f}% (lowest {lowest:.1f}%) | "
           f"{mean('last_drive_s') / 3600:.2f} | {replan / 3600:.2f} | "
           f"{fresh / 3600:.2f} | {100 * (replan / fresh - 1):+.2f}% (runs {min(extras):+.2f} "
           f"to {max(extras):+.2f}%) | | {mean('replan_s'):.1f} |")
    controls = [100 * _fresh_vs_fresh(r) for r in runs if r.get("second_fresh_drive_s")]
    if controls:
        row += (f" mean {sum(abs(c) for c in controls) / len(controls):.2f}% apart "
                f"({min(controls):+.2f} to {max(controls):+.2f}%) |")
    return row


def _fresh_vs_fresh(run: dict[str, Any]) -> float:
    """The control: the second fresh solve's driving over the first's, minus one."""
    return float(run["second_fresh_drive_s"] / run["fresh_drive_s"] - 1)


def replan_run(problem, limit: float, now_s: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The morning planned with ``limit``; at ``now_s`` the car with the most riders on
    board is taken off the road and the rest re-planned (:func:`routing.replan.replan`, its
    own few seconds): how long it took, who is carried, and how many riders not yet picked
    up (in the other cars) keep their car and a pick-up within 5 minutes."""
    from routing.replan import replan
    from routing.solver import SolveParams, solve
    from routing.stability import keeps, pickups

    plan = solve(problem, SolveParams(time_limit_s=limit))

    def aboard(route) -> int:  # type: ignore[no-untyped-def]
        on: set[str] = set()
        for s in route.stops:
            if s.start_s <= now_s and s.kind == "pickup":
                on.add(s.request)
            elif s.start_s <= now_s:
                on.discard(s.request)
        return len(on)

    removed = max(plan.routes, key=aboard)
    began = time.monotonic()
    result = replan(problem, plan, now_s, removed_vehicles=[removed.vehicle])
    took = time.monotonic() - began
    was = {rid: (car, t) for rid, (car, t) in pickups(plan).items()
           if t > now_s and car != removed.vehicle}
    now = pickups(result.plan)
    kept = sum(1 for rid, before in was.items() if rid in now and keeps(before, now[rid]))
    return {"removed": removed.vehicle, "aboard": aboard(removed), "replan_s": round(took, 2),
            "served": result.plan.summary.served, "requests": result.plan.summary.requests,
            "waiting": len(was), "kept": kept, "peak_mb": round(_peak_mb())}


# --- Li & Lim ---------------------------------------------------------------------------

LILIM_SCALE = 10  # times and distances x10, as integers (windows must fit in 48 h)


def read_lilim(path: Path):  # type: ignore[no-untyped-def]
    from routing.problem import Point, Problem, Request, TimeWindow, TravelModel, Vehicle
    from routing.travel import round_half_up

    lines = [list(map(float, line.split())) for line in path.read_text().splitlines()
             if line.strip()]
    k, capacity = int(lines[0][0]), int(lines[0][1])
    rows = lines[1:]
    xy = [(r[1], r[2]) for r in rows]
    n = len(rows)
    metres = [[math.hypot(xy[a][0] - xy[b][0], xy[a][1] - xy[b][1]) * LILIM_SCALE
               for b in range(n)] for a in range(n)]
    matrix = tuple(tuple(int(x) for x in row) for row in round_half_up(metres).tolist())
    depot = rows[0]
    shift = TimeWindow(int(depot[4] * LILIM_SCALE), int(depot[5] * LILIM_SCALE))
    vehicles = tuple(Vehicle(id=f"v{j + 1}", seats=capacity, start=Point(loc=0), end=Point(loc=0),
                             shift=shift) for j in range(k))
    requests = []
    for r in rows[1:]:
        if r[3] > 0:  # a pick-up; its delivery's row is r[8]
            d = rows[int(r[8])]
            requests.append(Request(
                id=f"t{int(r[0])}", seats=int(r[3]), pickup=Point(loc=int(r[0])),
                dropoff=Point(loc=int(d[0])),
                pickup_window=TimeWindow(int(r[4] * LILIM_SCALE), int(r[5] * LILIM_SCALE)),
                dropoff_window=TimeWindow(int(d[4] * LILIM_SCALE), int(d[5] * LILIM_SCALE)),
                pickup_service_s=int(r[6] * LILIM_SCALE), dropoff_service_s=int(d[6] * LILIM_SCALE)))
    problem = Problem(name=path.stem, travel=TravelModel(model="matrix"), service_s=0,
                      vehicles=vehicles, requests=tuple(requests), durations=matrix,
                      distances=matrix)
    return problem, LILIM_SCALE


def lilim_distance(path: Path, problem, plan, scale: int) -> float:  # type: ignore[no-untyped-def]
    """The plan's distance in the instance's own (real) units."""
    rows = [list(map(float, line.split())) for line in path.read_text().splitlines()[1:]
            if line.strip()]
    by_id = {r.id: r for r in problem.requests}
    total = 0.0
    for route in plan.routes:
        locs = [0] + [(by_id[s.request].pickup if s.kind == "pickup" else by_id[s.request].dropoff).loc
                      for s in route.stops] + [0]
        total += sum(math.hypot(rows[a][1] - rows[b][1], rows[a][2] - rows[b][2])
                     for a, b in zip(locs, locs[1:], strict=False))
    return round(total, 2)


def best_known(directory: Path) -> dict[str, tuple[int, float]]:
    out = {}
    for line in (directory / "BEST-KNOWN.md").read_text().splitlines():
        m = re.match(r"\s*(l\w+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)", line)
        if m:
            out[m.group(1)] = (int(m.group(2)), float(m.group(3)))
    return out


# --- the table --------------------------------------------------------------------------


def _spawn(extra: list[str]) -> dict[str, Any] | None:
    cmd = [sys.executable, "-m", "routing.bench", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _peers() -> list[str]:
    peers = ["ours"]
    for name in ("vroom", "pyvrp"):
        try:
            __import__(name)
            peers.append(name)
        except ImportError:
            pass
    return peers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m routing.bench", description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", default=["S", "M"], help="S M L XL FULL")
    parser.add_argument("--limit", type=float, action="append",
                        help="time limit(s) in seconds (repeatable; default 30)")
    parser.add_argument("--solvers", default=None, help="comma-separated: ours,vroom,pyvrp")
    parser.add_argument("--no-ride-limit", action="store_true",
                        help="riders without a maximum ride time (fair to peers without one)")
    parser.add_argument("--stability", action="store_true",
                        help="re-plan with 5%% of bookings changed; compare with a fresh solve")
    parser.add_argument("--replan", default=None, metavar="HH:MM",
                        help="take the car with most riders on board off the road at HH:MM "
                             "and re-plan the rest in flight")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="--stability: N independent runs, then their means (a solve's "
                             "driving varies run to run)")
    parser.add_argument("--control", action="store_true",
                        help="--stability: a second fresh solve per run, to show how far two "
                             "fresh solves of the same bookings differ")
    parser.add_argument("--lilim", default=None, metavar="DIR", help="run Li & Lim instances")
    parser.add_argument("--instances", default=None, help="comma-separated instance names")
    parser.add_argument("--engine", default=None, choices=["lns", "ortools"],
                        help="our improvement engine (default: the solver's)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--solver", default="ours", help=argparse.SUPPRESS)
    parser.add_argument("--lilim-file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    limits = args.limit or [30.0]
    if args.one or args.lilim_file:
        args.limit = limits[0]
        print(json.dumps(one(args)))
        return
    solvers = args.solvers.split(",") if args.solvers else _peers()
    if args.lilim:
        _lilim_table(Path(args.lilim), limits[0], args.instances, args.engine)
        return
    extra = ["--no-ride-limit"] if args.no_ride_limit else []
    if args.engine:
        extra += ["--engine", args.engine]
    if args.replan:
        print(f"| size | plan limit s | car removed at {args.replan} | re-plan s | served after | "
              "not yet picked up: kept car and pick-up ±5 min |")
        print("|---|---|---|---|---|---|")
        for size in args.sizes:
            for limit in limits:
                for _ in range(args.repeat):
                    r = _spawn(["--one", size, "--replan", args.replan, "--limit", str(limit),
                                *extra])
                    if r is None:
                        print(f"| {size} | {limit:g} | failed |")
                        continue
                    print(f"| {size} | {limit:g} | {r['removed']}, {r['aboard']} aboard | "
                          f"{r['replan_s']} | {r['served']}/{r['requests']} | {r['kept']} of "
                          f"{r['waiting']} ({100 * r['kept'] / max(1, r['waiting']):.1f}%) |",
                          flush=True)
        return
    if args.stability:
        print("| size | limit s | unchanged riders | kept car and time | share | last week h | "
              "re-plan drive h | fresh drive h | extra drive | served re-plan/fresh | re-plan s |"
              + (" second fresh vs fresh |" if args.control else ""))
        print("|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if args.control else ""))
        if args.control:
            extra.append("--control")
        for size in args.sizes:
            for limit in limits:
                runs = []
                for _ in range(args.repeat):
                    r = _spawn(["--one", size, "--stability", "--limit", str(limit), *extra])
                    if r is None:
                        print(f"| {size} | {limit:g} | failed |")
                        continue
                    runs.append(r)
                    print(f"| {size} | {limit:g} | {r['unchanged']} | {r['kept']} | "
                          f"{100 * r['kept_share']:.1f}% | {r['last_drive_s'] / 3600:.2f} | "
                          f"{r['replan_drive_s'] / 3600:.2f} | "
                          f"{r['fresh_drive_s'] / 3600:.2f} | {100 * r['extra_drive']:+.2f}% | "
                          f"{r['served_replan']}/{r['served_fresh']} of {r['requests']} | "
                          f"{r['replan_s']} |"
                          + (f" {100 * _fresh_vs_fresh(r):+.2f}% |" if args.control else ""),
                          flush=True)
                if len(runs) > 1:
                    print(_stability_means(size, limit, runs), flush=True)
        return
    print("| size | riders/cars | limit s | solver | served | drive h | vs best peer | cars | "
          "wall s | peak MB | violations |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for limit in limits:
            rows = {}
            for solver in solvers:
                rows[solver] = _spawn(["--one", size, "--solver", solver, "--limit", str(limit),
                                       *extra])
            peers = [r for s, r in rows.items() if s != "ours" and r and not r["violations"]]
            best = max(peers, key=lambda r: (r["served"], -r["drive_s"]), default=None)
            for solver, r in rows.items():
                if r is None:
                    print(f"| {size} | {SIZES[size][0]}/{SIZES[size][1]} | {limit:g} | {solver} "
                          "| failed | | | | | | |")
                    continue
                ratio = f"{r['drive_s'] / best['drive_s']:.3f}" if best else "-"
                print(f"| {size} | {SIZES[size][0]}/{SIZES[size][1]} | {limit:g} | {solver} | "
                      f"{r['served']}/{r['requests']} | {r['drive_s'] / 3600:.1f} | {ratio} | "
                      f"{r['cars']} | {r['wall_s']} | {r['peak_mb']} | {r['violations']} |",
                      flush=True)


def _lilim_table(directory: Path, limit: float, only: str | None, engine: str | None) -> None:
    best = best_known(directory)
    names = sorted(best) if only is None else only.split(",")
    print("| instance | limit s | cars | best cars | distance | best distance | gap % | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    gaps, same = [], 0
    for name in names:
        r = _spawn(["--lilim-file", str(directory / f"{name}.txt"), "--limit", str(limit),
                    *(["--engine", engine] if engine else [])])
        if r is None:
            print(f"| {name} | {limit:g} | failed | | | | | |")
            continue
        cars, dist = best[name]
        gap = 100 * (r["distance"] / dist - 1)
        gaps.append(gap)
        same += r["cars"] <= cars
        note = "" if r["served"] == r["requests"] else f" ({r['served']}/{r['requests']} served)"
        print(f"| {name} | {limit:g} | {r['cars']} | {cars} | {r['distance']}{note} | {dist} | "
              f"{gap:+.2f} | {r['wall_s']} |", flush=True)
    if gaps:
        print(f"\nmean gap {sum(gaps) / len(gaps):+.2f} %; best-known number of cars on "
              f"{same} of {len(gaps)}")


if __name__ == "__main__":
    main()
