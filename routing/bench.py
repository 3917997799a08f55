"""The routing benchmark: ``python -m routing.bench [SIZES...] [--limit S] [--lilim DIR]``.

Generates Montgomery-like mornings (routing JSON format, :mod:`routing.generate`) at sizes
S, M, L, XL and FULL, solves each with our solver and, when installed (``pip install
pyvroom``), with VROOM under the same time limit, checks every plan with the same checker,
and prints one table: riders served, drive time, ratio to the best peer, wall time and
peak memory. Each run is its own process, so wall time and memory are the run's own.

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

SIZES = {"S": (60, 12), "M": (300, 60), "L": (1500, 300), "XL": (5000, 300),
         "FULL": (17000, 300)}


def make_problem(size: str):  # type: ignore[no-untyped-def]
    from routing.generate import montgomery_morning

    requests, vehicles = SIZES[size]
    if size == "FULL":  # station to station: few places, many riders each
        return montgomery_morning(requests, vehicles, homes=25, workplaces=12)
    return montgomery_morning(requests, vehicles)


# --- one run, in its own process --------------------------------------------------------


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024  # Linux: kilobytes; own plus the largest worker


def run_ours(problem, limit: float, minimise_vehicles: bool = False):  # type: ignore[no-untyped-def]
    from routing.solver import SolveParams, solve

    return solve(problem, SolveParams(time_limit_s=limit, minimise_vehicles=minimise_vehicles))


def run_vroom(problem, limit: float):  # type: ignore[no-untyped-def]
    """VROOM on the same problem: shipments with windows, seats and service; it has no ride
    limit (VROOM #703), so its plans may break it, which the checker then reports."""
    from datetime import timedelta

    import vroom

    from routing.network import Network
    from routing.plan import Plan, Unassigned, summarise

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
    served = {s.request for r in routes for s in r.stops}
    unassigned = tuple(Unassigned(r.id, "left out by VROOM") for r in problem.requests
                       if r.id not in served)
    routes.sort(key=lambda r: r.vehicle)
    return Plan(tuple(routes), unassigned,
                summarise(tuple(routes), unassigned, len(problem.requests),
                          time.monotonic() - began))


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
        problem, scale = make_problem(args.one), 1
    began = time.monotonic()
    if args.solver == "vroom":
        plan = run_vroom(problem, args.limit)
    else:
        plan = run_ours(problem, args.limit, minimise_vehicles=bool(args.lilim_file))
    wall = time.monotonic() - began
    broken = plan_violations(problem, plan)
    out = {"served": plan.summary.served, "requests": plan.summary.requests,
           "drive_s": plan.summary.drive_s, "cars": len(plan.routes), "wall_s": round(wall, 1),
           "peak_mb": round(_peak_mb()), "violations": len(broken)}
    if args.lilim_file:
        out["distance"] = lilim_distance(Path(args.lilim_file), problem, plan, scale)
    return out


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
    try:
        import vroom  # noqa: F401
        peers.append("vroom")
    except ImportError:
        pass
    return peers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m routing.bench", description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", default=["S", "M"], help="S M L XL FULL")
    parser.add_argument("--limit", type=float, action="append",
                        help="time limit(s) in seconds (repeatable; default 30)")
    parser.add_argument("--solvers", default=None, help="comma-separated: ours,vroom")
    parser.add_argument("--lilim", default=None, metavar="DIR", help="run Li & Lim instances")
    parser.add_argument("--instances", default=None, help="comma-separated instance names")
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
        _lilim_table(Path(args.lilim), limits[0], args.instances)
        return
    print("| size | riders/cars | limit s | solver | served | drive h | vs best peer | cars | "
          "wall s | peak MB | violations |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for limit in limits:
            rows = {}
            for solver in solvers:
                rows[solver] = _spawn(["--one", size, "--solver", solver, "--limit", str(limit)])
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


def _lilim_table(directory: Path, limit: float, only: str | None) -> None:
    best = best_known(directory)
    names = sorted(best) if only is None else only.split(",")
    print("| instance | limit s | cars | best cars | distance | best distance | gap % | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    gaps, same = [], 0
    for name in names:
        r = _spawn(["--lilim-file", str(directory / f"{name}.txt"), "--limit", str(limit)])
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
